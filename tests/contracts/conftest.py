"""Fixtures for the contract tests: one real anvil per test module, and `Contracts`, a handle to
deploy artifacts, send transactions as dev accounts, and read the custom error a call reverts
with (decoded against the contract's own ABI, library errors included)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.anvil import AnvilOptions, AnvilProcess
from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts

_RECEIPT_TIMEOUT_S = 30


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
class Contracts:
    """Deploy and drive contracts on anvil as the ten dev accounts."""

    w3: Web3
    anvil: AnvilProcess
    keys: tuple[str, ...]

    def account(self, index: int) -> LocalAccount:
        return Account.from_key(self.keys[index])

    def address(self, index: int) -> ChecksumAddress:
        return to_checksum_address(self.account(index).address)

    def deploy(self, name: str, *args: Any, sender: int = 0) -> Contract:
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        receipt = self.send(sender, factory.constructor(*args))
        assert receipt["status"] == 1, f"deploying {name} reverted"
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))

    def send(self, index: int, call: Any, *, value: int = 0, gas: int | None = None) -> dict[str, Any]:
        """Sign and mine `call` as dev account `index`; the receipt, whatever its status."""
        account = self.account(index)
        params: dict[str, Any] = {
            "from": account.address,
            "value": value,
            "nonce": self.w3.eth.get_transaction_count(account.address),
        }
        if gas is not None:
            params["gas"] = gas
        tx = call.build_transaction(params)
        tx_hash = self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        return dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=_RECEIPT_TIMEOUT_S))

    def ok(self, index: int, call: Any, *, value: int = 0) -> dict[str, Any]:
        receipt = self.send(index, call, value=value)
        assert receipt["status"] == 1, f"transaction reverted: {receipt['transactionHash'].hex()}"
        return receipt

    def revert_of(self, index: int, call: ContractFunction, *, value: int = 0) -> tuple[str, tuple[Any, ...]]:
        """The custom error `call` reverts with when sent by dev account `index` (eth_call)."""
        tx = {"to": call.address, "data": call._encode_transaction_data(), "value": value}
        return self.revert_of_raw(index, tx, call.contract_abi)

    def revert_of_raw(self, index: int, tx: dict[str, Any], abi: Any) -> tuple[str, tuple[Any, ...]]:
        """The custom error an `eth_call` of `tx` from dev account `index` reverts with, decoded
        against `abi` (a transaction without `to` runs as a contract creation)."""
        try:
            self.w3.eth.call({"from": self.address(index), **tx})
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else None
            assert data, f"reverted without data: {exc!r}"
            return decode_custom_error(abi, bytes.fromhex(data.removeprefix("0x")))
        raise AssertionError("call did not revert")

    def mine(self, blocks: int = 1) -> None:
        self.anvil.rpc("anvil_mine", [hex(blocks)])

    def latest_timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


@pytest.fixture(scope="module")
def anvil_options() -> AnvilOptions:
    """The options of the module's anvil; a module overrides this fixture to change them."""
    return AnvilOptions()


@pytest.fixture(scope="module")
def anvil(anvil_options: AnvilOptions) -> Iterator[AnvilProcess]:
    process = AnvilProcess(anvil_options)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def w3(anvil: AnvilProcess) -> Web3:
    return Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="module")
def contracts(anvil: AnvilProcess, w3: Web3) -> Contracts:
    return Contracts(w3=w3, anvil=anvil, keys=tuple(account.private_key for account in dev_accounts()))


@pytest.fixture(scope="module")
def mpt_harness(contracts: Contracts) -> Contract:
    """`MerkleTrieHarness`: the L1 proof libraries (RLPReader, MerkleTrie, SecureMerkleTrie,
    OutputRootLib) behind external functions."""
    return contracts.deploy("MerkleTrieHarness")


@pytest.fixture
def isolated(anvil: AnvilProcess) -> Iterator[None]:
    """Snapshot anvil before the test and revert after it."""
    snapshot = anvil.rpc("evm_snapshot")
    try:
        yield
    finally:
        anvil.rpc("evm_revert", [snapshot])
