"""`lantau rwa market …` against a real `lantau node` subprocess (devnet genesis, blocks on demand),
each command its own process: the devnet's sample market (three venues, one auction for 0005.HK,
numbers by hand in rwa/sample_market.py), then a second auction run command by command (open,
order into two venues' book files, book, commit, match, settle (clearing, page, claims), audit)
and refusals.

By hand, second auction: dev 4 buys 100 at HK$101 (Lion Rock, 0.10%), dev 8 sells 100 at HK$100
(Victoria Harbour, 0.20%); one candidate price each with volume 100 and no imbalance, the reference
(HK$100) picks 100: dev 4 pays HK$10,000 + HK$10 fee, dev 8 receives HK$10,000 - HK$20.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from web3 import Web3

from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import ASSET_FACTORY, CALL_AUCTION
from tests.e2e.test_rwa_cli import lantau

HKD = 10**18
DEV = dev_accounts()


def test_sample_market_then_an_auction_command_by_command(node_factory: Any, tmp_path: Path) -> None:
    node = node_factory(block_time_s=0, extra_args=("--dev-rpc",))  # evm_increaseTime: to the cut-off without waiting
    url = node.rpc_url
    lantau("rwa", "sample", "--l2-rpc", url)
    w3 = Web3(Web3.HTTPProvider(url))
    factory = w3.eth.contract(address=Web3.to_checksum_address(ASSET_FACTORY), abi=load_artifact("AssetFactory").abi)
    stock = w3.eth.contract(address=factory.functions.assetByIdentifier("0005").call(), abi=load_artifact("RWAToken").abi)
    auction = w3.eth.contract(address=Web3.to_checksum_address(CALL_AUCTION), abi=load_artifact("CallAuction").abi)
    shares = lambda i: stock.functions.balanceOf(DEV[i].address).call()  # noqa: E731
    escrow = lambda i: auction.functions.escrowOf(DEV[i].address).call()  # noqa: E731
    before = {i: shares(i) for i in (1, 4, 5, 7, 8)}

    result = json.loads(lantau("rwa", "market", "sample", "--l2-rpc", url, "--json").stdout)
    assert (result["already_ran"], int(result["price_hkd_wei"]), result["volume"]) == (False, 100 * HKD, 800)
    assert {i: shares(i) - before[i] for i in before} == {1: -500, 4: 400, 5: 400, 7: -300, 8: 0}
    # Fees: Lion Rock (dev 2, 0.10%) on dev 1's HK$50,000 and dev 4's HK$40,000; Victoria Harbour
    # (dev 3, 0.20%) on dev 5's HK$40,000; Kowloon (dev 9, 0.15%) on dev 7's HK$30,000.
    assert (escrow(2), escrow(3), escrow(9)) == (90 * HKD, 80 * HKD, 45 * HKD)
    assert escrow(4) == 100_000 * HKD - 40_000 * HKD - 40 * HKD and escrow(1) == 50_000 * HKD - 50 * HKD
    assert "already on chain" in lantau("rwa", "market", "sample", "--l2-rpc", url).stdout
    venues = lantau("rwa", "market", "venues", "--l2-rpc", url).stdout
    assert "Lion Rock Digital Exchange" in venues and "Victoria Harbour ATS" in venues and "active" in venues

    key = lambda i: DEV[i].private_key  # noqa: E731
    # Six CLI processes run before the commits land: a cut-off 10 minutes ahead, which the test
    # then reaches with evm_increaseTime (20 s and 40 s were missed on a loaded 2-core machine).
    opened = lantau("rwa", "market", "open", "0005", "--seconds", "600", "--l2-rpc", url, "--key", key(2)).stdout
    auction_id = opened.split()[1]
    lion, harbour = tmp_path / "lion.json", tmp_path / "harbour.json"
    lantau("rwa", "market", "order", str(lion), "--auction", auction_id, "--venue", "dev2", "--side", "buy",
           "--amount", "100", "--limit-hkd", "101", "--l2-rpc", url, "--key", key(4))
    lantau("rwa", "market", "order", str(harbour), "--auction", auction_id, "--venue", "dev3", "--side", "sell",
           "--amount", "100", "--limit-hkd", "100", "--l2-rpc", url, "--key", key(8))
    assert "root 0x" in lantau("rwa", "market", "book", str(lion)).stdout
    # A book file no venue committed cannot be matched; a non-venue cannot commit.
    refused = lantau("rwa", "market", "commit", str(lion), "--l2-rpc", url, "--key", key(4), check=False)
    assert refused.returncode == 1 and "NotActiveVenue" in refused.stderr
    uncommitted = lantau("rwa", "market", "match", str(lion), "--l2-rpc", url, check=False)
    assert uncommitted.returncode == 1 and "on chain it committed 0x" + "00" * 32 in uncommitted.stderr
    lantau("rwa", "market", "commit", str(lion), "--l2-rpc", url, "--key", key(2))
    lantau("rwa", "market", "commit", str(harbour), "--l2-rpc", url, "--key", key(3))
    assert "clearing price HK$100" in lantau("rwa", "market", "match", str(lion), str(harbour), "--l2-rpc", url).stdout
    escrow4, escrow8, shares4 = escrow(4), escrow(8), shares(4)
    w3.provider.make_request("evm_increaseTime", [600])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    settled = lantau("rwa", "market", "settle", str(lion), str(harbour), "--l2-rpc", url, "--key", key(3)).stdout
    assert "settled in 3 transactions (clearing, pages, claims" in settled  # one page, one claim
    assert (shares(4) - shares4, escrow4 - escrow(4), escrow(8) - escrow8) == (100, 10_010 * HKD, 9_980 * HKD)
    assert "settled as the rule gives: HK$100" in lantau("rwa", "market", "audit", str(lion), str(harbour), "--l2-rpc", url).stdout
    # A settled auction cannot be cancelled for refunds: one named line, nothing moved.
    refund = lantau("rwa", "market", "refund", auction_id, str(lion), str(harbour), "--l2-rpc", url, "--key", key(5), check=False)
    assert refund.returncode == 1 and "AuctionAlreadySettled" in refund.stderr, refund.stderr
    assert (shares(4) - shares4, escrow4 - escrow(4), escrow(8) - escrow8) == (100, 10_010 * HKD, 9_980 * HKD)
