"""Helpers for the L1 tests: the `L1` handle on the deployed L1 contracts (the harness' dev-account
sender, tests/harness/evm.py, plus the contracts and revert decoding), a tiny forwarder contract,
and EIP-2612 permit signing with eth-account. Fixtures are in conftest.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from bridge.anvil import AnvilProcess
from bridge.l1_contracts import L1Deployment, L1Revert, decode_revert, gas_with_headroom
from rwa.permit import Permit
from rwa.permit import sign_permit as sign_erc2612_permit
from tests.harness.evm import DevSender

DEV_ACCOUNTS = 10
BATCHER_INDEX = 9
FAILING_TX_GAS = 3_000_000  # mined on purpose to show that a reverted deposit leaves no trace

# A 35-byte forwarder: calldata = target (20 bytes) ++ payload; it CALLs target with payload and
# returns or reverts with the callee's return data. Deposits sent through it come from a contract.
#   PUSH1 20 CALLDATASIZE SUB DUP1 PUSH1 20 PUSH0 CALLDATACOPY      mem[0:n] = calldata[20:]
#   PUSH0 PUSH0 DUP3 PUSH0 PUSH0                                     retSize retOff argsSize argsOff value
#   PUSH0 CALLDATALOAD PUSH1 96 SHR GAS CALL                         target = calldata[0:20]
#   RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY PUSH1 0x1f JUMPI
#   RETURNDATASIZE PUSH0 REVERT   JUMPDEST RETURNDATASIZE PUSH0 RETURN
FORWARDER_RUNTIME = bytes.fromhex("601436038060145f375f5f825f5f5f3560601c5af13d5f5f3e601f573d5ffd5b3d5ff3")
# PUSH1 35 DUP1 PUSH1 9 PUSH0 CODECOPY PUSH0 RETURN: returns the 35 bytes that follow it.
FORWARDER_INITCODE = bytes.fromhex("6023806009" "5f395ff3") + FORWARDER_RUNTIME


@dataclass
class L1(DevSender):
    """The deployed devnet L1 (tests/harness/evm.py's `DevSender` with the L1 contracts)."""

    deployment: L1Deployment
    hkd: Contract
    config: Contract
    portal: Contract

    @classmethod
    def on(cls, w3: Web3, anvil: AnvilProcess, deployment: L1Deployment, keys: tuple[str, ...]) -> "L1":
        return cls(w3=w3, anvil=anvil, keys=keys, deployment=deployment, hkd=deployment.contract(w3, "HKDStablecoin"),
                   config=deployment.contract(w3, "SystemConfig"), portal=deployment.contract(w3, "LantauPortal"))

    @property
    def oracle(self) -> Contract:
        return self.deployment.contract(self.w3, "OutputOracle")

    def gas_for(self, call: Any, params: dict[str, Any]) -> int | None:
        # Estimated against the pending block, with the headroom the bridge's own sender gives:
        # deposits burn L1 gas at a price that moves per block (see `gas_with_headroom`).
        return gas_with_headroom(call.estimate_gas(cast(Any, params), "pending"))

    def send_raw(self, index: int, to: str, data: bytes, *, gas: int = 1_000_000) -> dict[str, Any]:
        account = self.account(index)
        tx: dict[str, Any] = {
            "from": account.address,
            "to": Web3.to_checksum_address(to),
            "data": data,
            "gas": gas,
            "nonce": self.w3.eth.get_transaction_count(account.address),
            "chainId": self.w3.eth.chain_id,
            "maxFeePerGas": 2 * self.w3.eth.gas_price + 1,
            "maxPriorityFeePerGas": 1,
        }
        return self.sign_and_wait(account, tx)

    def revert_of(self, index: int, call: ContractFunction, *, gas: int | None = None) -> L1Revert:
        """The custom error `call` reverts with when sent by dev account `index` (via eth_call)."""
        params: dict[str, Any] = {"from": self.address(index)}
        if gas is not None:
            params["gas"] = gas
        data = self.revert_data({**params, "to": call.address, "data": call._encode_transaction_data()})
        decoded = decode_revert(data)
        assert decoded is not None, f"unknown revert data 0x{data.hex()}"
        return decoded

    def expect_failed_tx(self, index: int, call: ContractFunction) -> dict[str, Any]:
        """Mine `call` anyway and check that it reverted and emitted nothing."""
        receipt = self.send(index, call, gas=FAILING_TX_GAS)
        assert receipt["status"] == 0
        assert receipt["logs"] == []
        return receipt

    def deploy_forwarder(self, index: int) -> ChecksumAddress:
        account = self.account(index)
        tx: dict[str, Any] = {
            "data": FORWARDER_INITCODE,
            "gas": 200_000,
            "nonce": self.w3.eth.get_transaction_count(account.address),
            "chainId": self.w3.eth.chain_id,
            "maxFeePerGas": 2 * self.w3.eth.gas_price + 1,
            "maxPriorityFeePerGas": 1,
        }
        receipt = self.sign_and_wait(account, tx)
        address: ChecksumAddress = receipt["contractAddress"]
        assert receipt["status"] == 1 and self.w3.eth.get_code(address) == FORWARDER_RUNTIME
        return address

    def hkd_balance(self, address: str) -> int:
        return int(self.hkd.functions.balanceOf(Web3.to_checksum_address(address)).call())


def sign_permit(l1: L1, owner_index: int, spender: str, value: int, deadline: int) -> tuple[int, bytes, bytes]:
    """An EIP-2612 permit for the devnet HKD, signed as the SDK signs (`rwa.permit`, eth-account's
    EIP-712 support, so the test does not trust the contract's own digest)."""
    owner = l1.address(owner_index)
    permit = Permit(owner, Web3.to_checksum_address(spender), value, l1.hkd.functions.nonces(owner).call(), deadline)
    signed = sign_erc2612_permit(
        permit, l1.keys[owner_index], chain_id=l1.w3.eth.chain_id, token=l1.hkd.address,
        token_name=l1.hkd.functions.name().call(),
    )
    return signed.v, signed.r, signed.s
