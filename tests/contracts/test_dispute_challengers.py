"""Several players in one dispute game, and an L1 reorg in the middle of one (issue 16's tests:
"two challengers at once", "multiple disputes on the same output", "an L1 reorg during a game").

The players are the shipped `prover.challenger.Challenger` daemons, one pass at a time, each with
its own key and `TxManager`, on a real anvil with the real `DisputeGameFactory`, `OutputDisputeGame`,
`OneStepProof` and `BlockFinishLeaf` (the set-up of test_dispute_played: outputs every 4 L2 blocks,
a block trace of 8, clocks of 100 s, bond delay 50 s). Their traces are the L2 chain of
test_dispute_played (blocks 1..4 built by py-evm in process) read by `ChainTrace`; a liar's is a
`prover.faults.LyingTrace` of it, as `lantau proposer --inject-fault` and `lantau challenger
--dishonest` play. The test moves only L1's clock (past the game clocks, then the bond delay).

What each game must show: the liar loses, every honest player's credit is exactly what OP's
resolution owes it (its own standing claims' bonds, the bond of every lying claim it countered,
the forfeited oracle bonds for the first standing attack on the root), the credits add up to the
bonds posted plus the forfeits (nothing paid twice, nothing lost), and the game holds nothing
once everyone is paid."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import pytest
import rlp

from web3.contract import Contract

from bridge.l1_client import L1Client
from bridge.l1_contract_clients import DisputeGameClient, DisputeGameFactoryClient, OutputOracleClient, candidate_of
from bridge.tx_manager import FeeCaps, TxManager
from prover.challenger import Challenger, ChallengerConfig
from prover.dispute_trace import ChainTrace, Trace
from prover.faults import HEADER_FIELD, FaultKind, LyingTrace
from tests.contracts.step_diff import anvil_options  # noqa: F401 (fixture: anvil with a high gas limit)
from tests.contracts.test_dispute_played import (  # noqa: F401 (fixtures: the L2 chain, the L1 contracts)
    BOND_DELAY_S, FINALIZATION_S, MAX_CLOCK_S, ORACLE_BOND, PROPOSER, L2, l2, propose, system, warp,
)
from tests.harness.evm import Contracts

HONEST_A, HONEST_B, DISHONEST = 4, 6, 7
IN_PROGRESS, CHALLENGER_WINS, DEFENDER_WINS = 0, 1, 2
NO_ONE = "0x" + "00" * 20
LIE_BLOCK = 4  # the oracle's first output (blocks 1..4)


def player(contracts: Contracts, system: dict[str, Contract], account: int, trace: Trace, *,
           create_games: bool = True) -> Challenger:
    l1 = L1Client(contracts.w3)
    return Challenger(OutputOracleClient(l1, system["oracle"].address), DisputeGameFactoryClient(l1, system["factory"].address),
                      TxManager(l1, contracts.keys[account]), trace, ChallengerConfig(poll_interval_s=0, create_games=create_games))


def lying_proposer(contracts: Contracts, system: dict[str, Contract], l2: L2,
                   kind: FaultKind = FaultKind.STATE_ROOT) -> tuple[Challenger, int]:
    """Posts output 0 with a lie of `kind` about block 4 (by default the state root after its last
    transaction made up), and the player that defends it (`lantau proposer --inject-fault KIND`:
    it disputes nothing)."""
    trace = LyingTrace(ChainTrace(l2.chain), kind, LIE_BLOCK)
    index = propose(contracts, system["oracle"], trace.output_root(LIE_BLOCK))
    return player(contracts, system, PROPOSER, trace, create_games=False), index


def play(rounds: Sequence[Challenger], *, until: Callable[[], bool], passes: int = 40) -> None:
    """Passes of the players in `rounds` order until `until()` or nobody has anything to send."""
    for _ in range(passes):
        sent = False
        for challenger in rounds:
            sent |= challenger.step()
            if until():
                return
        if not sent:
            return
    raise AssertionError(f"still playing after {passes} rounds")


def finish(contracts: Contracts, players: Sequence[Challenger], game: DisputeGameClient) -> None:
    """Past every clock: the players resolve the game; past the bond delay: they claim their credit."""
    warp(contracts, MAX_CLOCK_S + 1)
    play(players, until=lambda: game.status() != IN_PROGRESS)
    assert game.status() != IN_PROGRESS
    warp(contracts, BOND_DELAY_S)
    play(players, until=lambda: False)


def owed(game: DisputeGameClient, honest: set[str], forfeited: int) -> dict[str, int]:
    """What OP's resolution owes each account, from the claims alone (docs/fault-proofs.md,
    "Clocks"): an honest claim stands (every lying child is countered), so its bond returns to its
    claimant; a lying claim's bond goes to the honest claim that answered it first, or, at a leaf,
    to the stepper; `forfeited` (the oracle bonds of the outputs deleted) goes with the root to the first standing
    attack on it."""
    claims = game.claims()
    due: dict[str, int] = {}
    for claim in claims[1:]:
        if claim.claimant in honest:
            to = claim.claimant
        else:
            answers = [c for c in claims if c.parent_index == claim.index and c.claimant in honest]
            to = answers[0].claimant if answers else claim.countered_by
        due[to] = due.get(to, 0) + claim.bond_wei
    first_attack = next(c for c in claims[1:] if c.parent_index == 0 and c.claimant in honest)
    return due | {first_attack.claimant: due.get(first_attack.claimant, 0) + forfeited}


def the_game(system: dict[str, Contract], contracts: Contracts) -> DisputeGameClient:
    factory = DisputeGameFactoryClient(L1Client(contracts.w3), system["factory"].address)
    assert factory.game_count() == 1, "one game per output"
    return DisputeGameClient(L1Client(contracts.w3), factory.game_at(0))


def test_two_honest_challengers_at_once_each_get_their_bonds_and_nothing_is_paid_twice(
        contracts: Contracts, system, l2: L2, isolated) -> None:
    oracle = system["oracle"]
    liar, index = lying_proposer(contracts, system, l2)
    propose(contracts, oracle, b"\x42" * 32)  # a later output: it goes with the lie
    a = player(contracts, system, HONEST_A, ChainTrace(l2.chain))
    b = player(contracts, system, HONEST_B, ChainTrace(l2.chain))
    assert a.step() and a.metrics.games_created == 1
    # B saw the same wrong output at the same time: its `create` is refused by name on estimation
    # (nothing sent, no bond lost) and it joins the game A created.
    assert not b.create_game(index, LIE_BLOCK)
    game = the_game(system, contracts)
    # The game's ancestor record (a BLOCKHASH window deeper than a step's calldata): the challenger
    # records headers once; a second pass finds them recorded and sends nothing.
    headers = [rlp.encode(l2.chain.header_by_number(n)) for n in (3, 2)]
    assert not game.header_recorded(headers[-1])
    a._record_headers(game, headers)
    assert game.header_recorded(headers[0]) and game.header_recorded(headers[-1])
    nonce = contracts.w3.eth.get_transaction_count(a.address)
    a._record_headers(game, headers)
    assert contracts.w3.eth.get_transaction_count(a.address) == nonce
    # The honest challengers take turns to answer the liar: each has claims of its own in the game.
    play([liar, b, liar, a], until=lambda: game.claims()[-1].countered_by != NO_ONE)
    claims = game.claims()
    claimants = {c.claimant for c in claims[1:]}
    assert {a.address, b.address, liar.address} == claimants
    # No position holds two equal claims: the second answer of the same move was never made.
    assert len({(c.parent_index, c.position, c.value) for c in claims}) == len(claims)
    finish(contracts, [liar, a, b], game)

    assert game.status() == CHALLENGER_WINS
    assert oracle.functions.nextOutputIndex().call() == index  # the lie and the later output are gone
    due = owed(game, {a.address, b.address}, 2 * ORACLE_BOND)
    assert set(due) == {a.address, b.address}
    posted = sum(c.bond_wei for c in claims[1:])
    assert sum(due.values()) == posted + 2 * ORACLE_BOND
    assert (a.metrics.credit_claimed_wei, b.metrics.credit_claimed_wei, liar.metrics.credit_claimed_wei) == (
        due[a.address], due[b.address], 0)
    assert contracts.w3.eth.get_balance(game.address) == 0  # all paid, once
    assert game.credit(a.address) == game.credit(b.address) == 0
    assert (a.metrics.games_won, b.metrics.games_won, liar.metrics.games_lost) == (1, 1, 1)
    print(f"\ntwo challengers: A paid {due[a.address]} wei, B paid {due[b.address]} wei of {posted} bonded "
          f"+ {2 * ORACLE_BOND} forfeited")


def test_two_disputes_of_one_output_the_honest_one_wins_and_takes_the_forfeit(
        contracts: Contracts, system, l2: L2, isolated) -> None:
    """A second challenger with another story (every output root made up: `--dishonest`) attacks
    the same lying output beside the honest one: two subgames under the root. The liar answers
    both; the honest subgame stands, so the output goes and its forfeit pays the honest side."""
    oracle = system["oracle"]
    liar, index = lying_proposer(contracts, system, l2)
    honest = player(contracts, system, HONEST_A, ChainTrace(l2.chain))
    other = player(contracts, system, DISHONEST, LyingTrace(ChainTrace(l2.chain), None, None))
    assert honest.step()
    game = the_game(system, contracts)
    play([other, liar, honest], until=lambda: False, passes=60)
    claims = game.claims()
    roots = [c for c in claims if c.parent_index == 0]
    assert [c.claimant for c in roots] == [honest.address, other.address]  # two disputes of output 0
    finish(contracts, [liar, honest, other], game)

    assert game.status() == CHALLENGER_WINS
    assert oracle.functions.nextOutputIndex().call() == index
    posted = sum(c.bond_wei for c in claims[1:])
    # The honest subgame: every honest claim returns its bond, every lying answer in it is lost
    # to the honest side; the root goes with the honest first attack (the left-most standing).
    subgame = {roots[0].index}
    for c in claims:
        if c.parent_index in subgame:
            subgame.add(c.index)
    due_honest = sum(c.bond_wei for c in claims if c.index in subgame) + ORACLE_BOND  # one output deleted
    assert honest.metrics.credit_claimed_wei == due_honest
    paid = honest.metrics.credit_claimed_wei + other.metrics.credit_claimed_wei + liar.metrics.credit_claimed_wei
    assert paid == posted + ORACLE_BOND
    assert contracts.w3.eth.get_balance(game.address) == 0


def test_an_l1_reorg_during_the_game_the_challenger_plays_again_and_wins(
        contracts: Contracts, system, l2: L2, isolated) -> None:
    """Twice: a reorg takes the block of the challenger's last move (its claim is gone from L1,
    so the move is owed again), then one deep enough to take the game's creation itself (the
    challenger must dispute the output again). L1's `anvil_reorg` replaces the blocks with empty
    ones at the same heights: what the dropped blocks held is gone, as after a real reorg."""
    oracle = system["oracle"]
    liar, index = lying_proposer(contracts, system, l2)
    honest = player(contracts, system, HONEST_A, ChainTrace(l2.chain))

    def reorg(depth: int) -> None:
        before = contracts.w3.eth.get_block("latest")
        contracts.anvil.rpc("anvil_reorg", [depth, []])
        after = contracts.w3.eth.get_block(before["number"])
        assert after["hash"] != before["hash"] and not after["transactions"]

    assert honest.step()  # creates the game (claim 1)
    factory = DisputeGameFactoryClient(L1Client(contracts.w3), system["factory"].address)
    game = the_game(system, contracts)
    play([liar], until=lambda: game.claim_count() == 3)
    assert honest.step() and game.claim_count() == 4  # its moveToBlock (depth 3)
    reorg(1)
    assert game.claim_count() == 3, "the reorg took the move"
    play([honest], until=lambda: game.claim_count() == 4)
    assert game.claims()[3].claimant == honest.address

    reorg(contracts.w3.eth.block_number - _creation_block(contracts, system) + 1)
    assert factory.game_count() == 0 and contracts.w3.eth.get_code(game.address) == b""
    assert oracle.functions.nextOutputIndex().call() == index + 1  # the lie is still there
    play([honest, liar], until=lambda: factory.game_count() == 1 and the_game(system, contracts).claims()[-1].countered_by != NO_ONE)
    game = the_game(system, contracts)
    finish(contracts, [liar, honest], game)
    assert game.status() == CHALLENGER_WINS
    assert oracle.functions.nextOutputIndex().call() == index
    assert honest.metrics.credit_claimed_wei == owed(game, {honest.address}, ORACLE_BOND)[honest.address]
    assert contracts.w3.eth.get_balance(game.address) == 0


def _creation_block(contracts: Contracts, system: dict[str, Contract]) -> int:
    (event,) = system["factory"].events.GameCreated().get_logs(from_block=0)
    return int(event["blockNumber"])


def test_two_dishonest_challengers_lose_to_the_proposers_player(contracts: Contracts, system, l2: L2, isolated) -> None:
    """The reverse case: a correct output, two challengers with made-up outputs at once (one
    creates, the other attacks the root beside it), the proposer's honest player answers both.
    The output stays, finalizes after the clocks, and the liars' bonds pay the proposer's player."""
    oracle = system["oracle"]
    honest_trace = ChainTrace(l2.chain)
    index = propose(contracts, oracle, honest_trace.output_root(LIE_BLOCK))
    defender = player(contracts, system, PROPOSER, honest_trace, create_games=False)
    # Two stories (two equal ones would be one claim): every output root made up, every block hash.
    liars = [player(contracts, system, HONEST_B, LyingTrace(ChainTrace(l2.chain), None, None)),
             player(contracts, system, DISHONEST, LyingTrace(ChainTrace(l2.chain), FaultKind.BLOCK_HASH, None))]
    assert liars[0].step()
    game = the_game(system, contracts)
    play([liars[1], defender, liars[0]], until=lambda: False, passes=60)
    assert [c.claimant for c in game.claims() if c.parent_index == 0] == [liars[0].address, liars[1].address]
    finish(contracts, [defender, *liars], game)
    assert game.status() == DEFENDER_WINS
    claims = game.claims()
    assert defender.metrics.credit_claimed_wei == sum(c.bond_wei for c in claims[1:])
    assert [liar.metrics.credit_claimed_wei for liar in liars] == [0, 0]
    warp(contracts, FINALIZATION_S)
    assert oracle.functions.isOutputFinalized(index).call()


@pytest.mark.parametrize("kind", list(HEADER_FIELD), ids=lambda kind: kind.value)
def test_a_lie_about_one_header_field_is_lost_at_the_finish_step(
        contracts: Contracts, system, l2: L2, isolated, kind: FaultKind, caplog: pytest.LogCaptureFixture) -> None:
    """`--inject-fault receipts-root | gas-used | transactions-root | base-fee | timestamp`: every
    state root right, the output's block hash that of a header with one field changed. The game
    narrows to what finishes block 4, where the honest challenger's `stepFinish` rebuilds the header
    from the agreed parts and L1 computes the true output root: the liar's leaf is countered."""
    caplog.set_level(logging.INFO, logger="lantau.challenger")
    oracle = system["oracle"]
    liar, index = lying_proposer(contracts, system, l2, kind)
    honest = player(contracts, system, HONEST_A, ChainTrace(l2.chain))
    assert honest.step()
    game = the_game(system, contracts)
    play([liar, honest], until=lambda: game.claims()[-1].countered_by != NO_ONE)
    leaf = game.claims()[-1]
    info = game.info()
    assert leaf.depth == info.max_depth and leaf.countered_by == honest.address
    assert honest.metrics.steps == 1 and liar.metrics.steps == 0
    (step_gas,) = [r.l1_gas for r in caplog.records if r.getMessage() == "played step"]  # type: ignore[attr-defined]
    print(f"\n{kind.value}: the honest stepFinish took {step_gas:,} L1 gas")
    # the leaf stepped is the block's last (T-1: its output root), or the one before it, defended
    k = (leaf.position - (1 << info.max_depth)) % info.trace_length
    assert k in (info.trace_length - 2, info.trace_length - 1)
    finish(contracts, [liar, honest], game)
    assert game.status() == CHALLENGER_WINS
    assert oracle.functions.nextOutputIndex().call() == index
    assert honest.metrics.credit_claimed_wei == owed(game, {honest.address}, ORACLE_BOND)[honest.address]


def test_a_resolution_another_player_landed_first_in_the_same_block_is_not_counted(
        contracts: Contracts, system, l2: L2, isolated, caplog: pytest.LogCaptureFixture) -> None:
    """Anyone may resolve, and two players that read the same L1 block both send `resolveClaim`:
    both estimates run before either is in the pool, so the second in the block reverts on L1 (as
    the devnet's challenger and the lying proposer's player did in
    test_derivation_disputes). The challenger's reverted one is gas spent, not a resolution: it is
    logged as another player's, not counted in `resolutions`, and the challenger goes on to the
    next claim and resolves the game. L1's automine is off while both are pooled; the other
    player's copy pays the higher tip, so anvil orders it first."""
    liar, _ = lying_proposer(contracts, system, l2)
    honest = player(contracts, system, HONEST_A, ChainTrace(l2.chain))
    assert honest.step()
    game = the_game(system, contracts)
    play([liar, honest], until=lambda: game.claims()[-1].countered_by != NO_ONE)
    warp(contracts, MAX_CLOCK_S + 1)
    leaf = game.claims()[-1].index
    nonce = contracts.w3.eth.get_transaction_count(honest.address)
    contracts.anvil.rpc("evm_setAutomine", [False])
    passing = threading.Thread(target=honest.step)
    caplog.set_level(logging.INFO, logger="lantau.challenger")
    try:
        passing.start()
        while contracts.w3.eth.get_transaction_count(honest.address, "pending") == nonce:
            assert passing.is_alive(), "the challenger's pass ended without sending its resolveClaim"
            time.sleep(0.05)
        call = game.contract.functions.resolveClaim(leaf)
        market = liar.txmgr.market_fees()
        fees = FeeCaps(10 * market.max_fee_per_gas, 10 * market.max_priority_fee_per_gas)
        other = liar.txmgr.sign(candidate_of(call), nonce=liar.txmgr.pending_nonce(), fees=fees, gas=500_000)
        liar.txmgr.publish(other)
        contracts.mine()
    finally:
        contracts.anvil.rpc("evm_setAutomine", [True])
        contracts.mine()  # whatever the pass sent meanwhile
    passing.join(timeout=120)
    assert not passing.is_alive()

    first = contracts.w3.eth.get_transaction_receipt(other.hash)
    ours = [contracts.w3.eth.get_transaction_receipt(tx["hash"])
            for tx in contracts.w3.eth.get_block(first["blockNumber"], full_transactions=True)["transactions"]
            if tx["from"] == honest.address]
    assert first["status"] == 1 and [r["status"] for r in ours] == [0]  # the same call, second in the block: reverted
    assert game.resolved_subgame(leaf)
    play([honest], until=lambda: game.status() != IN_PROGRESS)
    assert game.status() == CHALLENGER_WINS
    resolved_by_honest = [r for r in (contracts.w3.eth.get_transaction_receipt(tx["hash"])
                                      for n in range(first["blockNumber"], contracts.w3.eth.block_number + 1)
                                      for tx in contracts.w3.eth.get_block(n, full_transactions=True)["transactions"]
                                      if tx["from"] == honest.address)]
    landed = [r for r in resolved_by_honest if r["status"] == 1]
    assert honest.metrics.resolutions == len(landed) - 1  # every landed one but `resolve` itself; not the reverted one
    assert [r.getMessage() for r in caplog.records if "another player first" in r.getMessage()] == [
        "claim resolved by another player first: our resolveClaim reverted"]


def test_an_answer_a_killed_challenger_left_in_the_pool_is_not_sent_twice_and_is_sent_once_the_pool_drops_it(
        contracts: Contracts, system, l2: L2, isolated, caplog: pytest.LogCaptureFixture) -> None:
    """A challenger that sent its move and died leaves it in L1's pool (L1's automine off; the
    dying player's receipt wait gives up). Restarted on the same key, the challenger owes that
    move again by L1's latest block, but its estimate against the pending block is refused
    `ClaimAlreadyExists`: it sends nothing (its pending nonce does not move). The pool drops the
    dead one's transaction (`anvil_dropTransaction`, as a pool evicts one); on its next pass the
    restarted challenger sends the move itself (a refusal that only says "it is in the pool" is
    asked again each pass, never noted as refused for the run) and it lands once."""
    from bridge.tx_manager import NotMinedInTime, TxManagerConfig

    liar, _ = lying_proposer(contracts, system, l2)
    honest = player(contracts, system, HONEST_A, ChainTrace(l2.chain))
    assert honest.step()  # creates the game
    game = the_game(system, contracts)
    play([liar], until=lambda: game.claim_count() == 3)
    l1 = L1Client(contracts.w3)
    key = contracts.keys[HONEST_A]
    dying = Challenger(OutputOracleClient(l1, system["oracle"].address), DisputeGameFactoryClient(l1, system["factory"].address),
                       TxManager(l1, key, TxManagerConfig(receipt_timeout_s=2, resubmit_after_s=60)), ChainTrace(l2.chain),
                       ChallengerConfig(poll_interval_s=0))
    latest = contracts.w3.eth.get_transaction_count(honest.address)
    contracts.anvil.rpc("evm_setAutomine", [False])
    try:
        with pytest.raises(NotMinedInTime):
            dying.step()  # sends its move, then gives up waiting: the move stays in the pool
        assert contracts.w3.eth.get_transaction_count(honest.address, "pending") == latest + 1
        pooled = contracts.w3.eth.get_block("pending", full_transactions=True)["transactions"]
        (left,) = [tx for tx in pooled if tx["from"] == honest.address]
        restarted = player(contracts, system, HONEST_A, ChainTrace(l2.chain))
        caplog.set_level(logging.INFO, logger="lantau.challenger")
        assert not restarted.step() and not restarted.step()  # owed by L1's latest block, refused as pooled: nothing sent
        assert contracts.w3.eth.get_transaction_count(honest.address, "pending") == latest + 1
        assert game.claim_count() == 3
        contracts.anvil.rpc("anvil_dropTransaction", [left["hash"].hex() if isinstance(left["hash"], bytes) else left["hash"]])
        assert contracts.w3.eth.get_transaction_count(honest.address, "pending") == latest
    finally:
        contracts.anvil.rpc("evm_setAutomine", [True])
    assert restarted.step()  # the pool forgot it: sent now
    claims = game.claims()
    assert len(claims) == 4 and claims[3].claimant == honest.address and claims[3].parent_index == 2
    assert contracts.w3.eth.get_transaction_count(honest.address) == latest + 1  # one move, once
    assert [r.getMessage() for r in caplog.records if "pool" in r.getMessage()][:1] == [
        "L1's pool holds the move already (ClaimAlreadyExists): not sent, asked again next pass"]
