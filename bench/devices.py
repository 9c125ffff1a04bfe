"""L2 gas of device-attested data (`DeviceRegistry`): a mint of a warehouse receipt under the
reserve guard (on from creation for warehouse receipts; the reserve is summed over the asset's
devices: 3, then the 32 allowed), next to a mint of the HK stock, which has no guard (the
baseline); registering a device, attesting a reading, posting an epoch (with its bond), and a
challenge that voids a contradicted epoch and slashes its aggregator.

    python bench/devices.py [--epoch-readings 100]

In process, on the devnet genesis, with `bench/rwa_mix.py`'s set-up (KYC'd traders holding the
0-decimal warehouse receipt and HK stock, issuer = dev account 0; the set-up's scale attests the
receipts' first reserve). Trader 0 is the approved device operator and aggregator. Each measured transaction is alone in its block, so the block's `gas_used` is its
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
EPOCH_BOND_WEI = 100 * 10**18  # DeviceRegistry.EPOCH_BOND_WEI
MAX_DEVICES_PER_ASSET = 32  # DeviceRegistry.MAX_DEVICES_PER_ASSET
HK_STOCK_INDEX, WAREHOUSE_RECEIPT_INDEX = 1, 2  # rwa_mix.ASSETS: "Bench HK Stock", "Bench Warehouse Receipts"


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
            assets = rwa_mix.set_up(bench, signer, actors)
            stock, receipt_token = assets[HK_STOCK_INDEX], assets[WAREHOUSE_RECEIPT_INDEX]

            def alone(account: Account, to: str, data: str, label: str, value: int = 0) -> None:
                built = bench.build(rwa_mix._decode([signer.sign(account, to, data, value=value, gas=5_000_000)]))
                if not built.computations[0].is_success:
                    raise SystemExit(f"{label} failed: {built.computations[0].error}")
                gas[label] = built.header.gas_used

            mint = rwa_mix.TOKEN.encode_abi("mint", [receiver, 1])
            alone(owner, stock, mint, "mint, no guard (baseline)")
            alone(owner, registry, DEVICES.encode_abi("setOperatorApproved", [receipt_token, operator.address, True]), "approve operator")
            alone(owner, registry, DEVICES.encode_abi("setAggregatorApproved", [receipt_token, operator.address, True]), "approve aggregator")
            for i, device in enumerate(devices):
                proof = sign_registration(device, operator.address, receipt_token, genesis.chain_id)
                alone(operator, registry, DEVICES.encode_abi("registerDevice", [device.address, receipt_token, proof]), f"register device {i}")
            now = bench.chain.head.timestamp
            reading = reserve_reading(devices[0], receipt_token, 10**9, sequence=1, time=now, valid_for_s=86_400)
            signature = sign_reading(devices[0], reading, genesis.chain_id)
            alone(operator, registry, DEVICES.encode_abi("attest", [reading.as_tuple(), signature]), "attest a reserve reading")
            again = reserve_reading(devices[0], receipt_token, 10**9, sequence=2, time=now, valid_for_s=86_400)
            alone(operator, registry, DEVICES.encode_abi("attest", [again.as_tuple(), sign_reading(devices[0], again, genesis.chain_id)]),
                  "attest the device's next reading")
            alone(owner, receipt_token, mint, "mint, guard on (3 devices)")

            start = bench.chain.head.timestamp
            signed = [reserve_reading(devices[n % 2], receipt_token, 10**9 - n, sequence=3 + n // 2, time=start, valid_for_s=86_400)
                      for n in range(epoch_readings)]
            honest = signed[0]
            lied = reserve_reading(devices[0], receipt_token, 1, sequence=honest.sequence, time=start, valid_for_s=86_400)
            leaves = [EpochLeaf(r.device, r.sequence, reading_uid(r, genesis.chain_id)) for r in [lied, *signed[1:]]]
            tree = EpochTree(leaves)
            bench.build(rwa_mix._decode([signer.sign(owner, owner.address, value=1, gas=21_000)]))  # the epoch ends
            end = bench.chain.head.timestamp
            alone(operator, registry, DEVICES.encode_abi("postEpoch", [receipt_token, 1, start, end, len(leaves), tree.root]),
                  f"post an epoch of {epoch_readings} readings", value=EPOCH_BOND_WEI)
            index = next(i for i, leaf in enumerate(tree.leaves) if leaf.device == honest.device and leaf.sequence == honest.sequence)
            evidence = sign_reading(devices[0], honest, genesis.chain_id)
            alone(actors.traders[2], registry, DEVICES.encode_abi("challengeContradiction", [receipt_token, 1, honest.as_tuple(), evidence, tree.proof(index)]),
                  "challenge a contradicted epoch")
            # The most devices an asset may have, each with a standing reading: the guard sums them all.
            now = bench.chain.head.timestamp
            extra = [rwa_mix._account(f"device {i}") for i in range(len(devices) + 1, MAX_DEVICES_PER_ASSET)]
            bench.build(rwa_mix._decode([
                signer.sign(operator, registry, DEVICES.encode_abi("registerDevice", [
                    d.address, receipt_token, sign_registration(d, operator.address, receipt_token, genesis.chain_id)]), gas=300_000)
                for d in extra]))
            readings = [reserve_reading(d, receipt_token, 1_000, sequence=1, time=now, valid_for_s=86_400) for d in extra]
            bench.build(rwa_mix._decode([
                signer.sign(operator, registry, DEVICES.encode_abi("attest", [r.as_tuple(), sign_reading(d, r, genesis.chain_id)]), gas=500_000)
                for d, r in zip(extra, readings)]))
            alone(owner, receipt_token, mint, f"mint, guard on ({MAX_DEVICES_PER_ASSET} devices)")
            # Batch mints: the guard runs on every holder's mint (Compliance asks it per mint). The
            # most holders one batchMint takes under the L2's proof-cost caps, in steps of 10.
            for token, label in ((stock, "no guard (baseline)"), (receipt_token, f"guard on ({MAX_DEVICES_PER_ASSET} devices)")):
                for holders in range(10, rwa_mix.TRADERS + 1, 10):
                    to = [t.address for t in actors.traders[:holders]]
                    batch = rwa_mix.TOKEN.encode_abi("batchMint", [to, [1] * holders])
                    parent = bench.chain.head
                    attributes = rwa_mix.BlockAttributes(timestamp=parent.timestamp + 1, fee_recipient=genesis.coinbase,
                                                         prev_randao=rwa_mix.PREV_RANDAO, gas_limit=genesis.gas_limit)
                    built = bench.chain.build_block(parent, attributes, rwa_mix._decode([signer.sign(owner, token, batch, gas=25_000_000)]))
                    if not built.computations[0].is_success:
                        break
                    gas[f"batchMint, {label}: {holders} holders"] = built.header.gas_used
        finally:
            bench.chain.close()
    return gas


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epoch-readings", type=int, default=100)
    args = parser.parse_args(argv)
    gas = measure(args.epoch_readings)
    baseline = gas["mint, no guard (baseline)"]
    for label, used in gas.items():
        print(f"{label:<48} {used:>10,}")
    for label in ("no guard (baseline)", f"guard on ({MAX_DEVICES_PER_ASSET} devices)"):
        fitted = [int(k.rsplit(" ", 2)[-2]) for k in gas if k.startswith(f"batchMint, {label}:")]
        print(f"batchMint, {label}: at most {max(fitted, default=0)} holders a transaction (in steps of 10) under the proof-cost caps")
    for devices in (3, MAX_DEVICES_PER_ASSET):
        guarded = gas[f"mint, guard on ({devices} devices)"]
        print(f"reserve guard on a mint, {devices} devices: +{guarded - baseline:,} gas ({guarded / baseline:.2f}x the unguarded mint)")


if __name__ == "__main__":
    main()
