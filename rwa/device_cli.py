"""Device-attested asset data from the command line (DeviceRegistry):

    lantau rwa reserve ASSET                  # the attested reserve, the guard, the latest readings
    lantau device simulate ASSET --devices 3 --rounds 5 --reserve 1000
        # simulated devices (one scale per bay) split --reserve between them and sign reserve
        # readings (monotonic sequence numbers, each up to 2% under its bay's share; the attested
        # reserve is their sum) and the signer, as operator and aggregator, relays them and
        # posts the run's epoch (with its bond)

The simulator's device keys are derived from the asset and the device's number
(keccak("lantau-device-sim/<asset>/<n>")): public on purpose, so a rerun continues the same
devices' sequences; never use them for a real device. The signer (`--key`) must be the asset's
owner (who approves itself as operator and aggregator) or already approved, and KYC'd.
Connection and keys as every `lantau rwa` command (`--devnet DIR` or `--l2-rpc URL`, `--key`).
"""

from __future__ import annotations

import json
import random
from typing import Annotated

import typer
from rich.table import Table

from rwa import parse_decimal_amount
from rwa.cli import DevnetDir, JsonOpt, KeyOpt, L2RpcOpt, _client, _date, _run, _tokens, out, rwa_app
from rwa.device_client import DeviceNetwork
from rwa.devices import reserve_reading, simulated_device

device_app = typer.Typer(help="Devices that sign an asset's data: the simulator.", no_args_is_help=True)

AssetArg = Annotated[str, typer.Argument(help="Asset address, identifier or symbol.")]


@rwa_app.command("reserve")
def reserve_command(asset: AssetArg, as_json: JsonOpt = False, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None) -> None:
    """An asset's attested reserve (what its devices sign), its reserve guard and latest readings."""
    client = _client(devnet, l2_rpc)

    def show() -> None:
        info = client.asset(asset)
        network = DeviceNetwork(client)
        view = network.reserve(info.address)
        readings = network.latest_readings(info.address)
        if as_json:
            typer.echo(json.dumps({
                "asset": info.address, "guard_enabled": view.guard_enabled, "supply_units": str(view.total_supply),
                "reserve_units": None if view.reserve is None else str(view.reserve),
                "expires": view.expiration_time, "refusal": view.refusal,
                "readings": [{"uid": "0x" + r.uid.hex(), "device": r.device, "sequence": r.sequence, "time": r.time,
                              "reserve_units": None if r.reserve is None else str(r.reserve), "revoked": r.revoked} for r in readings],
            }, indent=2))
            return
        guard = "on" if view.guard_enabled else "off"
        if view.reserve is None:
            out.print(f"{info.symbol}: no attested reserve counts ({view.refusal}); supply {_tokens(info, view.total_supply)}; guard {guard}")
        else:
            assert view.expiration_time is not None
            out.print(f"{info.symbol}: attested reserve {_tokens(info, view.reserve)} until {_date(view.expiration_time)}; "
                      f"supply {_tokens(info, view.total_supply)}; guard {guard}")
        table = Table("time", "device", "seq", "reserve", "revoked")
        for r in readings:
            table.add_row(_date(r.time), r.device, str(r.sequence), "—" if r.reserve is None else _tokens(info, r.reserve), "yes" if r.revoked else "")
        out.print(table)

    _run(show)


@device_app.command("simulate")
def simulate_command(
    asset: AssetArg,
    devices: Annotated[int, typer.Option("--devices", min=1, max=16, help="Simulated devices.")] = 3,
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=100, help="Readings per device.")] = 3,
    reserve: Annotated[str, typer.Option("--reserve", help="The stock the devices measure, in whole tokens.")] = "1000",
    valid_for_s: Annotated[int, typer.Option("--valid-for", min=1, help="Seconds each reading stays valid.")] = 3_600,
    guard: Annotated[bool, typer.Option("--guard/--no-guard", help="Turn the asset's reserve guard on (asset owner).")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the readings' noise.")] = 0,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Simulated devices sign reserve readings; the signer relays them and posts their epoch."""
    client = _client(devnet, l2_rpc, key, write=True)

    def simulate() -> None:
        info = client.asset(asset)
        network = DeviceNetwork(client)
        measured = parse_decimal_amount(reserve, info.decimals, what="--reserve")
        me = client.address
        if info.owner == me:
            if not network.registry.functions.isOperatorApproved(info.address, me).call():
                network.approve_operator(info.address, me)
            if not network.registry.functions.isAggregatorApproved(info.address, me).call():
                network.approve_aggregator(info.address, me)
            if guard and not network.registry.functions.reserveGuardEnabled(info.address).call():  # on from creation for receipts and metal
                network.enable_reserve_guard(info.address)
        keys = [simulated_device(info.address, n) for n in range(devices)]
        for device in keys:
            if network.device_asset(device.address) is None:
                network.register_device(info.address, device)
                out.print(f"registered device {device.address}")
        noise = random.Random(seed)
        start = client.chain_time()
        signed = []
        shares = [measured // devices + (measured % devices if n == 0 else 0) for n in range(devices)]  # one bay each
        for _ in range(rounds):
            for device, share in zip(keys, shares):
                value = share - noise.randint(0, share // 50)  # a scale reads up to 2% low, never high
                reading = reserve_reading(device, info.address, value, sequence=network.last_sequence(device.address) + 1,
                                          time=client.chain_time(), valid_for_s=valid_for_s)
                network.attest(device, reading)
                signed.append(reading)
                out.print(f"{device.address} #{reading.sequence}: {_tokens(info, value)} {info.symbol}")
        end = client.wait_for_chain_time(client.chain_time() + 1)
        epoch = int(end)
        tree, receipt = network.post_epoch(info.address, epoch, start, end, signed)
        out.print(f"epoch {epoch}: {len(signed)} readings, root 0x{tree.root.hex()} (block {receipt['blockNumber']})")

    _run(simulate)
