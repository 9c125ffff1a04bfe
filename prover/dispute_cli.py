"""`lantau dispute list|show|challenge|resolve`: the dispute games on L1, read and played by hand.

    list                 every game of the factory: output, status, claims, time left on the clocks
    show GAME            a game's claims as a tree: depth, what each claim is about (an L2 block's
                         output, or the state after transaction k of a block), who made it, its bond,
                         whether it is countered, and each side's clock; under a block claim whose
                         `derivationEnd` is disputed, its `DerivationBisection` the same way (each
                         claim the derivation state after an L1 block of the block's range)
    challenge INDEX      dispute output INDEX with your node's claim half-way through its span
    resolve GAME         resolve the claims the clocks allow (a bisection's before its block claim),
                         then the game
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from genesis.dev_accounts import dev_accounts
from node.banner import read_devnet_info

dispute_app = typer.Typer(help="Dispute games on L1: list, show, challenge, resolve.", no_args_is_help=True)
out = Console(soft_wrap=True)

DevnetDir = Annotated[Optional[Path], typer.Option("--devnet", envvar="LANTAU_DEVNET", help="Directory of a running `lantau devnet` (reads devnet.json).")]
L1RpcOpt = Annotated[Optional[str], typer.Option("--l1-rpc", envvar="LANTAU_L1_RPC", help="L1 JSON-RPC URL (instead of --devnet).")]
L2RpcOpt = Annotated[Optional[str], typer.Option("--l2-rpc", envvar="LANTAU_L2_RPC", help="Your L2 node (instead of --devnet).")]
RollupOpt = Annotated[Optional[Path], typer.Option("--rollup-config", envvar="LANTAU_ROLLUP_CONFIG", help="Rollup config JSON (instead of --devnet).")]
KeyOpt = Annotated[Optional[str], typer.Option("--key", envvar="LANTAU_CHALLENGER_KEY", help="L1 private key (default on a devnet: dev account 3).")]
STATUS = ("in progress", "challenger wins", "defender wins")


def _wiring(devnet: Optional[Path], l1_rpc: Optional[str], l2_rpc: Optional[str], rollup: Optional[Path]) -> tuple[Any, Any, Any, Optional[str]]:
    from bridge.l1_client import L1Client
    from bridge.l1_contract_clients import DisputeGameFactoryClient, OutputOracleClient
    from genesis.rollup_config import RollupConfig

    if devnet is not None:
        info = read_devnet_info(devnet)
        l1_rpc, l2_rpc = l1_rpc or info["l1_rpc"], l2_rpc or info["l2_rpc"]
        rollup = rollup or Path(info["rollup_config"])
    if not (l1_rpc and rollup):
        raise typer.BadParameter("give --devnet DIR, or --l1-rpc and --rollup-config")
    contracts = RollupConfig.load(rollup).contracts
    if "DisputeGameFactory" not in contracts:
        raise typer.BadParameter("the rollup config names no DisputeGameFactory: this chain has no dispute game")
    l1 = L1Client.connect(l1_rpc)
    return l1, OutputOracleClient(l1, contracts["OutputOracle"]), DisputeGameFactoryClient(l1, contracts["DisputeGameFactory"]), l2_rpc


def _short(value: bytes) -> str:
    return "0x" + value.hex()[:8] + "…" + value.hex()[-4:]


def _clock_left(game: Any, info: Any, index: int) -> int:
    return max(0, info.max_clock_duration_s - game.challenger_duration(index))


def _bisection_of(l1: Any, factory: Any) -> Any:
    """The games' `DerivationBisectionClient` (None where the factory names none)."""
    from bridge.l1_contract_clients import DerivationBisectionClient

    address = factory.derivation_bisection()
    return None if address is None else DerivationBisectionClient(l1, address)


def _show_bisection(bisection: Any, info: Any, opened: Any, indent: int) -> None:
    """A block claim's `DerivationBisection` as a tree: each claim the derivation state after an L1
    block of its range S .. E (the root: after E, the block claim's `derivationEnd`)."""
    from bridge.l1_contract_clients import NO_ADDRESS
    from prover.dispute_player import depth, trace_index

    max_depth = bisection.depth()
    out.print(f"{'  ' * indent}derivation bisection of #{opened.block_claim}'s derivationEnd: L1 blocks {opened.first} .. "
              f"{opened.last} (depth {max_depth})")
    for claim in bisection.claims(opened):
        d = depth(claim.position)
        l1_block = opened.first + trace_index(claim.position, max_depth)
        about = f"derivation after L1 block {l1_block}" if l1_block <= opened.last else "derivation after E (the end)"
        side = "the block claim's side" if d % 2 == 0 else "opener's side"
        countered = "" if claim.countered_by == NO_ADDRESS else f"  countered by step of {claim.countered_by}"
        left = max(0, info.max_clock_duration_s - bisection.challenger_duration(opened, claim.index))
        resolved = "resolved" if bisection.resolved(opened, claim.index) else f"clock left {left} s"
        parent = "-" if claim.index == 0 else str(claim.parent_index)
        out.print(f"{'  ' * (indent + 1 + d)}b#{claim.index} (parent {parent}, depth {d}, {side}) {about}: {_short(claim.value)}"
                  f"  by {claim.claimant[:10]}…  bond {claim.bond_wei / 10**18:.6f} ETH  {resolved}{countered}")


@dispute_app.command("list")
def list_command(devnet: DevnetDir = None, l1_rpc: L1RpcOpt = None, rollup_config: RollupOpt = None) -> None:
    """Every dispute game: the output it is about, its status, its claims and the clock of the side to move."""
    from bridge.l1_contract_clients import DisputeGameClient

    l1, _, factory, _ = _wiring(devnet, l1_rpc, None, rollup_config)
    count = factory.game_count()
    if count == 0:
        out.print("no dispute games")
        return
    out.print(f"{'game':<42}  {'output':>6}  {'L2 block':>8}  {'status':<15}  {'claims':>6}  clock left (s)")
    for i in range(count):
        game = DisputeGameClient(l1, factory.game_at(i))
        info, status, claims = game.info(), game.status(), game.claim_count()
        left = _clock_left(game, info, claims - 1) if status == 0 else 0
        out.print(f"{game.address:<42}  {info.output_index:>6}  {info.l2_block_number:>8}  {STATUS[status]:<15}  "
                  f"{claims:>6}  {left}")


@dispute_app.command("show")
def show_command(game_address: Annotated[str, typer.Argument(help="The game's address.")], devnet: DevnetDir = None,
                 l1_rpc: L1RpcOpt = None, rollup_config: RollupOpt = None) -> None:
    """A game's claims as a tree, with what each claims, its bond and the clocks."""
    from bridge.l1_contract_clients import NO_ADDRESS, DisputeGameClient
    from prover.dispute_player import GameShape, depth

    l1, _, factory, _ = _wiring(devnet, l1_rpc, None, rollup_config)
    game = DisputeGameClient(l1, game_address)
    bisection = _bisection_of(l1, factory)
    info, status = game.info(), game.status()
    shape = GameShape.of(info)
    out.print(f"game {game.address}: output {info.output_index} (L2 block {info.l2_block_number}), {STATUS[status]}")
    out.print(f"  agreed start: L2 block {info.starting_block_number}, output {_short(info.starting_output_root)}")
    out.print(f"  levels: blocks to depth {info.split_depth}, block subgame at {info.split_depth + 1}, "
              f"transactions to depth {info.max_depth} (trace of {info.trace_length}); clocks {info.max_clock_duration_s} s "
              f"each (extension {info.clock_extension_s} s), bond delay {info.bond_delay_s} s")
    for claim in game.claims():
        d = depth(claim.position)
        number = shape.block_of(claim.position) if claim.index else info.l2_block_number
        if d <= info.split_depth:
            about = f"output of L2 block {number}"
        else:
            k = shape.block_trace_index(claim.position)
            about = (f"output of L2 block {number}" if k == info.trace_length - 1
                     else f"state after tx {k} of L2 block {number}")
        side = "defender" if d % 2 == 0 else "challenger"
        countered = "" if claim.countered_by == NO_ADDRESS else f"  countered by step of {claim.countered_by}"
        if d == info.split_depth + 1:  # a block subgame's root: the inputs it named, and the input leaf
            named = game.block_inputs(claim.index)
            about += f" with {len(named[0])} transactions named" if named is not None else ""
            about += f", derivationEnd {_short(game.block_derivation(claim.index))}"
            by_input = game.input_countered_by(claim.index)
            countered = countered if by_input == NO_ADDRESS else f"  countered by stepInput of {by_input}"
            opened = bisection.info(game.address, claim.index) if bisection is not None else None
            if opened is not None and bisection.resolved(opened, 0):  # its root decides the block claim
                winner = bisection.root_countered_by(game.address, claim.index)
                countered = countered if winner == NO_ADDRESS else f"  countered by its derivation bisection, won by {winner}"
        resolved = "resolved" if game.resolved_subgame(claim.index) else f"clock left {_clock_left(game, info, claim.index)} s"
        parent = "-" if claim.index == 0 else str(claim.parent_index)
        out.print(f"{'  ' * d}#{claim.index} (parent {parent}, depth {d}, {side}) {about}: {_short(claim.value)}"
                  f"  by {claim.claimant[:10]}…  bond {claim.bond_wei / 10**18:.6f} ETH  {resolved}{countered}")
        if d == info.split_depth + 1 and opened is not None:
            _show_bisection(bisection, info, opened, d + 1)


@dispute_app.command("challenge")
def challenge_command(output_index: Annotated[int, typer.Argument(help="Index of the output in the OutputOracle.")],
                      key: KeyOpt = None, devnet: DevnetDir = None, l1_rpc: L1RpcOpt = None, l2_rpc: L2RpcOpt = None,
                      rollup_config: RollupOpt = None) -> None:
    """Dispute an output: your node's output half-way through its span attacks the proposer's (a `lantau challenger` then plays it)."""
    from bridge.tx_manager import TxManager
    from prover.challenger import Challenger
    from prover.dispute_trace import NodeTrace
    from prover.rollup_client import RollupClient

    l1, oracle, factory, l2 = _wiring(devnet, l1_rpc, l2_rpc, rollup_config)
    if l2 is None:
        raise typer.BadParameter("give --l2-rpc: your node says what the output should be")
    key = key or dev_accounts()[3].private_key
    challenger = Challenger(oracle, factory, TxManager(l1, key), NodeTrace(RollupClient(l2)))
    output = oracle.l2_output(output_index)
    if challenger.trace.output_root(output.l2_block_number) == output.output_root:
        out.print(f"output {output_index} (L2 block {output.l2_block_number}) is what your node has: nothing to dispute")
        raise typer.Exit(1)
    if not challenger.create_game(output_index, output.l2_block_number):
        raise typer.Exit(1)
    out.print(f"disputed output {output_index}: game {factory.game_of(output_index, output.output_root)}")


@dispute_app.command("resolve")
def resolve_command(game_address: Annotated[str, typer.Argument(help="The game's address.")], key: KeyOpt = None,
                    devnet: DevnetDir = None, l1_rpc: L1RpcOpt = None, rollup_config: RollupOpt = None) -> None:
    """Resolve every claim whose clock has run out, bottom-up, then the game (anyone may)."""
    from bridge.l1_contract_clients import DisputeGameClient
    from bridge.tx_manager import TxManager

    l1, _, factory, _ = _wiring(devnet, l1_rpc, None, rollup_config)
    txmgr = TxManager(l1, key or dev_accounts()[3].private_key)
    game = DisputeGameClient(l1, game_address)
    bisection = _bisection_of(l1, factory)
    info = game.info()
    if game.status() != 0:
        out.print(f"already resolved: {STATUS[game.status()]}")
        return
    claims = game.claims()
    # a block claim's DerivationBisection first (its resolveClaim waits for it: OutOfOrderResolution)
    for block_claim in (c for c in claims if c.depth == info.split_depth + 1 and bisection is not None):
        opened = bisection.info(game.address, block_claim.index)
        for claim in reversed(bisection.claims(opened)) if opened is not None else ():
            if bisection.resolved(opened, claim.index):
                continue
            left = max(0, info.max_clock_duration_s - bisection.challenger_duration(opened, claim.index))
            if left > 0:
                out.print(f"claim b#{claim.index} of #{block_claim.index}'s derivation bisection: its clock has {left} s left; "
                          "resolve again then")
                raise typer.Exit(1)
            bisection.resolve_claim(txmgr, opened, claim.index)
    for claim in reversed(claims):
        if game.resolved_subgame(claim.index):
            continue
        left = _clock_left(game, info, claim.index)
        if left > 0:
            out.print(f"claim #{claim.index}: its clock has {left} s left; resolve again then")
            raise typer.Exit(1)
        game.resolve_claim(txmgr, claim.index)
    game.resolve(txmgr)
    out.print(f"resolved: {STATUS[game.status()]}")
