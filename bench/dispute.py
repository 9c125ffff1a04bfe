"""Dispute games played on a devnet, per injected fault (docs/fault-proofs.md, "The challenger").

    python bench/dispute.py [--kinds state-root,tx-result,block-hash,message-passer-root,forged-deposit,unbatched-tx,
                                     derivation-end,skipped-forced-inclusion] [--no-dishonest]

One `lantau devnet` (no proposer, no challenger of its own), a verifier node, and `lantau
challenger` following the verifier (dev account 3), every one a separate process. For each fault
kind, `lantau proposer --inject-fault KIND --inject-at B` (dev account 2) posts a lie about the
output of block B and defends it (for `dropped-deposit`, B is the output of the span an HKD
deposit made just before lands in; for `derivation-end`, an output block filled with transfers
by `bridge.devnet.fill_blocks_through`, so the batcher batched user transactions the lie says no
batch carried); the challenger disputes it and both play to the step that decides
it (a leaf, or for an input fault the block claim countered by `stepInput`, or for
`derivation-end` the step at the leaf of `DerivationBisection`). Then the
L1 clock is moved past the game's clocks (the devnet's `evm_increaseTime`, L1's and the sequencer's clocks together:
`bridge.devnet.advance_devnet_time`), the game resolves and, past
the bond delay, the credit is claimed. Last, a dishonest challenger (dev account 4, `--dishonest
--max-disputes 1`) disputes a correct output posted by an honest `lantau proposer`, and the first
challenger defends it. A `skipped-forced-inclusion` lie needs a block derivation forced: it is
played after the other lies, on the same devnet, whose sequencer is stopped (`admin_stopSequencer`)
while L1 passes a sequencing window (`bridge.devnet.force_an_output_block`), then started again.

Per game: the moves each side made, the L1 gas each side spent on the game (create, moves, step,
resolutions, credit: every receipt of a transaction to the game or to the factory's `create`),
the step that decided it, the wall time from the proposal to that step (real: the L1 mines a block every 2 s and the daemons
poll every second) and from the proposal to the payout (the clocks and the bond delay moved by
anvil), and who won. The honest win rate is over every game played (goal: 100 %).
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from web3 import Web3  # noqa: E402

from bridge.deposit_client import deposit_hkd, wait_for_l2_receipt  # noqa: E402
from bridge.devnet import DEVNET_DISPUTES, advance_devnet_time, fill_blocks_through, force_an_output_block  # noqa: E402
from bridge.l1_contracts import L1Deployment  # noqa: E402
from bridge.l1_client import L1Client  # noqa: E402
from bridge.l1_contract_clients import (  # noqa: E402
    NO_ADDRESS, DerivationBisectionClient, DisputeGameClient, DisputeGameFactoryClient, OutputOracleClient,
)
from genesis.dev_accounts import dev_accounts  # noqa: E402
from genesis.rollup_config import SEQUENCING_WINDOW  # noqa: E402

ACCOUNTS = dev_accounts()
HONEST_CHALLENGER, LIAR_PROPOSER, DISHONEST = ACCOUNTS[3].address, ACCOUNTS[2].address, ACCOUNTS[4].address
KINDS = ("state-root", "tx-result", "block-hash", "message-passer-root", "forged-deposit", "unbatched-tx", "dropped-deposit", "l1-info",
         "transactions-root", "receipts-root", "gas-used", "timestamp", "base-fee", "derivation-end", "skipped-forced-inclusion")
#: Kinds whose lie needs a block derivation forced: played last on the devnet, after
#: `bridge.devnet.force_an_output_block` stopped its sequencer for a sequencing window.
FORCED_BLOCK_KINDS = ("skipped-forced-inclusion",)


class Process:
    def __init__(self, log: Path, *args: str) -> None:
        env = dict(os.environ, ETH_HASH_BACKEND="pysha3", PYTHONUNBUFFERED="1")
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen([sys.executable, "-m", "node.cli", "--log-format", "json", *args], cwd=ROOT,
                                          env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def rpc_url(self, timeout_s: float = 120) -> str:
        return wait("an RPC URL", lambda: next((json.loads(line)["msg"].split()[-1] for line in self.log.read_text().splitlines()
                                               if line.startswith("{") and "RPC listening" in line), None), timeout_s)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def wait(what: str, check: Callable[[], Any], timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
        except (OSError, ValueError):
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


@dataclass
class GameFigures:
    label: str
    moves: dict[str, int]
    gas: dict[str, int]
    to_leaf_s: float
    to_payout_s: float
    honest_won: bool
    decided_by: str


STEPS = ("stepTransaction", "stepFinish", "stepInput")


def game_gas(l1: L1Client, game: str, factory: str, from_block: int, bisection: str | None = None) -> tuple[dict[str, int], list[str]]:
    """L1 gas of every transaction to `game` (and the factory's create of it, and its
    `DerivationBisection`'s transactions), by sender, and the steps that landed (the leaf that
    decided the game)."""
    gas: dict[str, int] = {}
    steps: list[str] = []
    w3 = l1.w3
    contract = DisputeGameClient(l1, game).contract
    bisection_contract = DerivationBisectionClient(l1, bisection).contract if bisection else None
    for number in range(from_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if bisection is not None and tx["to"] == bisection:
                receipt = w3.eth.get_transaction_receipt(tx["hash"])  # the bench plays one game at a time
                gas[tx["from"]] = gas.get(tx["from"], 0) + int(receipt["gasUsed"])
                if receipt["status"] == 1 and bisection_contract.get_function_by_selector(bytes(tx["input"])[:4]).fn_name == "step":
                    steps.append(f"DerivationBisection.step ({int(receipt['gasUsed']):,} gas)")
                continue
            if tx["to"] in (game, factory):
                receipt = w3.eth.get_transaction_receipt(tx["hash"])
                if tx["to"] == factory and not any(log["address"] == game for log in receipt["logs"]):
                    continue
                gas[tx["from"]] = gas.get(tx["from"], 0) + int(receipt["gasUsed"])
                if tx["to"] == game and receipt["status"] == 1:
                    name = contract.get_function_by_selector(bytes(tx["input"])[:4]).fn_name
                    if name in STEPS:
                        steps.append(f"{name} ({int(receipt['gasUsed']):,} gas)")
    return gas, steps


def warp(l1: L1Client, sequencer_rpc: str | None, seconds: int) -> None:
    """Move the clocks the game and the bond delay wait on: L1's and the sequencer's together
    (`advance_devnet_time`; L1's alone would leave the sequencer's origin behind for good and
    its blocks forced), or L1's alone (`sequencer_rpc` None) once the sequencer is stopped for good."""
    if sequencer_rpc is None:
        l1.rpc("evm_increaseTime", [seconds])
        l1.rpc("evm_mine", [])
    else:
        advance_devnet_time(sequencer_rpc, seconds)


def play(l1: L1Client, factory: DisputeGameFactoryClient, game_number: int, output_index: int | None,
         posted_at: float, honest: str, label: str, sequencer_rpc: str | None) -> GameFigures:
    start_block = l1.head().number
    address = wait(f"game {game_number}", lambda: factory.game_count() > game_number and factory.game_at(game_number), 300)
    game = DisputeGameClient(l1, address)
    info = game.info()
    assert output_index is None or info.output_index == output_index, (info.output_index, output_index)

    bisection_address = Web3.to_checksum_address(factory.contract.functions.config().call()[11])
    bisection = None if bisection_address == NO_ADDRESS else DerivationBisectionClient(l1, bisection_address)

    def bisection_stepped(claims: tuple[Any, ...]) -> bool | None:
        """For a block claim whose derivationEnd is bisected: whether its leaf was stepped (None: none bisected)."""
        for claim in claims:
            opened = bisection.info(address, claim.index) if bisection and claim.depth == info.split_depth + 1 else None
            if opened is not None:
                depth = bisection.depth()
                return any(c.depth == depth and c.countered_by != NO_ADDRESS for c in bisection.claims(opened))
        return None

    def at_leaf() -> bool:
        claims = game.claims()
        if (stepped := bisection_stepped(claims)) is not None:
            return stepped
        if any(c.depth == info.split_depth + 1 and game.input_countered_by(c.index) != NO_ADDRESS for c in claims):
            return True  # a block claim countered by the input leaf
        leaf = claims[-1]
        if leaf.depth != info.max_depth:
            return False
        return leaf.countered_by != NO_ADDRESS or time.monotonic() - leaf_seen.setdefault("t", time.monotonic()) > 15

    leaf_seen: dict[str, float] = {}
    wait("the deciding step", at_leaf, 600)
    to_leaf = time.monotonic() - posted_at
    warp(l1, sequencer_rpc, info.max_clock_duration_s + 1)
    wait("resolution", lambda: game.status() != 0, 300)
    warp(l1, sequencer_rpc, info.bond_delay_s + 1)
    wait("the honest side's payout", lambda: game.credit(honest) == 0, 120)
    to_payout = time.monotonic() - posted_at
    claims = game.claims()
    moves: dict[str, int] = {}
    for claim in claims[1:]:
        moves[claim.claimant] = moves.get(claim.claimant, 0) + 1
    defender_won = game.status() == 2
    honest_won = defender_won if label.startswith("dishonest") else not defender_won  # the liar is the proposer
    gas, steps = game_gas(l1, address, factory.address, max(0, start_block - 30), bisection_address if bisection else None)
    return GameFigures(label, moves, gas, to_leaf, to_payout, honest_won, ", ".join(steps) or "clock")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--no-dishonest", action="store_true")
    args = parser.parse_args()
    chosen = [k for k in args.kinds.split(",") if k]
    kinds = [k for k in chosen if k not in FORCED_BLOCK_KINDS] + [k for k in chosen if k in FORCED_BLOCK_KINDS]
    work = Path(tempfile.mkdtemp(prefix="lantau-dispute-bench-"))
    processes: list[Process] = []
    figures: list[GameFigures] = []
    try:
        devnet = Process(work / "devnet.log", "devnet", "--data-dir", str(work / "devnet"), "--rpc-port", "0",
                         "--block-time", "1", "--no-proposer", "--no-challenger")
        processes.append(devnet)
        info = wait("devnet.json", lambda: json.loads((work / "devnet" / "devnet.json").read_text()), 180)
        verifier = Process(work / "verifier.log", "node", "--data-dir", str(work / "verifier"), "--rpc-port", "0",
                           "--role", "verifier", "--devnet", str(work / "devnet"))
        processes.append(verifier)
        verifier_url = verifier.rpc_url()
        l1 = L1Client.connect(info["l1_rpc"])
        oracle = OutputOracleClient(l1, info["contracts"]["OutputOracle"])
        factory = DisputeGameFactoryClient(l1, info["contracts"]["DisputeGameFactory"])
        l2 = Web3(Web3.HTTPProvider(info["l2_rpc"]))
        challenger = Process(work / "challenger.log", "challenger", "--devnet", str(work / "devnet"), "--l2-rpc",
                             verifier_url, "--data-dir", str(work / "challenger"))
        processes.append(challenger)
        interval = DEVNET_DISPUTES.output_interval
        for number, kind in enumerate(kinds):
            lie_block = max(oracle.next_block_number() + 2 * interval, (l2.eth.block_number + 8) // interval * interval + interval)
            if kind == "dropped-deposit":  # the lie needs a deposit: one of 2.5 HKD, the span's output holding it
                deployment = L1Deployment.load(work / "devnet" / "l1-deployment.json")
                deposit = deposit_hkd(l1.w3, deployment, ACCOUNTS[6].private_key, to=ACCOUNTS[7].address, amount_units=2_500_000)
                deposit_block = int(wait_for_l2_receipt(l2, deposit.l2_tx_hash, timeout_s=120)["blockNumber"])
                lie_block = -(-deposit_block // interval) * interval
            if kind == "derivation-end":  # the lie needs a block the batcher batched with user transactions
                fill_blocks_through(l2, lie_block)
            if kind in FORCED_BLOCK_KINDS:  # the sequencer stopped for a sequencing window: B forced
                lie_block = force_an_output_block(l1, info["l2_rpc"], verifier_url, output_interval=interval,
                                                  sequencing_window=SEQUENCING_WINDOW)
            liar = Process(work / f"proposer-{kind}.log", "proposer", "--devnet", str(work / "devnet"), "--inject-fault", kind,
                           "--inject-at", str(lie_block), "--forged-target", ACCOUNTS[5].address)
            lie_index = lie_block // interval - 1
            wait(f"the lie ({kind})", lambda: oracle.next_output_index() > lie_index, 300)
            posted = time.monotonic()
            sequencer_stopped = any(k in FORCED_BLOCK_KINDS for k in kinds[:number + 1])  # force_an_output_block stopped it
            figures.append(play(l1, factory, number, lie_index, posted, HONEST_CHALLENGER, kind,
                                None if sequencer_stopped else info["l2_rpc"]))
            liar.stop()
            print(f"{kind}: done", file=sys.stderr, flush=True)
        if not args.no_dishonest:
            honest = Process(work / "proposer.log", "proposer", "--devnet", str(work / "devnet"))
            processes.append(honest)
            first_due = oracle.next_block_number()
            dishonest = Process(work / "dishonest.log", "challenger", "--devnet", str(work / "devnet"), "--dishonest",
                                "--max-disputes", "1", "--key", ACCOUNTS[4].private_key, "--data-dir", str(work / "dishonest"))
            processes.append(dishonest)
            index = first_due // interval - 1
            wait("an honest output", lambda: oracle.next_output_index() > index, 300)
            sequencer_stopped = any(k in FORCED_BLOCK_KINDS for k in kinds)
            figures.append(play(l1, factory, len(kinds), None, time.monotonic(), HONEST_CHALLENGER, "dishonest challenger",
                                None if sequencer_stopped else info["l2_rpc"]))
    finally:
        for process in reversed(processes):
            process.stop()
    names = {HONEST_CHALLENGER: "honest", LIAR_PROPOSER: "liar", DISHONEST: "liar"}
    print("\n| game | decided by | moves honest / liar | L1 gas honest | L1 gas liar | proposal to deciding step (s) |"
          " to payout (s, clocks warped) | honest won |")
    print("|---|---|---|---|---|---|---|---|")
    for f in figures:
        moves = {names.get(k, k): v for k, v in f.moves.items()}
        gas = {names.get(k, k): v for k, v in f.gas.items()}
        print(f"| {f.label} | {f.decided_by} | {moves.get('honest', 0)} / {moves.get('liar', 0)} | {gas.get('honest', 0):,} | "
              f"{gas.get('liar', 0):,} | {f.to_leaf_s:.0f} | {f.to_payout_s:.0f} | {'yes' if f.honest_won else 'NO'} |")
    won = sum(f.honest_won for f in figures)
    print(f"\nhonest win rate: {won}/{len(figures)} = {100 * won / max(1, len(figures)):.0f} %  (goal: 100 %)")
    print(f"logs: {work}")


if __name__ == "__main__":
    main()
