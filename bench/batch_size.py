"""What posting L2 transactions to L1 costs: bytes and L1 gas per L2 transaction, per encoding.

    python bench/batch_size.py [--txs 500] [--block-size 10] [--workload transfer erc20]
                               [--max-channel-blocks 10] [--no-anvil]

For each workload (N HKD-native transfers; N ERC-20 `transfer` calls on bench/tps.py's minimal
token) the same signed transactions are built into L2 blocks of `--block-size` transactions
(six L2 blocks per L1 origin, each with its L1-info deposit, as the sequencer builds them), then
batched four ways with the batcher's own `ChannelBuilder` (target 100 KB channels; with
`--max-channel-blocks K` also closed every K blocks, as the devnet batcher does):

- zlib, singular batches   the OP Stack's Bedrock format: the **baseline**
- brotli, singular batches
- zlib, span batches
- brotli, span batches

Per encoding it prints the bytes posted per L2 transaction (frames with their 23-byte headers
and the version byte of each batcher transaction) and the time spent compressing. Then L1 gas:

- **calldata**: computed — EIP-2028 intrinsic gas (16 per non-zero byte, 4 per zero byte, plus
  the 21,000 of each batcher transaction) and EIP-7623's floor (Prague: 10 per token, a non-zero
  byte being 4 tokens), whichever is higher — and **measured**: every batcher transaction is
  sent to a real anvil (its default hardfork) and the receipts' `gasUsed` summed;
- **blobs**: measured on the same anvil: blob gas (131,072 per blob, whatever its fill) plus the
  blob transactions' execution gas, from the receipts.

and **L1 decode gas**: what the L1 contract spends to decode the bench's channels with
`contracts/src/L1/lib/FastLZ.sol` (through `FastLZHarness` on the same anvil; the copy of the
channel from calldata into memory included, the calldata itself not). zlib and brotli have no
L1 decoder ("-"): that is why the canonical format is FastLZ span batches (docs/fault-proofs.md).

A second table compares the L1-decodable candidates on the same blocks, for channels closed at
100 KB and, with `--max-channel-blocks`, sooner: span batches uncompressed, with Solady's calldata
RLE (`cdCompress`: runs of 0x00/0xff), FastLZ, RLE then FastLZ, each with its L1 decode gas
(Solady's own decoders for RLE; RLE then FastLZ adds the two).

Nothing is asserted about time. The KZG setup load (~3 s, once) is outside every figure.
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Sequence  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tps  # noqa: E402  (bench/tps.py: the workloads and the bench token)
from eth_account import Account  # noqa: E402
from eth_typing import Address, Hash32  # noqa: E402
from eth_utils import keccak, to_canonical_address, to_checksum_address  # noqa: E402
from web3 import Web3  # noqa: E402

from bridge.anvil import AnvilProcess  # noqa: E402
from genesis.config import GenesisConfig  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from genesis.l1_addresses import devnet_l1_addresses  # noqa: E402
from genesis.predeploys import SEQUENCER_FEE_VAULT  # noqa: E402
from node.chain import BlockAttributes, Chain  # noqa: E402
from node import fastlz  # noqa: E402
from node.channels import FRAME_OVERHEAD, ChannelBuilder, Compression, Frame, encode_batcher_tx_data  # noqa: E402

#: The decoder's cost on channels of any size, past the chain's channel bounds (docs/batches.md
#: "What one derivation step reads": derivation reads none past 64,000 bytes out).
READ_CAP = 10_000_000
from genesis.artifacts import load_artifact  # noqa: E402
from node.l1_block_ref import L1BlockRef  # noqa: E402
from node.l1_info import l1_info_deposit  # noqa: E402
from node.vm import LantauVM  # noqa: E402
from bridge.tx_manager import TX_BASE_GAS, calldata_gas  # noqa: E402
from sequencer.channel_manager import BLOB_FRAME_DATA  # noqa: E402
from bridge.blob_tx import GAS_PER_BLOB, MAX_BLOBS_PER_TX, blob_sidecar, encode_blob, sign_blob_transaction  # noqa: E402

ENCODINGS = (
    ("zlib singular", Compression.ZLIB, False),
    ("brotli singular", Compression.BROTLI, False),
    ("zlib span", Compression.ZLIB, True),
    ("brotli span", Compression.BROTLI, True),
    ("fastlz span", Compression.FASTLZ, True),
)
TARGET_CHANNEL_SIZE = 100_000
CALLDATA_FRAME_DATA = 120_000
L2_BLOCKS_PER_ORIGIN = 6
#: The devnet's inbox address (genesis/l1_addresses.py). The bench's anvil has no contracts there,
#: so a post costs what the transaction itself costs (OP's code-less inbox); the BatchInbox
#: contract's own gas is measured in tests/bridge/test_batch_inbox.py.
INBOX = to_checksum_address(devnet_l1_addresses()["BatchInbox"])


def l2_blocks(workload: str, txs: int, block_size: int, senders: int) -> tuple[list, GenesisConfig]:
    """Blocks of `block_size` transactions, each after its L1-info deposit (origin every 6 blocks)."""
    keys = tps.sender_keys(senders)
    addresses = [Address(to_canonical_address(Account.from_key(key).address)) for key in keys]
    genesis = tps.bench_genesis(addresses, block_size)
    raw = tps.sign_workload(workload, keys, txs, genesis.chain_id)
    chain = Chain.open(None, genesis)
    builder = LantauVM.get_transaction_builder()
    blocks = []
    parent = chain.head
    for index, start in enumerate(range(0, len(raw), block_size)):
        origin_number = index // L2_BLOCKS_PER_ORIGIN
        origin = L1BlockRef(origin_number, Hash32(keccak(b"origin %d" % origin_number)), Hash32(keccak(b"origin %d" % (origin_number - 1))),
                            1_000 + 12 * origin_number, 10**9)
        timestamp = 1_000 + 2 * index
        attributes = BlockAttributes(
            timestamp=timestamp, fee_recipient=SEQUENCER_FEE_VAULT, prev_randao=Hash32(keccak(parent.hash)),
            gas_limit=parent.gas_limit,
            forced_transactions=(l1_info_deposit(origin, index % L2_BLOCKS_PER_ORIGIN),),
        )
        built = chain.build_block(parent, attributes, [builder.decode(r) for r in raw[start:start + block_size]])
        if built.rejected:
            raise SystemExit(f"{workload}: {len(built.rejected)} transactions rejected: {built.rejected[0].reason}")
        if any(not c.is_success for c in built.computations):
            raise SystemExit(f"{workload}: a transaction failed in block {index + 1}: the workload is broken")
        blocks.append(built.block)
        parent = built.header
    return blocks, genesis


@dataclass
class Batched:
    name: str
    channels: list[list[Frame]]
    rlp_bytes: int
    compress_s: float
    contents: list[bytes]  # each channel's uncompressed content (rlp_batches)

    def calldata_txs(self) -> list[bytes]:
        return [encode_batcher_tx_data([frame]) for frames in self.channels for frame in frames]

    def posted_bytes(self) -> int:
        return sum(len(data) for data in self.calldata_txs())

    def channel_bytes(self) -> list[bytes]:
        return [b"".join(frame.data for frame in frames) for frames in self.channels]


def batch(blocks: Sequence, chain_id: int, name: str, compression: Compression, span: bool, max_frame_data: int,
          max_channel_blocks: int | None = None) -> Batched:
    channels: list[list[Frame]] = []
    contents: list[bytes] = []
    rlp_bytes = 0
    start = time.perf_counter()
    builder: ChannelBuilder | None = None
    for block in blocks:
        if builder is None:
            builder = ChannelBuilder(channel_id=os.urandom(16), chain_id=chain_id, compression=compression, span_batches=span,
                                     target_size=TARGET_CHANNEL_SIZE, max_frame_data=max_frame_data,
                                     max_decompressed_size=READ_CAP)
        builder.add_block(block)
        if max_channel_blocks is not None and builder.block_count >= max_channel_blocks:
            builder.close()
        if builder.closed:
            contents.append(builder.rlp_batches())
            channels.append(builder.frames())
            builder = None
    if builder is not None:
        contents.append(builder.rlp_batches())
        channels.append(builder.frames())
    rlp_bytes = sum(len(c) for c in contents)
    return Batched(name, channels, rlp_bytes, time.perf_counter() - start, contents)


# --- L1 gas, measured on anvil ---------------------------------------------------------------------


@dataclass
class Measured:
    txs: int
    gas_used: int
    blob_gas_used: int = 0
    blobs: int = 0


class L1Poster:
    def __init__(self, anvil: AnvilProcess) -> None:
        self.anvil = anvil
        self.w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 60}))
        self.key = dev_accounts()[1].private_key
        self.address = dev_accounts()[1].address
        self.chain_id = self.w3.eth.chain_id
        if self.w3.eth.get_code(INBOX):
            raise SystemExit(f"the bench's anvil has code at the inbox address {INBOX}: posts would run it")

    def _fees(self) -> dict:
        base = int(self.w3.eth.get_block("latest")["baseFeePerGas"])
        return {"maxFeePerGas": 2 * base + 10**9, "maxPriorityFeePerGas": 10**9}

    def post_calldata(self, datas: Sequence[bytes]) -> Measured:
        gas = 0
        for data in datas:
            nonce = self.w3.eth.get_transaction_count(self.address, "pending")
            tx = dict(self._fees(), type=2, chainId=self.chain_id, nonce=nonce, to=INBOX, value=0, gas=calldata_gas(data), data=data)
            tx_hash = self.w3.eth.send_raw_transaction(Account.sign_transaction(tx, self.key).raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
            if receipt["status"] != 1:
                raise SystemExit("a calldata batcher transaction failed on anvil")
            gas += int(receipt["gasUsed"])
        return Measured(len(datas), gas)

    def post_blobs(self, channels: Sequence[Sequence[Frame]]) -> Measured:
        measured = Measured(0, 0)
        frames = [frame for channel in channels for frame in channel]
        for start in range(0, len(frames), MAX_BLOBS_PER_TX):
            blobs = [encode_blob(encode_batcher_tx_data([frame])) for frame in frames[start:start + MAX_BLOBS_PER_TX]]
            nonce = self.w3.eth.get_transaction_count(self.address, "pending")
            tx = dict(self._fees(), chainId=self.chain_id, nonce=nonce, to=INBOX, value=0, gas=TX_BASE_GAS, data=b"",
                      maxFeePerBlobGas=max(2 * int(self.w3.eth.blob_base_fee), 1))
            signed = sign_blob_transaction(tx, self.key, blob_sidecar(blobs))
            receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(signed.network_form))
            measured.txs += 1
            measured.gas_used += int(receipt["gasUsed"])
            measured.blob_gas_used += int(receipt["blobGasUsed"])
            measured.blobs += len(blobs)
        return measured


class L1Decoder:
    """`FastLZHarness` on anvil: the L1 gas of decoding a channel's stream (eth_call)."""

    def __init__(self, w3: Web3, key: str) -> None:
        artifact = load_artifact("FastLZHarness")
        account = Account.from_key(key)
        factory = w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        tx = factory.constructor().build_transaction({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending")})
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(Account.sign_transaction(tx, key).raw_transaction))
        self.harness = w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))

    def _gas(self, call, expected: bytes) -> int:
        gas_used, length, digest = call.call({"gas": 1_000_000_000})
        if length != len(expected) or bytes(digest) != keccak(expected):
            raise SystemExit("the L1 decoder gave other bytes than the channel's content")
        return int(gas_used)

    def fastlz(self, stream: bytes, content: bytes) -> int:
        return self._gas(self.harness.functions.decompressGas(stream, READ_CAP), content)

    def copy(self, content: bytes) -> int:
        return self._gas(self.harness.functions.copyGas(content), content)

    def rle(self, stream: bytes, content: bytes) -> int:
        return self._gas(self.harness.functions.soladyCdDecompressGas(stream), content)


def cd_compress(data: bytes) -> bytes:
    """Solady's `LibZip.cdCompress` without its first-4-bytes negation (a dispatch trick for
    contract fallbacks, no use in a channel): runs of up to 128 0x00 / 32 0xff become 2 bytes."""
    out = bytearray()
    zeros = ones = 0
    for byte in data:
        if byte == 0 and ones:
            out += bytes((0, 0x80 + ones - 1))
            ones = 0
        elif byte == 0xFF and zeros:
            out += bytes((0, zeros - 1))
            zeros = 0
        if byte == 0:
            zeros += 1
            if zeros == 0x80:
                out += bytes((0, 0x7F))
                zeros = 0
            continue
        if byte == 0xFF:
            ones += 1
            if ones == 0x20:
                out += bytes((0, 0x9F))
                ones = 0
            continue
        if ones:
            out += bytes((0, 0x80 + ones - 1))
            ones = 0
        if zeros:
            out += bytes((0, zeros - 1))
            zeros = 0
        out.append(byte)
    if ones:
        out += bytes((0, 0x80 + ones - 1))
    if zeros:
        out += bytes((0, zeros - 1))
    return bytes(out)


def negate_selector(data: bytes) -> bytes:
    return bytes(b ^ 0xFF for b in data[:4]) + data[4:]


CANDIDATES = ("uncompressed", "rle (cdCompress)", "fastlz", "rle then fastlz")


def candidate_rows(contents: Sequence[bytes], decoder: L1Decoder | None) -> list[tuple[str, int, int | None, int | None]]:
    """(candidate, posted bytes, total L1 decode gas, largest channel's gas) over `contents`."""
    rows = []
    for name in CANDIDATES:
        posted, gas, largest = 0, 0, 0
        for content in contents:
            rle = cd_compress(content) if "rle" in name else b""
            stream = {"uncompressed": content, "rle (cdCompress)": rle, "fastlz": fastlz.compress(content),
                      "rle then fastlz": fastlz.compress(rle)}[name]
            frames = -(-(1 + len(stream)) // CALLDATA_FRAME_DATA)
            posted += 1 + len(stream) + frames * (1 + FRAME_OVERHEAD)  # version byte ++ frame per tx
            if decoder is None:
                continue
            if name == "uncompressed":
                channel_gas = decoder.copy(content)
            elif name == "fastlz":
                channel_gas = decoder.fastlz(stream, content)
            elif name == "rle (cdCompress)":
                channel_gas = decoder.rle(negate_selector(stream), content)
            else:
                channel_gas = decoder.fastlz(stream, rle) + decoder.rle(negate_selector(rle), content)
            gas += channel_gas
            largest = max(largest, channel_gas)
        rows.append((name, posted, gas if decoder else None, largest if decoder else None))
    return rows


# --- output ----------------------------------------------------------------------------------------


def _per_tx(gas: int | None, n: int) -> str:
    return "-" if gas is None else f"{gas / n:.0f}"


def intrinsic_gas(data: bytes) -> int:
    zeros = data.count(0)
    return TX_BASE_GAS + 16 * (len(data) - zeros) + 4 * zeros


def run(args: argparse.Namespace) -> None:
    anvil = None if args.no_anvil else AnvilProcess().start()
    try:
        poster = L1Poster(anvil) if anvil else None
        decoder = L1Decoder(poster.w3, poster.key) if poster else None
        if poster:
            info = anvil.rpc("anvil_nodeInfo")
            print(f"L1: anvil, hardfork {info.get('hardFork')} (EIP-7623 calldata floor applies from Prague)")
            blob_sidecar([encode_blob(b"warm up")])  # loads the KZG setup once, outside the figures
        for workload in args.workload:
            blocks, genesis = l2_blocks(workload, args.txs, args.block_size, args.senders)
            raw_tx_bytes = sum(len(tx.encode()) for block in blocks for tx in block.transactions[1:])
            n = args.txs
            limit = f", at most {args.max_channel_blocks} blocks" if args.max_channel_blocks else ""
            print(f"\n{workload}: {n} L2 txs in {len(blocks)} blocks of {args.block_size}; raw signed txs "
                  f"{raw_tx_bytes / n:.1f} B/tx; channels target {TARGET_CHANNEL_SIZE:,} B{limit}")
            rows = []
            baseline_bytes = None
            for name, compression, span in ENCODINGS:
                calldata = batch(blocks, genesis.chain_id, name, compression, span, CALLDATA_FRAME_DATA, args.max_channel_blocks)
                posted = calldata.posted_bytes()
                baseline_bytes = baseline_bytes or posted
                datas = calldata.calldata_txs()
                computed_intrinsic = sum(intrinsic_gas(d) for d in datas)
                computed_floor = sum(calldata_gas(d) for d in datas)
                measured = poster.post_calldata(datas) if poster else None
                blobs = batch(blocks, genesis.chain_id, name, compression, span, BLOB_FRAME_DATA, args.max_channel_blocks)
                blob_measured = poster.post_blobs(blobs.channels) if poster else None
                decode_gas = None
                if decoder is not None and compression is Compression.FASTLZ:
                    decode_gas = sum(decoder.fastlz(channel[1:], content)
                                     for channel, content in zip(calldata.channel_bytes(), calldata.contents))
                rows.append((name, calldata, posted, baseline_bytes, computed_intrinsic, computed_floor, measured, blob_measured, decode_gas))
            print(f"{'encoding':<16} {'chan':>4} {'uncompr B/tx':>12} {'posted B/tx':>11} {'vs base':>7} {'compress ms':>11}"
                  f" | {'calldata gas/tx: 16/4':>21} {'7623 floor':>10} {'anvil':>8} | {'blobs':>5} {'blob gas/tx':>11} {'exec gas/tx':>11}"
                  f" | {'L1 decode gas/tx':>16}")
            for name, calldata, posted, base, intrinsic, floor, measured, blob, decode_gas in rows:
                anvil_gas = f"{measured.gas_used / n:>8.0f}" if measured else f"{'-':>8}"
                blob_cols = (f"{blob.blobs:>5} {blob.blob_gas_used / n:>11.0f} {blob.gas_used / n:>11.0f}" if blob
                             else f"{'-':>5} {'-':>11} {'-':>11}")
                print(f"{name:<16} {len(calldata.channels):>4} {calldata.rlp_bytes / n:>12.1f} {posted / n:>11.1f} "
                      f"{posted / base:>7.3f} {calldata.compress_s * 1000:>11.1f} | {intrinsic / n:>21.0f} {floor / n:>10.0f} "
                      f"{anvil_gas} | {blob_cols} | {_per_tx(decode_gas, n):>16}")
            fastlz_span = next(row for row in rows if row[0] == "fastlz span")
            for density in ("fastlz span", "brotli span"):  # the canonical format; the densest
                posted_per_tx = next(row for row in rows if row[0] == density)[2] / n
                print(f"(a full blob, {BLOB_FRAME_DATA:,} B of frame data, at {density} density: {BLOB_FRAME_DATA / posted_per_tx:.0f} "
                      f"L2 txs, {GAS_PER_BLOB * posted_per_tx / BLOB_FRAME_DATA:.0f} blob gas per L2 tx)")
            limits = [None] + ([args.max_channel_blocks] if args.max_channel_blocks else [])
            print(f"L1-decodable candidates (span batches; decode gas measured on anvil, whole channels):")
            print(f"{'candidate':<18} {'channels':>16} {'posted B/tx':>11} {'L1 decode gas/tx':>16} {'largest channel gas':>19}")
            for limit_blocks in limits:
                contents = (fastlz_span[1].contents if limit_blocks == args.max_channel_blocks else
                            batch(blocks, genesis.chain_id, "fastlz span", Compression.FASTLZ, True, CALLDATA_FRAME_DATA).contents)
                label = f"{len(contents)} x " + (f"<={limit_blocks} blk" if limit_blocks else "100 KB")
                for name, cand_posted, gas, largest in candidate_rows(contents, decoder):
                    print(f"{name:<18} {label:>16} {cand_posted / n:>11.1f} {_per_tx(gas, n):>16} "
                          f"{'-' if largest is None else f'{largest:,}':>19}")
    finally:
        if anvil is not None:
            anvil.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--txs", type=int, default=500, help="L2 transactions per workload")
    parser.add_argument("--block-size", type=int, default=10, help="L2 transactions per L2 block")
    parser.add_argument("--senders", type=int, default=50, help="distinct senders")
    parser.add_argument("--workload", nargs="+", choices=tps.WORKLOADS, default=list(tps.WORKLOADS))
    parser.add_argument("--max-channel-blocks", type=int, default=None,
                        help="close channels at this many L2 blocks too (the batcher's devnet default is 10)")
    parser.add_argument("--no-anvil", action="store_true", help="skip the measured L1 gas (no anvil needed)")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
