"""`recover_typed_sender` (one libsecp256k1 recovery) against py-evm's own sender recovery, and the
L2's typed transactions using it: same sender, same refusals."""

from __future__ import annotations

import asyncio
import os

import pytest
import rlp
from eth._utils.transactions import extract_transaction_sender, validate_transaction_signature
from eth_account import Account
from eth_keys.constants import SECPK1_N
from eth_keys.exceptions import BadSignature
from eth_utils import ValidationError, keccak

from node.tx_sender import RECOVERED_AHEAD, RecoveredAhead, recover_typed_sender
from node.vm import LantauVM
from node.worker_process import WorkerProcess

BUILDER = LantauVM.get_transaction_builder()


def _signed(key: bytes, nonce: int, tx_type: int) -> bytes:
    tx = {"to": "0x" + "11" * 20, "value": nonce, "gas": 50_000, "nonce": nonce, "chainId": 901, "data": b"\x01\x00" * nonce}
    if tx_type == 1:
        tx.update(gasPrice=10**9, accessList=[{"address": "0x" + "22" * 20, "storageKeys": ["0x" + "00" * 31 + "01"]}])
    else:
        tx.update(type=2, maxFeePerGas=2 * 10**9, maxPriorityFeePerGas=nonce)
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


def _with_signature(raw: bytes, y_parity: bytes, r: bytes, s: bytes) -> bytes:
    fields = rlp.decode(raw[1:])
    return raw[:1] + rlp.encode(fields[:-3] + [y_parity, r, s])


@pytest.mark.parametrize("tx_type", [1, 2])
def test_sender_matches_py_evm_for_many_keys(tx_type: int) -> None:
    for index in range(40):
        key = keccak(b"sender key %d" % index)
        tx = BUILDER.decode(_signed(key, index, tx_type))
        expected = Account.from_key(key).address.lower()
        assert "0x" + recover_typed_sender(tx).hex() == expected
        assert extract_transaction_sender(tx._inner) == recover_typed_sender(tx)
        assert "0x" + tx.sender.hex() == expected  # the L2 transaction uses it


def test_signature_check_fills_the_sender_and_matches_py_evm() -> None:
    tx = BUILDER.decode(_signed(keccak(b"k"), 3, 2))
    tx.check_signature_validity()
    assert tx.__dict__["sender"] == extract_transaction_sender(tx._inner)


def test_tampered_transaction_recovers_another_sender_as_py_evm_does() -> None:
    raw = _signed(keccak(b"k"), 1, 2)
    fields = rlp.decode(raw[1:])
    fields[1] = b"\x05"  # another nonce, same signature
    tampered = BUILDER.decode(raw[:1] + rlp.encode(fields))
    assert recover_typed_sender(tampered) == extract_transaction_sender(tampered._inner)
    assert recover_typed_sender(tampered) != bytes.fromhex(Account.from_key(keccak(b"k")).address[2:])


@pytest.mark.parametrize(
    "signature",
    [
        (b"\x02", b"\x01" * 32, b"\x01" * 32),  # y_parity 2
        (b"", SECPK1_N.to_bytes(32, "big"), b"\x01" * 32),  # r at the curve order
        (b"", b"\x01" * 32, SECPK1_N.to_bytes(32, "big")),  # s at the curve order
    ],
)
def test_out_of_range_signature_is_refused_as_in_py_evm(signature: tuple[bytes, bytes, bytes]) -> None:
    tx = BUILDER.decode(_with_signature(_signed(keccak(b"k"), 1, 2), *signature))
    with pytest.raises(BadSignature):
        extract_transaction_sender(tx._inner)
    with pytest.raises(BadSignature):
        recover_typed_sender(tx)
    with pytest.raises(ValidationError):
        tx.check_signature_validity()
    assert "sender" not in tx.__dict__  # nothing cached for a refused signature


def test_unrecoverable_signature_is_refused_as_in_py_evm() -> None:
    tx = BUILDER.decode(_with_signature(_signed(keccak(b"k"), 1, 2), b"", b"", b"\x01" * 32))  # r = 0
    with pytest.raises(BadSignature):
        extract_transaction_sender(tx._inner)
    with pytest.raises(BadSignature):
        recover_typed_sender(tx)
    with pytest.raises(ValidationError):
        validate_transaction_signature(tx._inner)
    with pytest.raises(ValidationError):
        tx.check_signature_validity()


def _check_taken_once(ahead: RecoveredAhead, raws: list[bytes], bad: bytes) -> None:
    for raw in raws:
        assert ahead.take(raw) == extract_transaction_sender(BUILDER.decode(raw)._inner)
        assert ahead.take(raw) is None  # taken once
    assert ahead.take(bad) is None  # left for the build to refuse


def _ahead_batch(label: bytes) -> tuple[list[bytes], bytes]:
    raws = [_signed(keccak(label + b" %d" % index), index, 2) for index in range(30)]
    return raws, _with_signature(raws[0], b"", b"", b"\x01" * 32)  # r = 0: recovers nothing


def test_senders_recovered_ahead_on_a_thread_until_the_worker_process_is_ready() -> None:
    worker = WorkerProcess()
    ahead = RecoveredAhead(worker)
    raws, bad = _ahead_batch(b"thread")
    try:
        ahead.recover_ahead([*raws, bad, b"\xc0"])  # a legacy-looking item is not typed: ignored
        assert ahead._thread is not None  # the worker process was only starting
        ahead._thread.shutdown(wait=True)
        _check_taken_once(ahead, raws, bad)
    finally:
        worker.close()


def test_senders_recovered_ahead_on_the_worker_process() -> None:
    worker = WorkerProcess()
    ahead = RecoveredAhead(worker)
    raws, bad = _ahead_batch(b"process")
    try:
        assert worker.start().result(timeout=120) == worker.pid != os.getpid()
        ahead.recover_ahead([*raws, bad])
        follow = worker.submit(os.getpid)  # one worker runs jobs in order: the batch is answered first
        assert follow is not None and follow.result(timeout=60) == worker.pid
        assert ahead._thread is None
        _check_taken_once(ahead, raws, bad)
        # A JSON-RPC batch of sends: recovered on the worker, kept before the call returns.
        raws, bad = _ahead_batch(b"admission")
        asyncio.run(ahead.recover_in_worker([*raws, bad]))
        _check_taken_once(ahead, raws, bad)
    finally:
        worker.close()


def test_the_l2_transaction_uses_a_sender_recovered_ahead() -> None:
    raw = _signed(keccak(b"k"), 7, 2)
    RECOVERED_AHEAD.worker.start().result(timeout=120)
    asyncio.run(RECOVERED_AHEAD.recover_in_worker([raw]))
    assert raw in RECOVERED_AHEAD._senders
    tx = BUILDER.decode(raw)
    assert tx.sender == bytes.fromhex(Account.from_key(keccak(b"k")).address[2:])
    assert RECOVERED_AHEAD.take(raw) is None  # it was taken by `sender`
