"""Preinstalls: contracts every OP Stack toolchain expects at fixed addresses on an L2, with the
runtime code they have on Ethereum (their addresses are in `genesis.predeploys`, the address book).

- `DeterministicDeploymentProxy` (Arachnid's CREATE2 deployer, what Foundry's `forge script
  --broadcast` with a salt uses): on Ethereum it is installed by a pre-EIP-155 transaction,
  which Lantau's pool refuses (no chain id), so genesis is the only way onto the L2.
- `Multicall3` (mds1/multicall): batched reads for viem, ethers and web3 dapps.

Their runtime code comes from the pinned npm package `@eth-optimism/contracts-bedrock`
(`src/libraries/Preinstalls.sol`, the constants OP's own L2 genesis writes) and Multicall3's ABI
from its `IMulticall3` artifact. Both are copied into `genesis/preinstalls.json` and committed,
so the Python side needs no Node:

    python -m genesis.preinstalls            # rewrite genesis/preinstalls.json from node_modules
    python -m genesis.preinstalls --check    # exit 1 if the committed file differs

Tests check the code against the published code hashes as well.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from genesis.artifacts import Artifact

PREINSTALLS_PATH: Final = Path(__file__).resolve().parent / "preinstalls.json"
OP_PACKAGE_DIR: Final = Path(__file__).resolve().parent.parent / "node_modules" / "@eth-optimism" / "contracts-bedrock"

#: Preinstall name -> (the constant holding its runtime code in OP's Preinstalls.sol, the forge
#: artifact with its ABI, or None when it has no ABI: the deployer takes raw salt ‖ init code).
_OP_SOURCES: Final[dict[str, tuple[str, str | None]]] = {
    "DeterministicDeploymentProxy": ("DeterministicDeploymentProxyCode", None),
    "Multicall3": ("MultiCall3Code", "IMulticall3.sol/IMulticall3.0.8.15.json"),
}


@lru_cache(maxsize=None)
def load_preinstall(name: str, path: Path = PREINSTALLS_PATH) -> Artifact:
    """A preinstall as an `Artifact` (no creation code, no storage: genesis writes its runtime code)."""
    raw = json.loads(path.read_text())
    try:
        entry = raw["contracts"][name]
    except KeyError:
        raise LookupError(f"no preinstall named {name!r} in {path}") from None
    return Artifact(
        contract_name=name,
        source_name=raw["source"],
        abi=tuple(entry.get("abi", ())),
        bytecode=b"",
        deployed_bytecode=bytes.fromhex(entry["deployedBytecode"][2:]),
        storage_layout={},
    )


def _from_op_package(package_dir: Path = OP_PACKAGE_DIR) -> dict[str, Any]:
    package = json.loads((package_dir / "package.json").read_text())
    library = (package_dir / "src" / "libraries" / "Preinstalls.sol").read_text()
    contracts: dict[str, Any] = {}
    for name, (constant, abi_file) in _OP_SOURCES.items():
        match = re.search(rf'\b{constant}\s*=\s*hex"([0-9a-fA-F]+)"', library)
        if match is None:
            raise LookupError(f"{constant} not found in {package_dir}/src/libraries/Preinstalls.sol")
        entry: dict[str, Any] = {"deployedBytecode": "0x" + match.group(1).lower()}
        if abi_file is not None:
            entry["abi"] = json.loads((package_dir / "forge-artifacts" / abi_file).read_text())["abi"]
        contracts[name] = entry
    return {
        "source": f"{package['name']}@{package['version']} src/libraries/Preinstalls.sol",
        "contracts": contracts,
    }


def render(package_dir: Path = OP_PACKAGE_DIR) -> str:
    return json.dumps(_from_op_package(package_dir), indent=2) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if genesis/preinstalls.json is out of date")
    args = parser.parse_args()
    if args.check:
        if PREINSTALLS_PATH.read_text() != render():
            sys.exit("genesis/preinstalls.json is out of date: run `python -m genesis.preinstalls`")
        return
    PREINSTALLS_PATH.write_text(render())


if __name__ == "__main__":
    main()
