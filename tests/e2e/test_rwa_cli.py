"""`lantau rwa …` against a real `lantau node` subprocess (devnet genesis, blocks on demand), each
command run as its own process, the way a user runs it.

Numbers by hand (the sample issuance, rwa/sample.py): dev 1 holds 400,000,000 HKGGB at
HK$1.0012 = HK$400,480,000.00 and 20,000 shares of 0005.HK at HK$100 = HK$2,000,000.00. The
agricultural receivable (5,000 tokens of HK$1,000 face, 6% a year paid twice a year) pays a
coupon of 5,000 x 1,000 x 6% / 2 = HK$150,000: 30,000 / 45,000 / 75,000 to the holders of 1,000 /
1,500 / 2,500 tokens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from eth_utils import keccak
from web3 import Web3

from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import ASSET_FACTORY, PRICE_FEED, SETTLEMENT_ENGINE
from rwa.types import AssetClass
from tests.harness.node_process import REPO_ROOT

HKD = 10**18
DEV = dev_accounts()


def lantau(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTAU_")}
    env.update(ETH_HASH_BACKEND="pysha3", COLUMNS="220", NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "node.cli", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    if check and result.returncode != 0:
        raise AssertionError(f"lantau {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def _contracts(url: str) -> tuple[Web3, Any, Any]:
    w3 = Web3(Web3.HTTPProvider(url))
    factory = w3.eth.contract(address=Web3.to_checksum_address(ASSET_FACTORY), abi=load_artifact("AssetFactory").abi)
    feed = w3.eth.contract(address=Web3.to_checksum_address(PRICE_FEED), abi=load_artifact("PriceFeed").abi)
    return w3, factory, feed


def _token(w3: Web3, factory: Any, identifier: str) -> Any:
    address = factory.functions.assetByIdentifier(identifier).call()
    return w3.eth.contract(address=address, abi=load_artifact("RWAToken").abi)


def test_sample_issuance_and_holdings_as_table_and_json(node_factory: Any, tmp_path: Path) -> None:
    node = node_factory(block_time_s=0)
    url = node.rpc_url
    first = lantau("rwa", "sample", "--l2-rpc", url, "--json")
    summary = json.loads(first.stdout)
    assert summary["already_ran"] is False and summary["transactions"] > 0
    assert [a["symbol"] for a in summary["assets"]] == ["HKGGB", "YLAGRI", "0005.HK", "KCWR", "TKOAI", "HKGOLD"]
    assert sorted(a["class"] for a in summary["assets"]) == sorted(c.slug for c in AssetClass)  # all six classes
    # A second run finds everything on chain: nothing sent. --devnet reads devnet.json's l2_rpc.
    (tmp_path / "devnet.json").write_text(json.dumps({"l2_rpc": url}))
    again = lantau("rwa", "sample", "--devnet", str(tmp_path))
    assert "already on chain" in again.stdout

    w3, factory, feed = _contracts(url)
    bond, stock = _token(w3, factory, "SAMPLE-HKGGB-4.05-1Y"), _token(w3, factory, "0005")
    assert bond.functions.totalSupply().call() == 800_000_000 * HKD  # HK$800m face, 1 token = HK$1
    assert tuple(bond.functions.bondTerms().call()[1:3]) == (40_500, 1)  # 4.05%, annual
    assert stock.functions.assetInfo().call()[1] == "0005" and stock.functions.decimals().call() == 0
    gold = _token(w3, factory, "SAMPLE-HKGOLD-VAULT")
    (certificate,) = gold.functions.getAllDocuments().call()
    assert certificate.rstrip(b"\x00") == b"vault-certificate"
    uri, digest, _ = gold.functions.getDocument(certificate).call()
    assert uri.endswith("bar-list.json") and digest == keccak(
        text="vault: Harbour Bullion, Chek Lap Kok; 15 oz allocated; bar list 2026-07; LBMA good delivery"
    )
    assert gold.functions.balanceOf(DEV[5].address).call() == 12_500  # 12.5 oz, 3 decimals

    dev1 = DEV[1].address
    held = json.loads(lantau("rwa", "holdings", dev1, "--l2-rpc", url, "--json").stdout)
    by_symbol = {h["symbol"]: h for h in held["holdings"]}
    assert set(by_symbol) == {"HKGGB", "0005.HK"}
    assert by_symbol["HKGGB"]["balance_units"] == str(400_000_000 * HKD)
    assert by_symbol["HKGGB"]["value_hkd_wei"] == str(400_480_000 * HKD)
    assert by_symbol["0005.HK"]["balance_units"] == "20000"
    assert by_symbol["0005.HK"]["value_hkd_wei"] == str(2_000_000 * HKD)
    # The prices are the feed's, read independently.
    assert int(by_symbol["HKGGB"]["price_hkd_wei"]) == feed.functions.latestPrice(bond.address).call()[0]
    native = w3.eth.get_balance(dev1)
    assert held["native_hkd_wei"] == str(native)
    assert held["total_value_hkd_wei"] == str(native + 402_480_000 * HKD)

    table = lantau("rwa", "holdings", dev1, "--l2-rpc", url).stdout
    assert "HKGGB" in table and "400,000,000" in table and "400,480,000.00" in table
    assert "0005.HK" in table and "2,000,000.00" in table
    assert "total" in table


def test_transfers_trade_and_coupon_through_the_cli(node_factory: Any, tmp_path: Path) -> None:
    node = node_factory(block_time_s=0, extra_args=("--dev-rpc",))  # evm_setNextBlockTimestamp: to the coupon date
    url = node.rpc_url
    lantau("rwa", "sample", "--l2-rpc", url)
    w3, factory, _ = _contracts(url)
    bond, receivable = _token(w3, factory, "SAMPLE-HKGGB-4.05-1Y"), _token(w3, factory, "SAMPLE-AGRI-RCV-180D")
    dev = [a.address for a in DEV]

    # Refused transfers: the contract's reason, exit 1, nothing moved.
    refused = lantau("rwa", "transfer", "HKGGB", dev[9], "1000", "--l2-rpc", url, "--key", DEV[1].private_key, check=False)
    assert refused.returncode == 1
    assert "receiver not KYC verified" in refused.stderr
    refused = lantau("rwa", "transfer", "HKGGB", dev[4], "1000", "--l2-rpc", url, "--key", DEV[1].private_key, check=False)
    assert refused.returncode == 1 and "receiver not a professional investor" in refused.stderr
    assert bond.functions.balanceOf(dev[1]).call() == 400_000_000 * HKD
    # An allowed one moves exactly that much.
    lantau("rwa", "transfer", "SAMPLE-HKGGB-4.05-1Y", dev[2], "1,000.5", "--l2-rpc", url, "--key", DEV[1].private_key)
    assert bond.functions.balanceOf(dev[1]).call() == 400_000_000 * HKD - 1_000_500 * HKD // 1_000
    assert bond.functions.balanceOf(dev[2]).call() == 250_000_000 * HKD + 1_000_500 * HKD // 1_000

    # A refusal the issue-17 layer added prints as one line with the contract's error, nothing issued.
    count = factory.functions.assetCount().call()
    refused = lantau("rwa", "issue", "--class", "hk-stock", "--name", "Too fine", "--symbol", "FINE",
                     "--identifier", "FINE-19", "--decimals", "19", "--l2-rpc", url, check=False)
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "InvalidDecimals(19, 18)" in refused.stderr
    refused = lantau("rwa", "issue", "--class", "hk-stock", "--name", "Squat", "--symbol", "SQT",
                     "--identifier", "US0378331006", "--decimals", "0", "--l2-rpc", url, check=False)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "InvalidIdentifier" in refused.stderr and "ISIN check digit does not match" in refused.stderr
    assert factory.functions.assetCount().call() == count

    # KYC a newcomer (dev 0 is the KYC agent on the devnet), then read it back.
    newcomer = Web3.to_checksum_address("0x" + "5a" * 20)
    lantau("rwa", "kyc", "add", newcomer, "--category", "retail", "--l2-rpc", url)
    shown = json.loads(lantau("rwa", "kyc", "show", newcomer, "--json", "--l2-rpc", url).stdout)
    assert (shown["verified"], shown["country"], shown["category"]) == (True, 344, "retail")

    # DvP: dev 4 sells 100 YLAGRI to dev 5 for HK$98,500; both sign, a third party settles.
    trade = tmp_path / "trade.json"
    lantau("rwa", "trade", "propose", "--seller", dev[4], "--buyer", dev[5], "--asset", "YLAGRI", "--amount", "100",
           "--pay-hkd", "98500", "--out", str(trade), "--l2-rpc", url)
    lantau("rwa", "trade", "sign", str(trade), "--key", DEV[4].private_key, "--l2-rpc", url)
    lantau("rwa", "trade", "sign", str(trade), "--key", DEV[5].private_key, "--l2-rpc", url)
    assert set(json.loads(trade.read_text())["signatures"]) == {"seller", "buyer"}
    engine = w3.eth.contract(address=Web3.to_checksum_address(SETTLEMENT_ENGINE), abi=load_artifact("SettlementEngine").abi)
    lantau("rwa", "trade", "settle", str(trade), "--key", DEV[6].private_key, "--l2-rpc", url)
    assert [receivable.functions.balanceOf(a).call() for a in (dev[4], dev[5])] == [900, 1_600]
    assert engine.functions.escrowOf(dev[4]).call() == 98_500 * HKD
    assert engine.functions.escrowOf(dev[5]).call() == 0

    # The receivable's semi-annual coupon, HK$150,000, pro rata on the record-date holdings. It is
    # paid on the note's coupon date (its maturity, 180 days ahead): `coupon pay` announces it for
    # that date (record time the second before) and stops; pushing before the date is refused.
    (coupon_date,) = receivable.functions.bondTerms().call()[4]
    announced = json.loads(lantau("rwa", "coupon", "pay", "YLAGRI", "--json", "--l2-rpc", url).stdout)
    assert (announced["pay_time"], announced["record_time"]) == (coupon_date, coupon_date - 1)
    assert announced["payments"] == [] and announced["closed"] is False
    early = lantau("rwa", "coupon", "push", str(announced["distribution_id"]), "--l2-rpc", url, check=False)
    assert early.returncode == 1 and "NotPayableYet" in early.stderr and len(early.stderr.strip().splitlines()) == 1
    again = lantau("rwa", "coupon", "pay", "YLAGRI", "--l2-rpc", url, check=False)  # no coupon date left
    assert again.returncode == 1 and "no coupon date after" in again.stderr
    before = {a: w3.eth.get_balance(a) for a in (dev[4], dev[5], dev[6])}
    node.rpc("evm_setNextBlockTimestamp", [coupon_date])
    node.rpc("evm_mine")
    paid = json.loads(lantau("rwa", "coupon", "push", str(announced["distribution_id"]), "--json", "--l2-rpc", url).stdout)
    assert paid["amount_wei"] == str(150_000 * HKD) and paid["closed"] is True
    expected = {dev[4]: 27_000 * HKD, dev[5]: 48_000 * HKD, dev[6]: 75_000 * HKD}  # 900 / 1,600 / 2,500 of 5,000
    assert {p["holder"]: int(p["amount_wei"]) for p in paid["payments"]} == expected
    assert {a: w3.eth.get_balance(a) - before[a] for a in expected} == expected
