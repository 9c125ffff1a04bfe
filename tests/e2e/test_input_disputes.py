"""Input faults disputed end to end on the devnet (docs/fault-proofs.md, "The challenger"): the
liar's output is of a chain whose block has transactions L1 never gave it, and the game is decided
by the input leaf (`stepInput`, the devnet's `InputOracle`), every party a separate process (the set-up of tests/e2e/dispute_devnet.py, as
tests/e2e/test_dispute_games.py's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from bridge.deposit_client import deposit_hkd, wait_for_l2_receipt
from bridge.devnet import DEVNET_DISPUTES
from bridge.l1_client import L1CallReverted, L1Client
from bridge.l1_contract_clients import NO_ADDRESS, Claim, DisputeGameClient, HkdTokenClient, PortalClient
from bridge.l1_contracts import L1Deployment
from bridge.tx_manager import TxManager
from genesis.dev_accounts import dev_accounts
from genesis.rollup_config import RollupConfig
from prover.dispute_trace import NodeTrace
from genesis.rollup_config import SEQUENCING_WINDOW
from node.l1_info import l1_info_on_same_origin
from node.vm import LantauTransactionBuilder
from prover.faults import FaultKind, LyingTrace, forged_deposit, unbatched_transaction
from prover.input_step import InputEvidenceSource, InputRollup
from prover.rollup_client import RollupClient
from tests.e2e.dispute_devnet import (  # noqa: F401  (fixtures: daemons, devnet)
    CHALLENGER, CHALLENGER_WINS, PROPOSER, daemons, devnet, lantau_dispute, lie_and_challenger, next_quiet_output_block,
    wait_for, warp,
)
from tests.e2e.test_input_oracle import LIES

pytestmark = pytest.mark.e2e


def input_countered_claim(game: DisputeGameClient, block_depth: int) -> int | None:
    """The block claim (depth split + 1) countered by the input leaf, if any."""
    for claim in game.claims():
        if claim.depth == block_depth and game.input_countered_by(claim.index) != NO_ADDRESS:
            return claim.index
    return None


def countered_at_the_block_claim(devnet: dict, logs: tuple, lie_index: int, lie: bytes) -> tuple[DisputeGameClient, Any, int]:
    """Waits for the challenger's game about the lie (output `lie_index`, root `lie`) and for its
    `stepInput` on the liar's block claim; checks nobody bisected under that claim. Returns the
    game, its info and the countered claim's index."""
    l1, factory = devnet["l1"], devnet["factory"]
    game_address = wait_for("the challenger to dispute the lie", lambda: factory.game_count() and factory.game_at(0), 120, logs)
    game = DisputeGameClient(l1, game_address)
    info = game.info()
    assert (info.output_index, info.root_claim) == (lie_index, lie)
    block_depth = info.split_depth + 1
    root = wait_for("the challenger to counter the block claim by stepInput", lambda: input_countered_claim(game, block_depth), 240, logs)
    claims = game.claims()
    assert game.input_countered_by(root) == CHALLENGER
    assert claims[root].claimant == PROPOSER and max(c.depth for c in claims) == block_depth  # no bisection under it
    return game, info, root


def rule_broken(devnet: dict, game: DisputeGameClient, claim: Claim, number: int) -> tuple[str, int]:
    """`InputOracle.lieOf` on what `claim` named for block `number`, with the evidence the
    challenger gathers: the rule L1 says the claim broke, and the transaction position."""
    verifier = RollupClient(devnet["verifier"].rpc_url)
    l1: L1Client = devnet["l1"]
    rollup = RollupConfig.load(devnet["rollup_config"])
    first = NodeTrace(verifier).transaction_step(number, 0)
    timestamp = int(first.context[1])
    found = NodeTrace(verifier).derivation_end(number).found  # the batch derivation takes (node's `lantau_derivationEnd`)
    parent, evidence = InputEvidenceSource(l1, verifier, InputRollup.of(rollup)).parts(number, first.transaction, timestamp, found)
    named = game.block_inputs(claim.index)
    assert named is not None
    oracle = l1.contract("InputOracle", rollup.contracts["InputOracle"])
    lie, index = l1.call(oracle.functions.lieOf(number, verifier.output_at(number - 1), parent.as_abi(),
                                                (list(named[0]), timestamp, found), evidence.as_abi()))
    return LIES[lie], int(index)


def test_a_forged_deposit_loses_at_the_input_leaf_and_its_withdrawal_never_pays(devnet, daemons, tmp_path: Path) -> None:
    """`--inject-fault forged-deposit`: the lie's block holds, after its L1-info deposit, a deposit
    no L1 log made, minting 1,000 HKD to dev account 5 and withdrawing it at once; the lying output's
    message passer holds that withdrawal, which is proven on L1 against it. The challenger bisects
    to the block, sees the transactions the liar names (`BlockInputsNamed`) are not its verifier's,
    and counters the block claim by `stepInput`: `InputOracle` finds the block's batch carries no
    such transaction. No transaction is re-executed; the game resolves for the challenger, the lie
    is deleted, the forged withdrawal never finalizes, the portal pays nothing, and the challenger
    is paid every bond of the game and the liar's oracle bond."""
    l1, oracle, factory, verifier = devnet["l1"], devnet["oracle"], devnet["factory"], devnet["verifier"]
    contracts = devnet["info"]["contracts"]
    portal, hkd = PortalClient(l1, contracts["LantauPortal"]), HkdTokenClient(l1, contracts["HKDStablecoin"])
    thief = dev_accounts()[5]
    lie_block = next_quiet_output_block(devnet["l2"])
    play = lie_and_challenger(devnet, daemons, tmp_path, "forged-deposit", lie_block, "--forged-target", thief.address)
    challenger, logs, lie_index, dir_args = play.challenger, play.logs, play.lie_index, devnet["dir_args"]

    wait_for("the lie on L1", lambda: oracle.next_output_index() > lie_index, 240, logs)
    posted = oracle.l2_output(lie_index)
    # the same lie, rebuilt here from the verifier's chain: the forged deposit in block `lie_block`
    chain_id = int(devnet["l2"].eth.chain_id)
    lying = LyingTrace(NodeTrace(RollupClient(verifier.rpc_url)), FaultKind.FORGED_DEPOSIT, lie_block,
                       forged_target=thief.address, chain_id=chain_id)
    assert posted.output_root == lying.output_root(lie_block)
    lie = lying.block(lie_block)
    forged = lying.forged
    assert forged is not None
    receipt = portal.prove_withdrawal(TxManager(l1, thief.private_key), forged.withdrawal.as_abi(), lie_index,
                                      (b"\x00" * 32, lie.state_root, forged.storage_root, lie.block_hash), list(forged.storage_proof))
    assert receipt["status"] == 1  # against the lie, the withdrawal of the forged mint is "proven"
    portal_before, thief_before = hkd.balance_of(portal.address), hkd.balance_of(thief.address)

    game, info, root = countered_at_the_block_claim(devnet, logs, lie_index, posted.output_root)
    game_address, block_depth, claims = game.address, info.split_depth + 1, game.claims()
    named = game.block_inputs(root)
    assert named is not None and keccak(forged_deposit(thief.address)) in named[0]  # the liar named the forged deposit
    truth = NodeTrace(RollupClient(verifier.rpc_url)).block(lie_block)
    assert len(named[0]) == len(truth.tx_hashes) + 1
    assert rule_broken(devnet, game, claims[root], lie_block) == ("NotTheBatchedTransactions", 1)  # what L1 decided
    assert [line for line in challenger.log_lines() if line.get("msg") == "played stepInput"]
    assert not [line for line in challenger.log_lines() if line.get("msg") == "played step"]
    shown = lantau_dispute("show", game_address, *dir_args)  # the readable view names the input leaf
    assert f"output of L2 block {lie_block} with {len(named[0])} transactions named" in shown
    assert f"countered by stepInput of {CHALLENGER}" in shown
    # refused by name: a second input step on the same claim
    again = game.step_input_call(root, (list(named[0]), named[1]), (bytes(32), bytes(32), bytes(32)), b"")
    with pytest.raises(L1CallReverted) as refused:
        game.check(again)
    assert refused.value.revert is not None and refused.value.revert.name == "DuplicateStep"

    warp(devnet, info.max_clock_duration_s + 1)
    wait_for("the game resolved", lambda: game.status() != 0, 240, logs)
    assert game.status() == CHALLENGER_WINS
    assert max(c.depth for c in game.claims()) == block_depth  # nobody played under the countered claim
    for index in range(lie_index, oracle.next_output_index()):  # any output there now is a true one
        assert oracle.l2_output(index).output_root != posted.output_root
    bonds = sum(c.bond_wei for c in claims)
    forfeited = int(factory.contract.events.GameResolved().get_logs(from_block=0)[0]["args"]["forfeited"])
    assert forfeited >= oracle.required_bond() and game.credit(PROPOSER) == 0

    warp(devnet, max(info.bond_delay_s, oracle.finalization_period_s()) + 1)
    finalize = portal.contract.functions.finalizeWithdrawalTransaction(forged.withdrawal.as_abi())
    with pytest.raises(L1CallReverted) as never:
        l1.call(finalize)
    assert never.value.revert is not None and never.value.revert.name == "OutputInvalidated"
    assert not portal.finalized(forged.withdrawal.withdrawal_hash)
    assert (hkd.balance_of(portal.address), hkd.balance_of(thief.address)) == (portal_before, thief_before)
    claimed = wait_for("the challenger to claim its credit",
                       lambda: [line for line in challenger.log_lines() if line.get("msg") == "claimed credit"], 60, logs)
    assert [line["credit_wei"] for line in claimed] == [bonds + forfeited]
    assert game.credit(CHALLENGER) == 0


@pytest.mark.campaign  # CI: MissingDeposit by stepInput in tests/e2e/test_input_oracle.py, the devnet input game above
def test_a_dropped_deposit_loses_at_the_input_leaf(devnet, daemons, tmp_path: Path) -> None:
    """`--inject-fault dropped-deposit`: an HKD deposit made on L1 lands in L2 block D; the liar
    posts the output of the span holding D as if D had left it out (the HKD never minted). The
    challenger bisects the span down to D, where the liar's block claim names D's transactions
    without the deposit, and counters it by `stepInput`: `InputOracle` finds the origin's portal
    deposit missing (`MissingDeposit`). The game resolves for the challenger and the lie is gone."""
    l1, oracle, factory, verifier = devnet["l1"], devnet["oracle"], devnet["factory"], devnet["verifier"]
    deployment = L1Deployment.load(devnet["dir"] / "l1-deployment.json")
    deposit = deposit_hkd(l1.w3, deployment, dev_accounts()[6].private_key, to=dev_accounts()[7].address, amount_units=2_500_000)
    deposit_block = int(wait_for_l2_receipt(devnet["l2"], deposit.l2_tx_hash, timeout_s=120)["blockNumber"])
    interval = DEVNET_DISPUTES.output_interval
    lie_block = -(-deposit_block // interval) * interval  # the output of the span holding it
    play = lie_and_challenger(devnet, daemons, tmp_path, "dropped-deposit", lie_block)
    logs, lie_index = play.logs, play.lie_index

    game_address = wait_for("the challenger to dispute the lie", lambda: factory.game_count() and factory.game_at(0), 240, logs)
    game = DisputeGameClient(l1, game_address)
    info = game.info()
    assert info.output_index == lie_index
    root = wait_for("the challenger to counter the block claim by stepInput",
                    lambda: input_countered_claim(game, info.split_depth + 1), 300, logs)
    claims = game.claims()
    assert game.input_countered_by(root) == CHALLENGER and claims[root].claimant == PROPOSER
    assert int(l1.call(game.contract.functions.blockOf(root))[1]) == deposit_block  # bisected down to D
    named = game.block_inputs(root)
    assert named is not None and bytes(deposit.l2_tx_hash) not in named[0]
    assert bytes(deposit.l2_tx_hash) in NodeTrace(RollupClient(verifier.rpc_url)).block(deposit_block).tx_hashes
    assert rule_broken(devnet, game, claims[root], deposit_block) in (("MissingDeposit", 1), ("WrongDeposit", 1))

    warp(devnet, info.max_clock_duration_s + 1)
    wait_for("the game resolved", lambda: game.status() != 0, 240, logs)
    assert game.status() == CHALLENGER_WINS
    for index in range(lie_index, oracle.next_output_index()):
        assert oracle.l2_output(index).output_root != info.root_claim


def test_a_skipped_forced_inclusion_loses_at_the_input_leaf(devnet, daemons, tmp_path: Path) -> None:
    """`--inject-fault skipped-forced-inclusion` on `lantau devnet`: its sequencer is stopped
    (`admin_stopSequencer`, so its batcher posts nothing new) and L1 mined past the next origins'
    sequencing windows (`bridge.devnet.force_an_output_block`), so the verifier (and the devnet's
    own derivation) derives forced deposit-only blocks through output block B, on the next L1
    origins (the sequencer stays stopped; derivation goes on forcing blocks). The liar posts the
    output of a chain in which forced block B is skipped: in its place the block the sequencer
    would have built, still on its parent's L1 origin (sequence number + 1), carrying a sequenced
    transfer no batch ever carried. The challenger bisects to B, sees the liar's named transactions
    are not its verifier's, and counters the block claim by `stepInput`: `InputOracle` rebuilds the
    liar's L1-info deposit (an allowed one: the parent's origin) and reads the inbox empty over B's
    whole batch window (`windowWithoutBatches`), so B must move to the next origin
    (`NotTheForcedOrigin`). The game resolves for the challenger and the lie leaves the oracle."""
    from bridge.devnet import force_an_output_block

    l1, oracle = devnet["l1"], devnet["oracle"]
    verifier = RollupClient(devnet["verifier"].rpc_url)
    sequencer_rpc = devnet["info"]["l2_rpc"]
    lie_block = force_an_output_block(l1, sequencer_rpc, devnet["verifier"].rpc_url,
                                      output_interval=DEVNET_DISPUTES.output_interval, sequencing_window=SEQUENCING_WINDOW)
    sequenced = devnet["l2"].eth.get_block(lie_block)["hash"].hex()
    assert sequenced.removeprefix("0x") == devnet["verifier"].rpc("eth_getBlockByNumber", [hex(lie_block), False])["hash"][2:]
    truth = NodeTrace(verifier).block(lie_block)
    assert all(NodeTrace(verifier).transaction_step(lie_block, k).transaction[:1] == b"\x7e"
               for k in range(len(truth.tx_hashes)))  # deposit-only: a forced block
    play = lie_and_challenger(devnet, daemons, tmp_path, "skipped-forced-inclusion", lie_block)
    logs, lie_index = play.logs, play.lie_index

    wait_for("the lie on L1", lambda: oracle.next_output_index() > lie_index, 240, logs)
    posted = oracle.l2_output(lie_index)
    chain_id = int(devnet["l2"].eth.chain_id)
    lying = LyingTrace(NodeTrace(verifier), FaultKind.SKIPPED_FORCED_INCLUSION, lie_block, chain_id=chain_id)
    assert posted.output_root == lying.output_root(lie_block) != truth.output_root

    game, info, root = countered_at_the_block_claim(devnet, logs, lie_index, posted.output_root)
    claims = game.claims()
    assert int(l1.call(game.contract.functions.blockOf(root))[1]) == lie_block
    named = game.block_inputs(root)
    assert named is not None
    parent_l1_info = LantauTransactionBuilder.decode(NodeTrace(verifier).transaction_step(lie_block - 1, 0).transaction)
    stay = keccak(bytes(l1_info_on_same_origin(parent_l1_info).encode()))
    assert list(named[0]) == [stay, keccak(unbatched_transaction(chain_id))]  # the old origin, a sequenced transaction
    assert stay != truth.tx_hashes[0]
    assert rule_broken(devnet, game, claims[root], lie_block) == ("NotTheForcedOrigin", 0)
    assert not [line for line in play.challenger.log_lines() if line.get("msg") == "played step"]

    warp(devnet, info.max_clock_duration_s + 1)
    wait_for("the game resolved", lambda: game.status() != 0, 240, logs)
    assert game.status() == CHALLENGER_WINS
    for index in range(lie_index, oracle.next_output_index()):  # any output there now is a true one
        assert oracle.l2_output(index).output_root != posted.output_root
