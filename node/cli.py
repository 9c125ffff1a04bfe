"""`lantau`: the command line, and the composition root — the one module that wires
the node, the sequencer, the bridge and the prover together.

Every option can also be given as an environment variable `LANTAU_<OPTION>` (for example
`LANTAU_RPC_PORT=8545`) or in a TOML file passed with `--config FILE`, in a table named after
the command (`[node]`, `[devnet]`). The command line wins over the environment, which wins
over the file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from aiohttp import web

from genesis.config import DEVNET_GENESIS_PATH, GenesisConfig
from genesis.dev_accounts import dev_accounts
from node.banner import devnet_info, format_banner
from node.errors import LantauError
from node.logs import configure_logging
from node.rpc.server import RpcLimits, create_rpc_app
from node.service import L2Node
from sequencer.block_producer import BlockProducer, ProducerConfig

log = logging.getLogger("lantau.cli")

app = typer.Typer(
    name="lantau",
    help="Lantau: an optimistic rollup and real-world-asset settlement chain for HKD.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _load_config_file(ctx: typer.Context, path: Optional[Path]) -> Optional[Path]:
    if path is None:
        return None
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise typer.BadParameter(f"config file not found: {path}")
    except tomllib.TOMLDecodeError as exc:
        raise typer.BadParameter(f"config file {path} is not valid TOML: {exc}")
    ctx.default_map = {command: {k.replace("-", "_"): v for k, v in table.items()} for command, table in raw.items() if isinstance(table, dict)}
    return path


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Optional[Path],
        typer.Option("--config", envvar="LANTAU_CONFIG", help="TOML file with one table per command ([node], [devnet]).", callback=_load_config_file, is_eager=True),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", envvar="LANTAU_LOG_LEVEL", help="debug, info, warning or error.")] = "info",
    log_format: Annotated[str, typer.Option("--log-format", envvar="LANTAU_LOG_FORMAT", help="text or json (one object per line).")] = "text",
) -> None:
    if log_format not in ("text", "json"):
        raise typer.BadParameter("--log-format must be text or json")
    configure_logging(log_level, log_format)


@dataclass(frozen=True, slots=True)
class NodeSettings:
    data_dir: Path
    genesis_path: Path
    rpc_host: str
    rpc_port: int
    block_time_s: float
    admin: bool = False
    print_banner: bool = False
    info_path: Optional[Path] = None
    l1_rpc: Optional[str] = None
    l1_deployment: Optional[Path] = None
    l1_confirmations: int = 0
    devnet_l1: bool = False  # start anvil and deploy the L1 contracts first (`lantau devnet`)


async def serve_node(settings: NodeSettings) -> None:
    """Run a sequencer node until SIGTERM/SIGINT; then stop cleanly, losing nothing."""
    genesis = GenesisConfig.load(settings.genesis_path)
    l1_devnet = None
    l1_info: dict[str, Any] = {}
    l1_rpc, l1_deployment_path = settings.l1_rpc, settings.l1_deployment
    if settings.devnet_l1:
        from bridge.devnet import save_deployment, start_l1_devnet

        log.info("starting the L1 devnet (anvil) and deploying the L1 contracts")
        l1_devnet = await asyncio.to_thread(start_l1_devnet, genesis)
        l1_rpc = l1_devnet.anvil.rpc_url
        l1_deployment_path = save_deployment(l1_devnet.deployment, settings.data_dir)
    l1_source, l1_start_block = None, 0
    if l1_rpc:
        from bridge.l1_contracts import L1Deployment
        from bridge.l1_source import RpcL1Source

        if l1_deployment_path is None:
            raise typer.BadParameter("--l1-rpc needs --l1-deployment (the L1 address book JSON)")
        deployment = L1Deployment.load(l1_deployment_path)
        l1_source = RpcL1Source.connect(l1_rpc, deployment.lantau_portal, confirmations=settings.l1_confirmations)
        l1_start_block = deployment.deploy_block
        l1_info = {
            "l1_rpc": l1_rpc,
            "l1_chain_id": deployment.l1_chain_id,
            "contracts": {"HKDStablecoin": deployment.hkd_stablecoin, "SystemConfig": deployment.system_config, "LantauPortal": deployment.lantau_portal},
        }
    try:
        await _serve(settings, genesis, l1_source, l1_info, l1_start_block)
    finally:
        if l1_devnet is not None:
            l1_devnet.stop()


async def _serve(settings: NodeSettings, genesis: GenesisConfig, l1_source: Any, l1_info: dict[str, Any], l1_start_block: int) -> None:
    node = L2Node.open(settings.data_dir, genesis)
    producer = BlockProducer(node, ProducerConfig(block_time_s=settings.block_time_s), l1=l1_source, l1_start_block=l1_start_block)
    if settings.admin:
        node.register_methods(_admin_methods(producer))
    runner = web.AppRunner(create_rpc_app(node, limits=RpcLimits()), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.rpc_host, settings.rpc_port)
    await site.start()
    host, port = runner.addresses[0][:2]
    rpc_url, ws_url = f"http://{host}:{port}", f"ws://{host}:{port}"
    head = node.chain.head
    log.info("RPC listening on %s", rpc_url, extra={"ws": ws_url, "chain_id": genesis.chain_id, "head": head.block_number})
    if settings.print_banner or settings.info_path:
        state = node.chain.state_at(head)
        accounts = dev_accounts()
        info = devnet_info(
            chain_id=genesis.chain_id, rpc_url=rpc_url, ws_url=ws_url, accounts=accounts,
            balance_wei={a.address: state.get_balance(bytes.fromhex(a.address[2:])) for a in accounts},
        )
        info.update(l1_info)
        if settings.info_path:
            settings.info_path.write_text(json.dumps(info, indent=2) + "\n")
        if settings.print_banner:
            print(format_banner(info), flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    production = asyncio.create_task(producer.run(), name="block-producer")
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({production, stopped}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down")
    await producer.stop()  # waits for a block being built to be persisted
    production.cancel()
    stopped.cancel()
    await asyncio.gather(production, stopped, return_exceptions=True)
    await runner.cleanup()
    node.close()
    if production.done() and not production.cancelled() and production.exception():
        raise production.exception()  # type: ignore[misc]
    log.info("stopped")


from bridge.cli import bridge_app  # noqa: E402  (the composition root wires the subcommands)

app.add_typer(bridge_app, name="bridge")


def _admin_methods(producer: BlockProducer) -> dict[str, Any]:
    async def admin_produce_block() -> str:
        built = await producer.produce_block()
        return hex(built.header.block_number)

    return {"admin_produceBlock": admin_produce_block}


DataDir = Annotated[Path, typer.Option("--data-dir", envvar="LANTAU_DATA_DIR", help="Where the chain (LevelDB) and the transaction journal live.")]
RpcHost = Annotated[str, typer.Option("--rpc-host", envvar="LANTAU_RPC_HOST", help="Address the JSON-RPC server (HTTP + WebSocket) binds to.")]
RpcPort = Annotated[int, typer.Option("--rpc-port", envvar="LANTAU_RPC_PORT", help="Port for JSON-RPC; 0 picks a free port and logs the URL.")]
BlockTime = Annotated[float, typer.Option("--block-time", envvar="LANTAU_BLOCK_TIME", help="Seconds between L2 blocks; 0 builds a block as soon as transactions arrive.")]
GenesisFile = Annotated[Path, typer.Option("--genesis", envvar="LANTAU_GENESIS", help="Genesis file (geth-style JSON).")]
Admin = Annotated[bool, typer.Option("--admin/--no-admin", envvar="LANTAU_ADMIN", help="Serve admin_* sequencer controls (only when bound to loopback).")]
L1Rpc = Annotated[Optional[str], typer.Option("--l1-rpc", envvar="LANTAU_L1_RPC", help="L1 JSON-RPC URL; deposits are read from its LantauPortal.")]
L1DeploymentFile = Annotated[Optional[Path], typer.Option("--l1-deployment", envvar="LANTAU_L1_DEPLOYMENT", help="L1 address book JSON (written by `lantau devnet`).")]
L1Confirmations = Annotated[int, typer.Option("--l1-confirmations", envvar="LANTAU_L1_CONFIRMATIONS", help="L1 blocks to wait before taking a block as L1 origin.")]


@app.command("node")
def node_command(
    data_dir: DataDir = Path("./lantau-data"),
    rpc_host: RpcHost = "127.0.0.1",
    rpc_port: RpcPort = 8545,
    block_time: BlockTime = 1.0,
    genesis: GenesisFile = DEVNET_GENESIS_PATH,
    admin: Admin = False,
    l1_rpc: L1Rpc = None,
    l1_deployment: L1DeploymentFile = None,
    l1_confirmations: L1Confirmations = 0,
) -> None:
    """Run a Lantau L2 node (sequencer role): JSON-RPC over HTTP and WebSocket, blocks every --block-time."""
    _check_admin(admin, rpc_host)
    _run(NodeSettings(data_dir, genesis, rpc_host, rpc_port, block_time, admin, l1_rpc=l1_rpc, l1_deployment=l1_deployment, l1_confirmations=l1_confirmations))


@app.command("devnet")
def devnet_command(
    data_dir: DataDir = Path("./.devnet"),
    rpc_host: RpcHost = "127.0.0.1",
    rpc_port: RpcPort = 8545,
    block_time: BlockTime = 1.0,
    genesis: GenesisFile = DEVNET_GENESIS_PATH,
    l1: Annotated[bool, typer.Option("--l1/--no-l1", envvar="LANTAU_L1", help="Also start an L1 (anvil) with the HKD token and portal.")] = True,
) -> None:
    """Run a whole local devnet (L1 anvil + contracts + L2 sequencer) and print its accounts, keys and URLs.

    Each start is a fresh devnet: the data directory's previous chain is removed, because the
    new anvil has a new L1 history. The same information goes to DATA_DIR/devnet.json.
    """
    if (data_dir / "chaindata").exists():
        import shutil

        shutil.rmtree(data_dir / "chaindata")
        (data_dir / "transactions.journal").unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    _run(NodeSettings(data_dir, genesis, rpc_host, rpc_port, block_time, admin=True, print_banner=True,
                      info_path=data_dir / "devnet.json", devnet_l1=l1))


def _check_admin(admin: bool, rpc_host: str) -> None:
    if admin and rpc_host not in ("127.0.0.1", "localhost", "::1"):
        raise typer.BadParameter("--admin is only allowed with a loopback --rpc-host", param_hint="--admin")


def _run(settings: NodeSettings) -> None:
    try:
        asyncio.run(serve_node(settings))
    except LantauError as exc:
        log.error("%s", exc)
        raise typer.Exit(1)
    except OSError as exc:
        log.error("cannot start: %s", exc)
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
