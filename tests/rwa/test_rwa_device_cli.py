"""`lantau device simulate` and `lantau rwa reserve` against the L2 node (tests/rwa/conftest.py):
simulated devices sign reserve readings that the reserve guard then enforces, and an epoch of
them is posted. The CLI runs in-process (typer's runner) and talks to the node over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli import app
from genesis.predeploys import DEVICE_REGISTRY
from tests.rwa.rwa_chain import WAREHOUSE_RECEIPT, Chain, RWASystem

pytestmark = pytest.mark.rwa_backends("l2")


def test_simulated_devices_gate_the_warehouse_receipt(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_account("sim issuer")
    holder = chain.new_address("sim holder")
    rwa.register([issuer.address, holder])
    token = rwa.create_asset(issuer=issuer.address, agents=[issuer.address], name="Kwai Chung stock", symbol="KCW",
                             asset_class=WAREHOUSE_RECEIPT, decimals=0)
    rpc = chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    runner = CliRunner()
    base = ["--l2-rpc", rpc]
    result = runner.invoke(app, ["device", "simulate", token.address, "--devices", "2", "--rounds", "2", "--reserve", "1000",
                                 *base, "--key", "0x" + issuer.key.hex()])
    assert result.exit_code == 0, result.output
    assert result.output.count(" KCW") == 4 and "epoch " in result.output
    shown = runner.invoke(app, ["rwa", "reserve", token.address, "--json", *base])
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.output)
    assert view["guard_enabled"] is True and view["refusal"] is None
    reserve = int(view["reserve_units"])
    assert 980 <= reserve <= 1000  # the last reading: at most 2% low
    assert [r["sequence"] for r in view["readings"]] == [2, 2, 1, 1]
    # The guard enforces what the devices attest, from the CLI as from the contract.
    key = ["--key", "0x" + issuer.key.hex()]
    result = runner.invoke(app, ["rwa", "mint", token.address, holder, str(reserve), *base, *key])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["rwa", "mint", token.address, holder, "1", *base, *key])
    assert result.exit_code == 1 and "ReserveExceeded" in result.output, result.output
    assert chain.expect_revert(token.functions.mint(holder, 1), issuer.address).name == "ReserveExceeded"
    assert token.functions.totalSupply().call() == reserve == token.functions.balanceOf(holder).call()
    # The epoch the simulator posted holds its four readings; a rerun continues the sequences.
    result = runner.invoke(app, ["device", "simulate", token.address, "--devices", "2", "--rounds", "1", *base, "--key", "0x" + issuer.key.hex()])
    assert result.exit_code == 0, result.output
    assert "#3:" in result.output
    registry = chain.at("DeviceRegistry", "0x" + DEVICE_REGISTRY.hex())
    posted = registry.events.EpochPosted().get_logs(from_block=0, argument_filters={"asset": token.address})
    assert [log["args"]["count"] for log in posted] == [4, 2]


def test_devnet_refuses_simulated_devices_without_the_sample(tmp_path: Path) -> None:
    """The simulated devices are the sample receipts': `--no-sample` with them is refused before
    anything starts (nothing written to the data dir)."""
    data_dir = tmp_path / "devnet"
    result = CliRunner().invoke(app, ["devnet", "--data-dir", str(data_dir), "--no-sample", "--simulate-devices", "1"])
    assert result.exit_code == 2 and "drop --no-sample" in result.output, result.output
    assert not data_dir.exists()
