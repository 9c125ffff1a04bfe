"""Device-attested asset data from the command line (DeviceRegistry):

    lantau rwa reserve ASSET                  # the attested reserve, the guard, the latest readings
    lantau device simulate ASSET --devices 3 --rounds 5 --reserve 1000
        # simulated devices (one scale per bay) split --reserve between them and sign reserve
        # readings (monotonic sequence numbers, each up to 2% under its bay's share; the attested
        # reserve is their sum) and the signer, as operator and aggregator, relays them and
        # posts the run's epoch (with its bond)
    lantau device simulate ASSET --interval 5 --epochs 0
        # periodic: a round of readings every 5 s, an epoch every --rounds rounds, until Ctrl-C
        # (bonds of final epochs taken back as it goes); `lantau devnet --simulate-devices S`
        # runs this for the sample warehouse receipts (rwa/device_sim.py)

The simulator's device keys are derived from the asset and the device's number
(keccak("lantau-device-sim/<asset>/<n>")): public on purpose, so a rerun continues the same
devices' sequences; never use them for a real device. The signer (`--key`) must be the asset's
owner (who approves itself as operator and aggregator) or already approved, and KYC'd.
Connection and keys as every `lantau rwa` command (`--devnet DIR` or `--l2-rpc URL`, `--key`).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from rwa import parse_decimal_amount
from rwa.cli import DevnetDir, JsonOpt, KeyOpt, L2RpcOpt, _client, _date, _run, _tokens, out, rwa_app
from rwa.device_client import DeviceNetwork
from rwa.device_sim import DeviceSimulator, SimulationPlan

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
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=100, help="Readings per device in each epoch.")] = 3,
    reserve: Annotated[str, typer.Option("--reserve", help="The stock the devices measure, in whole tokens.")] = "1000",
    valid_for_s: Annotated[int, typer.Option("--valid-for", min=1, help="Seconds each reading stays valid.")] = 3_600,
    interval_s: Annotated[float, typer.Option("--interval", min=0, help="Seconds between rounds of readings (and epochs).")] = 0.0,
    epochs: Annotated[int, typer.Option("--epochs", min=0, help="Epochs to post; 0 runs until Ctrl-C.")] = 1,
    guard: Annotated[bool, typer.Option("--guard/--no-guard", help="Turn the asset's reserve guard on (asset owner).")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the readings' noise.")] = 0,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Simulated devices sign reserve readings; the signer relays them and posts their epochs."""
    client = _client(devnet, l2_rpc, key, write=True)

    def simulate() -> None:
        info = client.asset(asset)
        plan = SimulationPlan(devices, parse_decimal_amount(reserve, info.decimals, what="--reserve"), rounds, valid_for_s,
                              interval_s=interval_s, epochs=epochs, seed=seed)
        simulator = DeviceSimulator(client, info, plan, report=out.print)
        simulator.set_up(guard=guard)
        try:
            simulator.run()
        except KeyboardInterrupt:
            out.print("stopped")

    _run(simulate)
