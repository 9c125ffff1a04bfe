"""HKD in its two denominations: units of the L1 token (6 decimals, as the devnet's
HKDStablecoin) and wei of the L2's native currency (18 decimals).

A deposit of `u` units mints `u * WEI_PER_UNIT` wei; a withdrawal of `w` wei releases
`w / WEI_PER_UNIT` units and is refused (by the L2 passer, the L1 portal and every client) when
`w` is not a whole number of units: dust that cannot scale back is never burned.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from node.errors import BadHkdAmount, LantauError

L1_DECIMALS = 6
L2_DECIMALS = 18
HKD_UNIT = 10**L1_DECIMALS  # L1 token units per HKD
WEI_PER_UNIT = 10 ** (L2_DECIMALS - L1_DECIMALS)  # L2 wei per L1 token unit


class NotRepresentable(LantauError):
    """An amount of L2 wei that is not a whole number of L1 units (dust the L1 token cannot carry)."""

    def __init__(self, wei: int, what: str = "amount") -> None:
        super().__init__(f"{what} of {wei} wei is not a whole number of L1 HKD units ({WEI_PER_UNIT} wei); "
                         f"the L1 token has {L1_DECIMALS} decimals")
        self.wei = wei



def units_to_wei(units: int) -> int:
    return units * WEI_PER_UNIT


def wei_to_units(wei: int, *, what: str = "amount") -> int:
    """The L1 units `wei` scales back to; `NotRepresentable` for dust."""
    if wei % WEI_PER_UNIT:
        raise NotRepresentable(wei, what)
    return wei // WEI_PER_UNIT


def is_representable(wei: int) -> bool:
    return wei % WEI_PER_UNIT == 0


def parse_hkd(text: str) -> int:
    """'100.50' -> 100_500_000 L1 units; refuses more precision than the token has."""
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise BadHkdAmount(f"not an amount: {text!r}") from exc
    units = amount * HKD_UNIT
    if not amount.is_finite() or amount <= 0 or units != units.to_integral_value():
        raise BadHkdAmount(f"amount must be positive with at most {L1_DECIMALS} decimals, got {text}")
    return int(units)


def format_units(units: int) -> str:
    """L1 units as HKD with all its decimals: 1_234_500_000 -> '1,234.500000'."""
    return f"{Decimal(units) / HKD_UNIT:,.{L1_DECIMALS}f}"
