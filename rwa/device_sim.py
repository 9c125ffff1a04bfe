"""The device simulator (`lantau device simulate`, `lantau devnet --simulate-devices`): simulated
devices of one asset (one scale per warehouse bay) sign reserve readings, and the signer, as
their operator and the asset's aggregator, relays each reading as an attestation and posts an
epoch of them (with its bond) every `rounds_per_epoch` rounds; bonds of final epochs are taken
back as it goes.

Readings are plausible: each device measures its bay's share of `reserve_units`, up to 2% low
(never high: a scale that over-reads would let the issuer mint past the stock), with the device's
next sequence number (read from the registry, so a rerun continues) and the chain's clock. The
device keys are `rwa.devices.simulated_device`: public on purpose, never for a real device."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from rwa.client import RWAClient
from rwa.device_client import DeviceNetwork
from rwa.devices import Reading, reserve_reading, simulated_device
from rwa.types import AssetInfo

log = logging.getLogger("lantau.devices")

#: What `lantau devnet --simulate-devices` runs: the sample warehouse receipts' three bays
#: (100 pallets issued; the devices count 120 in stock), an epoch every three rounds.
DEVNET_ASSET = "KCWR"
DEVNET_DEVICES = 3
DEVNET_RESERVE_UNITS = 120
DEVNET_ROUNDS_PER_EPOCH = 3
DEVNET_VALID_FOR_S = 3_600


@dataclass(frozen=True, slots=True)
class SimulationPlan:
    devices: int
    reserve_units: int  # the stock the devices measure together, in token base units
    rounds_per_epoch: int  # readings per device in each epoch
    valid_for_s: int  # how long each reading stays valid
    interval_s: float = 0.0  # pause between rounds
    epochs: int = 1  # 0: until stopped
    seed: int = 0


@dataclass(frozen=True, slots=True)
class PostedEpoch:
    epoch: int
    readings: int
    root: bytes
    block_number: int


class DeviceSimulator:
    def __init__(self, client: RWAClient, asset: AssetInfo, plan: SimulationPlan, *, report: Callable[[str], None] = log.info) -> None:
        self.client, self.asset, self.plan, self.report = client, asset, plan, report
        self.network = DeviceNetwork(client)
        self.devices: list[LocalAccount] = [simulated_device(asset.address, n) for n in range(plan.devices)]
        # One bay each; the first takes the remainder.
        self.shares = [plan.reserve_units // plan.devices + (plan.reserve_units % plan.devices if n == 0 else 0) for n in range(plan.devices)]
        self._noise = random.Random(plan.seed)
        self._unreleased: list[int] = []  # epochs whose bond is still held

    def set_up(self, *, guard: bool) -> None:
        """The asset's owner approves itself as operator and aggregator (and turns the guard on
        with `guard`); the simulated devices not yet registered are registered."""
        registry, asset, me = self.network.registry.functions, self.asset.address, self.client.address
        if self.asset.owner == me:
            if not registry.isOperatorApproved(asset, me).call():
                self.network.approve_operator(asset, me)
            if not registry.isAggregatorApproved(asset, me).call():
                self.network.approve_aggregator(asset, me)
            if guard and not registry.reserveGuardEnabled(asset).call():  # on from creation for receipts and metal
                self.network.enable_reserve_guard(asset)
        for device in self.devices:
            if self.network.device_asset(device.address) is None:
                self.network.register_device(asset, device)
                self.report(f"registered device {device.address}")

    def reading_round(self) -> list[Reading]:
        """Each device signs one reading, relayed as an attestation."""
        now = self.client.chain_time()
        signed = []
        for device, share in zip(self.devices, self.shares):
            value = share - self._noise.randint(0, share // 50)  # a scale reads up to 2% low, never high
            reading = reserve_reading(device, self.asset.address, value, sequence=self.network.last_sequence(device.address) + 1,
                                      time=now, valid_for_s=self.plan.valid_for_s)
            signed.append((device, reading))
        self.network.attest_all(signed)  # distinct devices: independent, sent back to back
        for device, reading in signed:
            value = int.from_bytes(reading.data, "big")
            self.report(f"{device.address} #{reading.sequence}: {format(self.asset.to_tokens(value).normalize(), ',f')} {self.asset.symbol}")
        return [reading for _, reading in signed]

    def post_epoch(self, start: int, readings: list[Reading]) -> PostedEpoch:
        """Posts the epoch of `readings` (time from `start` to a block after the last), numbered by its end."""
        end = self.client.wait_for_chain_time(self.client.chain_time() + 1)
        tree, receipt = self.network.post_epoch(self.asset.address, end, start, end, readings)
        self._unreleased.append(end)
        posted = PostedEpoch(end, len(readings), tree.root, int(receipt["blockNumber"]))
        self.report(f"epoch {posted.epoch}: {posted.readings} readings, root 0x{posted.root.hex()} (block {posted.block_number})")
        return posted

    def release_final_bonds(self) -> None:
        """Takes back the bonds of epochs past their challenge window (unchallenged)."""
        registry = self.network.registry.functions
        for epoch in list(self._unreleased):
            if registry.epochFinal(self.asset.address, epoch).call():
                self.network.release_epoch_bond(self.asset.address, epoch)
                self._unreleased.remove(epoch)
                self.report(f"epoch {epoch} final: bond released")

    def run(self, stop: threading.Event | None = None) -> list[PostedEpoch]:
        """`plan.epochs` epochs (0: until `stop` is set), `plan.interval_s` between rounds."""
        stop = stop or threading.Event()
        posted: list[PostedEpoch] = []
        while not stop.is_set() and (self.plan.epochs == 0 or len(posted) < self.plan.epochs):
            start = self.client.chain_time()
            readings: list[Reading] = []
            for n in range(self.plan.rounds_per_epoch):
                if n and stop.wait(self.plan.interval_s):
                    break
                readings += self.reading_round()
            if readings:
                posted.append(self.post_epoch(start, readings))
            self.release_final_bonds()
            if self.plan.epochs != 1 and stop.wait(self.plan.interval_s):
                break
        return posted


def run_devnet_simulation(l2_rpc_url: str, private_key: str, interval_s: float, stop: threading.Event) -> None:
    """Blocking, until `stop`: the devnet's simulated devices of the sample warehouse receipts
    (`DEVNET_*`), signed by `private_key` (the devnet: dev account 0, their issuer)."""
    client = RWAClient.connect(l2_rpc_url, private_key)
    info = client.asset(DEVNET_ASSET)
    plan = SimulationPlan(DEVNET_DEVICES, DEVNET_RESERVE_UNITS * 10**info.decimals, DEVNET_ROUNDS_PER_EPOCH, DEVNET_VALID_FOR_S,
                          interval_s=interval_s, epochs=0)
    simulator = DeviceSimulator(client, info, plan)
    simulator.set_up(guard=True)
    simulator.run(stop)
