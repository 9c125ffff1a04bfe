"""Plain data of the RWA settlement layer, as the SDK hands it out: frozen dataclasses and the
contracts' enums (same numbering as `contracts/src/L2/rwa/RWACommon.sol`).

Units: token amounts are integers in the token's smallest unit (`units`, scaled by
`10**decimals`); HKD amounts are integers in wei (`*_wei`, 18 decimals: 1 HKD = 10**18 wei, as
the native currency). Prices are HKD wei per whole token (10**decimals units), as PriceFeed
stores them. Times are unix seconds of the chain's clock (block timestamps).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

HKD_WEI = 10**18  # 1 HKD in wei
HONG_KONG = 344  # ISO 3166-1 numeric
NATIVE_HKD = "0x0000000000000000000000000000000000000000"  # SettlementEngine's pay token for native HKD


class AssetClass(IntEnum):
    GREEN_BOND = 0
    AGRICULTURAL = 1
    LOGISTICS_WAREHOUSE_RECEIPT = 2
    AI_COMPUTE_REVENUE = 3
    PRECIOUS_METAL = 4
    HONG_KONG_STOCK = 5

    @property
    def slug(self) -> str:
        """The name on the command line: green-bond, agricultural, warehouse-receipt, …"""
        return _ASSET_CLASS_SLUGS[self]

    @classmethod
    def from_slug(cls, slug: str) -> "AssetClass":
        for member, name in _ASSET_CLASS_SLUGS.items():
            if name == slug:
                return member
        raise ValueError(f"unknown asset class {slug!r}; one of: {', '.join(_ASSET_CLASS_SLUGS.values())}")


_ASSET_CLASS_SLUGS = {
    AssetClass.GREEN_BOND: "green-bond",
    AssetClass.AGRICULTURAL: "agricultural",
    AssetClass.LOGISTICS_WAREHOUSE_RECEIPT: "warehouse-receipt",
    AssetClass.AI_COMPUTE_REVENUE: "ai-compute",
    AssetClass.PRECIOUS_METAL: "precious-metal",
    AssetClass.HONG_KONG_STOCK: "hk-stock",
}


class InvestorCategory(IntEnum):
    """SFO (Cap. 571) investor categories; see `InvestorCategory` in RWACommon.sol."""

    NONE = 0
    RETAIL = 1
    PROFESSIONAL = 2
    INSTITUTIONAL = 3

    @classmethod
    def from_name(cls, name: str) -> "InvestorCategory":
        try:
            member = cls[name.upper()]
        except KeyError:
            raise ValueError(f"unknown investor category {name!r}; one of: retail, professional, institutional") from None
        if member is cls.NONE:
            raise ValueError("an investor's category cannot be none")
        return member


class DistributionKind(IntEnum):
    COUPON = 0
    DIVIDEND = 1
    REVENUE_SHARE = 2


@dataclass(frozen=True, slots=True)
class Identity:
    """An investor's record in the IdentityRegistry."""

    address: str
    country: int  # ISO 3166-1 numeric (344 = Hong Kong); 0 when not registered
    category: InvestorCategory
    kyc_expiry: int  # unix seconds; verified while the chain's clock is before it
    agent: str  # the KYC agent that registered (or last updated) the record
    verified: bool  # registered and not expired, as `isVerified` answers now

    @property
    def registered(self) -> bool:
        return self.category is not InvestorCategory.NONE


@dataclass(frozen=True, slots=True)
class BondTerms:
    """Debt terms (RWACommon.sol `BondTerms`); `face_value_per_token_wei == 0` means not a bond."""

    face_value_per_token_wei: int  # HKD wei repaid at maturity per whole token
    coupon_rate_ppm: int  # annual rate in parts per million: 4.05% = 40_500
    coupons_per_year: int
    maturity: int
    coupon_dates: tuple[int, ...]

    @property
    def coupon_rate_percent(self) -> Decimal:
        return Decimal(self.coupon_rate_ppm) / 10_000

    def as_tuple(self) -> tuple[int, int, int, int, list[int]]:
        return (
            self.face_value_per_token_wei,
            self.coupon_rate_ppm,
            self.coupons_per_year,
            self.maturity,
            list(self.coupon_dates),
        )


NO_BOND = BondTerms(0, 0, 0, 0, ())

YEAR_S = 365 * 86_400


def coupon_schedule(issue_time: int, tenor_s: int, coupons_per_year: int) -> tuple[int, ...]:
    """The coupon dates of a bond issued at `issue_time` for `tenor_s` seconds: as many equal
    periods as `coupons_per_year` gives over the tenor (at least one), the last on the maturity.
    CorporateActions pays a coupon only on one of these dates."""
    maturity = issue_time + tenor_s
    periods = max(1, round(tenor_s * max(1, coupons_per_year) / YEAR_S))
    step = tenor_s // periods
    return tuple(issue_time + step * (i + 1) for i in range(periods - 1)) + (maturity,)


@dataclass(frozen=True, slots=True)
class ComplianceRules:
    """Compliance.sol `Rules`: every rule is off when zero / false."""

    lockup_until: int = 0  # unix seconds
    max_holders: int = 0
    country_restricted: bool = False  # then only allowed jurisdictions may receive
    professional_only: bool = False
    max_balance_units: int = 0
    daily_limit_units: int = 0

    def as_tuple(self) -> tuple[int, int, bool, bool, int, int]:
        return (
            self.lockup_until,
            self.max_holders,
            self.country_restricted,
            self.professional_only,
            self.max_balance_units,
            self.daily_limit_units,
        )


@dataclass(frozen=True, slots=True)
class AssetSpec:
    """What an issuer supplies to create an asset through the AssetFactory."""

    name: str
    symbol: str
    decimals: int
    asset_class: AssetClass
    identifier: str  # ISIN or HKEX code (at most 32 bytes); the asset's address derives from it
    issuer_name: str
    issuer: str  # the token's owner
    agents: tuple[str, ...] = ()  # transfer agents besides CorporateActions
    currency: str = "HKD"
    document_hash: bytes = bytes(32)  # keccak256 of the offering circular / prospectus
    bond: BondTerms = NO_BOND


@dataclass(frozen=True, slots=True)
class AssetInfo:
    """One asset as the chain describes it now."""

    address: str
    name: str
    symbol: str
    decimals: int
    asset_class: AssetClass
    identifier: str
    issuer_name: str
    currency: str
    document_hash: bytes
    owner: str
    total_supply_units: int
    holder_count: int
    paused: bool
    bond: BondTerms | None  # None unless a debt instrument

    def to_tokens(self, units: int) -> Decimal:
        return Decimal(units).scaleb(-self.decimals)


@dataclass(frozen=True, slots=True)
class Price:
    """A PriceFeed entry: HKD wei per whole token, the reporter's observation time, and whether
    `latestPrice` would refuse it as older than the asset's maximum age."""

    price_wei: int
    updated_at: int
    stale: bool


@dataclass(frozen=True, slots=True)
class Holding:
    asset: AssetInfo
    balance_units: int
    frozen_units: int
    price: Price | None  # None when the feed has no price for the asset

    @property
    def balance(self) -> Decimal:
        return self.asset.to_tokens(self.balance_units)

    @property
    def value_wei(self) -> int | None:
        """Market value in HKD wei: floor(balance_units * price / 10**decimals)."""
        if self.price is None:
            return None
        return self.balance_units * self.price.price_wei // 10**self.asset.decimals


@dataclass(frozen=True, slots=True)
class Portfolio:
    """What an address holds: native HKD, HKD escrowed in the SettlementEngine, and assets."""

    owner: str
    native_wei: int
    escrow_wei: int
    holdings: tuple[Holding, ...]
    as_of_block: int
    as_of_time: int

    @property
    def assets_value_wei(self) -> int:
        return sum(h.value_wei or 0 for h in self.holdings)

    @property
    def total_value_wei(self) -> int:
        return self.native_wei + self.escrow_wei + self.assets_value_wei


@dataclass(frozen=True, slots=True)
class DistributionResult:
    """A coupon or dividend announced, paid out and (when fully paid) closed."""

    distribution_id: int
    token: str
    kind: DistributionKind
    amount_wei: int
    record_time: int
    pay_time: int
    payments: tuple[tuple[str, int, int], ...]  # (holder, record-date units, HKD wei paid)
    remainder_wei: int  # rounding dust returned to the issuer at close (0 if still open)
    closed: bool


def hkd(amount_wei: int) -> Decimal:
    """HKD wei as a Decimal amount of HKD (exact)."""
    return Decimal(amount_wei).scaleb(-18)


def parse_decimal_amount(text: str, decimals: int, *, what: str = "amount") -> int:
    """"1,234.5" with `decimals` -> integer units; refuses more precision than `decimals`."""
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except ArithmeticError:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} {text!r} must be a non-negative number")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {text!r} has more than {decimals} decimals")
    return int(scaled)
