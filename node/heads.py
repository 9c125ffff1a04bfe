"""The three L2 heads, as in the OP Stack: unsafe, safe, finalized.

- **unsafe**: the chain's head (sequenced, or received, not yet confirmed by L1 data);
- **safe**: the newest L2 block derived from L1 data (batches + deposits);
- **finalized**: the newest L2 block derived from finalized L1 blocks only.

Each safe/finalized head is kept with the L1 block it was derived from, and persisted in the
chain database, so a restarted node serves the same `safe` and `finalized` tags at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth.abc import BlockHeaderAPI
from eth_typing import Hash32

from node.chain import Chain
from node.l1_block_ref import L1BlockRef

SAFE_KEY = b"lantau:head:safe"
FINALIZED_KEY = b"lantau:head:finalized"


@dataclass(frozen=True, slots=True)
class L2HeadRef:
    l2_hash: Hash32
    l2_number: int
    l1_hash: Hash32  # L1 block the head was derived from (zero for genesis)
    l1_number: int

    def encode(self) -> bytes:
        return rlp.encode([self.l2_hash, self.l2_number, self.l1_hash, self.l1_number])

    @classmethod
    def decode(cls, raw: bytes) -> "L2HeadRef":
        l2_hash, l2_number, l1_hash, l1_number = rlp.decode(raw)
        return cls(Hash32(l2_hash), int.from_bytes(l2_number, "big"), Hash32(l1_hash), int.from_bytes(l1_number, "big"))


class Heads:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    def _read(self, key: bytes) -> L2HeadRef:
        try:
            return L2HeadRef.decode(self.chain.db[key])
        except KeyError:
            genesis = self.chain.header_by_number(0)
            return L2HeadRef(genesis.hash, 0, Hash32(bytes(32)), 0)

    @property
    def safe(self) -> L2HeadRef:
        return self._read(SAFE_KEY)

    @property
    def finalized(self) -> L2HeadRef:
        return self._read(FINALIZED_KEY)

    def safe_header(self) -> BlockHeaderAPI:
        return self._header(self.safe)

    def finalized_header(self) -> BlockHeaderAPI:
        return self._header(self.finalized)

    def _header(self, ref: L2HeadRef) -> BlockHeaderAPI:
        # A head that a reorg replaced falls back to the canonical block at its height.
        header = self.chain.header_by_hash(ref.l2_hash)
        return header if self.chain.is_canonical(header) else self.chain.header_by_number(min(ref.l2_number, self.chain.head.block_number))

    def set_safe(self, header: BlockHeaderAPI, l1: L1BlockRef) -> None:
        self.chain.db[SAFE_KEY] = L2HeadRef(header.hash, header.block_number, l1.hash, l1.number).encode()

    def set_finalized(self, ref: L2HeadRef) -> None:
        self.chain.db[FINALIZED_KEY] = ref.encode()
