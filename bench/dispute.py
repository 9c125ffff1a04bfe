"""Dispute games played on a devnet, per injected fault (docs/fault-proofs.md, "The challenger").

    python bench/dispute.py [--kinds state-root,tx-result,block-hash,message-passer-root,forged-deposit,unbatched-tx,
                                     derivation-end,skipped-forced-inclusion] [--dishonest-lies output-root,derivation-end]
                                     [--no-dishonest]

One `lantau devnet` (no proposer, no challenger of its own), a verifier node, and `lantau
challenger` following the verifier (dev account 3), every one a separate process. For each fault
kind, `lantau proposer --inject-fault KIND --inject-at B` (dev account 2) posts a lie about the
output of block B and defends it (for `dropped-deposit`, B is the output of the span an HKD
deposit made just before lands in; for `derivation-end`, an output block filled with transfers
by `bridge.devnet.fill_blocks_through`, so the batcher batched user transactions the lie says no
batch carried); the challenger disputes it and both play to the step that decides
it (a leaf, or for an input fault the block claim countered by `stepInput`, or for
`derivation-end` the step at the leaf of `DerivationBisection`). Then the
L1 clock is moved past the game's clocks (`bridge.devnet.warp_devnet`: while the sequencer runs,
the devnet's `evm_increaseTime`, L1's and the sequencer's clocks together; once
`force_an_output_block` stopped it, L1's alone), the game resolves and, past
the bond delay, the credit is claimed. Last, a dishonest challenger (dev account 4, `--dishonest
--lie LIE --max-disputes 1`, one game per lie of `--dishonest-lies`, one after the other) disputes
a correct output posted by an honest `lantau proposer`, and the first challenger defends it: with
`output-root` down to the block's transactions, with `derivation-end` in the `DerivationBisection`
the liar opens against the honest block claim's `derivationEnd` (its step at the leaf refused). A `skipped-forced-inclusion` lie needs a block derivation forced: it is
played after the other lies, on the same devnet, whose sequencer is stopped (`admin_stopSequencer`)
while L1 passes a sequencing window (`bridge.devnet.force_an_output_block`), and stays stopped
(the dishonest challengers' games after it are played with it stopped).

Per game: the moves each side made in the game (its claims below the root: the challenger's
`create` is one), and apart from them what each side did in the game's `DerivationBisection`
(`open`, `move`, `step` that landed), the L1 gas each side spent on the game (create, moves, step,
resolutions, credit: every receipt of a transaction to the game, to the factory's `create` of it
or to its bisection) and of it on the bisection, the bonds each side was paid (`claimCredit` of
the game and of its bisection; a liar owed or paid anything has not lost), the step that decided
it, the wall time from the proposal to that step (real: the L1 mines a block every 2 s and the daemons
poll every second) and from the proposal to the payout (the clocks and the bond delay moved by
anvil), and who won. The honest win rate is over every game played (goal: 100 %). Each game's
row is printed to stderr as it ends, and the table of the games played also when one fails.
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
from bridge.devnet import DEVNET_DISPUTES, fill_blocks_through, force_an_output_block, warp_devnet  # noqa: E402
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
class SideFigures:
    """What one contract of a game saw from each side: calls that landed, by function
    (`move`, `step`, `open`, ...), and L1 gas of every transaction sent to it (failed ones too)."""

    calls: dict[str, dict[str, int]]  # sender -> function name -> count of successful calls
    gas: dict[str, int]  # sender -> L1 gas

    def count(self, sender: str, *names: str) -> int:
        return sum(self.calls.get(sender, {}).get(name, 0) for name in names)


@dataclass
class GameFigures:
    label: str
    moves: dict[str, int]  # the game's claims below the root, by claimant (the challenger's `create` is one)
    gas: dict[str, int]  # L1 gas, game and its bisections together, by sender
    bisection: SideFigures | None  # `DerivationBisection`'s part (None: no bisection opened in this game)
    bonds: dict[str, int]  # wei each address posted on the game's claims and its bisections'
    credit: dict[str, int]  # wei each address was paid out of the game and its bisections (`claimCredit`)
    to_leaf_s: float
    to_payout_s: float
    honest_won: bool
    decided_by: str


STEPS = ("stepTransaction", "stepFinish", "stepInput")


def credit_paid(contract: Any, tx: Any, receipt: Any, number: int) -> tuple[str, int] | None:
    """(recipient, wei) of a `claimCredit` that landed: the recipient's credit in the block before."""
    function, args = contract.decode_function_input(bytes(tx["input"]))
    if function.fn_name != "claimCredit" or receipt["status"] != 1:
        return None
    recipient = Web3.to_checksum_address(args["recipient"])
    fixed = (args["game"],) if "game" in args else ()
    return recipient, int(contract.functions.credit(*fixed, recipient).call(block_identifier=number - 1))


def game_gas(l1: L1Client, game: str, factory: str, from_block: int,
             bisection: str | None = None) -> tuple[dict[str, int], list[str], SideFigures | None, dict[str, int]]:
    """L1 gas of every transaction to `game` (and the factory's create of it, and its
    `DerivationBisection`'s transactions), by sender; the steps that landed (the leaf that
    decided the game); the bisection's own calls and gas (None if nobody sent it one); and
    the credit each address claimed from the game and the bisection."""
    gas: dict[str, int] = {}
    steps: list[str] = []
    credit: dict[str, int] = {}
    w3 = l1.w3
    contract = DisputeGameClient(l1, game).contract
    bisection_contract = DerivationBisectionClient(l1, bisection).contract if bisection else None
    bisection_figures = SideFigures({}, {})
    games_of: dict[bytes, str] = {}  # bisection id -> its game (an earlier game's resolutions can land in the window)
    for number in range(from_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if bisection_contract is not None and tx["to"] == bisection:
                receipt = w3.eth.get_transaction_receipt(tx["hash"])  # the bench plays one game at a time
                function, args = bisection_contract.decode_function_input(bytes(tx["input"]))
                if "id" in args:  # `move`, `step`, `resolveClaim` name the bisection: is it one of this game's?
                    if args["id"] not in games_of:
                        games_of[args["id"]] = Web3.to_checksum_address(bisection_contract.functions.bisection(args["id"]).call()[0])
                    if games_of[args["id"]] != game:
                        continue
                elif Web3.to_checksum_address(args["game"]) != game:  # `open`, `claimCredit`
                    continue
                sender, used = tx["from"], int(receipt["gasUsed"])
                gas[sender] = gas.get(sender, 0) + used
                bisection_figures.gas[sender] = bisection_figures.gas.get(sender, 0) + used
                if receipt["status"] == 1:
                    calls = bisection_figures.calls.setdefault(sender, {})
                    calls[function.fn_name] = calls.get(function.fn_name, 0) + 1
                    if function.fn_name == "step":
                        steps.append(f"DerivationBisection.step ({used:,} gas)")
                    if (paid := credit_paid(bisection_contract, tx, receipt, number)) is not None:
                        credit[paid[0]] = credit.get(paid[0], 0) + paid[1]
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
                    if (paid := credit_paid(contract, tx, receipt, number)) is not None:
                        credit[paid[0]] = credit.get(paid[0], 0) + paid[1]
    return gas, steps, (bisection_figures if bisection_figures.gas else None), credit


def bonds_went_to_honest(bonds: dict[str, int], credit: dict[str, int], honest: str, liar: str) -> bool:
    """Whether a game's bonds went where a lost lie sends them: the liar paid (or owed) nothing,
    the honest side at least its own bonds and every one of the liar's (the rest it may get is the
    oracle's forfeited proposer bonds)."""
    return credit.get(liar, 0) == 0 and credit.get(honest, 0) >= bonds.get(honest, 0) + bonds.get(liar, 0)


def play(l1: L1Client, factory: DisputeGameFactoryClient, game_number: int, output_index: int | None,
         posted_at: float, honest: str, label: str, sequencer_rpc: str) -> GameFigures:
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
                leaves = [c for c in bisection.claims(opened) if c.depth == bisection.depth()]
                # a liar's leaf is stepped by the honest side; the honest side's leaf is not (the liar's
                # step is refused): then the clock decides
                return any(c.countered_by != NO_ADDRESS for c in leaves) or bool(leaves) and waited_at_leaf()
        return None

    def waited_at_leaf() -> bool:
        """A leaf nobody steps: 15 s after it was first seen, the clock decides."""
        return time.monotonic() - leaf_seen.setdefault("t", time.monotonic()) > 15

    def at_leaf() -> bool:
        claims = game.claims()
        if (stepped := bisection_stepped(claims)) is not None:
            return stepped
        if any(c.depth == info.split_depth + 1 and game.input_countered_by(c.index) != NO_ADDRESS for c in claims):
            return True  # a block claim countered by the input leaf
        leaf = claims[-1]
        if leaf.depth != info.max_depth:
            return False
        return leaf.countered_by != NO_ADDRESS or waited_at_leaf()

    leaf_seen: dict[str, float] = {}
    wait("the deciding step", at_leaf, 600)
    to_leaf = time.monotonic() - posted_at
    warp_devnet(l1, sequencer_rpc, info.max_clock_duration_s + 1)
    wait("resolution", lambda: game.status() != 0, 300)
    warp_devnet(l1, sequencer_rpc, info.bond_delay_s + 1)
    wait("the honest side's payout", lambda: game.credit(honest) == 0 and (
        bisection is None or bisection.credit(address, honest) == 0), 120)
    to_payout = time.monotonic() - posted_at
    claims = game.claims()
    moves: dict[str, int] = {}
    for claim in claims[1:]:
        moves[claim.claimant] = moves.get(claim.claimant, 0) + 1
    bonds: dict[str, int] = {}  # posted on the game's and its bisections' claims
    opened = [bisection.info(address, c.index) for c in claims if bisection and c.depth == info.split_depth + 1]
    for claim in claims[1:] + tuple(c for b in opened if b is not None for c in bisection.claims(b)[1:]):  # type: ignore[union-attr]
        bonds[claim.claimant] = bonds.get(claim.claimant, 0) + claim.bond_wei
    defender_won = game.status() == 2
    honest_won = defender_won if label.startswith("dishonest") else not defender_won  # the liar is the proposer
    gas, steps, bisection_figures, credit = game_gas(l1, address, factory.address, max(0, start_block - 30),
                                                     bisection_address if bisection else None)
    liar = DISHONEST if label.startswith("dishonest") else LIAR_PROPOSER
    owed_to_liar = game.credit(liar) + (bisection.credit(address, liar) if bisection else 0)
    credit[liar] = credit.get(liar, 0) + owed_to_liar  # paid or still claimable: the liar's winnings either way
    return GameFigures(label, moves, gas, bisection_figures, bonds, credit, to_leaf, to_payout,
                       honest_won and bonds_went_to_honest(bonds, credit, honest, liar),
                       ", ".join(steps) or "clock")


def format_table(figures: list[GameFigures]) -> str:
    """The bench's table: a game's moves and gas, with `DerivationBisection`'s part (opens, moves,
    steps; its L1 gas) in columns of its own (the game's moves are the game's claims alone)."""
    names = {HONEST_CHALLENGER: "honest", LIAR_PROPOSER: "liar", DISHONEST: "liar"}

    def side(by_address: dict[str, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for address, value in by_address.items():
            out[names.get(address, address)] = out.get(names.get(address, address), 0) + value
        return out

    def bisection_calls(f: GameFigures, who: str) -> str:
        if f.bisection is None:
            return "-"
        address = {"honest": HONEST_CHALLENGER, "liar": DISHONEST if f.label.startswith("dishonest") else LIAR_PROPOSER}[who]
        b = f.bisection
        return f"{b.count(address, 'open')} / {b.count(address, 'move')} / {b.count(address, 'step')}"

    lines = ["| game | decided by | game moves honest / liar | bisection open / moves / steps honest | bisection open / moves / steps liar |"
             " L1 gas honest (of it bisection) | L1 gas liar (of it bisection) | bonds posted honest / liar, paid honest / liar (ETH) |"
             " proposal to deciding step (s) | to payout (s, clocks warped) | honest won |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for f in figures:
        moves, gas, bonds, credit = side(f.moves), side(f.gas), side(f.bonds), side(f.credit)
        bisection_gas = side(f.bisection.gas) if f.bisection else {}
        lines.append(
            f"| {f.label} | {f.decided_by} | {moves.get('honest', 0)} / {moves.get('liar', 0)} | {bisection_calls(f, 'honest')} |"
            f" {bisection_calls(f, 'liar')} | {gas.get('honest', 0):,} ({bisection_gas.get('honest', 0):,}) |"
            f" {gas.get('liar', 0):,} ({bisection_gas.get('liar', 0):,}) |"
            f" {bonds.get('honest', 0) / 10**18:.4f} / {bonds.get('liar', 0) / 10**18:.4f},"
            f" {credit.get('honest', 0) / 10**18:.4f} / {credit.get('liar', 0) / 10**18:.4f} |"
            f" {f.to_leaf_s:.0f} | {f.to_payout_s:.0f} | {'yes' if f.honest_won else 'NO'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--dishonest-lies", default="output-root,derivation-end",
                        help="a game of `lantau challenger --dishonest --lie LIE` per lie")
    parser.add_argument("--no-dishonest", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `finally` stops every process this bench started
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
            processes.append(liar)  # stopped below, or by `finally` if the game fails
            lie_index = lie_block // interval - 1
            wait(f"the lie ({kind})", lambda: oracle.next_output_index() > lie_index, 300)
            posted = time.monotonic()
            figures.append(play(l1, factory, number, lie_index, posted, HONEST_CHALLENGER, kind, info["l2_rpc"]))
            liar.stop()
            print(f"{kind}: done\n{format_table(figures[-1:])}", file=sys.stderr, flush=True)
        lies = [] if args.no_dishonest else [lie for lie in args.dishonest_lies.split(",") if lie]
        if lies:
            honest = Process(work / "proposer.log", "proposer", "--devnet", str(work / "devnet"))
            processes.append(honest)
        for number, lie in enumerate(lies, start=len(kinds)):
            first_due = oracle.next_block_number()
            dishonest = Process(work / f"dishonest-{lie}.log", "challenger", "--devnet", str(work / "devnet"), "--dishonest",
                                "--lie", lie, "--max-disputes", "1", "--key", ACCOUNTS[4].private_key,
                                "--data-dir", str(work / f"dishonest-{lie}"))
            processes.append(dishonest)
            index = first_due // interval - 1
            wait("an honest output", lambda: oracle.next_output_index() > index, 300)
            figures.append(play(l1, factory, number, None, time.monotonic(), HONEST_CHALLENGER, f"dishonest challenger ({lie})",
                                info["l2_rpc"]))
            dishonest.stop()  # the next lie's challenger signs with the same key
            print(f"dishonest {lie}: done\n{format_table(figures[-1:])}", file=sys.stderr, flush=True)
    finally:
        for process in reversed(processes):
            process.stop()
        print(format_table(figures))  # the games played, also when one failed
    won = sum(f.honest_won for f in figures)
    print(f"\nhonest win rate: {won}/{len(figures)} = {100 * won / max(1, len(figures)):.0f} %  (goal: 100 %)")
    print(f"logs: {work}")


if __name__ == "__main__":
    main()
