"""Client side of a withdrawal: from a `MessagePassed` log on L2 to HKD released on L1.

A withdrawal starts on L2 with `L2ToL1MessagePasser.initiateWithdrawal` (value = native HKD
wei), which records `sentMessages[withdrawal_hash] = true`. On L1 it takes three steps:

1. wait until the proposer posted an output for an L2 block at or after the withdrawal's
   (`find_output_index_covering`: the oracle's `getL2OutputIndexAfter`);
2. prove it (`withdrawal_proof` + `prove`): the preimage of that output's root, read from an L2
   node (the block's state root and hash, and the passer's storage root), and the EIP-1186
   storage proof of the passer's slot `keccak256(withdrawal_hash ‖ 0)` at that block, from the
   node's `eth_getProof`. The portal checks both against the posted root;
3. after the challenge period (`OutputOracle.finalizationPeriodSeconds`, counted from the proof),
   `finalize`: the portal pays `value / WEI_PER_UNIT` L1 HKD units (node/hkd_units.py) to `target` (and calls it with
   `data`, if any), once.

Everything an L2 node answers is checked here before it costs L1 gas: the storage proof must
show the slot set, the account proof must commit the passer's storage root to the state root,
and the output root built from them must be the one the oracle holds. The rules themselves
(hashes, slot, output root) are `node.output_root`'s; the ABIs come from the committed artifacts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import rlp
from eth_hash.auto import keccak
from eth_typing import ChecksumAddress, Hash32
from eth_utils import to_canonical_address, to_checksum_address
from trie import HexaryTrie
from trie.exceptions import BadTrieProof
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.types import TxReceipt

from bridge.l1_client import L1CallReverted, L1Client, L1Revert
from bridge.l1_contract_clients import OutputOracleClient, PortalClient
from bridge.l1_contracts import L1Deployment
from bridge.tx_manager import TxManager
from genesis.artifacts import load_artifact
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.errors import LantauError
from node.hkd_units import NotRepresentable, is_representable, wei_to_units
from node.output_root import OUTPUT_VERSION_V0, output_root, withdrawal_hash, withdrawal_storage_key

MESSAGE_PASSER: ChecksumAddress = to_checksum_address(L2_TO_L1_MESSAGE_PASSER)


class WithdrawalError(LantauError):
    """A withdrawal cannot be proven or finalized as asked."""


class WithdrawalNotFound(WithdrawalError):
    """The L2 state at that block does not record the withdrawal (never sent, or not yet)."""


class InconsistentL2Answer(WithdrawalError):
    """The L2 node's proof does not verify against its own block: a broken or lying node."""


class OutputRootMismatch(WithdrawalError):
    """The oracle holds another root than the L2 node's block gives: the output is wrong (a
    challenger should dispute it) or the node is on another chain."""


class NoOutputYet(WithdrawalError):
    """No output covers the L2 block yet: wait for the proposer."""


class WithdrawalNotPayable(WithdrawalError):
    """L1 would never pay this withdrawal, so the L2 passer refuses it (before any HKD is burned);
    `reason` is the passer's (and the portal's) error name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class WithdrawalRefused(WithdrawalError):
    """The portal refuses the call; `revert` is its custom error when one was decoded."""

    def __init__(self, action: str, revert: L1Revert | None, detail: str = "") -> None:
        super().__init__(f"{action} refused: {revert or detail or 'reverted'}")
        self.action, self.revert = action, revert


@dataclass(frozen=True, slots=True)
class WithdrawalTransaction:
    """One withdrawal as the passer records it (OP's `Types.WithdrawalTransaction`)."""

    nonce: int  # versioned: message version in the top 16 bits
    sender: ChecksumAddress  # on L2
    target: ChecksumAddress  # on L1
    value: int  # L2 wei of native HKD
    gas_limit: int  # for the call on L1
    data: bytes

    @property
    def withdrawal_hash(self) -> Hash32:
        return withdrawal_hash(
            self.nonce, to_canonical_address(self.sender), to_canonical_address(self.target),
            self.value, self.gas_limit, self.data,
        )

    @property
    def storage_slot(self) -> Hash32:
        """The passer's storage slot that holds 1 once the withdrawal was initiated."""
        return withdrawal_storage_key(self.withdrawal_hash)

    @property
    def l1_amount(self) -> int:
        """L1 HKD units released; raises for an amount the 6-decimal token cannot carry."""
        try:
            return wei_to_units(self.value, what="withdrawal")
        except NotRepresentable as exc:
            raise WithdrawalError(f"{exc}: the portal refuses it") from exc

    def as_abi(self) -> tuple[int, ChecksumAddress, ChecksumAddress, int, int, bytes]:
        return (self.nonce, self.sender, self.target, self.value, self.gas_limit, self.data)


@dataclass(frozen=True, slots=True)
class OutputRootProof:
    """The preimage of an output root (OP's `Types.OutputRootProof`)."""

    version: Hash32
    state_root: Hash32
    message_passer_storage_root: Hash32
    latest_blockhash: Hash32

    @property
    def output_root(self) -> Hash32:
        if self.version != OUTPUT_VERSION_V0:
            raise WithdrawalError(f"unsupported output version 0x{self.version.hex()}")
        return output_root(self.state_root, self.message_passer_storage_root, self.latest_blockhash)

    def as_abi(self) -> tuple[bytes, bytes, bytes, bytes]:
        return (self.version, self.state_root, self.message_passer_storage_root, self.latest_blockhash)


@dataclass(frozen=True, slots=True)
class WithdrawalProof:
    """What `proveWithdrawalTransaction` needs besides the withdrawal and the output index."""

    l2_block_number: int
    output_root_proof: OutputRootProof
    storage_proof: tuple[bytes, ...]  # RLP trie nodes from the passer's storage root


# --- starting one on L2 -------------------------------------------------------------------------

#: L1 gas reserved per byte of a withdrawal's data (`L2ToL1MessagePasser.L1_GAS_PER_DATA_BYTE`).
L1_GAS_PER_DATA_BYTE = 40


@dataclass(frozen=True, slots=True)
class PasserBounds:
    """What the L2 passer refuses withdrawals against, as its genesis set it."""

    portal: ChecksumAddress
    hkd_token: ChecksumAddress
    max_gas_limit: int


def passer_bounds(l2_w3: Web3) -> PasserBounds:
    """The L1 portal, HKD token and gas bound the L2's passer checks withdrawals against."""
    passer = l2_w3.eth.contract(address=MESSAGE_PASSER, abi=list(load_artifact("L2ToL1MessagePasser").abi)).functions
    try:
        passer.maxGasLimit().call()
    except ContractLogicError as exc:
        raise WithdrawalError(
            "the L2's message passer does not say which withdrawals L1 pays (a passer from before issue 9): refusing"
            " to withdraw through it, since it would burn HKD that L1 may never release"
        ) from exc
    return PasserBounds(to_checksum_address(passer.l1Portal().call()), to_checksum_address(passer.l1HkdToken().call()),
                        int(passer.maxGasLimit().call()))


def check_withdrawal(
    target: str, value_wei: int, gas_limit: int, data: bytes, *, portal: str, hkd_token: str, max_gas_limit: int
) -> None:
    """Raise `WithdrawalNotPayable`, named as the passer's revert, for a withdrawal the L1 portal
    would never pay: the same rules as `L2ToL1MessagePasser.checkWithdrawal`, checked before
    anything is signed."""
    if not is_representable(value_wei):
        raise WithdrawalNotPayable("AmountNotRepresentable", str(NotRepresentable(value_wei)))
    target_address = to_checksum_address(target)
    if target_address in (to_checksum_address("0x" + "00" * 20), to_checksum_address(portal), to_checksum_address(hkd_token)):
        raise WithdrawalNotPayable(
            "BadTarget", f"a withdrawal cannot go to {target_address} (address 0, the L1 portal or the L1 HKD token)"
        )
    data_gas = len(data) * L1_GAS_PER_DATA_BYTE
    if data_gas > max_gas_limit or gas_limit > max_gas_limit - data_gas:
        raise WithdrawalNotPayable(
            "WithdrawalGasLimitTooHigh",
            f"gas limit {gas_limit} with {len(data)} bytes of data does not fit an L1 block"
            f" (at most {max(max_gas_limit - data_gas, 0)})",
        )


# --- from L2 ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _passer_events() -> Any:
    return Web3().eth.contract(abi=list(load_artifact("L2ToL1MessagePasser").abi)).events


def withdrawals_in_receipt(receipt: Mapping[str, Any]) -> tuple[WithdrawalTransaction, ...]:
    """The withdrawals an L2 transaction initiated: its `MessagePassed` logs from the passer
    predeploy (the same event from any other address is ignored), in log order."""
    event = _passer_events().MessagePassed()
    topic = bytes(keccak(b"MessagePassed(uint256,address,address,uint256,uint256,bytes,bytes32)"))
    found = []
    for log in receipt["logs"]:
        if to_checksum_address(log["address"]) != MESSAGE_PASSER or not log["topics"] or bytes(log["topics"][0]) != topic:
            continue
        args = event.process_log(log)["args"]
        withdrawal = WithdrawalTransaction(
            nonce=int(args["nonce"]),
            sender=to_checksum_address(args["sender"]),
            target=to_checksum_address(args["target"]),
            value=int(args["value"]),
            gas_limit=int(args["gasLimit"]),
            data=bytes(args["data"]),
        )
        if withdrawal.withdrawal_hash != bytes(args["withdrawalHash"]):
            raise InconsistentL2Answer(
                f"MessagePassed log {log.get('logIndex')} names hash {bytes(args['withdrawalHash']).hex()},"
                f" its fields hash to {withdrawal.withdrawal_hash.hex()}"
            )
        found.append(withdrawal)
    return tuple(found)


def proof_from_eip1186(
    withdrawal: WithdrawalTransaction,
    l2_block_number: int,
    block_hash: bytes,
    state_root: bytes,
    answer: Mapping[str, Any],
) -> WithdrawalProof:
    """Build the proof from an `eth_getProof` answer for the passer and the withdrawal's slot at
    block `l2_block_number` (with that block's hash and state root). Pure: checks, no I/O.

    Raises `WithdrawalNotFound` if the slot is not set, and `InconsistentL2Answer` if the account
    proof does not commit the storage root to the state root or the storage proof does not
    show the slot's value."""
    if to_checksum_address(answer["address"]) != MESSAGE_PASSER:
        raise InconsistentL2Answer(f"eth_getProof answered for {answer['address']}, not the passer")
    storage_root = _bytes(answer["storageHash"])
    account_nodes = [_bytes(node) for node in answer["accountProof"]]
    try:
        encoded_account = HexaryTrie.get_from_proof(
            bytes(state_root), keccak(to_canonical_address(MESSAGE_PASSER)), [rlp.decode(n) for n in account_nodes]
        )
    except (BadTrieProof, rlp.DecodingError) as exc:
        raise InconsistentL2Answer(f"the passer's account proof does not verify: {exc}") from exc
    if not encoded_account or bytes(rlp.decode(encoded_account)[2]) != storage_root:
        raise InconsistentL2Answer("the account proof does not commit the passer's storageHash to the state root")

    (slot_answer,) = answer["storageProof"]
    if _int(slot_answer["key"]) != int.from_bytes(withdrawal.storage_slot, "big"):
        raise InconsistentL2Answer(f"eth_getProof answered for slot {slot_answer['key']}, not the withdrawal's")
    nodes = tuple(_bytes(node) for node in slot_answer["proof"])
    try:
        proven = HexaryTrie.get_from_proof(storage_root, keccak(withdrawal.storage_slot), [rlp.decode(n) for n in nodes])
    except (BadTrieProof, rlp.DecodingError) as exc:
        raise InconsistentL2Answer(f"the storage proof does not verify: {exc}") from exc
    if proven != b"\x01":
        raise WithdrawalNotFound(
            f"withdrawal {withdrawal.withdrawal_hash.hex()} is not recorded by the passer at L2 block {l2_block_number}"
        )
    return WithdrawalProof(
        l2_block_number=l2_block_number,
        output_root_proof=OutputRootProof(
            version=OUTPUT_VERSION_V0,
            state_root=Hash32(bytes(state_root)),
            message_passer_storage_root=Hash32(storage_root),
            latest_blockhash=Hash32(bytes(block_hash)),
        ),
        storage_proof=nodes,
    )


def withdrawal_proof(l2_w3: Web3, withdrawal: WithdrawalTransaction, l2_block_number: int) -> WithdrawalProof:
    """The proof of `withdrawal` at L2 block `l2_block_number` (the block of the output it will be
    proven against), from an L2 node's `eth_getBlockByNumber` and `eth_getProof`."""
    block = l2_w3.eth.get_block(l2_block_number)
    slot = int.from_bytes(withdrawal.storage_slot, "big")
    answer = l2_w3.eth.get_proof(MESSAGE_PASSER, [slot], l2_block_number)
    return proof_from_eip1186(withdrawal, l2_block_number, bytes(block["hash"]), bytes(block["stateRoot"]), answer)


# --- on L1 --------------------------------------------------------------------------------------


def find_output_index_covering(l1_w3: Web3, deployment: L1Deployment, l2_block_number: int) -> int:
    """Index of the first output at or after `l2_block_number`: the one to prove against.
    Raises `NoOutputYet` while the proposer has not got that far."""
    oracle = OutputOracleClient(L1Client(l1_w3), deployment.output_oracle)
    try:
        return oracle.l2_output_index_after(l2_block_number)
    except L1CallReverted as exc:
        if exc.revert is not None and exc.revert.name == "NoOutputAfter":
            raise NoOutputYet(f"no output at or after L2 block {l2_block_number} on L1 yet") from exc
        raise


def prove(
    l1_w3: Web3,
    deployment: L1Deployment,
    private_key: str,
    withdrawal: WithdrawalTransaction,
    l2_output_index: int,
    proof: WithdrawalProof,
) -> TxReceipt:
    """Send `proveWithdrawalTransaction`, after checking that output `l2_output_index` is the
    output of `proof`'s block with the same root (else `OutputRootMismatch`, no gas spent)."""
    l1 = L1Client(l1_w3)
    try:
        posted = OutputOracleClient(l1, deployment.output_oracle).l2_output(l2_output_index)
    except L1CallReverted as exc:
        raise WithdrawalRefused("prove", exc.revert, exc.detail) from exc
    if posted.l2_block_number != proof.l2_block_number:
        raise OutputRootMismatch(
            f"output {l2_output_index} is for L2 block {posted.l2_block_number}, the proof for block {proof.l2_block_number}"
        )
    ours = proof.output_root_proof.output_root
    if posted.output_root != ours:
        raise OutputRootMismatch(
            f"output {l2_output_index} (L2 block {posted.l2_block_number}) on L1 is 0x{posted.output_root.hex()},"
            f" the L2 node gives 0x{ours.hex()}"
        )
    portal = PortalClient(l1, deployment.lantau_portal)
    return _sent("prove", lambda: portal.prove_withdrawal(
        TxManager(l1, private_key), withdrawal.as_abi(), l2_output_index, proof.output_root_proof.as_abi(), list(proof.storage_proof)
    ))


def finalize(l1_w3: Web3, deployment: L1Deployment, private_key: str, withdrawal: WithdrawalTransaction) -> TxReceipt:
    """Send `finalizeWithdrawalTransaction`: releases the HKD (and makes the call) once the proof
    and its output are past the challenge period."""
    l1 = L1Client(l1_w3)
    portal = PortalClient(l1, deployment.lantau_portal)
    return _sent("finalize", lambda: portal.finalize_withdrawal(TxManager(l1, private_key), withdrawal.as_abi()))


@dataclass(frozen=True, slots=True)
class WithdrawalStatus:
    proven_at: int | None  # L1 timestamp of the proof
    l2_output_index: int | None
    finalizable_at: int | None  # first L1 timestamp at which the proof is old enough
    finalized: bool


def withdrawal_status(l1_w3: Web3, deployment: L1Deployment, withdrawal: WithdrawalTransaction) -> WithdrawalStatus:
    return withdrawal_status_of(PortalClient(L1Client(l1_w3), deployment.lantau_portal), withdrawal.withdrawal_hash)


def withdrawal_stage(status: WithdrawalStatus, *, has_output: bool, l1_time: int | None = None) -> str:
    """The one naming of a withdrawal's stage: "waiting for output" (no output covers its L2
    block yet), "provable", "proven" (until `finalizable_at`; without `l1_time` a proven withdrawal
    stays "proven"), "finalizable", "finalized"."""
    if status.finalized:
        return "finalized"
    if status.finalizable_at is not None:
        return "finalizable" if l1_time is not None and l1_time >= status.finalizable_at else "proven"
    return "provable" if has_output else "waiting for output"


def withdrawal_status_of(portal: PortalClient, hash_: bytes) -> WithdrawalStatus:
    """The portal's record of the withdrawal with hash `hash_`."""
    _, proven_at, index = portal.proven_withdrawal(hash_)
    finalized = portal.finalized(hash_)
    if not proven_at:
        return WithdrawalStatus(None, None, None, finalized)
    return WithdrawalStatus(proven_at, index, proven_at + portal.finalization_period_s() + 1, finalized)


def _sent(action: str, send: Callable[[], Any]) -> TxReceipt:
    """Send through the key's `TxManager` (nonce races with another writer on the key are its
    business); a refusal surfaces at the gas estimate, unmined, with the portal's error."""
    try:
        receipt = send()
    except L1CallReverted as exc:
        raise WithdrawalRefused(action, exc.revert, exc.detail) from exc
    if receipt["status"] != 1:
        raise WithdrawalRefused(action, None, f"transaction 0x{bytes(receipt['transactionHash']).hex()} reverted")
    return cast(TxReceipt, receipt)


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16)
    return int.from_bytes(bytes(value), "big")

