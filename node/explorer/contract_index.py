"""`GET /explorer/contracts.json`: what the explorer needs to name and decode the project's own
contracts, read-only and computed once from the committed artifacts (`genesis.artifacts`).

    {"contracts": {"0x4200…0800": "IdentityRegistry", …},          the L2 predeploys by address
     "functions": {"0x<4-byte selector>": {"name", "signature", "inputs": [{"name", "type"}],
                   "outputs": [the artifact's ABI outputs: name, type, components, internalType]}},
     "events":    {"0x<topic 0>": {"name", "signature", "inputs": [{"name", "type", "indexed"}]}},
     "errors":    {"0x<4-byte selector>": {"name", "signature", "inputs": [{"name", "type"}]}},
     "enums":     {"AssetClass": ["GreenBond", …], …}}   member names, from the Solidity sources

The browser has no keccak of its own: selectors and topics are computed here. Enum names are read
from the sources (`enum Name { A, B }`): the artifacts' ABIs carry only their numbers. Events and
functions are matched by selector or topic wherever they occur, so an RWA asset (a clone of
`RWAToken` at its own address) is decoded too. Where two contracts share a signature the
first artifact by name wins; the entry is the same signature either way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from genesis.artifacts import ARTIFACTS_DIR, load_artifact
from genesis.predeploys import PREDEPLOY_CONTRACTS


def _type_of(item: dict[str, Any]) -> str:
    """The canonical ABI type, tuples spelled out as the signature needs them."""
    kind = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_type_of(c) for c in item.get("components", [])) + ")" + kind[len("tuple"):]
    return kind


def _entry(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    signature = f"{item['name']}({','.join(_type_of(i) for i in item.get('inputs', []))})"
    inputs = [{"name": i.get("name", ""), "type": _type_of(i), **({"indexed": i["indexed"]} if item["type"] == "event" else {})}
              for i in item.get("inputs", [])]
    return signature, {"name": item["name"], "signature": signature, "inputs": inputs}


@lru_cache(maxsize=1)
def contract_index() -> dict[str, Any]:
    functions: dict[str, Any] = {}
    events: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        if path.stem.endswith("Harness"):
            continue
        for item in load_artifact(path.stem).abi:
            if item.get("type") == "function":
                signature, entry = _entry(item)
                entry["outputs"] = item.get("outputs", [])
                functions.setdefault("0x" + function_signature_to_4byte_selector(signature).hex(), entry)
            elif item.get("type") == "event" and not item.get("anonymous"):
                signature, entry = _entry(item)
                events.setdefault("0x" + keccak(text=signature).hex(), entry)
            elif item.get("type") == "error":
                signature, entry = _entry(item)
                errors.setdefault("0x" + function_signature_to_4byte_selector(signature).hex(), entry)
    contracts = {to_checksum_address(address).lower(): name for address, name in PREDEPLOY_CONTRACTS.items()}
    return {"contracts": contracts, "functions": functions, "events": events, "errors": errors, "enums": _enums()}


_ENUM = re.compile(r"\benum\s+(\w+)\s*\{([^}]*)\}")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def _enums() -> dict[str, list[str]]:
    """Each enum's member names by enum name, from the Solidity sources beside the artifacts."""
    enums: dict[str, list[str]] = {}
    for path in sorted((ARTIFACTS_DIR.parent / "src").rglob("*.sol")):
        for name, body in _ENUM.findall(_COMMENT.sub("", path.read_text())):
            enums.setdefault(name, [member.strip() for member in body.split(",") if member.strip()])
    return enums
