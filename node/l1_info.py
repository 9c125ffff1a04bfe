"""The L1-info system deposit: the first transaction of every L2 block.

It writes the block's L1 origin (number, timestamp, base fee, hash) and the block's sequence
number within that origin's epoch into the `L1Block` predeploy. Because the origin lives in
L2 state, any node can read an L2 block's L1 origin back from the state (`read_l1_origin`):
that is how a restarted sequencer knows which L1 deposits it has already included. The
batcher reads it back from the deposit itself (`l1_origin_of_transactions`).

Calldata: `setL1BlockValues` selector ++ abi(uint64 number, uint64 timestamp, uint256 base
fee, bytes32 hash, uint64 sequence number).
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Sequence

from eth.abc import BlockAPI, SignedTransactionAPI, StateAPI
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_typing import Hash32
from eth_utils import function_signature_to_4byte_selector

from genesis.artifacts import load_artifact
from genesis.predeploys import L1_BLOCK, L1_INFO_DEPOSITOR
from node.deposit_tx import is_deposit, l1_info_source_hash
from node.errors import UnencodableBatch
from node.l1_block_ref import L1BlockRef
from node.vm import LantauTransactionBuilder, LantauTypedTransaction

L1_INFO_DEPOSIT_GAS = 1_000_000  # as the OP Stack's
SET_L1_BLOCK_VALUES = "setL1BlockValues(uint64,uint64,uint256,bytes32,uint64)"
_L1_INFO_SELECTOR = function_signature_to_4byte_selector(SET_L1_BLOCK_VALUES)
_L1_INFO_ABI = ["uint64", "uint64", "uint256", "bytes32", "uint64"]  # number, timestamp, base fee, hash, sequence number


@dataclass(frozen=True, slots=True)
class L1Origin:
    number: int
    hash: Hash32
    sequence_number: int


def l1_info_deposit(origin: L1BlockRef, sequence_number: int) -> LantauTypedTransaction:
    calldata = _L1_INFO_SELECTOR + abi_encode(
        _L1_INFO_ABI, [origin.number, origin.timestamp, origin.base_fee, origin.hash, sequence_number],
    )
    return LantauTransactionBuilder.new_deposit_transaction(
        source_hash=l1_info_source_hash(origin.hash, sequence_number),
        from_=L1_INFO_DEPOSITOR,
        to=L1_BLOCK,
        mint=0,
        value=0,
        gas=L1_INFO_DEPOSIT_GAS,
        data=calldata,
    )


def l1_info_on_same_origin(l1_info_tx: SignedTransactionAPI) -> LantauTypedTransaction:
    """The L1-info deposit of the block after the one `l1_info_tx` heads, on the same L1 origin
    (its sequence number + 1): what a sequencer that does not move to the next origin builds."""
    number, timestamp, base_fee, origin_hash, sequence_number = abi_decode(_L1_INFO_ABI, l1_info_tx.data[4:])
    origin = L1BlockRef(number=number, hash=Hash32(origin_hash), parent_hash=Hash32(bytes(32)), timestamp=timestamp,
                        base_fee=base_fee)  # the parent hash is not in the deposit
    return l1_info_deposit(origin, sequence_number + 1)


def l1_origin_of_block(block: BlockAPI) -> L1Origin:
    """The L1 origin and sequence number a block's first transaction (the L1-info deposit) sets."""
    return l1_origin_of_transactions(block.transactions, block.header.block_number)


def l1_origin_of_transactions(transactions: Sequence[SignedTransactionAPI], block_number: int) -> L1Origin:
    """The L1 origin the L1-info deposit heading `transactions` sets (`UnencodableBatch` if
    they do not start with one: such a block cannot be batched)."""
    if not transactions:
        raise UnencodableBatch(f"block {block_number} has no L1-info deposit")
    first = transactions[0]
    data = first.data
    if not is_deposit(first) or first.sender != L1_INFO_DEPOSITOR or first.to != L1_BLOCK or data[:4] != _L1_INFO_SELECTOR:
        raise UnencodableBatch(f"block {block_number} does not start with an L1-info deposit")
    number, _timestamp, _base_fee, origin_hash, sequence_number = abi_decode(_L1_INFO_ABI, data[4:])
    return L1Origin(number=number, hash=Hash32(origin_hash), sequence_number=sequence_number)


def read_l1_origin(state: StateAPI) -> L1Origin | None:
    """The L1 origin recorded by the last L1-info deposit, or None at genesis."""
    artifact = load_artifact("L1Block")
    number_slot = artifact.storage_slot("number")  # number and timestamp share a slot (packed)
    packed = state.get_storage(L1_BLOCK, number_slot)
    block_hash = state.get_storage(L1_BLOCK, artifact.storage_slot("hash")).to_bytes(32, "big")
    if block_hash == bytes(32):
        return None
    sequence_number = state.get_storage(L1_BLOCK, artifact.storage_slot("sequenceNumber"))
    return L1Origin(number=packed & (2**64 - 1), hash=Hash32(block_hash), sequence_number=sequence_number & (2**64 - 1))
