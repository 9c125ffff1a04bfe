"""Turns a `GenesisConfig` into the genesis block of the L2: header parameters and state.

Pure: the same config gives the same state root and block hash on every machine.
Predeploys (contract code + storage at fixed addresses, `genesis.predeploys`) are merged
into the alloc by `with_predeploys` before building.
"""

from __future__ import annotations

from typing import Any

from eth.constants import BLANK_ROOT_HASH
from eth.typing import AccountState

from genesis.config import GenesisConfig

#: Lantau's genesis extraData marker when the file gives none.
GENESIS_EXTRA_DATA = b"lantau"


def genesis_header_params(config: GenesisConfig) -> dict[str, Any]:
    """Header fields of block 0 (state root is computed by py-evm from the state)."""
    return {
        "difficulty": 0,
        "gas_limit": config.gas_limit,
        "timestamp": config.timestamp,
        "extra_data": config.extra_data or GENESIS_EXTRA_DATA,
        "coinbase": config.coinbase,
        "nonce": b"\x00" * 8,
        "mix_hash": b"\x00" * 32,
        "base_fee_per_gas": config.base_fee_per_gas,
        "parent_beacon_block_root": BLANK_ROOT_HASH,
    }


def genesis_state(config: GenesisConfig) -> AccountState:
    """py-evm's account-state dict for `Chain.from_genesis`."""
    return {
        address: {
            "balance": account.balance,
            "nonce": account.nonce,
            "code": account.code,
            "storage": dict(account.storage),
        }
        for address, account in config.alloc.items()
    }
