"""L1 gas of deciding one L2 block by all its user transactions (docs/batches.md "One L2 block's
user transactions"): the block alone in its channel, every transaction checked, rebuilt in its
EIP-2718 bytes and hashed on L1, as `InputOracle.checkInputs` decides the block its batch carries.

    python bench/block_checks.py [--sizes 500 1000 1200] [--kinds transfer erc20 ...] [--singular]

Kinds: `transfer` (EIP-1559 HKD transfer), `erc20` (an ERC-20 `transfer` call), `legacy` (EIP-155
transfer), `access` (0x01 with an access list of one address and two slots, 36 B of calldata),
`calldata` (EIP-1559 with `--data-bytes` random calldata each), `zeros` (the same, zero bytes: a
channel that compresses to little and decodes to much). `BatchReaderHarness.channelBlockGas`
(`decodeSingular` for a singular batch) measures the channel read (FastLZ, framing) and the
batch's decode with every transaction checked and rebuilt, without the calldata carrying it (the
checkInputs before the found batch's transactions went unchecked); `foundBlockGas` what
`InputOracle.checkInputs` now runs (`foundSpanBlock` / `foundSingular`); `stepBatchGas` what
`DerivationStep.step` runs on the L1 block reading the channel (`decodeSpanOverlap`, every
transaction checked, none rebuilt; `decodeSingular`). Each L1 transaction is modelled as in
bench/span_checks.py (`leaf_gas`: the channel's calldata as EIP-7623 charges it, plus the oracle's
other work, 485,966), against 0.9 of EIP-7825's 16,777,216.
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402
from web3 import Web3  # noqa: E402

from bench.span_checks import CHAIN_ID, READ_CAP, SENDERS, TOKEN, leaf_gas, signed  # noqa: E402
from bridge.anvil import AnvilOptions, AnvilProcess  # noqa: E402
from node.batches import SingularBatch, SpanBatch, SpanBatchElement, encode_batch  # noqa: E402
from node.channels import encode_channel  # noqa: E402
from prover.staged_step import EIP_7825_TX_GAS_CAP  # noqa: E402
from tests.harness.evm import Contracts, dev_keys  # noqa: E402

KINDS = ("transfer", "erc20", "legacy", "access", "calldata", "zeros")
BUDGET = EIP_7825_TX_GAS_CAP * 9 // 10


def one_transaction(kind: str, nonce: int, rng: random.Random, data_bytes: int) -> bytes:
    if kind in ("transfer", "erc20"):
        return signed(kind, nonce, rng)
    sender, to = SENDERS[nonce % 6], SENDERS[(nonce + 1) % 6]
    tx: dict[str, Any] = {"nonce": nonce, "chainId": CHAIN_ID, "gas": 100_000, "to": to.address, "value": rng.randrange(1, 10**18)}
    if kind == "legacy":
        tx |= {"gasPrice": 2 * 10**9, "gas": 21_000}
    elif kind == "access":
        slots = ["0x" + rng.randbytes(32).hex() for _ in range(2)]
        tx |= {"type": 1, "gasPrice": 2 * 10**9, "to": TOKEN, "data": rng.randbytes(36),
               "accessList": [{"address": TOKEN, "storageKeys": slots}]}
    else:
        data = rng.randbytes(data_bytes) if kind == "calldata" else bytes(data_bytes)
        tx |= {"type": 2, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**6, "to": TOKEN, "data": data,
               "gas": 21_000 + 16 * data_bytes}
    return bytes(Account.sign_transaction(tx, sender.private_key).raw_transaction)


def block_channel(kind: str, txs: int, data_bytes: int, singular: bool) -> tuple[bytes, int]:
    """The channel of one block of `txs` transactions of `kind`; the transactions' total bytes."""
    rng = random.Random(txs)
    raws = tuple(one_transaction(kind, n, rng, data_bytes) for n in range(txs))
    if singular:
        batch = encode_batch(SingularBatch(bytes(32), 1000, bytes(32), 1_750_000_000, raws))
    else:
        batch = encode_batch(SpanBatch(CHAIN_ID, bytes(20), bytes(20), True, (SpanBatchElement(1_750_000_000, 1000, raws),)))
    return encode_channel([batch]), sum(len(raw) for raw in raws)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 1200])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--data-bytes", type=int, default=120)
    parser.add_argument("--singular", action="store_true", help="singular batches (the batcher's span_batches off)")
    args = parser.parse_args()
    with AnvilProcess(AnvilOptions(extra_args=("--gas-limit", "3000000000"))) as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 600}))
        harness = Contracts(w3=w3, anvil=anvil, keys=dev_keys()).deploy("BatchReaderHarness")
        form = "singular" if args.singular else "span"
        print(f"one block, {form} batch; budget 0.9 x {EIP_7825_TX_GAS_CAP:,} = {BUDGET:,} gas")
        print("| kind | txs | tx bytes | channel B | checked + rebuilt | oracle (found) | step's decode | oracle L1 tx | step L1 tx | both fit 0.9 |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        call = {"gas": 2_900_000_000}
        for kind in args.kinds:
            for txs in args.sizes:
                channel, tx_bytes = block_channel(kind, txs, args.data_bytes, args.singular)
                decided, _ = harness.functions.channelBlockGas(channel, READ_CAP, CHAIN_ID, 0).call(transaction=call)
                found, _ = harness.functions.foundBlockGas(channel, READ_CAP, CHAIN_ID, 0).call(transaction=call)
                step = harness.functions.stepBatchGas(channel, READ_CAP, CHAIN_ID).call(transaction=call)
                oracle, stepped = leaf_gas(channel, found), leaf_gas(channel, step)
                print(f"| {kind} | {txs:,} | {tx_bytes:,} | {len(channel):,} | {decided:,} | {found:,} | {step:,} | {oracle:,} | "
                      f"{stepped:,} | {'yes' if max(oracle, stepped) <= BUDGET else 'no'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
