"""The one home of HKD's 6 <-> 18 decimal scaling and its dust refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.hkd_units import (
    HKD_UNIT,
    WEI_PER_UNIT,
    BadHkdAmount,
    NotRepresentable,
    format_units,
    is_representable,
    parse_hkd,
    units_to_wei,
    wei_to_units,
)


def test_scales_by_hand() -> None:
    assert (HKD_UNIT, WEI_PER_UNIT) == (1_000_000, 1_000_000_000_000)
    assert units_to_wei(1) == 10**12 and units_to_wei(2 * HKD_UNIT) == 2 * 10**18
    assert wei_to_units(10**18) == 10**6 and wei_to_units(0) == 0


@pytest.mark.parametrize("wei", [1, 10**12 - 1, 10**12 + 1, 10**18 + 1])
def test_dust_is_refused_naming_the_amount(wei: int) -> None:
    assert not is_representable(wei)
    with pytest.raises(NotRepresentable, match=f"withdrawal of {wei} wei is not a whole number of L1 HKD units") as refused:
        wei_to_units(wei, what="withdrawal")
    assert refused.value.wei == wei


@given(st.integers(min_value=0, max_value=10**30))
def test_units_round_trip_exactly(units: int) -> None:
    assert wei_to_units(units_to_wei(units)) == units


@pytest.mark.parametrize("text, units", [("100.50", 100_500_000), ("0.000001", 1), ("7", 7_000_000), ("1e3", 1_000_000_000)])
def test_parse_hkd(text: str, units: int) -> None:
    assert parse_hkd(text) == units


@pytest.mark.parametrize("text", ["0", "-1", "0.0000001", "abc", "NaN", "Infinity", ""])
def test_parse_hkd_refuses(text: str) -> None:
    with pytest.raises(BadHkdAmount):
        parse_hkd(text)


def test_format_units() -> None:
    assert format_units(1_234_500_000) == "1,234.500000" and format_units(1) == "0.000001"
