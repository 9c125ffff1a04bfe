"""Generates `genesis/devnet.json`: the ten dev accounts funded, predeploys with their code.

    python -m genesis.generate            # rewrite genesis/devnet.json
    python -m genesis.generate --check    # exit 1 if the committed file is out of date

The output is a pure function of the dev mnemonic and the committed contract artifacts, and a
test checks the committed file against it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from genesis.artifacts import load_artifact
from genesis.config import DEVNET_GENESIS_PATH, DEVNET_L2_CHAIN_ID
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import PREDEPLOY_CONTRACTS, SEQUENCER_FEE_VAULT

DEV_ACCOUNT_BALANCE_WEI = 1_000_000 * 10**18  # 1,000,000 HKD each
DEVNET_GAS_LIMIT = 30_000_000
DEVNET_GENESIS_BASE_FEE = 1_000_000_000


def devnet_genesis() -> dict[str, Any]:
    alloc: dict[str, Any] = {a.address: {"balance": hex(DEV_ACCOUNT_BALANCE_WEI)} for a in dev_accounts()}
    for address, name in PREDEPLOY_CONTRACTS.items():
        alloc["0x" + address.hex()] = {"balance": "0x0", "code": "0x" + load_artifact(name).deployed_bytecode.hex()}
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
