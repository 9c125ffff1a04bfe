"""Which raw transaction a user may put on L2: the one rule the pool admits by and a batch is
checked by (a batch holding any other transaction is dropped by every verifier).

In order, each failure a named error from `node.errors`:

- an EIP-2718 envelope of a type the L2 takes from users — access-list (0x01) or
  dynamic-fee (0x02) — or a legacy RLP list; blob (0x03) and set-code (0x04) transactions are
  not taken, and deposits (0x7E) come from L1 only (`UnsupportedTransactionType`);
- RLP lists nested at most `MAX_TRANSACTION_RLP_DEPTH` deep, decodable by the L2's
  transaction builder, and canonical: a fresh copy re-encodes to the same bytes
  (`TransactionDecodeError`, `NonCanonicalTransaction`);
- signed for this chain, legacy ones with EIP-155 replay protection (`check_chain_id`).

Field ranges stay with each caller, as they differ by a hair on purpose: the pool refuses
what can never execute (geth's EIP-2681 nonce bound, u256 amounts, EIP-2 signatures), a batch
what its span format cannot hold (u64 nonce and gas, u256 amounts and signature values).
"""

from __future__ import annotations

import rlp
from eth.abc import SignedTransactionAPI, TransactionBuilderAPI
from eth.exceptions import PyEVMError
from eth_utils import ValidationError
from rlp.exceptions import RLPException

from node.errors import (
    InvalidSignature,
    NonCanonicalTransaction,
    TransactionDecodeError,
    UnprotectedTransaction,
    UnsupportedTransactionType,
    WrongChainId,
)
from node.rlp_guard import MAX_TRANSACTION_RLP_DEPTH, rlp_nesting_exceeds
from node.vm import LantauVM

ACCESS_LIST_TX_TYPE = 0x01
DYNAMIC_FEE_TX_TYPE = 0x02
#: The typed envelopes a user may send (and legacy RLP lists). Adding one is a consensus
#: change, and needs a span-batch tx_data layout (node/batches.py).
USER_TX_TYPES = frozenset({ACCESS_LIST_TX_TYPE, DYNAMIC_FEE_TX_TYPE})
REFUSED_TYPE_REASONS = {
    0x03: "blob transactions are not accepted on this chain",
    0x04: "set-code (EIP-7702) transactions are not accepted by the pool",
    0x7E: "deposit transactions come from L1 through the portal, never through the pool",
}


def decode_user_transaction(
    raw: bytes, builder: type[TransactionBuilderAPI] | None = None,
) -> SignedTransactionAPI:
    """`raw` decoded, if it is a user transaction type in its canonical encoding."""
    if not raw:
        raise TransactionDecodeError("invalid transaction encoding: empty input")
    first = raw[0]
    if first < 0x80 and first not in USER_TX_TYPES:
        # An EIP-2718 typed envelope (0x00-0x7f), of a type the L2 does not take from users.
        raise UnsupportedTransactionType(first, REFUSED_TYPE_REASONS.get(first))
    if 0x80 <= first < 0xC0:
        raise TransactionDecodeError("invalid transaction encoding: neither a typed envelope nor an RLP list")
    if rlp_nesting_exceeds(raw, MAX_TRANSACTION_RLP_DEPTH):
        raise TransactionDecodeError(
            f"invalid transaction encoding: RLP lists nested deeper than {MAX_TRANSACTION_RLP_DEPTH} levels"
        )
    try:
        tx = (builder or LantauVM.get_transaction_builder()).decode(raw)
        canonical = _encoding_from_fields(tx)
    except (RLPException, PyEVMError, ValidationError, ValueError, TypeError, IndexError) as error:
        raise TransactionDecodeError(f"invalid transaction encoding: {error}") from error
    if canonical != raw:
        # pyrlp reads some non-canonical forms (an empty list where an integer belongs
        # reads as 0). The signature covers the fields, not the bytes, so such a variant
        # recovers the same sender under another hash: refuse it.
        raise NonCanonicalTransaction("invalid transaction encoding: not canonical RLP")
    return tx


def _encoding_from_fields(tx: SignedTransactionAPI) -> bytes:
    """`tx` encoded from its field values: a decoded object keeps the bytes it came from and
    would just hand them back (an explicit sedes skips that cache; cheaper than encoding a
    fresh copy, which deep-copies every field)."""
    inner = getattr(tx, "_inner", None)
    if inner is None:  # legacy: the RLP list itself
        return rlp.encode(tx, sedes=type(tx))
    return bytes([tx.type_id]) + rlp.encode(inner, sedes=type(inner))


def check_chain_id(tx: SignedTransactionAPI, chain_id: int) -> None:
    """`tx` is signed for `chain_id`; a legacy one with EIP-155 replay protection."""
    if getattr(tx, "type_id", None) is None:
        v = tx.v
        if v in (27, 28):
            raise UnprotectedTransaction(chain_id)
        if v < 35:
            raise InvalidSignature("invalid transaction v, r, s values")
    if tx.chain_id != chain_id:
        raise WrongChainId(tx.chain_id, chain_id)
