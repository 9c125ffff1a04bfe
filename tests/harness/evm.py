"""The one EVM handle of the tests: a real anvil driven as the dev accounts of the test mnemonic.

`DevSender` signs and mines transactions as dev account `i` and reads the raw revert data of an
`eth_call`; `Contracts` (the contract tests' handle) deploys artifacts and decodes a revert
against the contract's own ABI; tests/bridge/l1_harness.py's `L1` adds the deployed L1 contracts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.anvil import AnvilProcess
from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts

RECEIPT_TIMEOUT_S = 30


def dev_keys() -> tuple[str, ...]:
    """The private keys of the ten dev accounts, in mnemonic order."""
    return tuple(account.private_key for account in dev_accounts())


def decode_custom_error(abi: tuple[dict[str, Any], ...] | list[dict[str, Any]], data: bytes) -> tuple[str, tuple[Any, ...]]:
    """`(name, args)` of the custom error in revert `data`, from `abi`'s error entries."""
    for entry in abi:
        if entry["type"] != "error":
            continue
        types = [i["type"] for i in entry["inputs"]]
        if data[:4] == function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})"):
            values = abi_decode(types, data[4:])
            return entry["name"], tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values))
    raise AssertionError(f"revert data matches no custom error of the ABI: 0x{data.hex()}")


@dataclass
class DevSender:
    """Send transactions on anvil as dev account `index` (0-9 of the test mnemonic)."""

    w3: Web3
    anvil: AnvilProcess
    keys: tuple[str, ...]

    def account(self, index: int) -> LocalAccount:
        account: LocalAccount = Account.from_key(self.keys[index])
        return account

    def address(self, index: int) -> ChecksumAddress:
        return to_checksum_address(self.account(index).address)

    def send(self, index: int, call: Any, *, value: int = 0, gas: int | None = None) -> dict[str, Any]:
        """Sign and mine `call` as dev account `index`; the receipt, whatever its status. Without
        `gas`, `gas_for` chooses it (by default: web3 estimates)."""
        account = self.account(index)
        params: dict[str, Any] = {"from": account.address, "nonce": self.w3.eth.get_transaction_count(account.address)}
        if value:
            params["value"] = value
        chosen = gas if gas is not None else self.gas_for(call, params)
        if chosen is not None:
            params["gas"] = chosen
        return self.sign_and_wait(account, dict(call.build_transaction(params)))

    def gas_for(self, call: Any, params: dict[str, Any]) -> int | None:
        """The gas limit of a `send` that names none; None: web3's estimate."""
        return None

    def sign_and_wait(self, account: LocalAccount, tx: dict[str, Any]) -> dict[str, Any]:
        tx_hash = self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        return dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_S))

    def ok(self, index: int, call: Any, *, value: int = 0) -> dict[str, Any]:
        receipt = self.send(index, call, value=value)
        assert receipt["status"] == 1, f"transaction reverted: {receipt['transactionHash'].hex()}"
        return receipt

    def revert_data(self, tx: dict[str, Any]) -> bytes:
        """The revert data of an `eth_call` of `tx` (a transaction without `to` runs as a
        contract creation); fails the test when it does not revert, or reverts without data."""
        try:
            self.w3.eth.call(tx)  # type: ignore[arg-type]
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else None
            assert data, f"reverted without data: {exc!r}"
            return bytes.fromhex(data.removeprefix("0x"))
        raise AssertionError("call did not revert")

    def mine(self, blocks: int = 1) -> None:
        self.anvil.rpc("anvil_mine", [hex(blocks)])

    def latest_timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


@dataclass
class Contracts(DevSender):
    """Deploy and drive contracts from the artifacts; reverts decoded against their own ABI."""

    def deploy(self, name: str, *args: Any, sender: int = 0) -> Contract:
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        receipt = self.send(sender, factory.constructor(*args))
        assert receipt["status"] == 1, f"deploying {name} reverted"
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))

    def revert_of(self, index: int, call: ContractFunction, *, value: int = 0) -> tuple[str, tuple[Any, ...]]:
        """The custom error `call` reverts with when sent by dev account `index` (eth_call)."""
        tx = {"to": call.address, "data": call._encode_transaction_data(), "value": value}
        return self.revert_of_raw(index, tx, call.contract_abi)

    def revert_of_raw(self, index: int, tx: dict[str, Any], abi: Any) -> tuple[str, tuple[Any, ...]]:
        """The custom error an `eth_call` of `tx` from dev account `index` reverts with, decoded
        against `abi`."""
        return decode_custom_error(abi, self.revert_data({"from": self.address(index), **tx}))
