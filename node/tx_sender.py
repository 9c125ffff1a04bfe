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

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Sequence

import coincurve
import rlp
from eth.abc import SignedTransactionAPI
from eth_hash.auto import keccak
from eth_keys.constants import SECPK1_N
from eth_keys.exceptions import BadSignature
from eth_typing import Address

from node.rlp_raw import encode_items
from node.worker_process import SECOND_CORE, WorkerProcess

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
    message_hash = keccak(encoded[:1] + encode_items(fields[:-3]))
    signature = r.rjust(32, b"\x00") + s.rjust(32, b"\x00") + (b"\x01" if y_parity else b"\x00")
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception as error:  # coincurve raises ValueError / its own errors for unrecoverable signatures
        raise BadSignature(f"no public key recovers from the signature: {error}") from error
    return Address(keccak(public_key.format(compressed=False)[1:])[-20:])


def senders_of_encodings(raw_transactions: Sequence[bytes]) -> list[Address | None]:
    """The signer of each typed transaction encoding; None where the signature does not
    recover (left for the node to refuse with its own error). Run by the worker process."""
    senders: list[Address | None] = []
    for raw in raw_transactions:
        try:
            senders.append(sender_of_encoding(raw))
        except (BadSignature, ValueError, rlp.DecodingError):
            senders.append(None)
    return senders


class RecoveredAhead:
    """Senders recovered on the second core before their transactions are executed or pooled.

    A verifier knows a whole batch's transactions before it builds the first of its blocks
    (`node.derive.pipeline` hands each decoded batch to `recover_ahead`), and the RPC server
    knows a whole JSON-RPC batch of `eth_sendRawTransaction` before it admits the first
    (`recover_in_worker`). The recoveries run in the node's worker process
    (`node.worker_process.SECOND_CORE`: the second core, no interpreter lock shared with
    execution); until it is ready, `recover_ahead` uses a worker thread, whose curve operation
    runs in C with the GIL released. `recover_typed_sender` takes the answer if it is ready and
    recovers itself if not. Keyed by the transaction's own encoding, of which the sender is a
    function, so an entry cannot be wrong; each is taken once, and at most `MAX_ENTRIES` wait
    (oldest dropped first). A signature that does not recover is left for the node to refuse.
    """

    MAX_ENTRIES = 50_000

    def __init__(self, worker: WorkerProcess = SECOND_CORE) -> None:
        self._senders: dict[bytes, Address] = {}
        self._lock = threading.Lock()
        self._thread: ThreadPoolExecutor | None = None
        self.worker = worker
        self.taken = 0  # senders recovered ahead and used

    def take(self, encoded: bytes) -> Address | None:
        with self._lock:
            sender = self._senders.pop(encoded, None)
            self.taken += sender is not None
            return sender

    def recover_ahead(self, raw_transactions: Sequence[bytes]) -> None:
        typed = signed_typed(raw_transactions)
        if not typed:
            return
        work = self.worker.submit(senders_of_encodings, typed)
        if work is not None:
            work.add_done_callback(lambda done: self._keep_answer(typed, done))
            return
        with self._lock:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lantau-sender-recovery")
            thread = self._thread
        thread.submit(lambda: self.keep(typed, senders_of_encodings(typed)))

    async def recover_in_worker(self, raw_transactions: Sequence[bytes]) -> None:
        """Recover on the worker process and return when the answers are kept (at once if the
        worker is not ready: the node then recovers each sender itself, as without this)."""
        typed = signed_typed(raw_transactions)
        work = self.worker.submit(senders_of_encodings, typed) if typed else None
        if work is None:
            return
        await asyncio.wrap_future(work)
        self._keep_answer(typed, work)

    def _keep_answer(self, raws: Sequence[bytes], done: "Future[list[Address | None]]") -> None:
        if done.cancelled():
            return
        if isinstance(done.exception(), BrokenProcessPool):
            self.worker.died()
            return
        if done.exception() is None:
            self.keep(raws, done.result())

    def keep(self, raws: Sequence[bytes], senders: Sequence[Address | None]) -> None:
        """Keep `senders[i]` as the signer of `raws[i]` (recovered elsewhere, e.g. by the worker
        process with a channel it decoded ahead: `node.derive.decode_ahead`); None is skipped."""
        with self._lock:
            for raw, sender in zip(raws, senders):
                if sender is not None:
                    self._senders[raw] = sender
            while len(self._senders) > self.MAX_ENTRIES:
                del self._senders[next(iter(self._senders))]


def signed_typed(raw_transactions: Sequence[bytes]) -> list[bytes]:
    """The signed typed (0x01, 0x02) transactions among `raw_transactions`, in order."""
    return [raw for raw in raw_transactions if raw[:1] and raw[0] in SIGNED_TYPED_TX_TYPES]


#: The node's one: derivation fills it, every typed transaction's `sender` reads it first.
RECOVERED_AHEAD = RecoveredAhead()
