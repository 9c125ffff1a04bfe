"""The batcher's persistent state: what it has posted, what is in flight, and its counters.

One JSON file, replaced atomically (written to `<path>.tmp`, fsynced, `os.replace`d, the
directory fsynced), so a crash leaves either the old state or the new one, never half of each.
The batcher writes it *before* it sends a transaction (the record names the nonce, the fees and
the frames, so the transaction can be signed again to the very same bytes and hash) and again
after each change it must not forget.

    {
      "version": 1,
      "l1_chain_id": 900, "l2_genesis_hash": "0x…", "batcher": "0x…", "batch_inbox": "0x…",
      "safe_l2": {"number": 120, "hash": "0x…"},      last L2 block whose channel is safe on L1
      "l1_anchor": {"number": 7000, "hash": "0x…"},   L1's safe block when that was found: an L1
                                                      without it is another L1 (a new anvil)
      "next_nonce": 57,                               the batcher account's next unused nonce (never
                                                      trusted over L1's: see `Batcher`)
      "channels": [ … ChannelRecord … ],              posted or being posted, oldest first
      "metrics": { … BatcherMetrics … }
    }

A channel's frames are stored whole (hex), so after a restart the channel is sent again
identically: the same channel id and the same frames (derivation drops duplicate frames).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sequencer.batcher_metrics import BatcherMetrics
from sequencer.errors import BatcherStateError

STATE_VERSION = 1



@dataclass
class TxRecord:
    """One batcher transaction (one nonce) and every signed version of it (fee bumps)."""

    nonce: int
    frames: list[int]  # frame numbers it carries, in order (one blob each for blob transactions)
    blob: bool
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_blob_gas: int = 0
    hashes: list[str] = field(default_factory=list)  # every version sent, newest last
    sent_at: float | None = None  # unix time the newest version was sent; None: recorded, not yet sent
    included_hash: str | None = None  # the version L1 included ...
    included_block: int | None = None  # ... in this block ...
    included_block_hash: str | None = None  # ... with this hash
    # ... and it reverted there (receipt status 0: derivation ignores it, so its frames are not on L1,
    # though its nonce is used). Absent from records written before it: False.
    reverted: bool = False
    reorged: int = 0  # times an L1 reorg dropped it after inclusion

    @property
    def included(self) -> bool:
        return self.included_block is not None


@dataclass
class ChannelRecord:
    """A closed channel: its L2 blocks, its frames and the transactions carrying them."""

    channel_id: str  # hex, 16 bytes
    first_block: int
    last_block: int
    last_block_hash: str  # its L2 blocks are still canonical iff this hash is
    frames: list[str]  # frame data (hex), frame i is frames[i]; the last one is marked is_last
    blob: bool  # posted in blobs (else calldata), fixed once the channel is cut into frames
    block_count: int = 0
    rlp_bytes: int = 0  # uncompressed size, for the compression ratio in logs
    txs: list[TxRecord] = field(default_factory=list)
    counted_frames: list[int] = field(default_factory=list)  # frames already in the metrics
    abandoned: str | None = None  # why its blocks were handed to a new channel (its txs still settle)

    def assigned_frames(self) -> set[int]:
        return {number for tx in self.txs for number in tx.frames}

    def unassigned_frames(self) -> list[int]:
        assigned = self.assigned_frames()
        return [n for n in range(len(self.frames)) if n not in assigned]


@dataclass
class BatcherState:
    l1_chain_id: int
    l2_genesis_hash: str
    batcher: str
    batch_inbox: str
    safe_l2_number: int
    safe_l2_hash: str
    next_nonce: int
    channels: list[ChannelRecord] = field(default_factory=list)
    metrics: BatcherMetrics = field(default_factory=BatcherMetrics)
    # An L1 block the batcher saw safe (number, hash): an L1 with the same chain id but without
    # it (a new anvil) is another L1. Empty until the first channel is confirmed.
    l1_anchor_number: int = 0
    l1_anchor_hash: str = ""

    # --- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": STATE_VERSION,
                "l1_chain_id": self.l1_chain_id,
                "l2_genesis_hash": self.l2_genesis_hash,
                "batcher": self.batcher,
                "batch_inbox": self.batch_inbox,
                "safe_l2": {"number": self.safe_l2_number, "hash": self.safe_l2_hash},
                "l1_anchor": {"number": self.l1_anchor_number, "hash": self.l1_anchor_hash},
                "next_nonce": self.next_nonce,
                "channels": [asdict(channel) for channel in self.channels],
                "metrics": asdict(self.metrics),
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> "BatcherState":
        try:
            raw = json.loads(text)
            if raw.get("version") != STATE_VERSION:
                raise BatcherStateError(f"batcher state version {raw.get('version')!r}, this batcher reads {STATE_VERSION}")
            return cls(
                l1_chain_id=int(raw["l1_chain_id"]),
                l2_genesis_hash=str(raw["l2_genesis_hash"]),
                batcher=str(raw["batcher"]),
                batch_inbox=str(raw["batch_inbox"]),
                safe_l2_number=int(raw["safe_l2"]["number"]),
                safe_l2_hash=str(raw["safe_l2"]["hash"]),
                next_nonce=int(raw["next_nonce"]),
                channels=[_channel(c) for c in raw["channels"]],
                metrics=BatcherMetrics(**raw["metrics"]),
                l1_anchor_number=int(raw.get("l1_anchor", {}).get("number", 0)),
                l1_anchor_hash=str(raw.get("l1_anchor", {}).get("hash", "")),
            )
        except BatcherStateError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise BatcherStateError(f"unreadable batcher state: {exc!r}") from exc

    # --- the file -----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> "BatcherState | None":
        """The state in `path`, or None if there is none yet."""
        try:
            text = Path(path).read_text()
        except FileNotFoundError:
            return None
        return cls.from_json(text)

    def save(self, path: Path) -> None:
        """Replace `path` atomically: a crash leaves the old file or the new one."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w") as handle:
            handle.write(self.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _channel(raw: dict[str, Any]) -> ChannelRecord:
    txs = [TxRecord(**tx) for tx in raw.pop("txs")]
    return ChannelRecord(**raw, txs=txs)
