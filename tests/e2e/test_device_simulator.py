"""`lantau devnet --simulate-devices 1`: after "Ready", three simulated devices of the sample
warehouse receipts (KCWR) sign a reserve reading every second and dev account 0, their issuer,
relays them and posts an epoch every three rounds (rwa/device_sim.py). An epoch lands on chain
with nine readings, the next rounds follow, every device's sequence numbers climb, and `lantau rwa reserve` shows the
attested reserve (the three bays' 40 pallets each, a scale reading up to 2% low: 118-120) and the
latest readings; the devnet then stops cleanly with the simulator running. A real devnet process
without L1, proposer or challenger (the simulator needs only the L2)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

from web3 import Web3

from genesis.artifacts import load_artifact
from genesis.predeploys import ASSET_FACTORY, DEVICE_REGISTRY
from rwa.device_sim import DEVNET_DEVICES, DEVNET_ROUNDS_PER_EPOCH
from rwa.devices import simulated_device
from tests.e2e.test_devnet_lifecycle import run_cli
from tests.harness.node_process import LantauNodeProcess


def test_devnet_simulated_devices_post_epochs_and_the_reserve_shows(node_factory: Callable[..., LantauNodeProcess], tmp_path: Path) -> None:
    data_dir = tmp_path / "devnet"
    devnet = node_factory(data_dir, command="devnet", block_time_s=0.5, startup_timeout_s=150.0,
                          extra_args=("--no-l1", "--no-proposer", "--no-challenger", "--simulate-devices", "1"))
    assert devnet.rpc_url is not None
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url, request_kwargs={"timeout": 30}))
    factory = w3.eth.contract(address=Web3.to_checksum_address(ASSET_FACTORY), abi=load_artifact("AssetFactory").abi)
    kcwr = factory.functions.assetByIdentifier("SAMPLE-KCWR-2026-07").call()
    registry = w3.eth.contract(address=Web3.to_checksum_address(DEVICE_REGISTRY), abi=load_artifact("DeviceRegistry").abi)

    def epochs() -> list[Any]:
        return list(registry.events.EpochPosted().get_logs(from_block=0, argument_filters={"asset": kcwr}))

    deadline = time.monotonic() + 60
    while not epochs():
        assert time.monotonic() < deadline, "no epoch within 60 s:\n" + devnet.output[-3000:]
        time.sleep(0.5)
    (first,) = epochs()[:1]
    assert first["args"]["count"] == DEVNET_DEVICES * DEVNET_ROUNDS_PER_EPOCH
    # Device 0 continues the sample issuance's sequence (its reading #1); devices 1 and 2 are new.
    devices = [simulated_device(kcwr, n).address for n in range(DEVNET_DEVICES)]
    assert registry.functions.devicesOf(kcwr).call() == devices
    assert registry.functions.device(devices[0]).call()[3] >= 1 + DEVNET_ROUNDS_PER_EPOCH
    assert registry.functions.device(devices[1]).call()[3] >= DEVNET_ROUNDS_PER_EPOCH

    shown = run_cli("rwa", "reserve", "KCWR", "--devnet", str(data_dir), "--json")
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["guard_enabled"] is True and view["refusal"] is None and view["supply_units"] == "100"
    assert 118 <= int(view["reserve_units"]) <= 120  # 40 a bay, each scale up to 2% low (floor of 0.8)
    latest = view["readings"]
    assert len(latest) == 10 and {r["device"] for r in latest} == set(devices)
    for device in devices:  # newest first: each device's sequence numbers fall down the list
        seen = [r["sequence"] for r in latest if r["device"] == device]
        assert seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen)
    # The simulator's readings (each bay's 40, up to 2% low); device 0's reading #1 is the sample
    # issuance's whole-stock reading (100), among the latest ten until a second round lands.
    simulated = [r for r in latest if not (r["device"] == devices[0] and r["sequence"] == 1)]
    assert len(simulated) >= DEVNET_DEVICES * DEVNET_ROUNDS_PER_EPOCH
    assert all(39 <= int(r["reserve_units"]) <= 40 for r in simulated)
    assert all(int(r["reserve_units"]) == 100 for r in latest if r not in simulated)
    assert "9 readings, root 0x" in devnet.output and "device simulator failed" not in devnet.output
    # Periodic: the next epoch's rounds follow (device 1 signs reading #4, #5...).
    while registry.functions.device(devices[1]).call()[3] <= DEVNET_ROUNDS_PER_EPOCH:
        assert time.monotonic() < deadline + 30, "no reading after the first epoch:\n" + devnet.output[-3000:]
        time.sleep(0.5)
    assert devnet.stop(timeout_s=30) == 0, devnet.output[-3000:]
