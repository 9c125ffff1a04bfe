"""`lantau`: the command line, and the composition root — the one module that wires
the node, the sequencer, the bridge, the prover and the RWA application together.

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
import threading
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional

import typer
from aiohttp import web

from genesis.config import DEVNET_GENESIS_PATH, GenesisConfig
from genesis.dev_accounts import dev_accounts
from node.banner import devnet_info, format_banner, read_devnet_info
from node.datadir import DataDirLock
from node.errors import LantauError, NodeUnreachable, NotADevnetDir
from node.logs import configure_logging
from node.rpc.admin import admin_methods
from node.lifecycle import Service
from node.rpc.dev import DevClock, DevControls, L1Clock, dev_methods
from node.rpc.server import RpcLimits, create_rpc_app, parse_cors_origins
from node.service import L2Node
from sequencer.block_producer import BlockProducer, ProducerConfig

if TYPE_CHECKING:
    from bridge.l1_source import RpcL1Source
    from genesis.rollup_config import RollupConfig
    from prover.challenger import Challenger
    from prover.proposer import Proposer
    from sequencer.batcher import Batcher

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
    run_sample: bool = False  # the devnet's sample RWA issuance and market auction before "Ready"
    simulate_devices_s: float = 0.0  # after "Ready": the sample receipts' simulated devices, a round every so many s (0: off)
    role: str = "sequencer"  # or "verifier": rebuilds the chain from L1 data alone
    l1_rpc: Optional[str] = None
    rollup_config: Optional[Path] = None
    devnet_dir: Optional[Path] = None  # read l1_rpc and rollup.json from a running devnet
    l1_confirmations: int = 0
    devnet_l1: bool = False  # start anvil and deploy the L1 contracts first (`lantau devnet`)
    devnet_l1_block_time_s: int = 2  # that anvil's interval mining, whole seconds
    batcher_key: Optional[str] = None  # run the batcher in this process
    batcher_blobs: bool = False  # post batches as EIP-4844 blobs instead of calldata
    proposer_key: Optional[str] = None  # run the proposer in this process
    challenger_key: Optional[str] = None  # run an honest challenger in this process
    rpc_cors: Optional[str] = None  # origins browsers may call the RPC from ("*": any); None: off
    dev_rpc: bool = False  # serve evm_*/anvil_* developer controls (node.rpc.dev)


@dataclass
class L1Wiring:
    """What the node knows of its L1: endpoint, rollup config and the contracts' addresses."""

    rpc_url: str
    rollup: RollupConfig
    source: RpcL1Source
    info: dict[str, Any]


def _l1_wiring(settings: NodeSettings, l1_rpc: Optional[str], rollup_path: Optional[Path]) -> Optional[L1Wiring]:
    from bridge.l1_source import RpcL1Source
    from genesis.rollup_config import RollupConfig

    if settings.devnet_dir is not None:
        info = read_devnet_info(settings.devnet_dir)
        l1_rpc = l1_rpc or info.get("l1_rpc")
        rollup_path = rollup_path or Path(info["rollup_config"])
    if l1_rpc is None and rollup_path is None:
        return None
    if l1_rpc is None or rollup_path is None:
        raise typer.BadParameter("an L1 needs both --l1-rpc and --rollup-config (or --devnet DIR)")
    rollup = RollupConfig.load(rollup_path)
    source = RpcL1Source.connect(l1_rpc, rollup.contracts["LantauPortal"], confirmations=settings.l1_confirmations)
    info = {"l1_rpc": l1_rpc, "l1_chain_id": rollup.l1_chain_id, "rollup_config": str(Path(rollup_path).resolve()), "contracts": dict(rollup.contracts)}
    return L1Wiring(l1_rpc, rollup, source, info)


async def serve_node(settings: NodeSettings, lock: Optional[DataDirLock] = None) -> None:
    """Run a node until SIGTERM/SIGINT; then stop cleanly, losing nothing. `lock` is the data
    dir's lock, held by the caller; the node notes its RPC URL in it once bound."""
    l1_devnet = None
    l1_rpc, rollup_path = settings.l1_rpc, settings.rollup_config
    if settings.devnet_l1:
        from bridge.devnet import save_deployment, save_rollup_config, start_l1_devnet

        log.info("starting the L1 devnet (anvil) and deploying the L1 contracts")
        l1_devnet = await asyncio.to_thread(start_l1_devnet, GenesisConfig.load(settings.genesis_path),
                                            block_time_s=settings.devnet_l1_block_time_s)
        l1_rpc = l1_devnet.anvil.rpc_url
        save_deployment(l1_devnet.deployment, settings.data_dir)
        rollup_path = save_rollup_config(l1_devnet.deployment, settings.genesis_path, settings.data_dir)
    try:
        wiring = _l1_wiring(settings, l1_rpc, rollup_path)
        if settings.role == "verifier" and wiring is None:
            raise typer.BadParameter("a verifier derives from L1: give --l1-rpc and --rollup-config, or --devnet DIR", param_hint="--role")
        genesis = GenesisConfig.load(wiring.rollup.genesis if wiring else settings.genesis_path)
        await _serve(settings, genesis, wiring, lock)
    finally:
        if l1_devnet is not None:
            l1_devnet.stop()


async def _serve(settings: NodeSettings, genesis: GenesisConfig, l1: Optional[L1Wiring], lock: Optional[DataDirLock] = None) -> None:
    from node.derive.config import derivation_config
    from node.derive.driver import DerivationDriver
    from node.derive.pipeline import DerivationPipeline
    from node.derive.l1_prefetch import PrefetchingL1Source
    from node.rpc.rollup import rollup_methods
    from node.address_index import run_backfill
    from node.explorer.address_rpc import address_rpc_methods
    from node.explorer.batch_log import BatchLog, RecordingL1Source
    from bridge.rollup_view import RollupL1View, rollup_view_methods
    from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
    from prover.dispute_block import dispute_rpc_methods
    from prover.witness import witness_rpc_methods

    is_sequencer = settings.role == "sequencer"
    # The proof-cost caps are a consensus rule of the rollup (node/vm.py): the rollup config's.
    limits = l1.rollup.proof_cost_limits if l1 is not None else DEVNET_PROOF_COST_LIMITS
    node = L2Node.open(settings.data_dir, genesis, read_only=not is_sequencer, proof_cost_limits=limits)
    node.register_methods(witness_rpc_methods(node.chain))
    node.register_methods(dispute_rpc_methods(node.chain))
    node.register_methods(address_rpc_methods(node.chain))
    if l1 is not None:
        from node.chain_identity import check_chain_on_l1, check_rollup_config

        try:  # an old devnet's data dir would be served as this rollup's chain: refuse it
            check_rollup_config(settings.data_dir, l1.rollup.to_json())
            await asyncio.to_thread(check_chain_on_l1, node.chain, l1.source, settings.data_dir)
        except BaseException:
            node.close()
            raise
    chain_lock = asyncio.Lock()
    services: list[Service] = []
    producer: Optional[BlockProducer] = None
    driver: Optional[DerivationDriver] = None
    dev_clock = DevClock() if settings.dev_rpc and is_sequencer else None
    if is_sequencer:
        producer = BlockProducer(
            node, ProducerConfig(block_time_s=settings.block_time_s), l1=l1.source if l1 else None,
            l1_start_block=l1.rollup.l1_start_block if l1 else 0,
            sequencing_window=l1.rollup.sequencing_window if l1 else None, chain_lock=chain_lock,
            **({"clock": dev_clock} if dev_clock is not None else {}),
        )
        services.append(producer)
    if l1 is not None:
        # Derive from genesis every start: blocks already in the chain are adopted, not rebuilt.
        rollup = derivation_config(l1.rollup)
        # The next L1 blocks' inbox transactions and deposits are read ahead (node.derive.l1_prefetch).
        # The explorer's batch log notes the batcher transactions derivation reads (node.explorer.batch_log).
        batch_log = BatchLog(genesis.chain_id)
        recorded = RecordingL1Source(l1.source, batch_log, batcher_address=rollup.batcher_address)
        pipeline = DerivationPipeline(rollup, PrefetchingL1Source(recorded, inbox=rollup.batch_inbox), node.chain,
                                      before_replacing=node.keep_replaced_transactions)
        driver = DerivationDriver(
            pipeline, node.heads, chain_lock, on_new_head=node.notify_new_head,
            l1_finalized=lambda: l1.source.block_by_tag("finalized"), is_sequencer=is_sequencer,
        )
        services.append(driver)
        node.register_methods(rollup_methods(node, l1.source, lambda: pipeline.l1_position, rollup))
        node.register_methods(rollup_view_methods(RollupL1View(l1.source.client, l1.rollup, node, batch_log)))
        if not is_sequencer:  # eth_syncing: a verifier is behind while its derivation trails L1
            from node.syncing import DerivationSync

            node.sync_progress = DerivationSync(
                node.chain, lambda: driver.pipeline.l1_position, l1.source.head, l1.rollup.l1_start_block,
            ).progress
    if producer is not None and settings.admin:
        node.register_methods(admin_methods(producer, node.chain))
    if producer is not None and dev_clock is not None:
        node.register_methods(dev_methods(DevControls(
            node.chain, producer, dev_clock, chain_lock, on_rewound_head=node.notify_rewound_head, safe_head=node.safe_head,
            has_l1=l1 is not None, l1_clock=_anvil_clock(l1.rpc_url) if l1 is not None else None,
        )))

    runner = web.AppRunner(create_rpc_app(node, limits=RpcLimits(), cors_origins=parse_cors_origins(settings.rpc_cors)),
                           handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.rpc_host, settings.rpc_port)
    await site.start()
    host, port = runner.addresses[0][:2]
    rpc_url, ws_url = f"http://{host}:{port}", f"ws://{host}:{port}"
    if lock is not None:
        lock.note(rpc_url=rpc_url)
    head = node.chain.head
    log.info("RPC listening on %s", rpc_url, extra={"ws": ws_url, "chain_id": genesis.chain_id, "head": head.block_number, "role": settings.role})
    log.info("explorer at %s/ (open it in a browser)", rpc_url)
    info: Optional[dict[str, Any]] = None
    if settings.print_banner or settings.info_path:
        state = node.chain.state_at(head)
        accounts = dev_accounts()
        info = devnet_info(
            chain_id=genesis.chain_id, rpc_url=rpc_url, ws_url=ws_url, accounts=accounts,
            balance_wei={a.address: state.get_balance(bytes.fromhex(a.address[2:])) for a in accounts},
        )
        if l1 is not None:
            info.update(l1.info)
        if settings.print_banner:
            print(format_banner(info), flush=True)

    if l1 is not None and settings.batcher_key and is_sequencer:
        batcher = _batcher(node, l1, settings.batcher_key, settings.data_dir, use_blobs=settings.batcher_blobs)
        _register_batcher_metrics(node, batcher)
        services.append(batcher)
    if l1 is not None and settings.proposer_key and is_sequencer:
        proposer = _proposer(l1, rpc_url, settings.proposer_key)
        _register_proposer_metrics(node, proposer)
        services.append(proposer)
    if l1 is not None and settings.challenger_key:
        challenger = _challenger(l1, rpc_url, settings.challenger_key, settings.data_dir / "challenger.json")
        register_challenger_metrics(node.metrics, challenger)
        services.append(challenger)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    tasks = [asyncio.create_task(service.run(), name=type(service).__name__) for service in services]
    # A data dir from before the address index: index its old blocks beside the services (not
    # among them: the first service to end stops the node).
    backfill = asyncio.create_task(run_backfill(node.chain.backfill_address_index), name="address-index-backfill")
    # The devnet's sample RWA issuance needs blocks to flow, so it runs beside the services
    # (not among them: the first service to end stops the node).
    # devnet.json and the "ready" line come after it: a script that starts on devnet.json must not
    # race the sample for dev account 0's nonces.
    devices_stop = threading.Event()  # ends the device simulator's thread on shutdown
    sample = (asyncio.create_task(_devnet_ready(rpc_url, settings.info_path, info, run_sample=bool(settings.run_sample and producer),
                                                simulate_devices_s=settings.simulate_devices_s, devices_stop=devices_stop))
              if settings.info_path and info is not None else None)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({*tasks, stopped}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down")
    for service in services:
        await service.stop()  # each waits for the block it is writing to be persisted
    devices_stop.set()
    if sample is not None:
        sample.cancel()
    for task in (*tasks, stopped, backfill):
        task.cancel()
    await asyncio.gather(*tasks, stopped, backfill, return_exceptions=True)
    await runner.cleanup()
    node.close()
    if settings.info_path is not None:
        settings.info_path.unlink(missing_ok=True)  # it says "a devnet runs here": no longer true
    failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception() is not None]
    if failed:
        raise failed[0].exception()  # type: ignore[misc]
    log.info("stopped")


async def _devnet_ready(rpc_url: str, info_path: Path, info: dict[str, Any], *, run_sample: bool,
                        simulate_devices_s: float = 0.0, devices_stop: Optional[threading.Event] = None) -> None:
    """Run the devnet's sample RWA issuance (with `run_sample`), then write devnet.json and print
    the "ready" line: whoever waits for either finds the devnet done with dev account 0. Then, with
    `simulate_devices_s`, run the sample receipts' device simulator until `devices_stop`."""
    from node.banner import format_ready
    from rwa import format_sample_summary, run_sample_issuance
    from rwa.sample_market import format_sample_market, run_sample_market

    if run_sample:
        try:
            summary = await asyncio.to_thread(run_sample_issuance, rpc_url)
        except Exception as exc:  # noqa: BLE001 - the devnet runs on without the sample
            log.error("RWA sample issuance failed: %s", exc)
        else:
            info = dict(info, rwa_sample=summary)
            print(format_sample_summary(summary), flush=True)
            # The alliance market's sample: three venues cross orders of five dev accounts for
            # 0005.HK in one call auction (rwa/sample_market.py), before "Ready" like the issuance.
            try:
                market = await asyncio.to_thread(run_sample_market, rpc_url)
            except Exception as exc:  # noqa: BLE001 - the devnet runs on without it
                log.error("alliance market sample failed: %s", exc)
            else:
                info = dict(info, rwa_market_sample=market)
                print(format_sample_market(market), flush=True)
    tmp = info_path.with_name(info_path.name + ".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    tmp.replace(info_path)  # whole or absent, never half-written for a reader polling it
    print(format_ready(info, info_path), flush=True)
    if simulate_devices_s and devices_stop is not None and "rwa_sample" in info:
        from rwa.device_sim import run_devnet_simulation

        try:  # dev account 0 issued the sample receipts: it operates their devices and aggregates
            await asyncio.to_thread(run_devnet_simulation, rpc_url, dev_accounts()[0].private_key, simulate_devices_s, devices_stop)
        except Exception as exc:  # noqa: BLE001 - the devnet runs on without it
            if not devices_stop.is_set():
                log.error("device simulator failed: %s", exc)


def register_txmgr_metrics(metrics: Any, process: str, txmgr: Any) -> None:
    """`lantau_<process>_txmgr_*`: the service's `TxManager` counters (sent, fee bumps,
    resubmissions, nonce races, pooled transactions of a dead process taken over or cancelled)."""
    from dataclasses import fields

    for counter in fields(txmgr.counters):
        metrics.gauge(f"lantau_{process}_txmgr_{counter.name}", f"{process.capitalize()} L1 transactions: {counter.name.replace('_', ' ')}.",
                      lambda name=counter.name: getattr(txmgr.counters, name))


def _register_batcher_metrics(node: L2Node, batcher: "Batcher") -> None:
    from dataclasses import fields

    for counter in fields(batcher.metrics):
        node.metrics.gauge(f"lantau_batcher_{counter.name}", f"Batcher {counter.name.replace('_', ' ')}.",
                           lambda name=counter.name: getattr(batcher.metrics, name))
    node.metrics.gauge("lantau_batcher_balance_wei", "The batcher's L1 balance.", batcher.txmgr.balance)
    register_txmgr_metrics(node.metrics, "batcher", batcher.txmgr)


def _register_proposer_metrics(node: L2Node, proposer: "Proposer") -> None:
    node.metrics.gauge("lantau_proposer_balance_wei", "The proposer's L1 balance.", proposer.txmgr.balance)
    register_txmgr_metrics(node.metrics, "proposer", proposer.txmgr)
    node.metrics.gauge("lantau_proposer_outputs_proposed", "Outputs this proposer posted since start.", lambda: len(proposer.proposals))
    node.metrics.gauge("lantau_proposer_latest_l2_block", "L2 block of the newest output on L1.", proposer.oracle.latest_block_number)


def register_challenger_metrics(metrics: Any, challenger: "Challenger") -> None:
    """`lantau_challenger_*`: its counters, its L1 balance and the games it follows."""
    from dataclasses import fields

    for counter in fields(challenger.metrics):
        metrics.gauge(f"lantau_challenger_{counter.name}", f"Challenger {counter.name.replace('_', ' ')}.",
                      lambda name=counter.name: getattr(challenger.metrics, name))
    metrics.gauge("lantau_challenger_balance_wei", "The challenger's L1 balance.", challenger.txmgr.balance)
    register_txmgr_metrics(metrics, "challenger", challenger.txmgr)
    metrics.gauge("lantau_challenger_open_games", "Games the challenger follows that are not settled.",
                  lambda: len(challenger.state.games))


def _challenger(l1: L1Wiring, l2_rpc_url: str, key: str, state_path: Optional[Path], *, dishonest: Optional[str] = None,
                lie: Any = None, max_disputes: Optional[int] = None) -> "Challenger":
    """A challenger on the rollup's factory following the L2 node at `l2_rpc_url`; `dishonest` (a
    `prover.faults.DishonestLie` value) or `lie` (a `prover.faults.LyingTrace` builder) replaces
    its honest trace (devnet fault injection)."""
    from bridge.l1_client import L1Client
    from bridge.l1_contract_clients import DisputeGameFactoryClient, OutputOracleClient
    from bridge.tx_manager import TxManager
    from prover.challenger import Challenger, ChallengerConfig
    from prover.dispute_trace import NodeTrace
    from prover.faults import DishonestLie, LyingTrace, check_devnet
    from prover.input_step import InputEvidenceSource, InputRollup
    from prover.rollup_client import RollupClient

    oracle, factory = l1.rollup.contracts.get("OutputOracle"), l1.rollup.contracts.get("DisputeGameFactory")
    if oracle is None or factory is None:
        raise typer.BadParameter("the rollup config names no OutputOracle or DisputeGameFactory: there is no game to play")
    l1_client = L1Client.connect(l1.rpc_url)
    trace: Any = NodeTrace(RollupClient(l2_rpc_url))
    config = ChallengerConfig(max_games_created=max_disputes)
    if dishonest is not None:
        check_devnet(l1_client.chain_id)
        trace = LyingTrace(trace, None, None, dishonest=DishonestLie(dishonest))
    if lie is not None:
        trace, config = lie(trace), ChallengerConfig(create_games=False)
    inputs = InputEvidenceSource(l1_client, RollupClient(l2_rpc_url), InputRollup.of(l1.rollup))  # the input leaf's evidence
    return Challenger(OutputOracleClient(l1_client, oracle), DisputeGameFactoryClient(l1_client, factory),
                      TxManager(l1_client, key), trace, config, state_path, inputs)


def _batcher(node: L2Node, l1: L1Wiring, key: str, data_dir: Path, *, use_blobs: bool = False) -> "Batcher":
    from bridge.l1_client import L1Client
    from bridge.tx_manager import TxManager, TxManagerConfig
    from sequencer.batcher import Batcher, BatcherConfig

    config = BatcherConfig(
        batch_inbox=l1.rollup.batch_inbox,
        sequencing_window=l1.rollup.sequencing_window, channel_timeout=l1.rollup.channel_timeout,
        use_blobs=use_blobs,
    )
    # Two L1 slots before a fee bump: a batch waits behind others in a busy pool.
    txmgr = TxManager(L1Client.connect(l1.rpc_url), key, TxManagerConfig(resubmit_after_s=24.0))
    return Batcher(node.chain, txmgr, config=config, state_path=data_dir / "batcher.json")


def _proposer(l1: L1Wiring, l2_rpc_url: str, key: str, *, output_root_of: Any = None) -> "Proposer":
    from bridge.l1_client import L1Client
    from bridge.l1_contract_clients import OutputOracleClient
    from bridge.tx_manager import TxManager
    from prover.proposer import Proposer
    from prover.rollup_client import RollupClient

    oracle = l1.rollup.contracts.get("OutputOracle")
    if oracle is None:
        raise typer.BadParameter("the rollup config names no OutputOracle: the proposer has nowhere to post")
    l1_client = L1Client.connect(l1.rpc_url)
    l2 = RollupClient(l2_rpc_url)
    return Proposer(OutputOracleClient(l1_client, oracle), TxManager(l1_client, key), l2,
                    output_root_of=output_root_of or l2.output_at)


def _anvil_clock(l1_rpc: str) -> L1Clock:
    """Time travel's handle on an anvil L1 (node.rpc.dev.L1Clock); node/rpc never imports bridge/."""
    from bridge.anvil import advance_anvil_clock

    return lambda timestamp: advance_anvil_clock(l1_rpc, timestamp)


from bridge.cli import bridge_app  # noqa: E402  (the composition root wires the subcommands)

app.add_typer(bridge_app, name="bridge")
from rwa.cli import rwa_app  # noqa: E402
import rwa.market_cli  # noqa: E402,F401  (adds `lantau rwa market`)
import rwa.agent_cli  # noqa: E402,F401  (adds `lantau rwa agent`)
from rwa.device_cli import device_app  # noqa: E402  (also adds `lantau rwa reserve`)

app.add_typer(rwa_app, name="rwa")
app.add_typer(device_app, name="device")
from prover.dispute_cli import dispute_app  # noqa: E402

app.add_typer(dispute_app, name="dispute")


DataDir = Annotated[Path, typer.Option("--data-dir", envvar="LANTAU_DATA_DIR", help="Where the chain (LevelDB) and the transaction journal live.")]
RpcHost = Annotated[str, typer.Option("--rpc-host", envvar="LANTAU_RPC_HOST", help="Address the JSON-RPC server (HTTP + WebSocket) binds to.")]
RpcPort = Annotated[int, typer.Option("--rpc-port", envvar="LANTAU_RPC_PORT", help="Port for JSON-RPC; 0 picks a free port and logs the URL.")]
BlockTime = Annotated[float, typer.Option("--block-time", envvar="LANTAU_BLOCK_TIME", help="Seconds between L2 blocks; 0 builds a block as soon as transactions arrive.")]
GenesisFile = Annotated[Path, typer.Option("--genesis", envvar="LANTAU_GENESIS", help="Genesis file (geth-style JSON).")]
Admin = Annotated[bool, typer.Option("--admin/--no-admin", envvar="LANTAU_ADMIN", help="Serve admin_* sequencer controls (only when bound to loopback).")]
L1Rpc = Annotated[Optional[str], typer.Option("--l1-rpc", envvar="LANTAU_L1_RPC", help="L1 JSON-RPC URL: deposits and batches are read from it.")]
RollupFile = Annotated[Optional[Path], typer.Option("--rollup-config", envvar="LANTAU_ROLLUP_CONFIG", help="Rollup config JSON (genesis, L1 contracts, batch inbox, batcher, windows); `lantau devnet` writes rollup.json.")]
DevnetDir = Annotated[Optional[Path], typer.Option("--devnet", envvar="LANTAU_DEVNET", help="Follow a running `lantau devnet` in DIR (reads its devnet.json).")]
L1Confirmations = Annotated[int, typer.Option("--l1-confirmations", envvar="LANTAU_L1_CONFIRMATIONS", help="L1 blocks to wait before taking a block as L1 origin.")]
RpcCors = Annotated[Optional[str], typer.Option("--rpc-cors", envvar="LANTAU_RPC_CORS", help="Origins a browser may call the RPC from, comma-separated, or * for any (as anvil's --allow-origin).")]
Role = Annotated[str, typer.Option("--role", envvar="LANTAU_ROLE", help="sequencer (orders transactions into blocks) or verifier (rebuilds the chain from L1 alone).")]


@app.command("node")
def node_command(
    data_dir: DataDir = Path("./lantau-data"),
    rpc_host: RpcHost = "127.0.0.1",
    rpc_port: RpcPort = 8545,
    block_time: BlockTime = 1.0,
    genesis: GenesisFile = DEVNET_GENESIS_PATH,
    admin: Admin = False,
    role: Role = "sequencer",
    l1_rpc: L1Rpc = None,
    rollup_config: RollupFile = None,
    devnet: DevnetDir = None,
    l1_confirmations: L1Confirmations = 0,
    batcher_key: Annotated[Optional[str], typer.Option("--batcher-key", envvar="LANTAU_BATCHER_KEY", help="Run the batcher in this node, posting batches to L1 from this key.")] = None,
    proposer_key: Annotated[Optional[str], typer.Option("--proposer-key", envvar="LANTAU_PROPOSER_KEY", help="Run the proposer in this node, posting output roots to L1 from this key.")] = None,
    batcher_blobs: Annotated[bool, typer.Option("--batcher-blobs/--batcher-calldata", envvar="LANTAU_BATCHER_BLOBS", help="Post batches as EIP-4844 blobs (default: calldata).")] = False,
    rpc_cors: RpcCors = None,
    dev_rpc: Annotated[bool, typer.Option("--dev-rpc/--no-dev-rpc", envvar="LANTAU_DEV_RPC", help="Serve anvil's evm_*/anvil_* developer controls (a sequencer; state edits and time travel only without an L1).")] = False,
) -> None:
    """Run a Lantau L2 node: JSON-RPC over HTTP and WebSocket; as sequencer, a block every --block-time."""
    if role not in ("sequencer", "verifier"):
        raise typer.BadParameter("--role must be sequencer or verifier", param_hint="--role")
    if role == "sequencer" and block_time <= 0 and (l1_rpc or rollup_config or devnet):
        # On demand, an idle sequencer's next block could run past max_sequencer_drift of its
        # L1 origin, and verifiers would drop its batch: with an L1, blocks must keep coming.
        raise typer.BadParameter("a sequencer with an L1 needs a block time > 0 (on-demand blocks are for L1-less dev nodes)", param_hint="--block-time")
    _check_admin(admin, rpc_host)
    _run(NodeSettings(data_dir, genesis, rpc_host, rpc_port, block_time, admin, role=role, l1_rpc=l1_rpc,
                      rollup_config=rollup_config, devnet_dir=devnet, l1_confirmations=l1_confirmations,
                      batcher_key=batcher_key, proposer_key=proposer_key, batcher_blobs=batcher_blobs, rpc_cors=rpc_cors,
                      dev_rpc=dev_rpc))


@app.command("devnet")
def devnet_command(
    data_dir: DataDir = Path("./.devnet"),
    rpc_host: RpcHost = "127.0.0.1",
    rpc_port: RpcPort = 8545,
    block_time: BlockTime = 1.0,
    genesis: GenesisFile = DEVNET_GENESIS_PATH,
    l1: Annotated[bool, typer.Option("--l1/--no-l1", envvar="LANTAU_L1", help="Also start an L1 (anvil) with the HKD token and portal.")] = True,
    l1_block_time: Annotated[int, typer.Option("--l1-block-time", envvar="LANTAU_L1_BLOCK_TIME", min=1, metavar="SECONDS", help="Seconds between the L1's blocks (anvil's interval mining, whole seconds). A sequencing window is counted in L1 blocks: 1 s halves the wall time a derivation range takes to be on L1.")] = 2,
    proposer: Annotated[bool, typer.Option("--proposer/--no-proposer", envvar="LANTAU_PROPOSER", help="Run the proposer in the devnet (or run `lantau proposer --devnet DIR` yourself).")] = True,
    challenger: Annotated[bool, typer.Option("--challenger/--no-challenger", envvar="LANTAU_CHALLENGER", help="Run an honest challenger in the devnet (dev account 3; or run `lantau challenger --devnet DIR` yourself).")] = True,
    rpc_cors: RpcCors = "*",
    sample: Annotated[bool, typer.Option("--sample/--no-sample", envvar="LANTAU_SAMPLE", help="Run the sample RWA issuance and alliance market auction before \"Ready\" (--no-sample: ready as soon as the chain is up).")] = True,
    simulate_devices: Annotated[float, typer.Option("--simulate-devices", envvar="LANTAU_SIMULATE_DEVICES", min=0, metavar="SECONDS", help="After \"Ready\", simulated devices of the sample warehouse receipts (KCWR) sign readings every SECONDS and dev 0 posts an epoch every 3 rounds (0: off; needs --sample).")] = 0.0,
) -> None:
    """Run a whole local devnet (L1 anvil + contracts + L2 sequencer) and print its accounts, keys and URLs.

    Each start is a fresh devnet: the new anvil has a new L1 history, so everything the previous
    devnet kept in DATA_DIR (chain, journal, batcher state, L1 address book, rollup config) is
    removed first, and a directory holding anything else is refused. The same information as the
    banner goes to DATA_DIR/devnet.json, removed again on a clean stop.
    """
    if simulate_devices and not sample:
        raise typer.BadParameter("the simulated devices are the sample warehouse receipts': drop --no-sample", param_hint="--simulate-devices")
    accounts = dev_accounts()
    _run(NodeSettings(data_dir, genesis, rpc_host, rpc_port, block_time, admin=True, print_banner=True,
                      info_path=data_dir / "devnet.json", run_sample=sample, simulate_devices_s=simulate_devices, devnet_l1=l1,
                      devnet_l1_block_time_s=l1_block_time, rpc_cors=rpc_cors, dev_rpc=True,
                      # The devnet's roles: batcher = dev account 1, proposer = dev account 2, challenger = 3.
                      batcher_key=accounts[1].private_key if l1 else None,
                      proposer_key=accounts[2].private_key if l1 and proposer else None,
                      challenger_key=accounts[3].private_key if l1 and challenger else None),
         command="devnet", prepare=_fresh_devnet_dir)


# Everything a devnet writes to its data dir (besides the lock): a fresh start removes them all.
DEVNET_STATE = ("chaindata", "transactions.journal", "transactions.journal.tmp", "batcher.json", "batcher.json.tmp",
                "l1-deployment.json", "rollup.json", "devnet.json", "devnet.json.tmp", "chain-identity.json",
                "chain-identity.json.tmp", "challenger.json", "challenger.json.tmp")



def _fresh_devnet_dir(data_dir: Path) -> None:
    """Remove the previous devnet's state from `data_dir` (locked by the caller); refuse a
    directory holding files a devnet did not write (a node's data dir, a typo'd path)."""
    import shutil

    from node.datadir import LOCK_FILE

    foreign = sorted(p.name for p in data_dir.iterdir() if p.name not in (*DEVNET_STATE, LOCK_FILE))
    if foreign:
        raise NotADevnetDir(
            f"{data_dir} holds files a devnet did not write ({', '.join(foreign[:5])}): a devnet starts fresh and would"
            " remove its chain; give an empty or devnet --data-dir (DATA_DIR=… for `make devnet`)"
        )
    for name in DEVNET_STATE:
        path = data_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


@app.command("status")
def status_command(
    devnet: DevnetDir = None,
    l2_rpc: Annotated[Optional[str], typer.Option("--l2-rpc", envvar="LANTAU_L2_RPC", help="The L2 node to ask.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print lantau_syncStatus as JSON.")] = False,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Keep the view live, refreshed every --interval seconds, until Ctrl-C.")] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between refreshes with --watch.")] = 1.0,
) -> None:
    """Heads of a node: unsafe / safe / finalized L2 and the L1 blocks behind them (lantau_syncStatus).

    With --watch the table stays on screen and the heads move in it (in a pipe: one line per
    refresh); Ctrl-C ends it.
    """
    from rich.console import Console
    from rich.live import Live

    if devnet is not None:
        l2_rpc = l2_rpc or read_devnet_info(devnet)["l2_rpc"]
    if l2_rpc is None:
        raise typer.BadParameter("give --devnet DIR or --l2-rpc URL")
    if interval <= 0:
        raise typer.BadParameter("--interval must be above 0", param_hint="--interval")
    if not watch:
        status = _sync_status(l2_rpc)
        if as_json:
            typer.echo(json.dumps(status, indent=2))
        else:
            Console().print(_status_table(l2_rpc, status))
        return
    console = Console()
    try:
        if as_json or not console.is_terminal:
            while True:  # a pipe or a log: one line per refresh
                try:
                    status = _sync_status(l2_rpc)
                    typer.echo(json.dumps(status) if as_json else _status_line(status))
                except LantauError as exc:
                    typer.echo(f"error: {exc}; retrying", err=True)
                time.sleep(interval)
        with Live(console=console, auto_refresh=False, transient=False) as live:
            while True:
                try:
                    live.update(_status_table(l2_rpc, _sync_status(l2_rpc), watching=interval), refresh=True)
                except LantauError as exc:
                    live.update(f"[red]error:[/] {exc}; retrying every {interval:g} s (Ctrl-C to stop)", refresh=True)
                time.sleep(interval)
    except KeyboardInterrupt:
        return  # Ctrl-C is how a watch ends: not an error



def _sync_status(l2_rpc: str) -> dict[str, Any]:
    """lantau_syncStatus of the node at `l2_rpc`, or one line saying why not."""
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "lantau_syncStatus", "params": []}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(l2_rpc, body, {"Content-Type": "application/json"}), timeout=10) as reply:
            answer = json.loads(reply.read())
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NodeUnreachable(f"cannot reach {l2_rpc} ({reason}): is the devnet running (`make devnet`)? Else check --devnet/--l2-rpc") from None
    if "error" in answer:
        raise NodeUnreachable(f"{l2_rpc}: {answer['error']['message']}")
    return dict(answer["result"])


def _status_table(l2_rpc: str, status: dict[str, Any], *, watching: float = 0) -> Any:
    from rich.table import Table

    title = f"sync status of {l2_rpc}" + (f" at {time.strftime('%H:%M:%S')}, every {watching:g} s (Ctrl-C to stop)" if watching else "")
    table = Table(title=title)
    for column in ("head", "number", "hash", "L1 origin"):
        table.add_column(column)
    for name in ("unsafe_l2", "safe_l2", "finalized_l2"):
        ref = status[name]
        table.add_row(name, str(ref["number"]), ref["hash"][:18] + "…", str(ref["l1origin"]["number"]))
    for name in ("head_l1", "current_l1", "safe_l1", "finalized_l1"):
        ref = status[name]
        table.add_row(name, str(ref["number"]), ref["hash"][:18] + "…", "")
    return table


def _status_line(status: dict[str, Any]) -> str:
    heads = " ".join(f"{name}={status[name]['number']}" for name in ("unsafe_l2", "safe_l2", "finalized_l2", "head_l1", "safe_l1", "finalized_l1"))
    return f"{time.strftime('%H:%M:%S')} {heads}"


def _daemon_endpoints(devnet: Optional[Path], l1_rpc: Optional[str], l2_rpc: Optional[str], rollup_config: Optional[Path],
                      key: Optional[str], *, dev_key_index: int) -> tuple[str, str, Path, str]:
    """L1 and L2 endpoints, rollup config and key of a daemon: given, or a devnet's (its dev key)."""
    if devnet is not None:
        info = read_devnet_info(devnet)
        l1_rpc, l2_rpc = l1_rpc or info["l1_rpc"], l2_rpc or info["l2_rpc"]
        rollup_config = rollup_config or Path(info["rollup_config"])
        key = key or dev_accounts()[dev_key_index].private_key
    if not (l1_rpc and l2_rpc and rollup_config and key):
        raise typer.BadParameter("give --devnet DIR, or --l1-rpc, --l2-rpc, --rollup-config and --key")
    return l1_rpc, l2_rpc, rollup_config, key


@app.command("proposer")
def proposer_command(
    key: Annotated[Optional[str], typer.Option("--key", envvar="LANTAU_PROPOSER_KEY", help="The proposer's L1 private key (default on a devnet: dev account 2).")] = None,
    devnet: DevnetDir = None,
    l1_rpc: L1Rpc = None,
    l2_rpc: Annotated[Optional[str], typer.Option("--l2-rpc", envvar="LANTAU_L2_RPC", help="L2 node to read safe outputs from.")] = None,
    rollup_config: RollupFile = None,
    inject_fault: Annotated[Optional[str], typer.Option("--inject-fault", envvar="LANTAU_INJECT_FAULT", help="Devnet only: post the next output with this lie and defend it in its dispute game (state-root, tx-result, block-hash, message-passer-root, a header field: transactions-root, receipts-root, gas-used, timestamp, base-fee; forged-deposit, unbatched-tx, dropped-deposit, l1-info, skipped-forced-inclusion, derivation-end).")] = None,
    inject_at: Annotated[Optional[int], typer.Option("--inject-at", help="With --inject-fault: the L2 block whose output lies (an output block; default: the next one due).")] = None,
    forged_target: Annotated[Optional[str], typer.Option("--forged-target", help="With --inject-fault message-passer-root or forged-deposit: the L1 address the forged withdrawal pays.")] = None,
) -> None:
    """Post output roots of safe L2 blocks to the L1 OutputOracle, every submission interval (resumes from the oracle)."""
    from genesis.rollup_config import RollupConfig

    l1_rpc, l2_rpc, rollup_config, key = _daemon_endpoints(devnet, l1_rpc, l2_rpc, rollup_config, key, dev_key_index=2)
    rollup = RollupConfig.load(rollup_config)
    wiring = L1Wiring(l1_rpc, rollup, None, {})
    services: list[Any] = []
    if inject_fault is None:
        services.append(_proposer(wiring, l2_rpc, key))
    else:
        services.extend(_lying_proposer(wiring, l2_rpc, key, inject_fault, inject_at, forged_target))

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        tasks = [asyncio.create_task(service.run()) for service in services]
        log.info("proposer running", extra={"oracle": rollup.contracts.get("OutputOracle"), "l2_rpc": l2_rpc,
                                            "inject_fault": inject_fault})
        await stop.wait()
        for service in services:
            await service.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        log.info("stopped")

    asyncio.run(serve())


def _lying_proposer(wiring: L1Wiring, l2_rpc: str, key: str, kind_name: str, inject_at: Optional[int],
                    forged_target: Optional[str]) -> list[Any]:
    """A proposer whose output of L2 block `inject_at` (default: the next due) carries the lie
    `kind_name`, posted once (a replacement after the lie is deleted is true), and a player
    defending that lie in its game (`prover.faults`). Refused unless L1 is a devnet's."""
    from bridge.l1_client import L1Client
    from bridge.l1_contract_clients import OutputOracleClient
    from prover.faults import FaultKind, LyingTrace, check_devnet
    from prover.rollup_client import RollupClient

    try:
        kind = FaultKind(kind_name)
    except ValueError:
        raise typer.BadParameter(f"unknown fault {kind_name!r}; one of: {', '.join(k.value for k in FaultKind)}",
                                 param_hint="--inject-fault")
    l1_client = L1Client.connect(wiring.rpc_url)
    check_devnet(l1_client.chain_id)
    oracle = OutputOracleClient(l1_client, wiring.rollup.contracts["OutputOracle"])
    lie_block = oracle.next_block_number() if inject_at is None else inject_at
    interval = int(oracle.contract.functions.submissionInterval().call())
    if lie_block < oracle.next_block_number() or lie_block % interval:
        raise typer.BadParameter(f"L2 block {lie_block} is not an output still to propose (every {interval} blocks, "
                                 f"next {oracle.next_block_number()})", param_hint="--inject-at")
    target = forged_target or dev_accounts()[2].address

    def lying(trace: Any) -> Any:
        return LyingTrace(trace, kind, lie_block, forged_target=target, chain_id=wiring.rollup.l2_chain_id, span=interval)

    defender = _challenger(wiring, l2_rpc, key, None, lie=lying)
    honest = RollupClient(l2_rpc)

    def output_root_of(number: int) -> bytes:
        # The lie is offered until a proposal of it lands (one the oracle refused, e.g.
        # L2BlockInFuture, is asked again for the same block); a re-proposal after the game
        # removed it is honest.
        if number == lie_block and not any(p.l2_block_number == lie_block for p in proposer.proposals):
            log.warning("fault injection: posting a lie", extra={"fault": kind.value, "l2_block": number})
            return defender.trace.output_root(number)
        return honest.output_at(number)

    log.warning("fault injection: the output of L2 block %d will carry a lie", lie_block, extra={"fault": kind.value})
    proposer = _proposer(wiring, l2_rpc, key, output_root_of=output_root_of)
    return [proposer, defender]


@app.command("challenger")
def challenger_command(
    key: Annotated[Optional[str], typer.Option("--key", envvar="LANTAU_CHALLENGER_KEY", help="The challenger's L1 private key (default on a devnet: dev account 3).")] = None,
    devnet: DevnetDir = None,
    l1_rpc: L1Rpc = None,
    l2_rpc: Annotated[Optional[str], typer.Option("--l2-rpc", envvar="LANTAU_L2_RPC", help="The challenger's own L2 node (a verifier) to check outputs against.")] = None,
    rollup_config: RollupFile = None,
    data_dir: Annotated[Path, typer.Option("--data-dir", envvar="LANTAU_DATA_DIR", help="Where the challenger keeps its state (challenger.json).")] = Path("./lantau-challenger"),
    dishonest: Annotated[bool, typer.Option("--dishonest", help="Devnet only: dispute correct outputs with made-up output roots.")] = False,
    lie: Annotated[Optional[str], typer.Option("--lie", help="With --dishonest: what else to lie about: output-root (nothing else, the default) or derivation-end (every block's derivation trace: it opens DerivationBisection against the honest block claim's derivationEnd).")] = None,
    metrics_port: Annotated[Optional[int], typer.Option("--metrics-port", envvar="LANTAU_METRICS_PORT", help="Serve lantau_challenger_* at http://127.0.0.1:PORT/metrics (0: a free port).")] = None,
    max_disputes: Annotated[Optional[int], typer.Option("--max-disputes", help="Open at most this many games (it still plays every game).")] = None,
) -> None:
    """Check every output on L1 against your own L2 node, dispute wrong ones, defend right ones, play every game to the end and claim its bonds (resumes from its state and L1)."""
    from genesis.rollup_config import RollupConfig
    from node.metrics import MetricsRegistry

    from prover.faults import DishonestLie

    if lie is not None and not dishonest:
        raise typer.BadParameter("--lie says what a dishonest challenger lies about: it needs --dishonest", param_hint="--lie")
    if lie is not None and lie not in {d.value for d in DishonestLie}:
        raise typer.BadParameter(f"unknown lie {lie!r}; one of: {', '.join(d.value for d in DishonestLie)}", param_hint="--lie")
    l1_rpc, l2_rpc, rollup_config, key = _daemon_endpoints(devnet, l1_rpc, l2_rpc, rollup_config, key, dev_key_index=3)
    data_dir.mkdir(parents=True, exist_ok=True)
    challenger = _challenger(L1Wiring(l1_rpc, RollupConfig.load(rollup_config), None, {}), l2_rpc, key,
                             data_dir / "challenger.json", dishonest=(lie or DishonestLie.OUTPUT_ROOT.value) if dishonest else None,
                             max_disputes=max_disputes)
    registry = MetricsRegistry()
    register_challenger_metrics(registry, challenger)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        runner = None
        if metrics_port is not None:
            metrics_app = web.Application()
            metrics_app.router.add_get("/metrics", lambda _: web.Response(text=registry.render(), content_type="text/plain"))
            runner = web.AppRunner(metrics_app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", metrics_port).start()
            log.info("metrics at http://%s:%d/metrics", *runner.addresses[0][:2])
        task = asyncio.create_task(challenger.run())
        log.info("challenger running", extra={"address": challenger.address, "l2_rpc": l2_rpc, "dishonest": dishonest,
                                              "lie": (lie or DishonestLie.OUTPUT_ROOT.value) if dishonest else None})
        await stop.wait()
        await challenger.stop()
        await asyncio.gather(task, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()
        log.info("stopped")

    asyncio.run(serve())


def _check_admin(admin: bool, rpc_host: str) -> None:
    if admin and rpc_host not in ("127.0.0.1", "localhost", "::1"):
        raise typer.BadParameter("--admin is only allowed with a loopback --rpc-host", param_hint="--admin")


def _run(settings: NodeSettings, *, command: str = "node", prepare: Optional[Callable[[Path], None]] = None) -> None:
    """Lock the data dir first (a refusal touches nothing), `prepare` it, then serve until stopped."""
    try:
        with DataDirLock.acquire(settings.data_dir, command=command) as lock:
            if prepare is not None:
                prepare(settings.data_dir)
            asyncio.run(serve_node(settings, lock))
    except LantauError as exc:
        log.error("%s", exc)
        raise typer.Exit(1)
    except OSError as exc:
        log.error("cannot start: %s", exc)
        raise typer.Exit(1)
    except Exception:  # a daemon's bug: the whole traceback goes to its log
        log.exception("stopped by an unexpected error")
        raise typer.Exit(1)


def main() -> None:
    """The console script: every error ends the command with one line saying what to do, never a
    traceback (`--log-level debug` logs it too); a daemon's unexpected error is logged whole."""
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    from typer.exceptions import Abort

    from node.cli_common import error_line

    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "lantau"
        print(f"error: {' '.join(exc.format_message().split())} (see `{command} --help`)", file=sys.stderr)
        sys.exit(exc.exit_code)
    except ClickException as exc:
        print(f"error: {' '.join(exc.format_message().split())}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        log.debug("the command failed", exc_info=True)
        print(f"error: {error_line(exc)}", file=sys.stderr)
        sys.exit(1)
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
