"""The transaction journal: raw transactions the pool accepted, kept across restarts.

The pool lives in memory; the journal is what makes an acknowledged transaction survive a
crash (kill -9, power loss). At start the node reads it back and re-adds every transaction to
the pool, each validated again against the current state (included or stale ones are dropped
without a word), then compacts it to the survivors.

File layout: a sequence of records, nothing else (no header), each

    length   4 bytes, big-endian unsigned: the number of bytes in `raw`
    crc32    4 bytes, big-endian unsigned: zlib.crc32(raw)
    raw      `length` bytes: the transaction as sent to eth_sendRawTransaction

`append` writes one record and fsyncs before it returns. `write` and `sync` are the same in two
steps, for group commit: `write` returns a ticket, `sync(ticket)` returns once that record is on
disk, and one fsync covers every record written before it, so a JSON-RPC batch of 100 sends
pays one fsync, not 100 (`node.durability`). A crash during `append` can leave a
partial record at the end; `load` stops at the first record that is short or fails its
checksum, cuts the file back to the good records before it (so a later append never lands
behind garbage), and returns those. `rewrite` replaces the whole file atomically: it writes a
temporary file beside it, fsyncs it, renames it over the journal and fsyncs the directory, so
a crash leaves either the old journal or the new one, never a mix.

Thread-safe: the node appends from a worker thread (`asyncio.to_thread`, so the fsync does
not stall the event loop) while the loop may compact; one lock orders them, so an append never
lands in a file that a rewrite is replacing.
"""

from __future__ import annotations

import logging
import os
import threading
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

_HEADER_SIZE = 8
# No transaction comes near this (the pool's size cap is 128 KiB); a larger length field means
# the header itself is garbage.
MAX_RECORD_BYTES = 16 * 1024 * 1024


def encode_record(raw: bytes) -> bytes:
    if len(raw) > MAX_RECORD_BYTES:
        raise ValueError(f"journal record of {len(raw)} bytes exceeds the limit {MAX_RECORD_BYTES}")
    return len(raw).to_bytes(4, "big") + zlib.crc32(raw).to_bytes(4, "big") + raw


def decode_records(data: bytes) -> tuple[list[bytes], int]:
    """The whole records at the start of `data`, and the number of bytes they span."""
    records: list[bytes] = []
    offset = 0
    while offset + _HEADER_SIZE <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        checksum = int.from_bytes(data[offset + 4 : offset + 8], "big")
        end = offset + _HEADER_SIZE + length
        if length > MAX_RECORD_BYTES or end > len(data):
            break
        raw = data[offset + _HEADER_SIZE : end]
        if zlib.crc32(raw) != checksum:
            break
        records.append(raw)
        offset = end
    return records, offset


class TxJournal:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: BinaryIO | None = None
        self._lock = threading.Lock()
        self._written = 0  # tickets: records written since open
        self._synced = 0  # every ticket up to this one is on disk

    def append(self, raw: bytes) -> None:
        """Add one transaction; when this returns, it is on disk."""
        self.sync(self.write(raw))

    def write(self, raw: bytes) -> int:
        """Add one transaction to the file (not yet fsynced); its ticket for `sync`."""
        record = encode_record(raw)
        with self._lock:
            file = self._open_for_append()
            file.write(record)
            file.flush()
            self._written += 1
            return self._written

    def sync(self, ticket: int) -> None:
        """Return once the record of `ticket`, and every one written before it, is on disk.
        One fsync serves all records written so far: later callers find theirs done."""
        with self._lock:
            if self._synced >= ticket:
                return
            if self._file is not None:
                os.fsync(self._file.fileno())
            self._synced = self._written

    def load(self) -> list[bytes]:
        """Every whole record, in the order appended; a torn tail is cut off the file."""
        with self._lock:
            return self._load()

    def _load(self) -> list[bytes]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        records, good_bytes = decode_records(data)
        if good_bytes < len(data):
            # A crash mid-append leaves a partial record. Cut it off now: an append after it
            # would otherwise sit behind bytes that no reader can get past.
            logger.warning(
                "transaction journal %s: dropping %d bytes after the last whole record "
                "(an append interrupted by a crash)",
                self.path,
                len(data) - good_bytes,
            )
            self._close()
            with open(self.path, "r+b") as file:
                file.truncate(good_bytes)
                file.flush()
                os.fsync(file.fileno())
        return records

    def rewrite(self, raws: Iterable[bytes]) -> None:
        """Replace the journal with exactly `raws`, atomically (compaction)."""
        records = [encode_record(raw) for raw in raws]
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp_path = self.path.with_name(self.path.name + ".tmp")
            with open(temp_path, "wb") as file:
                file.write(b"".join(records))
                file.flush()
                os.fsync(file.fileno())
            # The open handle still points at the file being replaced: drop it first.
            self._close()
            os.replace(temp_path, self.path)
            _fsync_directory(self.path.parent)
            # Records written but not yet synced are in the new file if still wanted, and durable.
            self._synced = self._written

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._file is not None:
            if self._synced < self._written:  # `sync` must never find the file gone unsynced
                os.fsync(self._file.fileno())
                self._synced = self._written
            self._file.close()
            self._file = None

    def __enter__(self) -> TxJournal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open_for_append(self) -> BinaryIO:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            self._file = open(self.path, "ab")
            if created:
                # The new directory entry must be durable too, or the file can vanish.
                _fsync_directory(self.path.parent)
        return self._file


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
