"""NAV / price updates: direct by a reporter, or signed (EIP-712) and relayed by anyone;
timestamps strictly increase; `latestPrice` refuses a stale price."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from tests.rwa.rwa_chain import HKD, Chain, RWASystem, sign_typed

# Staleness is checked to the second (a price exactly max-age old is fresh): anvil sets exact times.
pytestmark = pytest.mark.rwa_backends("anvil")

PRICE_TYPES = {
    "PriceUpdate": [
        {"name": "asset", "type": "address"},
        {"name": "price", "type": "uint256"},
        {"name": "timestamp", "type": "uint64"},
    ]
}


@pytest.fixture
def feed(chain: Chain, rwa: RWASystem) -> tuple[Any, str, LocalAccount]:
    asset = chain.new_address("gold-backed token")  # the feed keys prices by asset address only
    reporter = chain.new_account("NAV reporter")
    chain.send(rwa.price_feed.functions.setReporter(asset, reporter.address, True), rwa.operator)
    return rwa.price_feed, asset, reporter


def _sign(chain: Chain, feed: Any, reporter: LocalAccount, asset: str, price: int, timestamp: int) -> bytes:
    domain = {
        "name": "Lantau PriceFeed",
        "version": "1",
        "chainId": chain.w3.eth.chain_id,
        "verifyingContract": feed.address,
    }
    return sign_typed(
        reporter, domain, PRICE_TYPES, "PriceUpdate", {"asset": asset, "price": price, "timestamp": timestamp}
    )


def test_direct_and_signed_updates_and_staleness(chain: Chain, rwa: RWASystem, feed: Any) -> None:
    pf, asset, reporter = feed
    f = pf.functions
    assert chain.revert_of(f.latestPrice(asset), rwa.operator).name == "NoPrice"

    now = chain.now()
    chain.send(f.submitPrice(asset, 18_650 * HKD, now), reporter.address)
    assert tuple(f.latestPrice(asset).call()) == (18_650 * HKD, now)
    outsider = chain.new_address("not a reporter", fund_wei=10**21)
    assert chain.expect_revert(f.submitPrice(asset, 1, now + 1), outsider).name == "NotReporter"

    # A signed update, relayed by someone else (observed at the latest block: never from the future).
    signed_at = chain.advance(1)  # a second after the first price (anvil blocks may share a second)
    update = (asset, 18_700 * HKD, signed_at)
    signature = _sign(chain, pf, reporter, *update)
    assert f.priceUpdateDigest(update).call() is not None
    chain.send(f.submitSignedPrice(update, reporter.address, signature), outsider)
    assert tuple(f.latestPrice(asset).call()) == (18_700 * HKD, signed_at)
    revert = chain.expect_revert(f.submitSignedPrice(update, reporter.address, signature), outsider)
    assert revert.name == "TimestampNotIncreasing"  # a replay
    forged = (asset, 1 * HKD, signed_at + 1)
    assert (
        chain.expect_revert(f.submitSignedPrice(forged, reporter.address, signature), outsider).name
        == "InvalidReporterSignature"
    )
    impostor = chain.new_account("impostor")
    forged_sig = _sign(chain, pf, impostor, *forged)
    assert (
        chain.expect_revert(f.submitSignedPrice(forged, impostor.address, forged_sig), outsider).name == "NotReporter"
    )
    future = (asset, 1 * HKD, chain.now() + 3_600)
    revert = chain.expect_revert(
        f.submitSignedPrice(future, reporter.address, _sign(chain, pf, reporter, *future)), outsider
    )
    assert revert.name == "FutureTimestamp"

    # Stale after the default maximum age (3,600 s, set at initialize), per asset when set.
    chain.advance(signed_at + 3_600 - chain.now())
    assert f.latestPrice(asset).call()[0] == 18_700 * HKD  # exactly max age old: still fresh
    chain.advance(1)
    revert = chain.revert_of(f.latestPrice(asset), outsider)
    assert (revert.name, revert.args) == ("StalePrice", (asset, signed_at, 3_600, signed_at + 3_601))
    assert tuple(f.latestPriceUnchecked(asset).call()) == (18_700 * HKD, signed_at)
    chain.send(f.setMaxAge(asset, 86_400), rwa.operator)
    assert f.latestPrice(asset).call()[0] == 18_700 * HKD
    assert chain.expect_revert(f.setMaxAge(asset, 1), outsider).name == "NotOwner"
