"""LevelDB (plyvel) behind py-evm's `AtomicDatabaseAPI`.

py-evm dropped its own LevelDB backend; this is ours. Writes outside `atomic_batch()` go
straight to LevelDB; inside a batch they are buffered in memory (readable through the batch)
and written with one `plyvel` write batch when the block is done, so a block, its receipts,
its indexes and the new head are on disk all together or not at all — a kill -9 between two
blocks loses nothing that was acknowledged and leaves no half-written block.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import plyvel
from eth.abc import AtomicWriteBatchAPI
from eth.db.backends.base import BaseAtomicDB, BaseDB

_DELETED = object()


class LevelDB(BaseAtomicDB):
    """A py-evm atomic database stored in a LevelDB directory."""

    def __init__(self, path: Path | str, *, create_if_missing: bool = True) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self._db: plyvel.DB | None = plyvel.DB(str(path), create_if_missing=create_if_missing)

    @property
    def db(self) -> plyvel.DB:
        if self._db is None:
            raise RuntimeError(f"LevelDB at {self.path} is closed")
        return self._db

    def __getitem__(self, key: bytes) -> bytes:
        value = self.db.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.db.put(key, value)

    def __delitem__(self, key: bytes) -> None:
        if self.db.get(key) is None:
            raise KeyError(key)
        self.db.delete(key)

    def _exists(self, key: bytes) -> bool:
        return self.db.get(key) is not None

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        batch = LevelDBWriteBatch(self)
        try:
            yield batch
        except BaseException:
            batch.discard()
            raise
        else:
            batch.commit()

    def iterate_prefix(self, prefix: bytes, *, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        with self.db.iterator(prefix=prefix, reverse=reverse) as iterator:
            yield from iterator

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class LevelDBWriteBatch(BaseDB, AtomicWriteBatchAPI):
    """Buffered writes over a `LevelDB`: reads see them, disk sees them only on commit."""

    def __init__(self, target: LevelDB) -> None:
        self._target: LevelDB | None = target
        self._pending: dict[bytes, object] = {}

    def _live(self) -> LevelDB:
        if self._target is None:
            raise RuntimeError("write batch used outside its `atomic_batch()` context")
        return self._target

    def __getitem__(self, key: bytes) -> bytes:
        target = self._live()
        value = self._pending.get(key)
        if value is _DELETED:
            raise KeyError(key)
        if value is not None:
            return value  # type: ignore[return-value]
        return target[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._live()
        self._pending[key] = value

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._pending[key] = _DELETED

    def _exists(self, key: bytes) -> bool:
        value = self._pending.get(key)
        if value is _DELETED:
            return False
        return value is not None or self._live()._exists(key)

    def commit(self) -> None:
        target = self._live()
        with target.db.write_batch(transaction=True) as write_batch:
            for key, value in self._pending.items():
                if value is _DELETED:
                    write_batch.delete(key)
                else:
                    write_batch.put(key, value)  # type: ignore[arg-type]
        self.discard()

    def discard(self) -> None:
        self._pending = {}
        self._target = None
