"""The ten dev accounts of the standard test mnemonic, the same that anvil and hardhat print.

Using the same mnemonic as every Ethereum tool means MetaMask imports, web3.py examples and
foundry scripts work against Lantau with their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from eth_account import Account

TEST_MNEMONIC = "test test test test test test test test test test test junk"
DERIVATION_PATH_PREFIX = "m/44'/60'/0'/0/"
DEV_ACCOUNT_COUNT = 10


@dataclass(frozen=True, slots=True)
class DevAccount:
    index: int
    address: str  # EIP-55 checksummed
    private_key: str  # 0x-prefixed hex

    @property
    def derivation_path(self) -> str:
        return f"{DERIVATION_PATH_PREFIX}{self.index}"


@lru_cache(maxsize=4)
def dev_accounts(mnemonic: str = TEST_MNEMONIC, count: int = DEV_ACCOUNT_COUNT) -> tuple[DevAccount, ...]:
    Account.enable_unaudited_hdwallet_features()
    accounts = []
    for index in range(count):
        account = Account.from_mnemonic(mnemonic, account_path=f"{DERIVATION_PATH_PREFIX}{index}")
        accounts.append(DevAccount(index, account.address, "0x" + account.key.hex().removeprefix("0x")))
    return tuple(accounts)
