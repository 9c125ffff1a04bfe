"""bench/dispute.py's accounting of a game: who was paid what, and DerivationBisection's calls and
gas apart from the game's moves (the game's moves column held the game's claims alone, so a
derivation-end game read 2 / 2 moves while six more were played in its bisection)."""

from __future__ import annotations

from bench.dispute import (
    DISHONEST, HONEST_CHALLENGER, LIAR_PROPOSER, GameFigures, SideFigures, bonds_went_to_honest, format_table,
)

ETH = 10**18


def test_a_lost_lie_pays_every_bond_to_the_honest_side() -> None:
    """Honest posted 0.0623, the liar 0.1311 (the derivation-end game of the bench's run): paid
    0.3434 (with the oracle's forfeited bonds) the honest side has them all; paid exactly the two
    it has them too; one wei less, or any wei to the liar, and the bonds did not go where a lost
    lie sends them."""
    bonds = {HONEST_CHALLENGER: 62_300_000_000_000_000, LIAR_PROPOSER: 131_100_000_000_000_000}
    both = sum(bonds.values())
    assert bonds_went_to_honest(bonds, {HONEST_CHALLENGER: 343_400_000_000_000_000}, HONEST_CHALLENGER, LIAR_PROPOSER)
    assert bonds_went_to_honest(bonds, {HONEST_CHALLENGER: both}, HONEST_CHALLENGER, LIAR_PROPOSER)
    assert not bonds_went_to_honest(bonds, {HONEST_CHALLENGER: both - 1}, HONEST_CHALLENGER, LIAR_PROPOSER)
    assert not bonds_went_to_honest(bonds, {HONEST_CHALLENGER: both, LIAR_PROPOSER: 1}, HONEST_CHALLENGER, LIAR_PROPOSER)
    assert not bonds_went_to_honest(bonds, {}, HONEST_CHALLENGER, LIAR_PROPOSER)


def test_the_bisection_is_counted_apart_from_the_game_moves() -> None:
    """A derivation-end row shows the bisection's open / moves / steps per side and its share of
    each side's gas; a game without a bisection shows '-' and 0; the dishonest challenger's row
    counts dev account 4 as the liar."""
    bisection = SideFigures(
        calls={HONEST_CHALLENGER: {"open": 1, "move": 2, "step": 1, "resolveClaim": 4, "claimCredit": 1},
               LIAR_PROPOSER: {"move": 3, "resolveClaim": 1}},
        gas={HONEST_CHALLENGER: 3_211_783, LIAR_PROPOSER: 934_540})
    derivation_end = GameFigures(
        "derivation-end", moves={HONEST_CHALLENGER: 2, LIAR_PROPOSER: 2},
        gas={HONEST_CHALLENGER: 8_472_748, LIAR_PROPOSER: 1_683_156}, bisection=bisection,
        bonds={HONEST_CHALLENGER: 62_300_000_000_000_000, LIAR_PROPOSER: 131_100_000_000_000_000},
        credit={HONEST_CHALLENGER: 343_400_000_000_000_000}, to_leaf_s=82.2, to_payout_s=105.9, honest_won=True,
        decided_by="DerivationBisection.step (1,640,810 gas)")
    dishonest = GameFigures(
        "dishonest challenger (output-root)", moves={HONEST_CHALLENGER: 8, DISHONEST: 8},
        gas={HONEST_CHALLENGER: 2_568_305, DISHONEST: 6_899_222}, bisection=None,
        bonds={HONEST_CHALLENGER: ETH // 10, DISHONEST: ETH // 5}, credit={HONEST_CHALLENGER: 3 * ETH // 10},
        to_leaf_s=85, to_payout_s=110, honest_won=True, decided_by="clock")
    header, rule, first, second = format_table([derivation_end, dishonest]).splitlines()
    assert header.count("|") == rule.count("|") == first.count("|") == second.count("|") == 12
    assert first == ("| derivation-end | DerivationBisection.step (1,640,810 gas) | 2 / 2 | 1 / 2 / 1 | 0 / 3 / 0 |"
                     " 8,472,748 (3,211,783) | 1,683,156 (934,540) | 0.0623 / 0.1311, 0.3434 / 0.0000 | 82 | 106 | yes |")
    assert second == ("| dishonest challenger (output-root) | clock | 8 / 8 | - | - | 2,568,305 (0) | 6,899,222 (0) |"
                      " 0.1000 / 0.2000, 0.3000 / 0.0000 | 85 | 110 | yes |")
