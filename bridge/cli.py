"""`lantau bridge …`: move HKD between L1 and L2 from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from web3 import Web3

from bridge.deposit_client import DepositError, deposit_hkd, deposit_info_from_receipt, parse_hkd_amount, wait_for_l2_receipt
from bridge.l1_contracts import L1Deployment
from genesis.dev_accounts import dev_accounts
from node.errors import LantauError

bridge_app = typer.Typer(help="Move HKD between L1 and L2 (deposits now; withdrawals come with output roots).", no_args_is_help=True)
console = Console(stderr=True)

DevnetDir = Annotated[Optional[Path], typer.Option("--devnet", envvar="LANTAU_DEVNET", help="Directory of a running `lantau devnet` (reads devnet.json).")]
L1RpcOpt = Annotated[Optional[str], typer.Option("--l1-rpc", envvar="LANTAU_L1_RPC", help="L1 JSON-RPC URL (instead of --devnet).")]
L2RpcOpt = Annotated[Optional[str], typer.Option("--l2-rpc", envvar="LANTAU_L2_RPC", help="L2 JSON-RPC URL (instead of --devnet).")]
DeploymentOpt = Annotated[Optional[Path], typer.Option("--l1-deployment", envvar="LANTAU_L1_DEPLOYMENT", help="L1 address book JSON (instead of --devnet).")]


def _endpoints(devnet: Optional[Path], l1_rpc: Optional[str], l2_rpc: Optional[str], deployment: Optional[Path]) -> tuple[Web3, Web3, L1Deployment]:
    if devnet is not None:
        if not (devnet / "devnet.json").exists():
            raise typer.BadParameter(f"no devnet.json in {devnet}: is `lantau devnet --data-dir {devnet}` running?", param_hint="--devnet")
        info = json.loads((devnet / "devnet.json").read_text())
        l1_rpc, l2_rpc = l1_rpc or info.get("l1_rpc"), l2_rpc or info["l2_rpc"]
        deployment = deployment or devnet / "l1-deployment.json"
    if not (l1_rpc and l2_rpc and deployment):
        raise typer.BadParameter("give --devnet DIR, or all of --l1-rpc, --l2-rpc and --l1-deployment")
    return Web3(Web3.HTTPProvider(l1_rpc)), Web3(Web3.HTTPProvider(l2_rpc)), L1Deployment.load(deployment)


@bridge_app.command("deposit")
def deposit_command(
    amount: Annotated[str, typer.Option("--amount", help="HKD to deposit, e.g. 100.50 (at most 6 decimals).")],
    to: Annotated[Optional[str], typer.Option("--to", help="L2 recipient (default: the sender).")] = None,
    key: Annotated[Optional[str], typer.Option("--key", envvar="LANTAU_KEY", help="L1 private key (default: dev account 0).")] = None,
    devnet: DevnetDir = None,
    l1_rpc: L1RpcOpt = None,
    l2_rpc: L2RpcOpt = None,
    l1_deployment: DeploymentOpt = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the L2 credit.")] = 120.0,
) -> None:
    """Lock HKD in the L1 portal and wait until it is credited as native HKD on L2."""
    l1, l2, deployment = _endpoints(devnet, l1_rpc, l2_rpc, l1_deployment)
    private_key = key or dev_accounts()[0].private_key
    sender = l1.eth.account.from_key(private_key).address
    recipient = to or sender
    try:
        units = parse_hkd_amount(amount)
        before = l2.eth.get_balance(Web3.to_checksum_address(recipient))
        info = deposit_hkd(l1, deployment, private_key, to=recipient, amount_units=units)
        console.print(f"L1 deposit [bold]0x{info.l1_tx_hash.hex()}[/] in L1 block {info.l1_block_number} (L1 gas {info.l1_gas_used:,})")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("waiting for the L2 credit…")
            receipt = wait_for_l2_receipt(l2, info.l2_tx_hash, timeout_s=timeout,
                                          on_tick=lambda n: progress.update(task, description=f"waiting for the L2 credit… (L2 block {n})"))
        after = l2.eth.get_balance(Web3.to_checksum_address(recipient))
    except LantauError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1)
    console.print(f"credited on L2 in block {receipt['blockNumber']}: {recipient} +{(after - before) / 10**18:,.6f} HKD")
    typer.echo(json.dumps({"l1_tx": "0x" + info.l1_tx_hash.hex(), "l2_tx": "0x" + info.l2_tx_hash.hex(), "l2_block": receipt["blockNumber"], "mint_wei": str(info.mint_wei)}))


@bridge_app.command("status")
def status_command(
    l1_tx: Annotated[str, typer.Argument(help="Hash of the L1 deposit transaction.")],
    devnet: DevnetDir = None,
    l1_rpc: L1RpcOpt = None,
    l2_rpc: L2RpcOpt = None,
    l1_deployment: DeploymentOpt = None,
) -> None:
    """Where a deposit is: on L1 only, or credited on L2 (with its L2 block)."""
    l1, l2, _ = _endpoints(devnet, l1_rpc, l2_rpc, l1_deployment)
    try:
        info = deposit_info_from_receipt(dict(l1.eth.get_transaction_receipt(l1_tx)))
    except (LantauError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1)
    try:
        receipt = l2.eth.get_transaction_receipt(info.l2_tx_hash)
    except Exception:
        receipt = None
    stage = "credited on L2" if receipt else "on L1, waiting for the L2 credit"
    typer.echo(json.dumps({"stage": stage, "l1_block": info.l1_block_number, "l2_tx": "0x" + info.l2_tx_hash.hex(),
                           "l2_block": receipt["blockNumber"] if receipt else None, "mint_wei": str(info.mint_wei)}))
