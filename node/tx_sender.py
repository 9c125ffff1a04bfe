"""A typed transaction's sender, with one signature recovery (libsecp256k1 via coincurve).

py-evm recovers a sender through eth-keys objects and re-serialises the unsigned transaction
field by field; its signature check recovers the key and then verifies the signature against
it, and the pool then asks for the sender, which recovers it again: three curve operations per
transaction at admission. Verifying a signature against the key recovered from it always
succeeds (recovery solves the verification equation for the key), so one recovery is the whole
check. The signing message of an EIP-2718 transaction is its type byte and the RLP of its fields
without the last three (y_parity, r, s), cut from the transaction's own encoding.

The same error as py-evm's (eth-keys'): `eth_keys.exceptions.BadSignature` for a y_parity other
than 0/1, r or s at or above the curve order, or a signature no key recovers from.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import coincurve
import rlp
from eth.abc import SignedTransactionAPI
from eth_hash.auto import keccak
from eth_keys.constants import SECPK1_N
from eth_keys.exceptions import BadSignature
from eth_typing import Address

#: EIP-2718 types whose signing message is "type byte + rlp(fields but the signature)".
SIGNED_TYPED_TX_TYPES = frozenset({0x01, 0x02})


def recover_typed_sender(transaction: SignedTransactionAPI) -> Address:
    """The address that signed `transaction` (type 0x01 or 0x02)."""
    encoded = transaction.encode()
    recovered = RECOVERED_AHEAD.take(encoded)
    return recovered if recovered is not None else sender_of_encoding(encoded)


def sender_of_encoding(encoded: bytes) -> Address:
    """The signer of the typed transaction whose EIP-2718 encoding is `encoded`."""
    fields = rlp.decode(encoded[1:])
    y_parity, r, s = fields[-3:]
    if y_parity not in (b"", b"\x01") or len(r) > 32 or len(s) > 32:
        raise BadSignature("invalid transaction signature values (y_parity, r, s)")
    if int.from_bytes(r, "big") >= SECPK1_N or int.from_bytes(s, "big") >= SECPK1_N:
        raise BadSignature("invalid transaction signature values: r or s not below the curve order")
    message_hash = keccak(encoded[:1] + rlp.encode(fields[:-3]))
    signature = r.rjust(32, b"\x00") + s.rjust(32, b"\x00") + (b"\x01" if y_parity else b"\x00")
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception as error:  # coincurve raises ValueError / its own errors for unrecoverable signatures
        raise BadSignature(f"no public key recovers from the signature: {error}") from error
    return Address(keccak(public_key.format(compressed=False)[1:])[-20:])


class RecoveredAhead:
    """Senders recovered on a worker thread before their transactions are executed.

    A verifier knows a whole batch's transactions before it builds the first of its blocks
    (`node.derive.pipeline` hands each decoded batch to `recover_ahead`). The curve operation
    runs in C with the GIL released (coincurve/cffi), so the worker uses the second core while
    the pipeline executes; `recover_typed_sender` takes the answer if it is ready and recovers
    itself if not. Keyed by the transaction's own encoding, of which the sender is a function,
    so an entry cannot be wrong; each is taken once, and at most `MAX_ENTRIES` wait (oldest
    dropped first). A signature that does not recover is left for the build to refuse.
    """

    MAX_ENTRIES = 50_000

    def __init__(self) -> None:
        self._senders: dict[bytes, Address] = {}
        self._lock = threading.Lock()
        self._worker: ThreadPoolExecutor | None = None

    def take(self, encoded: bytes) -> Address | None:
        with self._lock:
            return self._senders.pop(encoded, None)

    def recover_ahead(self, raw_transactions: Sequence[bytes]) -> None:
        typed = [raw for raw in raw_transactions if raw[:1] and raw[0] in SIGNED_TYPED_TX_TYPES]
        if not typed:
            return
        with self._lock:
            if self._worker is None:
                self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lantau-sender-recovery")
            worker = self._worker
        worker.submit(self._recover_all, typed)

    def _recover_all(self, raws: Sequence[bytes]) -> None:
        for raw in raws:
            try:
                sender = sender_of_encoding(raw)
            except (BadSignature, ValueError, rlp.DecodingError):
                continue
            with self._lock:
                self._senders[raw] = sender
                if len(self._senders) > self.MAX_ENTRIES:
                    del self._senders[next(iter(self._senders))]


#: The node's one: derivation fills it, every typed transaction's `sender` reads it first.
RECOVERED_AHEAD = RecoveredAhead()
