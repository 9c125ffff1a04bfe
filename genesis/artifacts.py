"""Compiled contract artifacts (ABI, bytecode, storage layout), read from `contracts/artifacts`.

The artifacts are built by `node contracts/build.mjs` from `contracts/src` and committed, so the
Python side never needs Node. This loader sits in the lowest layer because the genesis builder
embeds L2 predeploy code; `bridge/` uses it for L1 contracts. ABIs are never pasted into Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "contracts" / "artifacts"


class ArtifactNotFound(LookupError):
    def __init__(self, name: str, directory: Path) -> None:
        super().__init__(f"no compiled artifact named {name!r} in {directory}; run `node contracts/build.mjs`")
        self.name = name


@dataclass(frozen=True, slots=True)
class Artifact:
    contract_name: str
    source_name: str
    abi: tuple[dict[str, Any], ...]
    bytecode: bytes
    deployed_bytecode: bytes
    storage_layout: dict[str, Any]

    def storage_slot(self, variable: str) -> int:
        """Slot number of a top-level state variable, from the compiler's storage layout."""
        for entry in self.storage_layout.get("storage", []):
            if entry["label"] == variable:
                return int(entry["slot"])
        raise KeyError(f"{self.contract_name} has no state variable {variable!r}")


@lru_cache(maxsize=None)
def load_artifact(name: str, directory: Path = ARTIFACTS_DIR) -> Artifact:
    path = directory / f"{name}.json"
    if not path.exists():
        raise ArtifactNotFound(name, directory)
    raw = json.loads(path.read_text())
    return Artifact(
        contract_name=raw["contractName"],
        source_name=raw["sourceName"],
        abi=tuple(raw["abi"]),
        bytecode=bytes.fromhex(raw["bytecode"][2:]),
        deployed_bytecode=bytes.fromhex(raw["deployedBytecode"][2:]),
        storage_layout=raw.get("storageLayout") or {},
    )
