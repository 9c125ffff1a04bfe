"""`lantau bridge …`: move HKD between L1 and L2 from the command line."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from web3 import Web3

from bridge.deposit_client import DepositError, deposit_hkd, deposit_info_from_receipt, wait_for_l2_receipt
from bridge.l1_contracts import L1Deployment
from genesis.dev_accounts import dev_accounts
from node.banner import read_devnet_info
from node.cli_common import error_line, parse_address, send_with_pending_nonce, show_time
from node.errors import LantauError
from node.hkd_units import format_units, parse_hkd, units_to_wei

bridge_app = typer.Typer(help="Move HKD between L1 and L2: deposit; withdraw, prove, finalize.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)  # an error stays one line, however narrow the terminal

DevnetDir = Annotated[Optional[Path], typer.Option("--devnet", envvar="LANTAU_DEVNET", help="Directory of a running `lantau devnet` (reads devnet.json).")]
L1RpcOpt = Annotated[Optional[str], typer.Option("--l1-rpc", envvar="LANTAU_L1_RPC", help="L1 JSON-RPC URL (instead of --devnet).")]
L2RpcOpt = Annotated[Optional[str], typer.Option("--l2-rpc", envvar="LANTAU_L2_RPC", help="L2 JSON-RPC URL (instead of --devnet).")]
DeploymentOpt = Annotated[Optional[Path], typer.Option("--l1-deployment", envvar="LANTAU_L1_DEPLOYMENT", help="L1 address book JSON (instead of --devnet).")]


def _endpoints(devnet: Optional[Path], l1_rpc: Optional[str], l2_rpc: Optional[str], deployment: Optional[Path]) -> tuple[Web3, Web3, L1Deployment]:
    if devnet is not None:
        info = read_devnet_info(devnet)
        l1_rpc, l2_rpc = l1_rpc or info.get("l1_rpc"), l2_rpc or info["l2_rpc"]
        deployment = deployment or devnet / "l1-deployment.json"
    if not (l1_rpc and l2_rpc and deployment):
        raise typer.BadParameter("give --devnet DIR, or all of --l1-rpc, --l2-rpc and --l1-deployment")
    return Web3(Web3.HTTPProvider(l1_rpc)), Web3(Web3.HTTPProvider(l2_rpc)), L1Deployment.load(deployment)


@bridge_app.command("deposit")
def deposit_command(
    amount: Annotated[str, typer.Option("--amount", help="HKD to deposit, e.g. 100.50 (at most 6 decimals).")],
    to: Annotated[Optional[str], typer.Option("--to", help="L2 recipient, 0x… or dev0 … dev9 (default: the sender).")] = None,
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
    try:
        units = parse_hkd(amount)
        recipient = parse_address(to, what="--to") if to else None
    except LantauError as exc:
        raise typer.Exit(_fail(error_line(exc)))
    sender = _account(l1, private_key).address
    recipient = recipient or sender
    try:
        before = l2.eth.get_balance(Web3.to_checksum_address(recipient))
        info = deposit_hkd(l1, deployment, private_key, to=recipient, amount_units=units)
        console.print(f"L1 deposit [bold]0x{info.l1_tx_hash.hex()}[/] in L1 block {info.l1_block_number} (L1 gas {info.l1_gas_used:,})")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("waiting for the L2 credit…")
            receipt = wait_for_l2_receipt(l2, info.l2_tx_hash, timeout_s=timeout,
                                          on_tick=lambda n: progress.update(task, description=f"waiting for the L2 credit… (L2 block {n})"))
        after = l2.eth.get_balance(Web3.to_checksum_address(recipient))
    except LantauError as exc:
        raise typer.Exit(_fail(error_line(exc)))
    console.print(f"credited on L2 in block {receipt['blockNumber']}: {recipient} +{(after - before) / 10**18:,.6f} HKD")
    typer.echo(json.dumps({"l1_tx": "0x" + info.l1_tx_hash.hex(), "l2_tx": "0x" + info.l2_tx_hash.hex(), "l2_block": receipt["blockNumber"], "mint_wei": str(info.mint_wei)}))


@bridge_app.command("status")
def status_command(
    tx: Annotated[str, typer.Argument(help="An L1 deposit transaction or an L2 withdrawal transaction.")],
    devnet: DevnetDir = None,
    l1_rpc: L1RpcOpt = None,
    l2_rpc: L2RpcOpt = None,
    l1_deployment: DeploymentOpt = None,
) -> None:
    """The stage of a deposit (on L1 / credited on L2) or of a withdrawal (initiated … finalized)."""
    from web3.exceptions import TransactionNotFound

    l1, l2, deployment = _endpoints(devnet, l1_rpc, l2_rpc, l1_deployment)
    try:
        l1_receipt = dict(l1.eth.get_transaction_receipt(tx))
    except TransactionNotFound:
        l1_receipt = None
    if l1_receipt is None:
        typer.echo(json.dumps(_withdrawal_stage(l1, l2, deployment, tx)))
        return
    try:
        info = deposit_info_from_receipt(l1, l1_receipt)
    except LantauError as exc:
        raise typer.Exit(_fail(error_line(exc)))
    try:
        receipt = l2.eth.get_transaction_receipt(info.l2_tx_hash)
    except TransactionNotFound:
        receipt = None
    stage = "deposit credited on L2" if receipt else "deposit on L1, waiting for the L2 credit"
    typer.echo(json.dumps({"stage": stage, "l1_block": info.l1_block_number, "l2_tx": "0x" + info.l2_tx_hash.hex(),
                           "l2_block": receipt["blockNumber"] if receipt else None, "mint_wei": str(info.mint_wei)}))


# --- withdrawals (L2 -> L1) -------------------------------------------------------------------

WITHDRAWAL_GAS_LIMIT = 100_000


def _withdrawal_of(l2: Web3, l2_tx: str) -> tuple[Any, int]:
    from bridge.withdrawal import WithdrawalNotFound, withdrawals_in_receipt

    receipt = l2.eth.get_transaction_receipt(l2_tx)
    found = withdrawals_in_receipt(dict(receipt))
    if not found:
        raise WithdrawalNotFound(f"L2 transaction {l2_tx} initiated no withdrawal")
    return found[0], int(receipt["blockNumber"])


def _wait(description: str, timeout: float, check: Any) -> Any:
    deadline = time.monotonic() + timeout
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task(description)
        while True:
            result = check(lambda text: progress.update(task, description=f"{description} ({text})"))
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise typer.Exit(_fail(f"timed out after {timeout:.0f} s: {description}"))
            time.sleep(0.5)


def _account(w3: Web3, private_key: str) -> Any:
    try:
        return w3.eth.account.from_key(private_key)
    except (ValueError, TypeError) as exc:
        raise typer.Exit(_fail(f"--key is not a private key (0x and 64 hex digits): {exc}")) from None


def _fail(message: str) -> int:
    console.print(f"[red]error:[/] {message}")
    return 1


@bridge_app.command("withdraw")
def withdraw_command(
    amount: Annotated[str, typer.Option("--amount", help="HKD to withdraw, e.g. 250.25 (at most 6 decimals: the L1 token's).")],
    to: Annotated[Optional[str], typer.Option("--to", help="L1 recipient, 0x… or dev0 … dev9 (default: the sender).")] = None,
    key: Annotated[Optional[str], typer.Option("--key", envvar="LANTAU_KEY", help="L2 private key (default: dev account 0).")] = None,
    devnet: DevnetDir = None,
    l1_rpc: L1RpcOpt = None,
    l2_rpc: L2RpcOpt = None,
    l1_deployment: DeploymentOpt = None,
) -> None:
    """Start a withdrawal on L2 (L2ToL1MessagePasser.initiateWithdrawal); prints the L2 tx hash."""
    from genesis.artifacts import load_artifact
    from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER

    from bridge.withdrawal import check_withdrawal, passer_bounds

    _, l2, _ = _endpoints(devnet, l1_rpc, l2_rpc, l1_deployment)
    try:
        target = parse_address(to, what="--to") if to else None
    except LantauError as exc:
        raise typer.Exit(_fail(error_line(exc)))
    account = _account(l2, key or dev_accounts()[0].private_key)
    target = target or account.address
    try:
        value_wei = units_to_wei(parse_hkd(amount))  # refuse sub-cent dust before it is burned on L2
        # What L1 would never pay, the L2 passer refuses (and would charge gas for): say so first.
        bounds = passer_bounds(l2)
        check_withdrawal(target, value_wei, WITHDRAWAL_GAS_LIMIT, b"", portal=bounds.portal, hkd_token=bounds.hkd_token,
                         max_gas_limit=bounds.max_gas_limit)
    except LantauError as exc:
        raise typer.Exit(_fail(error_line(exc)))
    passer = l2.eth.contract(address=Web3.to_checksum_address("0x" + L2_TO_L1_MESSAGE_PASSER.hex()), abi=list(load_artifact("L2ToL1MessagePasser").abi))
    tx = passer.functions.initiateWithdrawal(target, WITHDRAWAL_GAS_LIMIT, b"").build_transaction(
        {"from": account.address, "value": value_wei, "nonce": l2.eth.get_transaction_count(account.address, "pending"), "chainId": l2.eth.chain_id}
    )
    tx_hash = send_with_pending_nonce(l2, account, dict(tx))
    receipt = l2.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    if receipt["status"] != 1:
        raise typer.Exit(_fail(f"initiateWithdrawal reverted on L2 (tx {tx_hash.hex()})"))
    console.print(f"withdrawal of {amount} HKD started on L2 in block {receipt['blockNumber']}")
    typer.echo(json.dumps({"l2_tx": "0x" + bytes(tx_hash).hex(), "l2_block": receipt["blockNumber"]}))


@bridge_app.command("prove")
def prove_command(
    l2_tx: Annotated[str, typer.Argument(help="Hash of the L2 withdrawal transaction.")],
    key: Annotated[Optional[str], typer.Option("--key", envvar="LANTAU_KEY", help="L1 private key that pays for the proof (default: dev account 0).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for an output covering the withdrawal.")] = 300.0,
    devnet: DevnetDir = None,
    l1_rpc: L1RpcOpt = None,
    l2_rpc: L2RpcOpt = None,
    l1_deployment: DeploymentOpt = None,
) -> None:
    """Wait until an output covering the withdrawal is on L1, then prove the withdrawal against it."""
    from bridge.withdrawal import NoOutputYet, find_output_index_covering, prove, withdrawal_proof

    l1, l2, deployment = _endpoints(devnet, l1_rpc, l2_rpc, l1_deployment)
    try:
        withdrawal, l2_block = _withdrawal_of(l2, l2_tx)

        def covering(report: Any) -> Optional[int]:
            try:
                return find_output_index_covering(l1, deployment, l2_block)
            except NoOutputYet:
                report(f"L2 block {l2_block}, newest output for {deployment.contract(l1, 'OutputOracle').functions.latestBlockNumber().call()}")
                return None

        index = _wait("waiting for an output covering the withdrawal", timeout, covering)
        output_block = int(deployment.contract(l1, "OutputOracle").functions.getL2Output(index).call()[2])
        receipt = prove(l1, deployment, key or dev_accounts()[0].private_key, withdrawal, index, withdrawal_proof(l2, withdrawal, output_block))
    except LantauError as exc:
        raise typer.Exit(_fail(error_line(exc)))
    console.print(f"proven against output {index} (L2 block {output_block}); L1 gas {receipt['gasUsed']:,}")
    typer.echo(json.dumps({"l1_tx": "0x" + bytes(receipt["transactionHash"]).hex(), "output_index": index, "l1_gas": receipt["gasUsed"]}))


@bridge_app.command("finalize")
def finalize_command(
    l2_tx: Annotated[str, typer.Argument(help="Hash of the L2 withdrawal transaction.")],
    key: Annotated[Optional[str], typer.Option("--key", envvar="LANTAU_KEY", help="L1 private key that pays (default: dev account 0).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the challenge period to pass.")] = 300.0,
    devnet: DevnetDir = None,
    l1_rpc: L1RpcOpt = None,
    l2_rpc: L2RpcOpt = None,
    l1_deployment: DeploymentOpt = None,
) -> None:
    """Wait until the challenge period is over, then finalize: the portal releases the HKD on L1."""
    from bridge.withdrawal import finalize, withdrawal_status

    l1, l2, deployment = _endpoints(devnet, l1_rpc, l2_rpc, l1_deployment)
    oracle = deployment.contract(l1, "OutputOracle")
    try:
        withdrawal, _ = _withdrawal_of(l2, l2_tx)

        def finalizable(report: Any) -> Optional[bool]:
            status = withdrawal_status(l1, deployment, withdrawal)
            if status.finalized:
                return True
            if status.finalizable_at is None:
                raise WithdrawalNotProvenYet()
            now = int(l1.eth.get_block("latest")["timestamp"])
            if now >= status.finalizable_at and oracle.functions.isOutputFinalized(status.l2_output_index).call():
                return True
            report(f"finalizable at {show_time(status.finalizable_at)}, L1 time now {show_time(now)}")
            return None

        _wait("waiting for the challenge period", timeout, finalizable)
        if withdrawal_status(l1, deployment, withdrawal).finalized:
            raise typer.Exit(_fail("already finalized"))
        receipt = finalize(l1, deployment, key or dev_accounts()[0].private_key, withdrawal)
    except WithdrawalNotProvenYet:
        raise typer.Exit(_fail(f"not proven yet: run `lantau bridge prove {l2_tx}` first"))
    except LantauError as exc:
        raise typer.Exit(_fail(error_line(exc)))
    console.print(f"finalized: {format_units(withdrawal.l1_amount)} HKD released to {withdrawal.target} on L1; L1 gas {receipt['gasUsed']:,}")
    typer.echo(json.dumps({"l1_tx": "0x" + bytes(receipt["transactionHash"]).hex(), "l1_gas": receipt["gasUsed"]}))


class WithdrawalNotProvenYet(LantauError):
    pass


def _withdrawal_stage(l1: Web3, l2: Web3, deployment: L1Deployment, l2_tx: str) -> dict[str, Any]:
    from web3.exceptions import TransactionNotFound

    from bridge.withdrawal import NoOutputYet, find_output_index_covering, withdrawal_stage, withdrawal_status

    try:
        withdrawal, l2_block = _withdrawal_of(l2, l2_tx)
        status = withdrawal_status(l1, deployment, withdrawal)
        has_output = True
        if status.finalizable_at is None and not status.finalized:
            try:
                find_output_index_covering(l1, deployment, l2_block)
            except NoOutputYet:
                has_output = False
        stage = withdrawal_stage(status, has_output=has_output)
        if stage == "proven":
            stage = f"proven, finalizable at {show_time(status.finalizable_at)} (L1 time)"
    except TransactionNotFound:
        raise typer.Exit(_fail(f"{l2_tx} is neither an L1 deposit nor an L2 withdrawal transaction"))
    except LantauError as exc:
        raise typer.Exit(_fail(error_line(exc)))
    return {"stage": stage, "l2_block": l2_block, "withdrawal_hash": "0x" + withdrawal.withdrawal_hash.hex(),
            "amount_l1_units": withdrawal.l1_amount, "target": withdrawal.target, "finalizable_at": status.finalizable_at}


@bridge_app.command("withdrawal-status")
def withdrawal_status_command(
    l2_tx: Annotated[str, typer.Argument(help="Hash of the L2 withdrawal transaction.")],
    devnet: DevnetDir = None,
    l1_rpc: L1RpcOpt = None,
    l2_rpc: L2RpcOpt = None,
    l1_deployment: DeploymentOpt = None,
) -> None:
    """The stage of a withdrawal: waiting for output / provable / proven (finalizable at T) / finalized."""
    l1, l2, deployment = _endpoints(devnet, l1_rpc, l2_rpc, l1_deployment)
    typer.echo(json.dumps(_withdrawal_stage(l1, l2, deployment, l2_tx)))
