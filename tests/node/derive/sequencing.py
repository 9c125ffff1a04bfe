"""The sequencer's side, for pure end-to-end derivation tests: blocks built with the
sequencer's own origin rules, transfers signed by the dev accounts, and a batcher that turns
blocks into inbox transactions with the codec."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from eth_account import Account
from eth_utils import keccak, to_canonical_address

from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.rollup_config import MAX_SEQUENCER_DRIFT
from node.chain import BuiltBlock, Chain
from node.channels import ChannelBuilder, Compression, channel_id, encode_batcher_tx_data
from node.derive.config import RollupDerivationConfig
from node.vm import LantauVM
from sequencer.l1_origin import plan_next_block
from tests.harness.l1_history import BATCH_INBOX, BATCHER, L1History, SentTransaction, batcher_tx

GENESIS = GenesisConfig.load()
ACCOUNTS = dev_accounts()


def config(**overrides: int) -> RollupDerivationConfig:
    values = dict(sequencing_window=8, channel_timeout=4, max_sequencer_drift=MAX_SEQUENCER_DRIFT)
    values.update(overrides)
    return RollupDerivationConfig(batch_inbox=BATCH_INBOX, batcher_address=BATCHER, **values)


@dataclass
class Wallets:
    """Random transfers between the ten dev accounts, with nonces tracked."""

    rng: random.Random = field(default_factory=lambda: random.Random(4852))
    nonces: dict[int, int] = field(default_factory=dict)

    def transfer(self, *, legacy: bool = False) -> bytes:
        sender = self.rng.randrange(len(ACCOUNTS))
        nonce = self.nonces.get(sender, 0)
        self.nonces[sender] = nonce + 1
        tx = {"to": ACCOUNTS[self.rng.randrange(len(ACCOUNTS))].address, "value": self.rng.randrange(1, 10**18),
              "gas": 21_000, "nonce": nonce, "chainId": GENESIS.chain_id}
        if legacy:
            tx["gasPrice"] = 2 * 10**9
        else:
            tx.update(type=2, maxFeePerGas=3 * 10**9, maxPriorityFeePerGas=self.rng.randrange(1, 10**6))
        return bytes(Account.sign_transaction(tx, ACCOUNTS[sender].private_key).raw_transaction)


def sequence_block(chain: Chain, l1: L1History, now: int, raw_txs: list[bytes] = ()) -> BuiltBlock:
    """One block as sequencer/block_producer.py builds it (its origin plan and attributes)."""
    timestamp = max(now, chain.head.timestamp + 1)
    plan = plan_next_block(chain, chain.head, timestamp, l1)
    builder = LantauVM.get_transaction_builder()
    built = chain.build_block(plan.parent, plan.attributes(timestamp), [builder.decode(raw) for raw in raw_txs])
    assert not built.rejected, built.rejected
    return built


@dataclass
class Batcher:
    """Posts blocks as channels: one channel per `post`, frames `frames_per_tx` to a tx."""

    compression: Compression = Compression.FASTLZ
    span_batches: bool = False
    max_frame_data: int = 2_000
    frames_per_tx: int = 1
    channel_count: int = 0

    def post(self, blocks: list, open_block: int) -> list[SentTransaction]:
        """The transactions carrying `blocks` as one channel whose id names L1 block `open_block`
        (the L1 head the batcher knows: they land after it, node/channels.py `channel_id`)."""
        self.channel_count += 1
        builder = ChannelBuilder(
            channel_id=channel_id(open_block, keccak(b"channel" + self.channel_count.to_bytes(4, "big"))[:8]),
            chain_id=GENESIS.chain_id,
            compression=self.compression, span_batches=self.span_batches, target_size=10**9,
            max_frame_data=self.max_frame_data,
        )
        for block in blocks:
            builder.add_block(block)
        frames = builder.frames()
        return [
            batcher_tx(encode_batcher_tx_data(frames[i : i + self.frames_per_tx]))
            for i in range(0, len(frames), self.frames_per_tx)
        ]


def recipient_balance(chain: Chain, address: bytes) -> int:
    return chain.state_at(chain.head).get_balance(to_canonical_address(address))
