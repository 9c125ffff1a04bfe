"""Origin selection and epoch deposits (pure: an in-memory L1 history stands in for L1 data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from eth_typing import Hash32
from eth_utils import keccak, to_canonical_address

from genesis.config import GenesisConfig
from node.chain import Chain
from node.deposit_tx import user_deposit_source_hash
from node.derive.l1_source import L1BlockRef
from node.errors import TemporaryError
from node.l1_info import read_l1_origin
from node.vm import LantauTransactionBuilder
from sequencer.l1_origin import plan_next_block

RECIPIENT = to_canonical_address("0x" + "c3" * 20)


@dataclass
class L1History:
    """A list of L1 blocks with deposits; `fork_at` replaces the tail, like a reorg."""

    blocks: list[L1BlockRef] = field(default_factory=list)
    deposits_by_hash: dict[bytes, list] = field(default_factory=dict)

    def append(self, timestamp: int, mints: tuple[int, ...] = (), salt: bytes = b"") -> L1BlockRef:
        number = len(self.blocks)
        parent = self.blocks[-1].hash if self.blocks else bytes(32)
        ref = L1BlockRef(number, keccak(parent + number.to_bytes(8, "big") + salt), parent, timestamp, 7)
        self.blocks.append(ref)
        self.deposits_by_hash[ref.hash] = [
            LantauTransactionBuilder.new_deposit_transaction(
                source_hash=user_deposit_source_hash(ref.hash, i), from_=RECIPIENT, to=RECIPIENT,
                mint=mint, value=0, gas=50_000, data=b"")
            for i, mint in enumerate(mints)
        ]
        return ref

    def fork_at(self, number: int) -> None:
        del self.blocks[number:]

    def head(self) -> L1BlockRef:
        return self.blocks[-1]

    def block_by_number(self, number: int) -> L1BlockRef | None:
        return self.blocks[number] if number < len(self.blocks) else None

    def deposits(self, block: L1BlockRef):
        return self.deposits_by_hash[block.hash]

    def blobs(self, block: L1BlockRef, versioned_hashes: Sequence[Hash32]) -> list[bytes]:
        if versioned_hashes:
            raise TemporaryError("this L1 history has no blobs")
        return []


def build_next(chain: Chain, l1: L1History, timestamp: int):
    plan = plan_next_block(chain, chain.head, timestamp, l1)
    return plan, chain.build_block(plan.parent, plan.attributes(timestamp))


def test_origin_advances_one_l1_block_at_a_time_and_deposits_come_once() -> None:
    chain = Chain.open(None, GenesisConfig.load())
    l1 = L1History()
    l1.append(100)
    l1.append(110, mints=(5,))
    l1.append(120, mints=(7, 11))
    seen = []
    for t in (101, 111, 115, 121, 122):
        plan, built = build_next(chain, l1, t)
        origin = read_l1_origin(chain.state_at(built.header))
        seen.append((origin.number, origin.sequence_number, len(built.block.transactions)))
    # (origin, sequence number, txs = L1-info + deposits of a new origin)
    assert seen == [(0, 0, 1), (1, 0, 2), (1, 1, 1), (2, 0, 3), (2, 1, 1)]
    assert chain.state_at(chain.head).get_balance(RECIPIENT) == 5 + 7 + 11


def test_origin_waits_for_l2_time_to_reach_the_l1_block() -> None:
    chain = Chain.open(None, GenesisConfig.load())
    l1 = L1History()
    l1.append(100)
    l1.append(200)
    build_next(chain, l1, 101)
    plan, _ = build_next(chain, l1, 150)
    assert plan.origin.number == 0  # block 1 is newer than the L2 block


def test_reorged_origin_abandons_l2_blocks_and_its_deposits() -> None:
    chain = Chain.open(None, GenesisConfig.load())
    l1 = L1History()
    l1.append(100)
    l1.append(110, mints=(5,))
    build_next(chain, l1, 101)
    build_next(chain, l1, 111)
    assert chain.state_at(chain.head).get_balance(RECIPIENT) == 5
    l1.fork_at(1)
    l1.append(110, salt=b"other")  # block 1 again, without the deposit
    plan, built = build_next(chain, l1, 112)
    assert [h.block_number for h in plan.abandoned] == [2]
    assert built.header.block_number == 2 and plan.parent.block_number == 1
    assert chain.state_at(chain.head).get_balance(RECIPIENT) == 0
    assert read_l1_origin(chain.state_at(chain.head)).hash == l1.blocks[1].hash
