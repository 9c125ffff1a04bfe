"""node/syncing.py: when a derivation node is behind, and the sync object it answers."""

from __future__ import annotations

from types import SimpleNamespace

from node.errors import TemporaryError
from node.l1_block_ref import L1BlockRef
from node.syncing import DerivationSync, estimate_highest_block, is_behind, sync_progress_json


def l1(number: int, timestamp: int = 0) -> L1BlockRef:
    return L1BlockRef(number, bytes(32), bytes(32), timestamp, 1)  # type: ignore[arg-type]


def header(number: int, timestamp: int) -> SimpleNamespace:
    return SimpleNamespace(block_number=number, timestamp=timestamp)


class FakeChain:
    def __init__(self, interval_s: int) -> None:
        self.interval_s, self.head = interval_s, header(0, 1000)

    def to(self, number: int) -> None:
        self.head = header(number, 1000 + number * self.interval_s)

    def header_by_number(self, number: int) -> SimpleNamespace:
        return header(number, 1000 + number * self.interval_s)


def test_behind_only_past_the_lag() -> None:
    assert not is_behind(100, l1(100))
    assert not is_behind(98, l1(100))  # a block or two since the last poll is not "behind"
    assert is_behind(97, l1(100))


def test_highest_block_is_the_time_to_l1_head_over_the_block_interval() -> None:
    # Head 10 at t=1020 after blocks every 2 s; L1 head at t=1101: 81 s left, 41 blocks (ceil).
    assert estimate_highest_block(header(10, 1020), header(1, 1002), l1(50, 1101)) == 51
    # Sub-second intervals count as 1 s (L2 timestamps are whole, strictly increasing seconds).
    assert estimate_highest_block(header(10, 1005), header(1, 1004), l1(50, 1015)) == 20
    # L1 head behind the L2 head in time: nothing left.
    assert estimate_highest_block(header(10, 1020), header(1, 1002), l1(50, 900)) == 10


def test_progress_starts_where_the_catch_up_began_and_ends_false() -> None:
    chain = FakeChain(interval_s=2)
    chain.to(5)
    position: list[L1BlockRef | None] = [None]
    l1_head: list[object] = [l1(40, 1100)]

    def head() -> L1BlockRef:
        if isinstance(l1_head[0], Exception):
            raise l1_head[0]
        return l1_head[0]  # type: ignore[return-value]

    sync = DerivationSync(chain, lambda: position[0], head, l1_start_block=10)  # type: ignore[arg-type]
    first = sync.progress()
    assert first is not None
    assert (first.starting_block, first.current_block, first.highest_block) == (5, 5, 50)
    assert (first.current_l1_block, first.head_l1_block) == (9, 40)
    assert sync_progress_json(first) == {"startingBlock": "0x5", "currentBlock": "0x5", "highestBlock": "0x32",
                                         "currentL1Block": "0x9", "headL1Block": "0x28"}
    chain.to(20)
    position[0] = l1(30)
    second = sync.progress()
    assert second is not None and (second.starting_block, second.current_block) == (5, 20)
    l1_head[0] = TemporaryError("L1 unreachable")  # judged by the last head seen
    assert sync.progress() is not None
    l1_head[0] = l1(40, 1100)
    position[0] = l1(39)
    assert sync.progress() is None and sync_progress_json(None) is False
    # A new catch-up starts from the head at that time.
    chain.to(30)
    l1_head[0] = l1(60, 1200)
    third = sync.progress()
    assert third is not None and third.starting_block == 30
