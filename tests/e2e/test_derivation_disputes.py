"""A false `derivationEnd` disputed end to end on the devnet (docs/fault-proofs.md, "The game's
level"): the liar's block claim says derivation found no batch for a block the batcher batched
(`found` = 0), naming the block's deposits alone and the state after them. `stepInput` cannot
refute it (the claim's own end state says no batch came: `DerivationMismatch` for the truth's), nor
can the block's transactions (they execute as named): the challenger plays neither and opens `DerivationBisection` against the claim's `derivationEnd`, both daemons play
it over the block's L1 range, and the challenger's step runs the L1 block where its node finds
the batch through `DerivationStep`. Every party a separate process (tests/e2e/dispute_devnet.py),
and the challenger is killed -9 three times in the bisection and restarted on its data dir: L1 and
its persisted state are all it goes on from.
"""

from __future__ import annotations

import json
import re
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from eth_utils import to_checksum_address

from bridge.devnet import fill_blocks_through
from bridge.l1_client import L1Client
from bridge.l1_contract_clients import BisectionInfo, DerivationBisectionClient, DisputeGameClient
from bridge.tx_manager import TxManager
from genesis.dev_accounts import dev_accounts
from genesis.rollup_config import RollupConfig
from prover.dispute_player import trace_index
from prover.dispute_trace import NodeTrace
from prover.faults import FaultKind, LyingTrace
from prover.rollup_client import RollupClient
from tests.e2e.dispute_devnet import (  # noqa: F401  (fixtures: daemons, devnet)
    CHALLENGER, CHALLENGER_WINS, PROPOSER, Daemon, daemons, devnet, lantau_dispute, lie_and_challenger, next_quiet_output_block,
    wait_for, warp,
)

pytestmark = pytest.mark.e2e

RESOLUTIONS = ("resolve", "resolveClaim")


def challenger_transactions(l1: L1Client, from_block: int) -> list[tuple[Any, Any]]:
    """Every L1 transaction the challenger sent from `from_block` on, with its receipt, by nonce."""
    sent = []
    for number in range(from_block, l1.w3.eth.block_number + 1):
        for tx in l1.w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == CHALLENGER:
                sent.append((tx, l1.w3.eth.get_transaction_receipt(tx["hash"])))
    return sorted(sent, key=lambda pair: pair[0]["nonce"])


def resolved_first_by_another(l1: L1Client, tx: Any) -> bool:
    """Whether another sender's identical call (a resolution: anyone may send it) landed before `tx`
    in `tx`'s block."""
    block = l1.w3.eth.get_block(tx["blockNumber"], full_transactions=True)
    return any(other["from"] != tx["from"] and other["to"] == tx["to"] and other["input"] == tx["input"]
               and other["transactionIndex"] < tx["transactionIndex"]
               and l1.w3.eth.get_transaction_receipt(other["hash"])["status"] == 1 for other in block["transactions"])


def pooled_from(l1: L1Client, sender: str) -> list[dict[str, Any]]:
    """`sender`'s transactions waiting in L1's pool (anvil's `txpool_content`)."""
    pending = l1.rpc("txpool_content")["pending"]
    by_sender = next((txs for address, txs in pending.items() if address.lower() == sender.lower()), {})
    return list(by_sender.values())


def answer_held_in_the_pool(l1: L1Client, bisection: DerivationBisectionClient, opened: BisectionInfo, depth: int,
                            function: str, logs: tuple[Daemon, ...]) -> dict[str, Any]:
    """Stop L1's blocks (anvil's interval mining off) as the liar's bisection claim at `depth` comes:
    once it is in the pool (then one block is mined, with it) or on L1, so before the challenger's
    answer to it can be mined (one L1 block later at the earliest). Then wait for the
    challenger's answer (`function` of the bisection) in the pool; that pooled transaction."""
    def liar_claim_coming() -> bool:
        count = bisection.info(opened.game, opened.block_claim).claim_count  # claims at depths 0 .. count - 1
        return count > depth or (count == depth and any(  # the claim it answers is on L1: its answer's in the pool
            tx["to"].lower() == bisection.address.lower() for tx in pooled_from(l1, PROPOSER)))

    deadline = time.monotonic() + 240
    while not liar_claim_coming():  # polled tightly: the pause must come before the next L1 block
        if time.monotonic() > deadline:
            wait_for(f"the liar's bisection claim at depth {depth}", liar_claim_coming, 0, logs)  # raises, with the logs
        time.sleep(0.05)
    l1.rpc("evm_setIntervalMining", [0])
    if bisection.info(opened.game, opened.block_claim).claim_count <= depth:
        l1.rpc("evm_mine")  # the liar's pooled claim, alone: the challenger has not seen it yet
    claims = bisection.claims(opened)
    assert (claims[-1].depth, claims[-1].claimant) == (depth, PROPOSER), "the answer landed before L1 was stopped"

    def answer() -> dict[str, Any] | None:
        for tx in pooled_from(l1, CHALLENGER):
            if tx["to"].lower() == bisection.address.lower():
                called, _ = bisection.contract.decode_function_input(tx["input"])
                if called.fn_name == function:
                    return tx
        return None

    return wait_for(f"the challenger's {function} in L1's pool", answer, 120, logs)


def challenger_metrics(daemon: Daemon) -> dict[str, int]:
    """`lantau_challenger_*` as `daemon` (started with --metrics-port 0) serves them."""
    url = wait_for("the challenger's metrics address", lambda: next(
        (m.group(0) for line in daemon.log_lines() if (m := re.search(r"http://[\d.]+:\d+/metrics", str(line.get("msg"))))), None),
        60, (daemon,))
    with urllib.request.urlopen(url, timeout=10) as reply:
        text = reply.read().decode()
    return {name: int(value) for name, value in re.findall(r"^(lantau_challenger_\w+) (\d+)$", text, re.MULTILINE)}


def test_a_false_derivation_end_loses_the_bisection_to_a_challenger_killed_in_it(devnet, daemons, tmp_path: Path) -> None:
    """`--inject-fault derivation-end`: the challenger bisects the liar's `derivationEnd` over the
    block's L1 range (S .. E from `DerivationStep.derivationRange`), steps at a real L1 block (the
    one where node finds the batch), the bisection's root is countered by the challenger, the
    game's `resolveClaim` counts the block claim countered, the game resolves for the challenger,
    the lie leaves the oracle, and the challenger is paid (the liar's oracle bond among its credit).

    Meanwhile the challenger is killed -9 three times, each time restarted on its data dir, at
    points chosen by watching L1: (1) as soon as its `open` is on L1; (2) with its first move in
    L1's pool (L1's blocks stopped after the liar's claim it answers, so the move stays pending
    while the challenger is dead and restarts); (3) likewise with its `step` pending. The
    TxManager's view of its key shows the answer pending (pending nonce one past the latest, the
    hash in the pool, no receipt); the restarted challenger reads the bisection from L1, estimates
    the owed answer against the pending block and is refused by name (`ClaimAlreadyExists`,
    `DuplicateStep`): it sends nothing, pass after pass; once L1 mines again the answer lands. On L1 nothing of the
    challenger's was made twice (one `create`, one `open`, each move once, one `step`), nothing
    reverted but a resolution another player's identical one beat in the same block, its bonds all
    came back, its balance moved by exactly its fees, its bonds and what it won, and the last
    process's `lantau_challenger_*` count only what that process did."""
    l1, oracle, factory, l2 = devnet["l1"], devnet["oracle"], devnet["factory"], devnet["l2"]
    rollup = RollupConfig.load(devnet["rollup_config"])
    bisection = DerivationBisectionClient(l1, rollup.contracts["DerivationBisection"])
    verifier = NodeTrace(RollupClient(devnet["verifier"].rpc_url))
    lie_block = next_quiet_output_block(l2)
    fill_blocks_through(l2, lie_block)
    wait_for("the verifier's safe head past the lie block", lambda: verifier.safe_l2_number() >= lie_block, 180)
    truth = verifier.block(lie_block)
    assert len(truth.tx_hashes) > 1 and verifier.derivation_end(lie_block).found != bytes(32)  # batched, with user transactions
    play = lie_and_challenger(devnet, daemons, tmp_path, "derivation-end", lie_block)
    liar, lie_index = play.liar, play.lie_index

    wait_for("the lie on L1", lambda: oracle.next_output_index() > lie_index, 240, play.logs)
    posted = oracle.l2_output(lie_index)
    lying = LyingTrace(verifier, FaultKind.DERIVATION_END, lie_block)
    assert posted.output_root == lying.output_root(lie_block) != truth.output_root
    assert lying.block(lie_block).tx_hashes == truth.tx_hashes[:1]  # the L1-info deposit alone (no deposits here)
    game_address = wait_for("the challenger to dispute the lie", lambda: factory.game_count() and factory.game_at(0), 240, play.logs)
    game = DisputeGameClient(l1, game_address)
    info = game.info()
    txmgr = TxManager(l1, dev_accounts()[3].private_key)  # the challenger's key, as L1 holds its nonces and pool
    created_at = int(factory.contract.events.GameCreated().get_logs(from_block=0)[0]["blockNumber"])
    balance_before = l1.w3.eth.get_balance(CHALLENGER, created_at - 1)
    interval_s = l1.rpc("anvil_getIntervalMining")

    def block_claim() -> int | None:
        return next((c.index for c in game.claims() if c.depth == info.split_depth + 1 and c.claimant == PROPOSER), None)

    claim = wait_for("the liar's block claim", block_claim, 240, play.logs)
    assert game.block_derivation(claim) == lying.derivation_end(lie_block).commitment() != verifier.derivation_end(lie_block).commitment()
    opened = wait_for("the challenger to open the bisection (once E is on L1)", lambda: bisection.info(game_address, claim), 240, play.logs)
    trace = verifier.derivation_commitments(lie_block)
    assert (opened.first, opened.last, opened.l2_block_number) == (trace.first, trace.last, lie_block)

    # (1) killed as soon as its open is on L1 (it may still be waiting for the receipt)
    play.challenger.kill(signal.SIGKILL)
    challengers = [play.challenger]

    def restarted() -> Daemon:
        challengers.append(daemons(tmp_path / f"challenger-{len(challengers) + 1}.log", *play.challenger_args, "--metrics-port", "0"))
        return challengers[-1]

    calls: dict[str, bytes] = {}  # pooled answer's hash -> its calldata

    def killed_with_its_answer_pending(challenger: Daemon, pooled: dict[str, Any]) -> tuple[str, int]:
        challenger.kill(signal.SIGKILL)
        tx_hash, nonce = str(pooled["hash"]), int(pooled["nonce"], 16)
        calls[tx_hash] = bytes.fromhex(str(pooled["input"]).removeprefix("0x"))
        assert txmgr.in_pool([tx_hash]) and txmgr.find_receipt([tx_hash]) is None
        assert txmgr.pending_nonce() == txmgr.latest_nonce() + 1 == nonce + 1
        return tx_hash, nonce

    def refused_then_landed(challenger: Daemon, answer: str, error: str, tx_hash: str, nonce: int) -> str:
        refusal = f"L1's pool holds the bisection's {answer} already"
        line = wait_for(f"the restarted challenger found its {answer} pending", lambda: next(
            (line for line in challenger.log_lines() if str(line.get("msg")).startswith(refusal)), None), 120, (liar, challenger))
        assert error in line["msg"] and line["revert"] == error
        time.sleep(3)  # a few more passes (one a second): each asks again, each is refused
        assert txmgr.pending_nonce() == nonce + 1  # nothing sent again
        l1.rpc("evm_setIntervalMining", [interval_s])
        # The dead process's transaction, or the restarted one's takeover of it (the same call at
        # higher fees, `TxManager.take_over_pool`, if the pool held it for `resubmit_after_s`).
        receipt = wait_for("the pending answer mined", lambda: txmgr.latest_nonce() > nonce and l1.receipt(
            l1.rpc("eth_getTransactionBySenderAndNonce", [CHALLENGER, hex(nonce)])["hash"]), 60, (liar, challenger))
        assert receipt["status"] == 1
        assert bytes(l1.w3.eth.get_transaction(receipt["transactionHash"])["input"]) == calls[tx_hash]
        return receipt["transactionHash"].to_0x_hex()

    # (2) killed with its first move (depth 3) pending
    second = restarted()
    move_hash, move_nonce = killed_with_its_answer_pending(
        second, answer_held_in_the_pool(l1, bisection, opened, 2, "move", (liar, second)))
    third = restarted()
    refused_then_landed(third, "bisectionmove", "ClaimAlreadyExists", move_hash, move_nonce)

    # (3) killed with its step pending
    max_depth = bisection.depth()
    pooled_step = answer_held_in_the_pool(l1, bisection, opened, max_depth, "step", (liar, third))
    metrics = challenger_metrics(third)
    assert (metrics["lantau_challenger_bisections_opened"], metrics["lantau_challenger_bisection_moves"],
            metrics["lantau_challenger_bisection_steps"]) == (0, 1, 0)  # its one move (depth 5); the step not mined yet
    step_hash, step_nonce = killed_with_its_answer_pending(third, pooled_step)
    fourth = restarted()
    step_hash = refused_then_landed(fourth, "bisectionstep", "DuplicateStep", step_hash, step_nonce)
    logs = (liar, fourth)

    claims = bisection.claims(opened)
    assert claims[0].value == game.block_derivation(claim) and claims[0].claimant == PROPOSER
    leaf = claims[-1]
    assert leaf.depth == max_depth and leaf.claimant == PROPOSER and leaf.countered_by == CHALLENGER
    assert {c.claimant for c in claims[1:] if c.depth % 2} == {CHALLENGER}  # the opener's side: odd depths
    assert {c.claimant for c in claims[1:] if c.depth % 2 == 0} == {PROPOSER}  # the liar played its lie down to the leaf
    _, step_args = bisection.contract.decode_function_input(l1.w3.eth.get_transaction(step_hash)["input"])
    stepped_at = opened.first + trace_index(leaf.position, max_depth) + (0 if step_args["isAttack"] else 1)
    found_at = opened.first + trace.commitments.index(trace.commitments[-1])
    assert stepped_at == found_at <= opened.last  # a real L1 block, where node finds the batch: DerivationStep ran

    warp(devnet, info.max_clock_duration_s + 1)  # nothing is owed any more: past the clocks
    wait_for("the game resolved", lambda: game.status() != 0, 240, logs)
    # Read before the slow checks below (a `lantau dispute show` subprocess): the challenger claims
    # both credits `bond_delay_s` (20 s) after the resolution, and then they read 0.
    won_in_bisection, won_in_game = bisection.credit(game_address, CHALLENGER), game.credit(CHALLENGER)
    assert game.status() == CHALLENGER_WINS
    assert bisection.root_countered_by(game_address, claim) == CHALLENGER
    assert game.claim(claim).countered_by == CHALLENGER  # the block claim: countered by its derivationEnd's bisection
    assert f"countered by its derivation bisection, won by {CHALLENGER}" in lantau_dispute("show", game_address, *devnet["dir_args"])
    assert max(c.depth for c in game.claims()) == info.split_depth + 1  # nobody bisected the block's transactions
    assert not [line for c in challengers for line in c.log_lines() if line.get("msg") in ("played step", "played stepInput")]
    for index in range(lie_index, oracle.next_output_index()):  # any output there now is a true one
        assert oracle.l2_output(index).output_root != posted.output_root
    forfeited = int(factory.contract.events.GameResolved().get_logs(from_block=0)[0]["args"]["forfeited"])
    assert forfeited >= oracle.required_bond() and game.credit(PROPOSER) == 0 == bisection.credit(game_address, PROPOSER)
    assert won_in_bisection == sum(c.bond_wei for c in claims)  # every bond of the bisection, the liar's among them
    assert won_in_game >= forfeited
    wait_for("the challenger to claim every credit",
             lambda: [line for line in fourth.log_lines() if line.get("msg") == "claimed credit"], 240, logs)
    assert bisection.credit(game_address, CHALLENGER) == 0 == game.credit(CHALLENGER)
    claimed = [(line["msg"], line["credit_wei"]) for line in fourth.log_lines() if str(line.get("msg")).startswith("claimed")]
    assert claimed == [("claimed bisection credit", won_in_bisection), ("claimed credit", won_in_game)]

    # On L1: nothing twice, nothing reverted but a resolution another player's beat, every bond back
    sent = challenger_transactions(l1, created_at)
    contracts = {to_checksum_address(c.address): c.contract for c in (bisection, game, factory)}
    calls = [contracts[to_checksum_address(tx["to"])].decode_function_input(tx["input"]) for tx, _ in sent]
    names = [called.fn_name for called, _ in calls]
    in_bisection = [to_checksum_address(tx["to"]) == bisection.address for tx, _ in sent]
    reverted = [(name, tx) for (tx, receipt), name in zip(sent, names) if receipt["status"] != 1]
    assert all(name in RESOLUTIONS and resolved_first_by_another(l1, tx) for name, tx in reverted), reverted
    assert (names.count("create"), names.count("open"), names.count("step")) == (1, 1, 1)
    moved_from = [args["parentIndex"] for (called, args), ours in zip(calls, in_bisection) if ours and called.fn_name == "move"]
    assert sorted(moved_from) == sorted(c.parent_index for c in claims[2:] if c.claimant == CHALLENGER)  # each move once
    bonds = sum(int(tx["value"]) for tx, _ in sent)
    assert bonds == sum(c.bond_wei for c in (*game.claims(), *claims) if c.claimant == CHALLENGER)
    fees = sum(int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"]) for _, receipt in sent)
    assert l1.w3.eth.get_balance(CHALLENGER) == balance_before - fees - bonds + won_in_bisection + won_in_game
    assert won_in_bisection + won_in_game > bonds  # its bonds back, and the liar's

    # The last process counts what it did (resolutions that landed, its claims), no open, move or step again
    last = [(name, receipt) for (tx, receipt), name in zip(sent, names) if tx["nonce"] > step_nonce]
    metrics = wait_for("the game settled in the challenger's metrics",
                       lambda: (m := challenger_metrics(fourth))["lantau_challenger_open_games"] == 0 and m, 60, logs)
    counted = ("games_created", "bisections_opened", "bisection_moves", "bisection_steps", "moves", "steps", "games_won",
               "games_lost", "credit_claimed_wei", "l1_gas_used", "resolutions", "balance_wei")
    assert {name: metrics[f"lantau_challenger_{name}"] for name in counted} == {
        "games_created": 0, "bisections_opened": 0, "bisection_moves": 0, "bisection_steps": 0, "moves": 0, "steps": 0,
        "games_won": 1, "games_lost": 0, "credit_claimed_wei": won_in_bisection + won_in_game,
        "l1_gas_used": sum(int(receipt["gasUsed"]) for _, receipt in last),
        "resolutions": len([name for name, receipt in last if name == "resolveClaim" and receipt["status"] == 1]),
        "balance_wei": l1.w3.eth.get_balance(CHALLENGER)}
    state = json.loads((tmp_path / "challenger" / "challenger.json").read_text())  # what the four processes persisted
    assert (state["settled"], state["games"], state["wrong"]) == ({game_address: "won"}, [], {})
