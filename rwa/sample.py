"""The devnet's sample issuance: investors KYC'd, three assets issued and distributed to the dev
accounts, prices in the PriceFeed - what the README walks a new user through.

Who is who (the ten dev accounts of the test mnemonic):

| dev | role                                   | KYC (jurisdiction 344, Hong Kong)   |
|-----|----------------------------------------|-------------------------------------|
| 0   | platform: registry owner, KYC agent,   | institutional                       |
|     | asset deployer, issuer's agent, price  |                                     |
|     | reporter                               |                                     |
| 1   | bank                                   | institutional                       |
| 2,3 | asset managers                         | professional                        |
| 4,5 | individuals                            | retail                              |
| 6   | family office                          | professional                        |
| 7   | individual                             | retail                              |
| 8   | insurer                                | institutional                       |
| 9   | -                                      | none, on purpose: a transfer to it  |
|     |                                        | is refused ("receiver not KYC       |
|     |                                        | verified")                          |

The assets (sample data: names and prices are illustrations, not market data):

1. **Green bond** shaped like the HKSAR Government's first tokenized green bond (2023): HK$800,000,000
   face, 4.05% annual coupon, 1-year tenor. 18 decimals; 1 token = HK$1 of face, so the supply is
   800,000,000 tokens (8 x 10^26 units); one annual coupon is HK$32,400,000. Professional
   investors in Hong Kong only. Held by dev 1 (400M), dev 2 (250M), dev 3 (150M). Price HK$1.0012
   per token (100.12% of par).
2. **Agricultural receivable**: a 180-day note on a pool of farm-produce invoices, 0 decimals;
   1 token = HK$1,000 of face, 5,000 tokens (HK$5,000,000); 6.00% a year paid semi-annually, so one
   coupon is HK$150,000 (small enough for dev 0 to pay on the devnet). Open to retail. Held by dev
   4 (1,000), dev 5 (1,500), dev 6 (2,500). Price HK$985.00 per token.
3. **Tokenized Hong Kong stock**, HKEX code "0005", 0 decimals: 1 token = 1 share. Held by dev 1
   (20,000), dev 4 (800), dev 7 (1,200), dev 8 (50,000). Price HK$100.00 per share.
4. **Logistics warehouse receipts**: 0 decimals, 1 token = 1 pallet of frozen seafood in a Kwai
   Chung cold store. Held by dev 6 (40) and dev 8 (60). Price HK$12,000 per pallet.
5. **AI compute centre revenue share**: 0 decimals, 1 token = 1/5,000 of a Tseung Kwan O GPU
   cluster's 2026 net revenue. Professional investors only. Held by dev 2 (3,000) and dev 3
   (2,000). Price HK$1,050 per unit.
6. **Precious metal**: vaulted gold claims, 3 decimals, 1 token = 1 troy ounce. Held by dev 5
   (12.5 oz) and dev 7 (2.5 oz). Price HK$20,400 per ounce.

Each asset carries its class-specific metadata as ERC-1643 documents (`RWAToken.getDocument`):
the green-bond framework, the invoice pool, the share register, the warehouse receipt (warehouse,
bay, commodity, pallets), the compute centre's revenue report (site, GPUs, utilisation) and the
vault certificate (vault, bar list); each a URI and the keccak256 of its content.

Dev 0 is each token's issuer (owner) and agent, so the CLI's default key can mint, pay coupons
and run corporate actions. The sample is idempotent: every step first checks the chain (role
held? investor registered? asset exists? supply minted? price set?) and only does what is
missing, so a second run does nothing and reports `already_ran`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from genesis.dev_accounts import dev_accounts
from rwa.client import Call, RWAClient
from rwa.device_client import DeviceNetwork
from rwa.devices import RESERVE_BACKED, reserve_reading, sign_reading, sign_registration, simulated_device
from rwa.types import (
    HKD_WEI,
    HONG_KONG,
    AssetClass,
    AssetSpec,
    BondTerms,
    ComplianceRules,
    YEAR_S,
    InvestorCategory,
    coupon_schedule,
    hkd,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
TOKEN = 10**18  # one whole green-bond token (18 decimals)

#: (dev account index, category); dev 9 stays unverified on purpose.
SAMPLE_KYC: tuple[tuple[int, InvestorCategory], ...] = (
    (0, InvestorCategory.INSTITUTIONAL),
    (1, InvestorCategory.INSTITUTIONAL),
    (2, InvestorCategory.PROFESSIONAL),
    (3, InvestorCategory.PROFESSIONAL),
    (4, InvestorCategory.RETAIL),
    (5, InvestorCategory.RETAIL),
    (6, InvestorCategory.PROFESSIONAL),
    (7, InvestorCategory.RETAIL),
    (8, InvestorCategory.INSTITUTIONAL),
)
NOT_KYC_DEV_INDEX = 9
KYC_VALID_S = 2 * YEAR_S
#: How long the sample's reserve readings stand (`lantau device simulate` refreshes them).
SAMPLE_RESERVE_VALID_S = 30 * 86_400


@dataclass(frozen=True, slots=True)
class SampleAsset:
    """One asset of the sample: how to issue it, to whom, its rules and its price."""

    key: str  # short name in the result ("green_bond", …)
    name: str
    symbol: str
    decimals: int
    asset_class: AssetClass
    identifier: str
    issuer_name: str
    document: str  # hashed (keccak256) into the asset's documentHash
    allocations: tuple[tuple[int, int], ...]  # (dev index, units)
    price_wei: int  # HKD wei per whole token
    face_value_per_token_wei: int = 0
    coupon_rate_ppm: int = 0
    coupons_per_year: int = 0
    tenor_s: int = 0
    rules: ComplianceRules = field(default_factory=ComplianceRules)
    allowed_countries: tuple[int, ...] = ()
    #: Class-specific metadata as ERC-1643 documents: (name, URI, content hashed with keccak256).
    documents: tuple[tuple[str, str, str], ...] = ()

    def spec(self, issuer: str, now: int) -> AssetSpec:
        bond = BondTerms(0, 0, 0, 0, ())
        if self.face_value_per_token_wei:
            dates = coupon_schedule(now, self.tenor_s, self.coupons_per_year)
            bond = BondTerms(self.face_value_per_token_wei, self.coupon_rate_ppm, self.coupons_per_year, dates[-1], dates)
        return AssetSpec(
            name=self.name,
            symbol=self.symbol,
            decimals=self.decimals,
            asset_class=self.asset_class,
            identifier=self.identifier,
            issuer_name=self.issuer_name,
            issuer=issuer,
            agents=(issuer,),
            document_hash=keccak(text=self.document),
            bond=bond,
        )


SAMPLE_ASSETS: tuple[SampleAsset, ...] = (
    SampleAsset(
        key="green_bond",
        name="HKSAR Green Bond 4.05% 1Y (tokenized, sample)",
        symbol="HKGGB",
        decimals=18,
        asset_class=AssetClass.GREEN_BOND,
        identifier="SAMPLE-HKGGB-4.05-1Y",
        issuer_name="Government of the HKSAR (sample data)",
        document="Lantau sample: offering circular of a HK$800m 4.05% 1-year tokenized green bond",
        allocations=((1, 400_000_000 * TOKEN), (2, 250_000_000 * TOKEN), (3, 150_000_000 * TOKEN)),
        price_wei=1_001_200_000_000_000_000,  # HK$1.0012 per HK$1 of face
        face_value_per_token_wei=HKD_WEI,
        coupon_rate_ppm=40_500,
        coupons_per_year=1,
        tenor_s=YEAR_S,
        rules=ComplianceRules(country_restricted=True, professional_only=True),
        allowed_countries=(HONG_KONG,),
        documents=(("green-bond-framework", "https://example.org/sample/hkggb/framework.pdf",
                    "use of proceeds: renewable energy, green buildings, clean transport; second-party opinion"),),
    ),
    SampleAsset(
        key="agricultural_receivable",
        name="Yuen Long Farm Produce Receivables 180D (sample)",
        symbol="YLAGRI",
        decimals=0,
        asset_class=AssetClass.AGRICULTURAL,
        identifier="SAMPLE-AGRI-RCV-180D",
        issuer_name="Yuen Long Growers Co-operative (sample data)",
        document="Lantau sample: assignment of farm-produce invoices, 180 days, HK$5m",
        allocations=((4, 1_000), (5, 1_500), (6, 2_500)),
        price_wei=985 * HKD_WEI,
        face_value_per_token_wei=1_000 * HKD_WEI,
        coupon_rate_ppm=60_000,
        coupons_per_year=2,
        tenor_s=180 * 86_400,
        documents=(("invoice-pool", "https://example.org/sample/ylagri/pool.json",
                    "412 invoices from 38 Yuen Long farms; produce: vegetables, rice, fish; HK$5,000,000"),),
    ),
    SampleAsset(
        key="hk_stock",
        name="HSBC Holdings plc (tokenized share, sample)",
        symbol="0005.HK",
        decimals=0,
        asset_class=AssetClass.HONG_KONG_STOCK,
        identifier="0005",
        issuer_name="HSBC Holdings plc (sample data)",
        document="Lantau sample: tokenized-share deed for HKEX 0005",
        allocations=((1, 20_000), (4, 800), (7, 1_200), (8, 50_000)),
        price_wei=100 * HKD_WEI,
        documents=(("share-register", "https://example.org/sample/0005/register.json",
                    "HKEX 0005 ordinary shares held by the tokenization custodian; 1 token = 1 share"),),
    ),
    SampleAsset(
        key="warehouse_receipt",
        name="Kwai Chung Cold Store Warehouse Receipts (sample)",
        symbol="KCWR",
        decimals=0,
        asset_class=AssetClass.LOGISTICS_WAREHOUSE_RECEIPT,
        identifier="SAMPLE-KCWR-2026-07",
        issuer_name="Kwai Chung Cold Chain Logistics Ltd (sample data)",
        document="Lantau sample: negotiable warehouse receipts, 100 pallets, Kwai Chung",
        allocations=((6, 40), (8, 60)),
        price_wei=12_000 * HKD_WEI,
        documents=(("warehouse-receipt", "https://example.org/sample/kcwr/receipt.json",
                    "warehouse: Kwai Chung Cold Store, bay 7; commodity: frozen seafood; 100 pallets; insured"),),
    ),
    SampleAsset(
        key="ai_compute_revenue",
        name="Tseung Kwan O AI Compute Revenue Share 2026 (sample)",
        symbol="TKOAI",
        decimals=0,
        asset_class=AssetClass.AI_COMPUTE_REVENUE,
        identifier="SAMPLE-TKOAI-REV-2026",
        issuer_name="TKO Compute Centre Ltd (sample data)",
        document="Lantau sample: revenue-share deed on a GPU cluster's 2026 net revenue, 5,000 units",
        allocations=((2, 3_000), (3, 2_000)),
        price_wei=1_050 * HKD_WEI,
        rules=ComplianceRules(professional_only=True),
        documents=(("revenue-report", "https://example.org/sample/tkoai/2026-q1.json",
                    "site: Tseung Kwan O data centre; 512 GPUs; utilisation 81%; Q1 net revenue HK$4.2m"),),
    ),
    SampleAsset(
        key="precious_metal",
        name="Hong Kong Vaulted Gold Claims, 1 oz (sample)",
        symbol="HKGOLD",
        decimals=3,
        asset_class=AssetClass.PRECIOUS_METAL,
        identifier="SAMPLE-HKGOLD-VAULT",
        issuer_name="Harbour Bullion Custody Ltd (sample data)",
        document="Lantau sample: allocated gold claims, 1 token = 1 troy ounce",
        allocations=((5, 12_500), (7, 2_500)),
        price_wei=20_400 * HKD_WEI,
        documents=(("vault-certificate", "https://example.org/sample/hkgold/bar-list.json",
                    "vault: Harbour Bullion, Chek Lap Kok; 15 oz allocated; bar list 2026-07; LBMA good delivery"),),
    ),
)


@dataclass(frozen=True, slots=True)
class SampleIssuance:
    """What the sample issuance left on chain (and whether this run had anything to do)."""

    already_ran: bool
    transactions: int
    platform: str
    investors: tuple[tuple[str, InvestorCategory], ...]
    not_kyc: str
    assets: tuple[tuple[SampleAsset, str], ...]  # (sample asset, token address)

    def to_json(self) -> dict[str, Any]:
        accounts = {a.address: a.index for a in dev_accounts()}
        return {
            "already_ran": self.already_ran,
            "transactions": self.transactions,
            "platform": self.platform,
            "kyc": [
                {"dev": accounts.get(a), "address": a, "country": HONG_KONG, "category": c.name.lower()}
                for a, c in self.investors
            ],
            "not_kyc": self.not_kyc,
            "assets": [
                {
                    "key": s.key,
                    "name": s.name,
                    "symbol": s.symbol,
                    "identifier": s.identifier,
                    "class": s.asset_class.slug,
                    "address": address,
                    "decimals": s.decimals,
                    "supply_units": str(sum(units for _, units in s.allocations)),
                    "price_hkd": format(hkd(s.price_wei).normalize(), "f"),
                    "price_hkd_wei": str(s.price_wei),
                    "holders": {dev_accounts()[i].address: str(units) for i, units in s.allocations},
                }
                for s, address in self.assets
            ],
        }


def sample_issuance(w3: Web3, *, platform_key: str | None = None) -> SampleIssuance:
    """Runs (or completes) the sample issuance with `platform_key` (default: dev account 0, the
    genesis owner of the RWA predeploys). Three groups of transactions, each sent back to back
    and mined together: roles; KYC, assets and prices; rules, documents and distributions."""
    accounts = dev_accounts()
    platform = Account.from_key(platform_key or accounts[0].private_key)
    client = RWAClient(w3, platform)
    c = client.contracts
    me = platform.address
    sent = 0

    # 1. Roles of the platform: KYC agent, asset deployer, price reporter for every asset.
    roles: list[Call] = []
    if not c.registry.functions.isAgent(me).call():
        roles.append(Call(c.registry.functions.addAgent(me)))
    if not c.factory.functions.isDeployer(me).call():
        roles.append(Call(c.factory.functions.setDeployer(me, True)))
    if not c.price_feed.functions.isReporter(ZERO_ADDRESS, me).call():
        roles.append(Call(c.price_feed.functions.setReporter(ZERO_ADDRESS, me, True)))
    sent += len(client.transact_all(roles))

    # 2. KYC, the assets (at addresses known in advance), their prices.
    now = client.chain_time()
    investors = tuple((accounts[i].address, category) for i, category in SAMPLE_KYC)
    missing = [(a, cat) for a, cat in investors if c.registry.functions.identity(a).call()[1] == 0]
    group: list[Call] = []
    if missing:
        group.append(Call(c.registry.functions.batchRegisterIdentities(
            [a for a, _ in missing], [HONG_KONG] * len(missing), [int(cat) for _, cat in missing],
            [now + KYC_VALID_S] * len(missing),
        )))
    addresses = {s.key: client.predict_asset_address(s.identifier) for s in SAMPLE_ASSETS}
    created = [s for s in SAMPLE_ASSETS if c.factory.functions.assetByIdentifier(s.identifier).call() == ZERO_ADDRESS]
    group += [client.create_asset_call(s.spec(me, now)) for s in created]
    group += [
        client.set_price_call(addresses[s.key], s.price_wei, now)
        for s in SAMPLE_ASSETS
        if c.price_feed.functions.latestPriceUnchecked(addresses[s.key]).call()[1] == 0
    ]
    sent += len(client.transact_all(group))

    # 2b. Warehouse receipts and metal claims mint only against a reserve their devices attest
    # (DeviceRegistry's guard is on from creation): the platform, KYC'd, operates simulated
    # device 0 of each (the one `lantau device simulate` continues), which attests the stock
    # the allocations claim. Dependent calls with fixed gas, mined in order.
    sent += len(client.transact_all(_reserve_calls(client, addresses), preflight=False))

    # 3. Compliance rules of the new assets, then the distributions (same sender, so mined in
    # this order: each mint is checked against the rules; the sample investors satisfy them).
    group = []
    for s in created:
        if s.rules != ComplianceRules():
            group.append(Call(c.compliance.functions.setRules(addresses[s.key], s.rules.as_tuple())))
        if s.allowed_countries:
            group.append(Call(c.compliance.functions.setCountriesAllowed(addresses[s.key], list(s.allowed_countries), True)))
        for doc_name, uri, content in s.documents:
            document = client.token(addresses[s.key]).functions.setDocument(
                doc_name.encode().ljust(32, b"\x00"), uri, keccak(text=content)
            )
            group.append(Call(document))
    for s in SAMPLE_ASSETS:
        token = client.token(addresses[s.key])
        if token.functions.totalSupply().call() == 0:
            holders = [accounts[i].address for i, _ in s.allocations]
            group.append(Call(token.functions.batchMint(holders, [units for _, units in s.allocations])))
    sent += len(client.transact_all(group))

    return SampleIssuance(
        already_ran=sent == 0,
        transactions=sent,
        platform=me,
        investors=investors,
        not_kyc=accounts[NOT_KYC_DEV_INDEX].address,
        assets=tuple((s, to_checksum_address(addresses[s.key])) for s in SAMPLE_ASSETS),
    )


def _reserve_calls(client: RWAClient, addresses: dict[str, str]) -> list[Call]:
    """For each reserve-backed sample asset not yet minted: approve the platform as device
    operator, register simulated device 0, and have it attest the allocations' total."""
    devices = DeviceNetwork(client)
    registry = devices.registry.functions
    calls: list[Call] = []
    for s in SAMPLE_ASSETS:
        asset = to_checksum_address(addresses[s.key])
        if s.asset_class not in RESERVE_BACKED or client.token(asset).functions.totalSupply().call() != 0:
            continue
        device = simulated_device(asset, 0)
        if devices.device_asset(device.address) is None:
            if not registry.isOperatorApproved(asset, client.address).call():
                calls.append(Call(registry.setOperatorApproved(asset, client.address, True), gas=100_000))
            proof = sign_registration(device, client.address, asset, client.chain_id, devices.registry.address)
            calls.append(Call(registry.registerDevice(device.address, asset, proof), gas=300_000))
        reading = reserve_reading(device, asset, sum(units for _, units in s.allocations),
                                  sequence=devices.last_sequence(device.address) + 1, time=client.chain_time(), valid_for_s=SAMPLE_RESERVE_VALID_S)
        signature = sign_reading(device, reading, client.chain_id, devices.registry.address)
        calls.append(Call(registry.attest(reading.as_tuple(), signature), gas=400_000))
    return calls


def run_sample_issuance(l2_rpc_url: str) -> dict[str, Any]:
    """Blocking: the sample issuance against the node at `l2_rpc_url` with dev account 0; the
    summary as JSON (for devnet.json). The node must be producing blocks."""
    w3 = Web3(Web3.HTTPProvider(l2_rpc_url, request_kwargs={"timeout": 60}))
    return sample_issuance(w3).to_json()


def format_sample_summary(summary: dict[str, Any]) -> str:
    """A few banner lines: the sample assets and where to look next."""
    lines = ["", "RWA sample issuance" + (" (already on chain)" if summary["already_ran"] else ""), "==================="]
    for asset in summary["assets"]:
        lines.append(f"  {asset['symbol']:<8} {asset['address']}  {asset['name']}")
    lines.append(f"  KYC'd: dev accounts 0-8 (Hong Kong); dev 9 {summary['not_kyc']} is not KYC'd")
    lines.append("  try: lantau rwa holdings <address> --devnet <data dir>")
    return "\n".join(lines)
