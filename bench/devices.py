"""L2 gas of device-attested data (`DeviceRegistry`): a mint of a warehouse receipt with the
reserve guard on, next to the same mint with it off (the baseline); registering a device,
attesting a reading, posting an epoch, and a challenge that voids a contradicted epoch.

    python bench/devices.py [--epoch-readings 100]

In process, on the devnet genesis, with `bench/rwa_mix.py`'s set-up (KYC'd traders holding the
0-decimal warehouse receipt, issuer = dev account 0). Trader 0 is the approved device operator
and aggregator. Each measured transaction is alone in its block, so the block's `gas_used` is its
gas (intrinsic included). An epoch has two devices' readings; its challenge shows a reading
that the posted tree commits with another value.
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Sequence  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402

import rwa_mix  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from genesis.predeploys import DEVICE_REGISTRY  # noqa: E402
from node.chain import Chain  # noqa: E402
from rwa.devices import EpochLeaf, EpochTree, reading_uid, reserve_reading, sign_reading, sign_registration  # noqa: E402

DEVICES = rwa_mix._contract("DeviceRegistry")
WAREHOUSE_RECEIPT_INDEX = 2  # rwa_mix.ASSETS: "Bench Warehouse Receipts"


def measure(epoch_readings: int) -> dict[str, int]:
    owner = Account.from_key(dev_accounts()[0].private_key)
    actors = rwa_mix.Actors(owner, tuple(rwa_mix._account(f"trader {i}") for i in range(rwa_mix.TRADERS)), (), ())
    genesis = rwa_mix.bench_genesis(list(actors.traders), 200)
    registry = rwa_mix._hex(DEVICE_REGISTRY)
    devices = [rwa_mix._account(f"device {i}") for i in range(2)]
    operator, receiver = actors.traders[0], actors.traders[1].address
    gas: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="lantau-devices-gas-") as data_dir:
        bench = rwa_mix.Bench(Chain.open(Path(data_dir), genesis), genesis)
        try:
            signer = rwa_mix.Signer(genesis.chain_id)
            receipt_token = rwa_mix.set_up(bench, signer, actors)[WAREHOUSE_RECEIPT_INDEX]

            def alone(account: Account, to: str, data: str, label: str) -> None:
                built = bench.build(rwa_mix._decode([signer.sign(account, to, data, gas=5_000_000)]))
                if not built.computations[0].is_success:
                    raise SystemExit(f"{label} failed: {built.computations[0].error}")
                gas[label] = built.header.gas_used

            mint = rwa_mix.TOKEN.encode_abi("mint", [receiver, 1])
            alone(owner, receipt_token, mint, "mint, guard off (baseline)")
            alone(owner, registry, DEVICES.encode_abi("setOperatorApproved", [receipt_token, operator.address, True]), "approve operator")
            alone(owner, registry, DEVICES.encode_abi("setAggregatorApproved", [receipt_token, operator.address, True]), "approve aggregator")
            for i, device in enumerate(devices):
                proof = sign_registration(device, operator.address, receipt_token, genesis.chain_id)
                alone(operator, registry, DEVICES.encode_abi("registerDevice", [device.address, receipt_token, proof]), f"register device {i}")
            alone(owner, registry, DEVICES.encode_abi("enableReserveGuard", [receipt_token]), "enable reserve guard")
            now = bench.chain.head.timestamp
            reading = reserve_reading(devices[0], receipt_token, 10**9, sequence=1, time=now, valid_for_s=86_400)
            signature = sign_reading(devices[0], reading, genesis.chain_id)
            alone(operator, registry, DEVICES.encode_abi("attest", [reading.as_tuple(), signature]), "attest a reserve reading")
            alone(owner, receipt_token, mint, "mint, guard on")

            start = bench.chain.head.timestamp
            signed = [reserve_reading(devices[n % 2], receipt_token, 10**9 - n, sequence=2 + n // 2, time=start, valid_for_s=86_400)
                      for n in range(epoch_readings)]
            honest = signed[0]
            lied = reserve_reading(devices[0], receipt_token, 1, sequence=honest.sequence, time=start, valid_for_s=86_400)
            leaves = [EpochLeaf(r.device, r.sequence, reading_uid(r, genesis.chain_id)) for r in [lied, *signed[1:]]]
            tree = EpochTree(leaves)
            bench.build(rwa_mix._decode([signer.sign(owner, owner.address, value=1, gas=21_000)]))  # the epoch ends
            end = bench.chain.head.timestamp
            alone(operator, registry, DEVICES.encode_abi("postEpoch", [receipt_token, 1, start, end, len(leaves), tree.root]),
                  f"post an epoch of {epoch_readings} readings")
            index = next(i for i, leaf in enumerate(tree.leaves) if leaf.device == honest.device and leaf.sequence == honest.sequence)
            evidence = sign_reading(devices[0], honest, genesis.chain_id)
            alone(actors.traders[2], registry, DEVICES.encode_abi("challengeContradiction", [receipt_token, 1, honest.as_tuple(), evidence, tree.proof(index)]),
                  "challenge a contradicted epoch")
        finally:
            bench.chain.close()
    return gas


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epoch-readings", type=int, default=100)
    args = parser.parse_args(argv)
    gas = measure(args.epoch_readings)
    baseline = gas["mint, guard off (baseline)"]
    for label, used in gas.items():
        print(f"{label:<40} {used:>10,}")
    guarded = gas["mint, guard on"]
    print(f"reserve guard on a mint: +{guarded - baseline:,} gas ({guarded / baseline:.2f}x the unguarded mint)")


if __name__ == "__main__":
    main()
