"""Generates `genesis/devnet.json`: the ten dev accounts funded, predeploys with their code and
their initial storage, and the preinstalls (CREATE2 deployer, Multicall3) with their published
runtime code (`genesis.preinstalls`).

    python -m genesis.generate            # rewrite genesis/devnet.json
    python -m genesis.generate --check    # exit 1 if the committed file is out of date

The output is a pure function of the dev mnemonic and the committed contract artifacts, and a
test checks the committed file against it. The message passer gets the devnet's L1 portal and
HKD token addresses and the withdrawal gas bound (`genesis.l1_addresses`). The RWA predeploys' owner is dev account 0 (the
devnet's registry owner and platform operator); their storage comes from
`genesis.predeploys.rwa_predeploy_storage`, with each named state variable resolved to its slot
in the artifact's storage layout.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Mapping

from eth_typing import Address
from eth_utils import to_canonical_address

from genesis.artifacts import Artifact, load_artifact
from genesis.config import DEVNET_GENESIS_PATH, DEVNET_L2_CHAIN_ID
from genesis.dev_accounts import dev_accounts
from genesis.l1_addresses import DEVNET_L1_BLOCK_GAS_LIMIT, devnet_l1_addresses, max_withdrawal_gas_limit
from genesis.predeploys import (
    PREDEPLOY_CONTRACTS,
    PREINSTALL_CONTRACTS,
    PREINSTALL_NONCE,
    SEQUENCER_FEE_VAULT,
    StorageKey,
    passer_predeploy_storage,
    rwa_predeploy_storage,
)
from genesis.preinstalls import load_preinstall

DEV_ACCOUNT_BALANCE_WEI = 1_000_000 * 10**18  # 1,000,000 HKD each
DEVNET_GAS_LIMIT = 30_000_000
DEVNET_GENESIS_BASE_FEE = 1_000_000_000
#: Dev account that owns the RWA predeploys on the devnet.
DEVNET_RWA_OWNER_INDEX = 0


class StorageLayoutError(ValueError):
    """A predeploy's storage names a variable the artifact cannot place as a whole slot."""


def resolve_storage(artifact: Artifact, storage: Mapping[StorageKey, int]) -> dict[int, int]:
    """Slot -> value: names looked up in the compiler's storage layout, raw slots kept."""
    resolved: dict[int, int] = {}
    entries = {entry["label"]: entry for entry in artifact.storage_layout.get("storage", [])}
    for key, value in storage.items():
        if isinstance(key, str):
            entry = entries.get(key)
            if entry is None:
                raise StorageLayoutError(f"{artifact.contract_name} has no state variable {key!r}")
            if entry["offset"] != 0:
                raise StorageLayoutError(f"{artifact.contract_name}.{key} shares its slot (offset {entry['offset']})")
            slot = int(entry["slot"])
        else:
            slot = key
        if not 0 <= value < 2**256:
            raise StorageLayoutError(f"{artifact.contract_name}: value for {key!r} is not a 256-bit word")
        resolved[slot] = value
    return resolved


def _word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def devnet_genesis() -> dict[str, Any]:
    accounts = dev_accounts()
    alloc: dict[str, Any] = {a.address: {"balance": hex(DEV_ACCOUNT_BALANCE_WEI)} for a in accounts}
    owner = Address(to_canonical_address(accounts[DEVNET_RWA_OWNER_INDEX].address))
    l1 = devnet_l1_addresses()
    storage_of = {
        **rwa_predeploy_storage(owner),
        **passer_predeploy_storage(
            l1["LantauPortal"], l1["HKDStablecoin"], max_withdrawal_gas_limit(DEVNET_L1_BLOCK_GAS_LIMIT)
        ),
    }
    for address, name in PREDEPLOY_CONTRACTS.items():
        artifact = load_artifact(name)
        entry: dict[str, Any] = {"balance": "0x0", "code": "0x" + artifact.deployed_bytecode.hex()}
        if address in storage_of:
            slots = resolve_storage(artifact, storage_of[address])
            entry["storage"] = {_word(slot): _word(slots[slot]) for slot in sorted(slots)}
        alloc["0x" + address.hex()] = entry
    for address, name in PREINSTALL_CONTRACTS.items():
        code = load_preinstall(name).deployed_bytecode
        alloc["0x" + address.hex()] = {"balance": "0x0", "nonce": hex(PREINSTALL_NONCE), "code": "0x" + code.hex()}
    return {
        "config": {"chainId": DEVNET_L2_CHAIN_ID},
        "timestamp": "0x0",
        "gasLimit": hex(DEVNET_GAS_LIMIT),
        "baseFeePerGas": hex(DEVNET_GENESIS_BASE_FEE),
        "extraData": "0x" + b"lantau".hex(),
        "coinbase": "0x" + SEQUENCER_FEE_VAULT.hex(),
        "alloc": alloc,
    }


def render() -> str:
    return json.dumps(devnet_genesis(), indent=2) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if genesis/devnet.json is out of date")
    args = parser.parse_args()
    if args.check:
        if DEVNET_GENESIS_PATH.read_text() != render():
            sys.exit("genesis/devnet.json is out of date: run `python -m genesis.generate`")
        return
    DEVNET_GENESIS_PATH.write_text(render())


if __name__ == "__main__":
    main()
