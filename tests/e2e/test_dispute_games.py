"""Dispute games on a whole devnet, every party a separate process (docs/fault-proofs.md, "The
challenger"): `lantau devnet` (anvil, the contracts with the dispute game factory as the oracle's
only challenger, sequencer, batcher), a verifier node deriving from L1 alone, `lantau challenger`
following that verifier, and `lantau proposer --inject-fault` posting a lie and defending it.

The game is played to the leaf by the two daemons; the test waits only on the L1 clock, which it
moves once the leaf is stepped (the game's clocks and the bond delay are what it waits for), with
the devnet's sequencer's clock beside it (`dispute_devnet.warp`).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from bridge.devnet import warp_devnet
from bridge.l1_client import L1CallReverted as L1CallRevertedError
from bridge.l1_client import L1Client
from bridge.l1_contract_clients import NO_ADDRESS, DisputeGameClient, DisputeGameFactoryClient, OutputOracleClient
from genesis.dev_accounts import dev_accounts
from tests.e2e.dispute_devnet import (  # noqa: F401 (fixtures: daemons, devnet)
    CHALLENGER, CHALLENGER_WINS, DEFENDER_WINS, PROPOSER, daemons, devnet, dispute_block_parts, lantau_dispute,
    lie_and_challenger, next_quiet_output_block, wait_for, warp,
)

pytestmark = pytest.mark.e2e


@pytest.mark.campaign  # CI: the forged-withdrawal game below (a lying proposer on the devnet) and tests/contracts/test_dispute_played.py
def test_a_lying_proposer_loses_its_game_and_bond_to_the_honest_challenger(devnet, daemons, tmp_path: Path) -> None:
    """`--inject-fault state-root`: the output of block B claims another state after its last
    transaction. The challenger disputes it, both daemons play to the leaf, the challenger steps
    (the one-step proof re-executes the transaction on L1), the game resolves for the challenger,
    the lie (and every output after it) leaves the oracle, and the challenger is credited every
    bond of the game and the liar's oracle bonds."""
    l1, oracle, factory = devnet["l1"], devnet["oracle"], devnet["factory"]
    lie_block = next_quiet_output_block(devnet["l2"])
    play = lie_and_challenger(devnet, daemons, tmp_path, "state-root", lie_block)
    challenger, logs, lie_index, dir_args = play.challenger, play.logs, play.lie_index, devnet["dir_args"]

    game_address = wait_for("the challenger to dispute the lie", lambda: factory.game_count() and factory.game_at(0),
                            240, logs)
    game = DisputeGameClient(l1, game_address)
    info = game.info()
    assert (info.output_index, info.l2_block_number) == (lie_index, lie_block)
    true_root = bytes.fromhex(devnet["verifier"].rpc("lantau_outputAtBlock", [hex(lie_block)])["outputRoot"][2:])
    assert info.root_claim != true_root  # the liar's root

    def leaf_stepped() -> bool:
        claims = game.claims()
        return claims[-1].depth == info.max_depth and claims[-1].countered_by != NO_ADDRESS

    wait_for("the game played to the leaf and stepped", leaf_stepped, 300, logs)
    claims = game.claims()
    assert claims[-1].countered_by == CHALLENGER
    assert {c.claimant for c in claims[1:] if c.depth % 2 == 1} == {CHALLENGER}
    assert {c.claimant for c in claims[1:] if c.depth % 2 == 0} == {PROPOSER}  # the liar defended to the leaf
    assert len(claims) == info.max_depth + 1  # one claim per depth: 16 moves
    assert not oracle.contract.functions.isOutputFinalized(lie_index).call()
    shown = lantau_dispute("show", game_address, *dir_args)  # the readable view of the claims and clocks
    assert f"output {lie_index} (L2 block {lie_block}), in progress" in shown
    assert f"state after tx 0 of L2 block {lie_block}" in shown and f"countered by step of {CHALLENGER}" in shown
    assert len([line for line in shown.splitlines() if line.lstrip().startswith("#")]) == len(claims)
    listed = lantau_dispute("list", *dir_args)
    assert game_address in listed and "in progress" in listed

    warp(devnet, info.max_clock_duration_s + 1)
    wait_for("the game resolved", lambda: game.status() != 0, 240, logs)
    assert game.status() == CHALLENGER_WINS
    for index in range(lie_index, oracle.next_output_index()):  # any output there now is a true one
        assert oracle.l2_output(index).output_root != info.root_claim
    bonds = sum(c.bond_wei for c in claims)
    forfeited = int(factory.contract.events.GameResolved().get_logs(from_block=0)[0]["args"]["forfeited"])
    assert forfeited >= oracle.required_bond()  # the liar's oracle bond (and any later output's)
    assert game.credit(PROPOSER) == 0
    credit = game.credit(CHALLENGER)
    assert credit in (bonds + forfeited, 0)  # 0: already claimed (the bond delay passed)

    warp(devnet, info.bond_delay_s + 1)
    claimed = wait_for("the challenger to claim its credit",
                       lambda: [line for line in challenger.log_lines() if line.get("msg") == "claimed credit"], 60, logs)
    assert [line["credit_wei"] for line in claimed] == [bonds + forfeited]
    assert game.credit(CHALLENGER) == 0


def test_a_forged_withdrawal_never_pays_and_a_challenger_killed_mid_game_still_wins(devnet, daemons, tmp_path: Path) -> None:
    """`--inject-fault message-passer-root`: the lie's message passer storage holds a withdrawal
    the L2 never sent (1,000 HKD to dev account 5). It is proven on L1 against the lying output
    (the portal accepts the proof: the output is on L1), the challenger disputes the output and is
    killed -9 in the middle of the game, restarted on its data dir, and wins the game at the
    finish leaf; the forged withdrawal can never be finalized and the portal pays nothing."""
    from bridge.l1_contract_clients import HkdTokenClient, PortalClient
    from bridge.tx_manager import TxManager
    from prover.faults import forged_withdrawal

    l1, oracle, factory = devnet["l1"], devnet["oracle"], devnet["factory"]
    contracts = devnet["info"]["contracts"]
    portal, hkd = PortalClient(l1, contracts["LantauPortal"]), HkdTokenClient(l1, contracts["HKDStablecoin"])
    thief = dev_accounts()[5]
    lie_block = next_quiet_output_block(devnet["l2"])
    play = lie_and_challenger(devnet, daemons, tmp_path, "message-passer-root", lie_block, "--forged-target", thief.address)
    liar, challenger, logs, lie_index = play.liar, play.challenger, play.logs, play.lie_index

    wait_for("the lie on L1", lambda: oracle.next_output_index() > lie_index, 240, logs)
    lie = oracle.l2_output(lie_index)
    forged = forged_withdrawal(thief.address)
    block = dispute_block_parts(devnet["verifier"], lie_block)
    output_proof = (b"\x00" * 32, block["stateRoot"], forged.storage_root, block["blockHash"])
    thief_txmgr = TxManager(l1, thief.private_key)
    receipt = portal.prove_withdrawal(thief_txmgr, forged.withdrawal.as_abi(), lie_index, output_proof, list(forged.storage_proof))
    assert receipt["status"] == 1  # against the lie, the forged withdrawal is "proven"
    portal_before, thief_before = hkd.balance_of(portal.address), hkd.balance_of(thief.address)

    game_address = wait_for("the challenger to dispute the lie", lambda: factory.game_count() and factory.game_at(0), 120, logs)
    game = DisputeGameClient(l1, game_address)
    info = game.info()
    assert info.root_claim == lie.output_root
    wait_for("the game half played", lambda: game.claim_count() >= info.max_depth // 2, 180, logs)
    challenger.kill(signal.SIGKILL)  # kill -9, in the middle of the game
    claims_when_killed = game.claim_count()
    assert claims_when_killed < info.max_depth + 1
    challenger = daemons(tmp_path / "challenger.log", *play.challenger_args)  # the same data dir
    assert (tmp_path / "challenger" / "challenger.json").exists()

    def leaf_stepped() -> bool:
        claims = game.claims()
        return claims[-1].depth == info.max_depth and claims[-1].countered_by != NO_ADDRESS

    wait_for("the restarted challenger to play to the leaf and step", leaf_stepped, 300, (liar, challenger))
    assert game.claims()[-1].countered_by == CHALLENGER

    def played_steps() -> list[int]:
        return [line["leaf"] for line in challenger.log_lines() if line.get("msg") == "played step"]

    # the daemon logs its step once the receipt is back, which can be after L1 shows the counter
    wait_for("the challenger to log its step", played_steps, 60, (liar, challenger))
    assert played_steps() == [info.max_depth]
    warp(devnet, info.max_clock_duration_s + 1)
    wait_for("the game resolved", lambda: game.status() != 0, 240, (liar, challenger))
    assert game.status() == CHALLENGER_WINS

    warp(devnet, max(info.bond_delay_s, oracle.finalization_period_s()) + 1)
    finalize = portal.contract.functions.finalizeWithdrawalTransaction(forged.withdrawal.as_abi())
    try:
        l1.call(finalize)
        raise AssertionError("the forged withdrawal could be finalized")
    except L1CallRevertedError as exc:
        assert exc.revert is not None and exc.revert.name == "OutputInvalidated", exc
    assert not portal.finalized(forged.withdrawal.withdrawal_hash)
    assert (hkd.balance_of(portal.address), hkd.balance_of(thief.address)) == (portal_before, thief_before)
    wait_for("the challenger to claim its credit", lambda: game.credit(CHALLENGER) == 0, 60, (liar, challenger))


@pytest.mark.campaign  # contract-level twin in CI: tests/contracts/test_dispute_played.py
def test_a_dishonest_challenger_loses_to_the_devnet_challenger(node_factory, daemons, tmp_path: Path) -> None:
    """`lantau devnet` runs the proposer and an honest challenger; `lantau challenger --dishonest`
    (dev account 4) disputes a correct output with made-up output roots. The devnet's challenger
    defends the output down to the leaf, where the liar's step is refused by L1; the game resolves
    for the defender, the output stays and finalizes, and the liar's bonds go to the defender."""
    devnet_dir = tmp_path / "devnet"
    # no RWA sample: it runs before the devnet is ready, and took past the start timeout on a loaded machine
    node_factory(data_dir=devnet_dir, command="devnet", block_time_s=1, extra_args=("--no-sample",))
    info = json.loads((devnet_dir / "devnet.json").read_text())
    l1 = L1Client.connect(info["l1_rpc"])
    oracle = OutputOracleClient(l1, info["contracts"]["OutputOracle"])
    factory = DisputeGameFactoryClient(l1, info["contracts"]["DisputeGameFactory"])
    liar_account = dev_accounts()[4]
    liar = daemons(tmp_path / "dishonest.log", "challenger", "--devnet", str(devnet_dir), "--dishonest", "--max-disputes", "1",
                   "--key", liar_account.private_key, "--data-dir", str(tmp_path / "dishonest"))

    game_address = wait_for("the dishonest challenger to dispute", lambda: factory.game_count() and factory.game_at(0), 240, (liar,))
    game = DisputeGameClient(l1, game_address)
    info_game = game.info()
    output = oracle.l2_output(info_game.output_index)
    assert output.output_root == info_game.root_claim  # a correct output, as the devnet's node has it

    def at_leaf() -> bool:
        claims = game.claims()
        return claims[-1].depth == info_game.max_depth

    wait_for("the devnet's challenger to defend down to the leaf", at_leaf, 300, (liar,))
    claims = game.claims()
    assert {c.claimant for c in claims[1:] if c.depth % 2 == 0} == {CHALLENGER}  # the devnet's challenger defended
    assert {c.claimant for c in claims[1:] if c.depth % 2 == 1} == {liar_account.address}
    wait_for("the liar's step refused", lambda: any("ValidStep" in str(line.get("msg")) for line in liar.log_lines()), 60, (liar,))
    assert claims[-1].countered_by == NO_ADDRESS

    warp_devnet(l1, info["l2_rpc"], info_game.max_clock_duration_s + 1)  # dispute_devnet.warp, on this test's own devnet
    wait_for("the game resolved", lambda: game.status() != 0, 240, (liar,))
    assert game.status() == DEFENDER_WINS
    assert oracle.l2_output(info_game.output_index).output_root == info_game.root_claim  # the output stays
    liar_bonds = sum(c.bond_wei for c in claims if c.claimant == liar_account.address)
    assert game.credit(liar_account.address) == 0
    assert game.credit(CHALLENGER) in (sum(c.bond_wei for c in claims[1:]), 0)
    assert liar_bonds > 0
    warp_devnet(l1, info["l2_rpc"], info_game.bond_delay_s + 1)
    wait_for("the devnet's challenger to claim the liar's bonds", lambda: game.credit(CHALLENGER) == 0, 60, (liar,))
    assert wait_for("the output final", lambda: oracle.is_output_finalized(info_game.output_index), 60, (liar,))


@pytest.mark.campaign  # contract-level twin in CI: tests/contracts/test_dispute_played.py
def test_a_liar_that_stops_answering_loses_on_its_clock(devnet, daemons, tmp_path: Path) -> None:
    """The lying proposer is killed -9 as soon as its lie is on L1, so nobody defends it: the
    challenger's first claim stands once the proposer's clock has run out, the game resolves for
    the challenger, and the challenger is credited its bond and the liar's oracle bond."""
    l1, oracle, factory = devnet["l1"], devnet["oracle"], devnet["factory"]
    lie_block = next_quiet_output_block(devnet["l2"])
    play = lie_and_challenger(devnet, daemons, tmp_path, "block-hash", lie_block)
    liar, logs, lie_index = play.liar, play.logs, play.lie_index
    wait_for("the lie on L1", lambda: oracle.next_output_index() > lie_index, 240, logs)
    liar.kill(signal.SIGKILL)

    game_address = wait_for("the challenger to dispute the lie", lambda: factory.game_count() and factory.game_at(0), 120, logs)
    game = DisputeGameClient(l1, game_address)
    info = game.info()
    assert info.output_index == lie_index
    assert [c.claimant for c in game.claims()[1:]] == [CHALLENGER]  # its first claim, and no answer
    warp(devnet, info.max_clock_duration_s + 1)
    wait_for("the game resolved", lambda: game.status() != 0, 120, logs)
    assert game.status() == CHALLENGER_WINS
    assert game.claim_count() == 2
    claims = game.claims()
    forfeited = int(factory.contract.events.GameResolved().get_logs(from_block=0)[0]["args"]["forfeited"])
    assert forfeited == oracle.required_bond()  # the lie's oracle bond (the liar posted nothing after it)
    assert game.credit(CHALLENGER) in (claims[1].bond_wei + forfeited, 0) and game.credit(PROPOSER) == 0
