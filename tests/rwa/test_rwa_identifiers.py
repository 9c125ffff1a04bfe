"""Asset identifiers cannot be squatted (issue 17, defect 8): an ISIN's check digit must match
(ISO 6166), an HKEX stock code has 4 or 5 digits (one stock, one spelling), and the factory owner
can reserve a listed identifier for the platform the issuer mandated. Each refusal creates nothing."""

from __future__ import annotations

import random

import pytest

from tests.rwa.rwa_chain import HK_STOCK, Chain, RWASystem

pytestmark = pytest.mark.rwa_backends("l2")

CHECK_DIGIT = "ISIN check digit does not match"
STOCK_CODE = "an HKEX stock code has 4 or 5 digits"
LENGTH = "1 to 32 bytes"


def isin_is_valid(isin: str) -> bool:
    """ISO 6166 by the textbook route: letters to 10..35 as decimal text, then Luhn over the string."""
    digits = "".join(str(int(c, 36)) for c in isin)
    total = 0
    for position, digit in enumerate(reversed(digits)):
        d = int(digit) * (2 if position % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_identifier_rules(rwa: RWASystem) -> None:
    problem = rwa.factory.functions.identifierProblem
    cases = {
        "US0378331005": "",  # Apple Inc., the ISIN every reference quotes
        "US0378331006": CHECK_DIGIT,
        "HK0000069689": "" if isin_is_valid("HK0000069689") else CHECK_DIGIT,
        "0005": "",
        "00700": "",
        "5": STOCK_CODE,
        "700": STOCK_CODE,
        "000700": STOCK_CODE,
        "KCWR-2026-07": "",  # a platform's own reference: neither shape
        "": LENGTH,
        "X" * 33: LENGTH,
    }
    assert isin_is_valid("US0378331005") and not isin_is_valid("US0378331006")
    assert {identifier: problem(identifier).call() for identifier in cases} == cases


def test_isin_check_digit_matches_the_reference_on_random_isins(rwa: RWASystem) -> None:
    rng = random.Random(17)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for _ in range(60):
        body = rng.choice(["HK", "US", "KY", "CN"]) + "".join(rng.choice(alphabet) for _ in range(9))
        isin = body + str(rng.randrange(10))
        expected = "" if isin_is_valid(isin) else CHECK_DIGIT
        assert rwa.factory.functions.identifierProblem(isin).call() == expected, isin


def _params(issuer: str, identifier: str) -> tuple:
    return ("Listed Co", "LST", 0, issuer, [issuer], (HK_STOCK, identifier, "Listed Co Ltd", "HKD", b"\x01" * 32),
            (0, 0, 0, 0, []))


def test_invalid_identifiers_create_nothing(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("identifier issuer", fund_wei=10**21)
    factory = rwa.factory.functions
    count = factory.assetCount().call()
    for identifier, why in (("HK0000069680" if isin_is_valid("HK0000069689") else "HK0000069689", CHECK_DIGIT),
                            ("5", STOCK_CODE)):
        revert = chain.expect_revert(factory.createAsset(_params(issuer, identifier)), rwa.kyc_agent)
        assert (revert.name, revert.args) == ("InvalidIdentifier", (identifier, why))
        assert chain.w3.eth.get_code(factory.predictAssetAddress(identifier).call()) == b""
    assert factory.assetCount().call() == count


def test_reserved_identifier_only_for_its_platform(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("listing issuer", fund_wei=10**21)
    squatter = chain.new_address("other platform", fund_wei=10**21)
    factory = rwa.factory.functions
    chain.send(factory.setDeployer(squatter, True), rwa.operator)
    code = f"{random.Random(chain.now()).randrange(10_000, 99_999)}"  # a stock code unused so far
    assert chain.expect_revert(factory.reserveIdentifier(code, squatter), squatter).name == "NotOwner"
    chain.send(factory.reserveIdentifier(code, rwa.kyc_agent), rwa.operator)
    assert factory.reservedFor(code).call() == rwa.kyc_agent

    count = factory.assetCount().call()
    revert = chain.expect_revert(factory.createAsset(_params(issuer, code)), squatter)
    assert (revert.name, revert.args) == ("IdentifierReserved", (code, rwa.kyc_agent))
    assert factory.assetCount().call() == count and factory.assetByIdentifier(code).call() == "0x" + "00" * 20

    chain.send(factory.createAsset(_params(issuer, code)), rwa.kyc_agent)
    assert factory.assetCount().call() == count + 1
    revert = chain.expect_revert(factory.reserveIdentifier(code, squatter), rwa.operator)
    assert revert.name == "AssetExists"
    assert factory.reservedFor(code).call() == rwa.kyc_agent
