"""L1 gas of reading the batcher's blob data on L1 with `BlobReader` (contracts/src/L1/derive/,
docs/batches.md "Blob data on L1"): the blob's first half as calldata, two point evaluations.

    python bench/blob_reader.py [--fills 1000 46000 65020]

Two anvils: one at its default hardfork (Prague's EIP-7623 calldata floor: 10 gas per calldata
token, a non-zero byte 4 tokens), where the figure is what an L1 transaction pays, and one at
`--hardfork cancun` (no floor), where a call's gas less its intrinsic gas (21,000 + 16 per
non-zero and 4 per zero calldata byte) is the work the contract does. For blobs carrying
`--fills` bytes of random data (the batcher's FastLZ frames are near random), by `eth_estimateGas`:

- `read` (verify + decode), the whole L1 transaction, at the default hardfork; its calldata bytes
  and their gas alone (`bridge.tx_manager.calldata_gas`, intrinsic or floor);
- the execution gas at cancun of `read` and of its parts: `challenge` (keccak256 of C, C_q and
  the half), `evaluate` (h at r, barycentric, 2,048 elements), `decode`; the two point
  evaluations are the rest of `verify` (2 x 50,000);

beside the same figures before the half rule (the whole 131,072-byte blob shown, one point
evaluation at EIP-4844's challenge, 4,096 elements evaluated: measured at 30f8783, printed as
recorded), and two baselines: reading the blob element by element through the precompile (OP's
preimage oracle's way: one point evaluation per 32-byte element, measured once as a transaction
to 0x0a, times 4,096), and the same data posted as a calldata batcher transaction (its calldata
gas: what the dispute pays to show a kind-0 item). Nothing is asserted about time.
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

import ckzg  # noqa: E402
from web3 import Web3  # noqa: E402

from bridge.anvil import AnvilOptions, AnvilProcess  # noqa: E402
from bridge.tx_manager import TX_BASE_GAS, calldata_gas  # noqa: E402
from node.blobs import FIELD_ELEMENTS_PER_BLOB, HALF_SIZE, encode_blob, kzg_commitment, kzg_trusted_setup, versioned_hash  # noqa: E402
from node.derive.l1_source import InboxTransaction  # noqa: E402
from prover.blob_evidence import blob_evidence  # noqa: E402
from tests.harness.evm import Contracts, dev_keys  # noqa: E402

POINT_EVALUATION = "0x000000000000000000000000000000000000000A"

#: Before the half rule (30f8783, the same anvil and fills): `read` tx gas, its calldata bytes, its
#: execution at cancun, and the parts (challenge = sha256 of the blob, evaluate = 4,096 elements).
BEFORE = {
    1_000: {"read tx": 1_917_976, "read calldata bytes": 131_556, "read calldata": 1_372_020, "read exec": 1_353_858, "challenge exec": 108_662,
            "evaluate exec": 906_808, "decode exec": 288_004},
    46_000: {"read tx": 2_726_340, "read calldata bytes": 131_556, "read calldata": 2_726_340, "read exec": 1_420_441, "challenge exec": 108_662,
             "evaluate exec": 906_808, "decode exec": 383_476},
    130_044: {"read tx": 5_256_720, "read calldata bytes": 131_556, "read calldata": 5_256_720, "read exec": 1_543_784, "challenge exec": 108_662,
              "evaluate exec": 906_808, "decode exec": 643_494},
}


def intrinsic_gas(data: bytes) -> int:
    """Cancun's intrinsic gas of a call carrying `data` (no floor)."""
    zeros = data.count(0)
    return TX_BASE_GAS + 16 * (len(data) - zeros) + 4 * zeros


def call_gas(w3: Web3, call: Any) -> tuple[int, bytes]:
    data = bytes.fromhex(call._encode_transaction_data().removeprefix("0x"))
    return int(w3.eth.estimate_gas({"to": call.address, "data": data})), data


def measure(prague: Contracts, reader: Any, cancun: Contracts, reader_c: Any, fill: int, rng: random.Random) -> dict[str, int]:
    data = rng.randbytes(fill)
    blob = encode_blob(data)
    hashes = (versioned_hash(kzg_commitment(blob)),)
    evidence = blob_evidence(InboxTransaction(0, b"\x00" * 20, b"", 3, hashes), [blob])[0]
    row: dict[str, int] = {}
    read_gas, read_data = call_gas(prague.w3, reader.functions.read(*evidence.read_args()))
    if bytes(reader.functions.read(*evidence.read_args()).call()) != data:
        raise SystemExit("BlobReader read other bytes than the blob carries")
    row["read tx"] = read_gas
    row["read calldata bytes"] = len(read_data)
    row["read calldata"] = calldata_gas(read_data)
    o = evidence.opening
    r = reader_c.functions.challenge(o.commitment, o.quotient_commitment, evidence.half).call()
    for name, call in (("read", reader_c.functions.read(*evidence.read_args())),
                       ("challenge", reader_c.functions.challenge(o.commitment, o.quotient_commitment, evidence.half)),
                       ("evaluate", reader_c.functions.evaluate(evidence.half, r)),
                       ("decode", reader_c.functions.decode(evidence.half))):
        gas, sent = call_gas(cancun.w3, call)
        row[f"{name} exec"] = gas - intrinsic_gas(sent)
    row["same data as calldata"] = calldata_gas(b"\x00" + data)
    return row


def element_by_element(w3: Web3) -> int:
    """One point evaluation as an L1 transaction (element 0 of a blob, opened at ω^0 = 1)."""
    blob = encode_blob(b"\x01" * 1000)
    commitment = kzg_commitment(blob)
    proof, y = ckzg.compute_kzg_proof(blob, (1).to_bytes(32, "big"), kzg_trusted_setup())
    payload = bytes(versioned_hash(commitment)) + (1).to_bytes(32, "big") + bytes(y) + commitment + bytes(proof)
    return int(w3.eth.estimate_gas({"to": POINT_EVALUATION, "data": payload}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fills", type=int, nargs="+", default=[1_000, 46_000, 65_020])
    args = parser.parse_args()
    gas_limit = ("--gas-limit", "100000000")
    with AnvilProcess(AnvilOptions(extra_args=gas_limit)) as default, \
            AnvilProcess(AnvilOptions(extra_args=(*gas_limit, "--hardfork", "cancun"))) as old:
        prague = Contracts(w3=Web3(Web3.HTTPProvider(default.rpc_url, request_kwargs={"timeout": 120})), anvil=default, keys=dev_keys())
        cancun = Contracts(w3=Web3(Web3.HTTPProvider(old.rpc_url, request_kwargs={"timeout": 120})), anvil=old, keys=dev_keys())
        print(f"L1: anvil, hardforks {default.rpc('anvil_nodeInfo').get('hardFork')} and {old.rpc('anvil_nodeInfo').get('hardFork')}")
        kzg_trusted_setup()
        rng = random.Random(4844)
        reader, reader_c = prague.deploy("BlobReader"), cancun.deploy("BlobReader")
        one = element_by_element(prague.w3)
        print(f"baseline, element by element: one point-evaluation transaction {one:,} gas x {FIELD_ELEMENTS_PER_BLOB} "
              f"elements = {one * FIELD_ELEMENTS_PER_BLOB:,} gas a blob")
        columns = ("read tx", "read calldata bytes", "read calldata", "read exec", "challenge exec", "evaluate exec", "decode exec",
                   "same data as calldata")
        print(f"shown: the blob's first half ({HALF_SIZE:,} B), C, C_q, y, y_q and two proofs")
        print(f"{'data bytes':>10} | " + " | ".join(f"{c:>21}" for c in columns))
        for fill in args.fills:
            row = measure(prague, reader, cancun, reader_c, fill, rng)
            print(f"{fill:>10} | " + " | ".join(f"{row[c]:>21,}" for c in columns))
        print("before (30f8783: the whole 131,072-byte blob shown, one point evaluation, 4,096 elements evaluated):")
        for fill, before in BEFORE.items():
            print(f"{fill:>10} | " + " | ".join(f"{before[c]:>21,}" if c in before else f"{'':>21}" for c in columns))


if __name__ == "__main__":
    main()
