"""How fast a node backfills its address index for a data dir written before the index existed.

    python bench/address_backfill.py [--blocks 200] [--txs-per-block 50]

The chain is built in process on LevelDB with `Chain.build_block` (plain transfers from ten dev
accounts to ten fresh addresses; the index is written live in each block's batch: the baseline), then
every `lantau:addr…` key is deleted, the chain reopened (so it records a backfill height, as an
upgraded node's does) and `Chain.backfill_address_index` run in the node's step size until done.

Printed: blocks/s and transactions/s of building (with live indexing) and of the backfill, and the
longest single backfill step, which is how long block production may wait for the write lock.
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Sequence  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=200)
    parser.add_argument("--txs-per-block", type=int, default=50)
    args = parser.parse_args(argv)

    import plyvel
    from eth_account import Account

    from genesis.config import GenesisConfig
    from genesis.dev_accounts import dev_accounts
    from genesis.predeploys import SEQUENCER_FEE_VAULT
    from node.address_index import BACKFILL_BLOCKS_PER_STEP, BACKFILL_ENTRIES_PER_STEP
    from node.chain import BlockAttributes, Chain
    from node.vm import LantauVM

    genesis = GenesisConfig.load()
    accounts = dev_accounts()
    senders = accounts[:10]
    recipients = ["0x" + (bytes([0x77] * 19) + bytes([n])).hex() for n in range(10)]  # fresh addresses
    builder = LantauVM.get_transaction_builder()
    nonces = [0] * len(senders)

    def transfer(i: int):  # type: ignore[no-untyped-def]
        sender = i % len(senders)
        signed = Account.sign_transaction(
            {"to": recipients[(i // len(senders)) % len(recipients)], "value": 1, "gas": 21_000,
             "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 1, "nonce": nonces[sender], "chainId": genesis.chain_id,
             "type": 2}, senders[sender].private_key)
        nonces[sender] += 1
        return builder.decode(bytes(signed.raw_transaction))

    total = args.blocks * args.txs_per_block
    transactions = [transfer(i) for i in range(total)]
    with tempfile.TemporaryDirectory() as data_dir:
        chain = Chain.open(Path(data_dir), genesis)
        started = time.perf_counter()
        for b in range(args.blocks):
            head = chain.head
            attributes = BlockAttributes(timestamp=head.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT,
                                         prev_randao=b"\x01" * 32, gas_limit=head.gas_limit)
            built = chain.build_block(head, attributes, transactions[b * args.txs_per_block:(b + 1) * args.txs_per_block])
            assert not built.rejected, built.rejected
        build_s = time.perf_counter() - started
        chain.close()

        db = plyvel.DB(str(Path(data_dir) / "chaindata"))
        for key in [k for k, _ in db.iterator(prefix=b"lantau:addr")]:
            db.delete(key)
        db.close()

        chain = Chain.open(Path(data_dir), genesis)
        assert chain.address_backfill_height == args.blocks
        longest_step_s, started = 0.0, time.perf_counter()
        remaining = args.blocks
        while remaining:
            step_started = time.perf_counter()
            remaining = chain.backfill_address_index(BACKFILL_BLOCKS_PER_STEP)
            longest_step_s = max(longest_step_s, time.perf_counter() - step_started)
        backfill_s = time.perf_counter() - started
        listed = chain.transactions_of_address(bytes.fromhex(senders[0].address[2:]), limit=1_000_000)  # type: ignore[arg-type]
        assert len(listed) == total // len(senders), len(listed)
        chain.close()

    print(f"{args.blocks} blocks x {args.txs_per_block} transfers ({total} txs)")
    print(f"build with live indexing (baseline): {build_s:.2f} s  {args.blocks / build_s:,.1f} blocks/s  {total / build_s:,.0f} tx/s")
    print(f"address-index backfill:              {backfill_s:.2f} s  {args.blocks / backfill_s:,.1f} blocks/s  {total / backfill_s:,.0f} tx/s"
          f"  ({backfill_s / build_s:.2f}x the build time)")
    print(f"longest backfill step (<= {BACKFILL_BLOCKS_PER_STEP} blocks, ~{BACKFILL_ENTRIES_PER_STEP} entries; holds the write lock): {longest_step_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
