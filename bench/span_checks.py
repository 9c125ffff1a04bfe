"""L1 gas of deciding one L2 block from a channel of the batcher's size (`BatchReader`'s span checks,
docs/fault-proofs.md "BatchReader on a channel of the batcher's size"): the largest channel of HKD
transfers and of ERC-20 transfers whose block fits one L1 transaction (EIP-7825's 16,777,216 gas).

    python bench/span_checks.py [--sizes 720 1250 2000 3000 4000] [--block-sizes 50 100 200 300]

`BatchReaderHarness.channelBlockGas` measures, without the calldata carrying it (as inside the
oracle, where the evidence pays the channel once): FastLZ, the channel's framing, and
`decodeSpanBlock` (every transaction of the span checked, the decided block's rebuilt and hashed).
The L1 transaction is then modelled as EIP-7623 charges it: max(21,000 + the channel's calldata
at 16 / 4 gas a byte + that execution + the rest of the oracle's leaf, the channel's calldata
floor at 40 / 10 gas a byte), the rest taken as `ORACLE_REST` (the whole `checkInputs` of a block
with a small batch, 485,966, in fault-proofs.md). Two shapes: spans of 12 transactions a block,
the block at the middle decided (the batcher's usual channel); and one block holding all of a
channel's transactions (every one rebuilt: the worst block of a channel). Baseline: the Solidity
reader before the assembly walk, recorded on the same 720-transfer channel (BASELINE_*).
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402
from web3 import Web3  # noqa: E402

from bridge.anvil import AnvilOptions, AnvilProcess  # noqa: E402
from bridge.tx_manager import TX_BASE_GAS, floor_data_gas  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from node.batches import SpanBatch, SpanBatchElement, encode_batch  # noqa: E402
from node.channels import encode_channel  # noqa: E402
from prover.staged_step import EIP_7825_TX_GAS_CAP  # noqa: E402
from tests.harness.evm import Contracts, dev_keys  # noqa: E402

CHAIN_ID = 4852
ORACLE_REST = 485_966
#: The reader's cost on channels of any size (BatchReaderHarness skips the chain's channel bounds,
#: docs/batches.md "What one derivation step reads": derivation reads none past 64,000 bytes out);
#: bench/block_checks.py reads it from here.
READ_CAP = 10_000_000
TXS_PER_BLOCK = 12
SENDERS = dev_accounts()[:6]
TOKEN = "0x" + "42" * 20
#: decodeSpanBlock per transaction on the 720-transfer channel before the assembly walk (calldata
#: excluded, BatchReaderHarness on main's BatchReader at 4eb9b11), transfers / ERC-20 transfers.
BASELINE_PER_TX = {"transfer": 15_760, "erc20": 17_266}


def signed(kind: str, nonce: int, rng: random.Random) -> bytes:
    sender, to = SENDERS[nonce % 6], SENDERS[(nonce + 1) % 6]
    tx = {"nonce": nonce, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**6, "chainId": CHAIN_ID, "type": 2}
    if kind == "transfer":
        tx |= {"gas": 21_000, "to": to.address, "value": rng.randrange(1, 10**18)}
    else:  # transfer(address,uint256) of an ERC-20
        call = bytes.fromhex("a9059cbb") + bytes(12) + bytes.fromhex(to.address[2:]) + rng.randrange(1, 10**24).to_bytes(32, "big")
        tx |= {"gas": 60_000, "to": TOKEN, "value": 0, "data": call}
    return bytes(Account.sign_transaction(tx, sender.private_key).raw_transaction)


def channel_of(kind: str, txs: int, per_block: int) -> bytes:
    rng = random.Random(txs)
    raws = [signed(kind, n, rng) for n in range(txs)]
    blocks = [SpanBatchElement(1_750_000_000 + 2 * b, 1000 + b // 6, tuple(raws[b * per_block:(b + 1) * per_block]))
              for b in range((txs + per_block - 1) // per_block)]
    return encode_channel([encode_batch(SpanBatch(CHAIN_ID, bytes(20), bytes(20), True, tuple(blocks)))])


def leaf_gas(channel: bytes, execution: int) -> int:
    """The L1 transaction deciding the block, as EIP-7623 charges it."""
    zeros = channel.count(0)
    standard = TX_BASE_GAS + 16 * (len(channel) - zeros) + 4 * zeros
    return max(standard + execution + ORACLE_REST, floor_data_gas(channel))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[720, 1250, 2000, 3000, 4000])
    parser.add_argument("--block-sizes", type=int, nargs="+", default=[50, 100, 200, 300])
    args = parser.parse_args()
    with AnvilProcess(AnvilOptions(extra_args=("--gas-limit", "3000000000"))) as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 600}))
        harness = Contracts(w3=w3, anvil=anvil, keys=dev_keys()).deploy("BatchReaderHarness")
        print(f"one L1 transaction: {EIP_7825_TX_GAS_CAP:,} gas; the oracle's other work taken as {ORACLE_REST:,}")
        for kind in ("transfer", "erc20"):
            for shape, sizes, per_block in (("spans of 12 a block", args.sizes, TXS_PER_BLOCK), ("one block of all", args.block_sizes, 0)):
                print(f"\n{kind}, {shape}:")
                print("| txs | channel B | execution | per tx | L1 tx (modelled) | fits |")
                print("|---:|---:|---:|---:|---:|---|")
                for txs in sizes:
                    channel = channel_of(kind, txs, per_block or txs)
                    index = (txs // (per_block or txs)) // 2
                    execution, _ = harness.functions.channelBlockGas(channel, READ_CAP, CHAIN_ID, index).call(
                        transaction={"gas": 2_900_000_000})
                    total = leaf_gas(channel, execution)
                    print(f"| {txs:,} | {len(channel):,} | {execution:,} | {execution // txs:,} | {total:,} | "
                          f"{'yes' if total <= EIP_7825_TX_GAS_CAP else 'no'} |", flush=True)
            print(f"(baseline, decodeSpanBlock alone before the assembly walk: {BASELINE_PER_TX[kind]:,} per transaction)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
