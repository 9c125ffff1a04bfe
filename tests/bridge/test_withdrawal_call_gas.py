"""A withdrawal's call gets at least its `gasLimit`, whatever the size of its data (issue 9,
finding 3). The portal used to check `gasleft()` before copying the data to memory; for ~100 KB
the copy and the memory expansion (tens of thousands of gas) ate the 40,000 margin, so a
finalizer passing just enough gas for the check made the call run short: the withdrawal was
marked finalized with `success = false` and could never be retried.

The L2 side here is a passer storage trie built by hand (py-trie) holding only the tested
withdrawal, under an output root posted to the devnet `OutputOracle`: the portal sees exactly
what it sees from a real L2. The call's target is a 4-byte probe, `GAS PUSH0 SSTORE STOP`, which
records the gas it was given (minus the 2 of the GAS opcode) in its slot 0.

Since Prague (EIP-7623) a transaction carrying ~100 KB of calldata must buy a calldata floor far
above what its execution needs, so the attack goes through a contract that calls the portal with
exactly the gas it chooses: the relay below, which is also how the tests pick the gas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import rlp
from eth_hash.auto import keccak
from eth_utils import to_checksum_address
from trie import HexaryTrie
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.logs import DISCARD

from bridge.l1_contracts import decode_revert
from bridge.withdrawal import OutputRootProof, WithdrawalTransaction
from node.output_root import OUTPUT_VERSION_V0
from tests.bridge.l1_harness import L1

PROPOSER, RELAYER, PROBE_OWNER = 2, 6, 7
BOND = 10**16
PERIOD_S = 12
INTERVAL = 10
CALL_GAS_LIMIT = 100_000
# GAS PUSH0 SSTORE STOP; the init code returns the 4 bytes after its own 9.
PROBE_RUNTIME = bytes.fromhex("5a5f5500")
PROBE_INITCODE = bytes.fromhex("6004806009" "5f395ff3") + PROBE_RUNTIME
GAS_OPCODE_COST = 2
OUTER_GAS = 15_000_000  # above any EIP-7623 floor here; the relay decides the portal's gas
# A 37-byte relay: calldata = gas (32 bytes) ++ target (20 bytes) ++ payload; it CALLs target
# with exactly that gas and returns or reverts with the callee's return data.
#   PUSH1 52 CALLDATASIZE SUB DUP1 PUSH1 52 PUSH0 CALLDATACOPY       mem[0:n] = calldata[52:]
#   PUSH0 PUSH0 DUP3 PUSH0 PUSH0                                     retSize retOff argsSize argsOff value
#   PUSH1 32 CALLDATALOAD PUSH1 96 SHR PUSH0 CALLDATALOAD CALL       target, gas = calldata[0:32]
#   RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY PUSH1 0x21 JUMPI
#   RETURNDATASIZE PUSH0 REVERT   JUMPDEST RETURNDATASIZE PUSH0 RETURN
RELAY_RUNTIME = bytes.fromhex("603436038060345f375f5f825f5f60203560601c5f35f13d5f5f3e6021573d5ffd5b3d5ff3")
RELAY_INITCODE = bytes.fromhex("6025806009" "5f395ff3") + RELAY_RUNTIME


def deploy_code(l1: L1, initcode: bytes, runtime: bytes) -> str:
    account = l1.account(PROBE_OWNER)
    tx: dict[str, Any] = {
        "data": initcode, "gas": 100_000, "nonce": l1.w3.eth.get_transaction_count(account.address),
        "chainId": l1.w3.eth.chain_id, "maxFeePerGas": 2 * l1.w3.eth.gas_price + 1, "maxPriorityFeePerGas": 1,
    }
    receipt = l1.sign_and_wait(account, tx)
    address = to_checksum_address(receipt["contractAddress"])
    assert l1.w3.eth.get_code(address) == runtime
    return address


def prove_synthetic(l1: L1, withdrawal: WithdrawalTransaction) -> int:
    """Post an output whose passer storage trie holds just `withdrawal`, prove it against it, and
    return the proof's L1 time."""
    storage = HexaryTrie({})
    storage[keccak(withdrawal.storage_slot)] = rlp.encode(1)
    storage_proof = [rlp.encode(node) for node in storage.get_proof(keccak(withdrawal.storage_slot))]
    output = OutputRootProof(OUTPUT_VERSION_V0, keccak(b"state"), storage.root_hash, keccak(b"block"))
    l1.ok(PROPOSER, l1.oracle.functions.proposeL2Output(output.output_root, INTERVAL, bytes(32), 0), value=BOND)
    receipt = l1.ok(RELAYER, l1.portal.functions.proveWithdrawalTransaction(
        withdrawal.as_abi(), 0, output.as_abi(), storage_proof))
    return int(l1.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


@dataclass(frozen=True)
class Relayed:
    """`finalizeWithdrawalTransaction(withdrawal)` sent through the relay with `gas` for the portal."""

    l1: L1
    relay: str
    finalize_calldata: bytes

    def data(self, gas: int) -> bytes:
        return gas.to_bytes(32, "big") + bytes.fromhex(self.l1.portal.address[2:]) + self.finalize_calldata

    def revert_data(self, gas: int) -> bytes | None:
        """None if the finalization succeeds with `gas`, else the portal's revert data."""
        try:
            self.l1.w3.eth.call({"from": self.l1.address(RELAYER), "to": self.relay, "data": self.data(gas),
                                 "gas": OUTER_GAS})
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else ""
            return bytes.fromhex(data.removeprefix("0x"))
        return None

    def send(self, gas: int) -> dict[str, Any]:
        return self.l1.send_raw(RELAYER, self.relay, self.data(gas), gas=OUTER_GAS)


def least_gas_that_finalizes(relayed: Relayed) -> int:
    """Binary search with eth_call: the least gas for the portal with which finalizing succeeds."""
    low, high = 0, 2_000_000
    assert relayed.revert_data(high) is None
    while low + 1 < high:
        middle = (low + high) // 2
        if relayed.revert_data(middle) is None:
            high = middle
        else:
            low = middle
    return high


@pytest.mark.parametrize("data_size", [96 * 1024, 120 * 1024], ids=["96KiB", "120KiB"])
def test_just_too_little_gas_reverts_and_just_enough_gives_the_call_its_gas_limit(l1: L1, data_size: int) -> None:
    probe = deploy_code(l1, PROBE_INITCODE, PROBE_RUNTIME)
    relay = deploy_code(l1, RELAY_INITCODE, RELAY_RUNTIME)
    withdrawal = WithdrawalTransaction(
        nonce=1 << 240, sender=l1.address(1), target=probe, value=0, gas_limit=CALL_GAS_LIMIT,
        data=b"\xab" * data_size,
    )
    proven_at = prove_synthetic(l1, withdrawal)
    l1.anvil.rpc("evm_mine", [proven_at + PERIOD_S + 1])
    finalize = l1.portal.functions.finalizeWithdrawalTransaction(withdrawal.as_abi())
    relayed = Relayed(l1, relay, bytes.fromhex(finalize._encode_transaction_data().removeprefix("0x")))
    enough = least_gas_that_finalizes(relayed)

    # One gas less: refused by name; mined anyway, it leaves the withdrawal open to a retry.
    required = CALL_GAS_LIMIT * 64 // 63 + 40_000
    error = decode_revert(relayed.revert_data(enough - 1) or b"")
    assert error is not None and error.name == "InsufficientGas", str(error)
    assert error.args[1] == required and error.args[0] < required
    failed = relayed.send(enough - 1)
    assert failed["status"] == 0 and failed["logs"] == []
    assert l1.portal.functions.finalizedWithdrawals(withdrawal.withdrawal_hash).call() is False
    assert l1.w3.eth.get_storage_at(probe, 0) == bytes(32)

    # Exactly enough: the call runs, with at least its gas limit.
    receipt = relayed.send(enough)
    assert receipt["status"] == 1
    (event,) = l1.portal.events.WithdrawalFinalized().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {"withdrawalHash": withdrawal.withdrawal_hash, "success": True}
    call_gas = int.from_bytes(l1.w3.eth.get_storage_at(probe, 0), "big") + GAS_OPCODE_COST
    print(f"\n{data_size} bytes: least gas for finalize {enough}, the call got {call_gas} (limit {CALL_GAS_LIMIT})")
    assert call_gas >= CALL_GAS_LIMIT
    assert l1.portal.functions.finalizedWithdrawals(withdrawal.withdrawal_hash).call() is True
