"""The transaction journal: length-prefixed, checksummed records, torn tails cut, atomic rewrite."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.tx_journal import TxJournal, decode_records, encode_record

RAWS = [b"\x02\xf8\x6c" + bytes(range(100)), b"\xf8\x66" + b"\xaa" * 200, b"\x01"]


def test_record_layout() -> None:
    """length (4 bytes, big-endian) | crc32 (4 bytes, big-endian) | raw."""
    raw = b"\x02\x01\x02"
    assert encode_record(raw) == b"\x00\x00\x00\x03" + zlib.crc32(raw).to_bytes(4, "big") + raw


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "journal"
    with TxJournal(path) as journal:
        assert journal.load() == []  # no file yet
        for raw in RAWS:
            journal.append(raw)
    assert TxJournal(path).load() == RAWS
    assert path.stat().st_size == sum(8 + len(raw) for raw in RAWS)


def test_append_is_on_disk_before_close(tmp_path: Path) -> None:
    """What append acknowledged is readable by another reader without close()."""
    journal = TxJournal(tmp_path / "journal")
    journal.append(RAWS[0])
    assert TxJournal(tmp_path / "journal").load() == [RAWS[0]]
    journal.append(RAWS[1])
    assert TxJournal(tmp_path / "journal").load() == RAWS[:2]
    journal.close()


def test_one_fsync_covers_every_record_written_before_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Group commit: three writes, one sync of the last ticket; the earlier tickets find
    theirs done, and a later write needs a new fsync."""
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr("node.tx_journal.os.fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))
    journal = TxJournal(tmp_path / "journal")
    journal.load()  # the file exists before counting (creating it fsyncs the directory)
    journal.append(b"\x02first")
    fsyncs.clear()
    tickets = [journal.write(raw) for raw in RAWS]
    assert fsyncs == []
    journal.sync(tickets[-1])
    assert len(fsyncs) == 1
    for ticket in tickets:
        journal.sync(ticket)
    assert len(fsyncs) == 1
    journal.sync(journal.write(b"\x02later"))
    assert len(fsyncs) == 2
    assert TxJournal(tmp_path / "journal").load() == [b"\x02first", *RAWS, b"\x02later"]
    journal.close()


def test_close_syncs_what_was_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ticket synced after close() must not be taken as durable without an fsync."""
    fsyncs: list[int] = []
    real_fsync = os.fsync
    journal = TxJournal(tmp_path / "journal")
    journal.append(RAWS[0])
    monkeypatch.setattr("node.tx_journal.os.fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))
    ticket = journal.write(RAWS[1])
    journal.close()
    assert len(fsyncs) == 1
    journal.sync(ticket)
    assert len(fsyncs) == 1


@pytest.mark.parametrize("cut", [1, 4, 7, 8, 9, 8 + len(RAWS[2]) - 1])
def test_truncated_tail_is_dropped_and_cut_off(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "journal"
    with TxJournal(path) as journal:
        for raw in RAWS:
            journal.append(raw)
    whole = path.read_bytes()
    last_record = 8 + len(RAWS[2])
    # A crash during the last append left only `cut` of its bytes.
    path.write_bytes(whole[: len(whole) - last_record + min(cut, last_record - 1)])

    with TxJournal(path) as journal:
        assert journal.load() == RAWS[:2]
        # The torn bytes are gone, so the next append reads back whole.
        assert path.stat().st_size == len(whole) - last_record
        journal.append(b"\x02next")
    assert TxJournal(path).load() == RAWS[:2] + [b"\x02next"]


def test_corrupt_tail_fails_its_checksum(tmp_path: Path) -> None:
    """A tail of the right length but wrong bytes (zeros a filesystem left after a crash)."""
    path = tmp_path / "journal"
    with TxJournal(path) as journal:
        journal.append(RAWS[0])
    good = path.read_bytes()
    path.write_bytes(good + encode_record(b"\x02abc")[:8] + b"\x00\x00\x00")
    assert TxJournal(path).load() == [RAWS[0]]
    assert path.read_bytes() == good


def test_absurd_length_is_garbage_not_an_allocation(tmp_path: Path) -> None:
    path = tmp_path / "journal"
    path.write_bytes(encode_record(RAWS[0]) + b"\xff\xff\xff\xff" + b"\x00" * 20)
    assert TxJournal(path).load() == [RAWS[0]]


@settings(max_examples=200, deadline=None)
@given(raws=st.lists(st.binary(max_size=64), max_size=8), cut=st.integers(min_value=0))
def test_any_prefix_reads_as_the_whole_records_in_it(raws: list[bytes], cut: int) -> None:
    data = b"".join(encode_record(raw) for raw in raws)
    cut %= len(data) + 1
    records, good_bytes = decode_records(data[:cut])
    sizes = [sum(8 + len(raw) for raw in raws[:n]) for n in range(len(raws) + 1)]
    whole = max(n for n, size in enumerate(sizes) if size <= cut)
    assert records == raws[:whole]
    assert good_bytes == sizes[whole]


def test_rewrite_replaces_the_contents(tmp_path: Path) -> None:
    path = tmp_path / "journal"
    with TxJournal(path) as journal:
        for raw in RAWS:
            journal.append(raw)
        journal.rewrite([RAWS[1]])
        # Appends after a rewrite go to the new file, not the replaced one.
        journal.append(RAWS[2])
    assert TxJournal(path).load() == [RAWS[1], RAWS[2]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal"]


def test_rewrite_is_atomic_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash before the rename leaves the old journal whole; the half-written temporary
    file is just overwritten by the next rewrite."""
    path = tmp_path / "journal"
    journal = TxJournal(path)
    for raw in RAWS:
        journal.append(raw)

    def crash(*args: object) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        journal.rewrite([b"\x02new"] * 3)
    monkeypatch.undo()

    assert TxJournal(path).load() == RAWS
    journal.rewrite([b"\x02new"])
    assert TxJournal(path).load() == [b"\x02new"]
    journal.close()


def test_rewrite_waits_for_an_append_in_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node appends in a worker thread (so the fsync does not stall the event loop) while
    the loop may compact. Here the append is held inside its fsync while a rewrite starts: the
    rewrite must wait, not close the file under it."""
    path = tmp_path / "journal"
    journal = TxJournal(path)
    journal.append(b"\x02old")
    in_fsync = threading.Event()
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        if threading.current_thread() is appender:
            in_fsync.set()
            time.sleep(0.3)
        real_fsync(fd)

    errors: list[BaseException] = []

    def append() -> None:
        try:
            journal.append(b"\x02new")
        except BaseException as error:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(error)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    appender = threading.Thread(target=append)
    appender.start()
    assert in_fsync.wait(timeout=10)
    journal.rewrite([b"\x02old", b"\x02new"])  # what the pool holds by now
    appender.join()
    assert errors == []
    journal.append(b"\x02after")
    journal.close()
    assert TxJournal(path).load() == [b"\x02old", b"\x02new", b"\x02after"]


@pytest.mark.e2e
def test_append_survives_kill_9(tmp_path: Path) -> None:
    """A child process appends, says so, and is killed with SIGKILL at once: what it
    acknowledged is in the file."""
    path = tmp_path / "journal"
    script = (
        "import os, signal, sys\n"
        "from node.tx_journal import TxJournal\n"
        f"journal = TxJournal({str(path)!r})\n"
        "for i in range(5):\n"
        "    journal.append(bytes([2, i]))\n"
        "sys.stdout.write('acknowledged\\n'); sys.stdout.flush()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert result.returncode == -9
    assert result.stdout == "acknowledged\n"
    assert TxJournal(path).load() == [bytes([2, i]) for i in range(5)]
