"""Python SDK of Lantau's RWA settlement layer (the L2 predeploys of `contracts/src/L2/rwa`),
over JSON-RPC with web3.py.

    from rwa import RWAClient
    client = RWAClient.connect("http://127.0.0.1:8545", private_key)
    client.transfer(client.asset_address("0005"), to, 100)        # TransferNotCompliant if refused
    client.portfolio(address)                                       # holdings valued in HKD

ABIs come only from the committed artifacts (`genesis.artifacts`), addresses only from
`genesis.predeploys`. `run_sample_issuance(url)` sets up the devnet's sample assets.
"""

from rwa.client import Call, RWAClient, revert_error
from rwa.contracts import DecodedRevert, RWAContracts, decode_revert
from rwa.errors import (
    AmbiguousAsset,
    AssetNotFound,
    ChainTimeout,
    ContractReverted,
    InsufficientHKD,
    NoCouponDate,
    NoSigner,
    RWAError,
    TradeFileError,
    TransactionFailed,
    TransactionNotIncluded,
    TransferNotCompliant,
)
from rwa.permit import Permit, PermitSignature, sign_permit
from rwa.sample import SAMPLE_ASSETS, SampleIssuance, format_sample_summary, run_sample_issuance, sample_issuance
from rwa.trade import Trade, TradeTicket, sign_trade, trade_id
from rwa.types import (
    HKD_WEI,
    HONG_KONG,
    NATIVE_HKD,
    AssetClass,
    AssetInfo,
    AssetSpec,
    BondTerms,
    ComplianceRules,
    DistributionKind,
    DistributionResult,
    Holding,
    Identity,
    InvestorCategory,
    Portfolio,
    Price,
    coupon_schedule,
    hkd,
    parse_decimal_amount,
)

__all__ = [
    "AmbiguousAsset", "AssetClass", "AssetInfo", "AssetNotFound", "AssetSpec", "BondTerms", "Call", "ChainTimeout",
    "ComplianceRules", "ContractReverted", "DecodedRevert", "DistributionKind", "DistributionResult",
    "HKD_WEI", "HONG_KONG", "Holding", "Identity", "InsufficientHKD", "InvestorCategory", "NATIVE_HKD",
    "NoCouponDate", "NoSigner", "Permit", "PermitSignature", "Portfolio", "Price", "RWAClient", "RWAContracts", "RWAError", "SAMPLE_ASSETS",
    "SampleIssuance", "Trade", "TradeFileError", "TradeTicket", "TransactionFailed", "TransactionNotIncluded", "TransferNotCompliant",
    "coupon_schedule", "decode_revert", "format_sample_summary", "hkd", "parse_decimal_amount", "revert_error",
    "run_sample_issuance", "sample_issuance", "sign_permit", "sign_trade", "trade_id",
]
