"""Bilateral delivery-versus-payment trades: the EIP-712 `Trade` both parties sign for the
SettlementEngine (domain "Lantau SettlementEngine", version "1", the chain id and the engine's
address), its id (the EIP-712 digest, which is also the on-chain trade id), and the trade file
that travels between the parties:

    {
      "type": "lantau-rwa-trade/1",
      "chainId": 4852,
      "settlementEngine": "0x4200…0804",
      "trade": {"seller": "0x…", "buyer": "0x…", "asset": "0x…", "assetAmount": "1000",
                "payToken": "0x0000…0000", "payAmount": "1001200000000000000000",
                "expiry": 1767225600, "salt": "…", "assetSplitEpoch": "0"},
      "tradeId": "0x…",
      "signatures": {"seller": "0x…", "buyer": "0x…"},       # each present once signed
      "note": {"asset": "HKGGB", "amount": "1000", "pay": "HK$1,001.20"}   # for people only
    }

Big integers are decimal strings (JSON numbers lose precision past 2**53). `payToken` is the zero
address for native HKD, paid from the buyer's escrow in the engine. `assetSplitEpoch` is the
asset's `splitEpoch()` when the trade was proposed: the engine refuses the trade once a split has
taken effect since (0 for a plain ERC-20; a file without it means 0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from eth_utils import to_checksum_address

from rwa.eip712 import domain, recover_typed_signer, sign_typed, typed_digest
from rwa.errors import TradeFileError

TRADE_FILE_TYPE = "lantau-rwa-trade/1"
ENGINE_DOMAIN_NAME = "Lantau SettlementEngine"
TRADE_TYPES: dict[str, list[dict[str, str]]] = {
    "Trade": [
        {"name": "seller", "type": "address"},
        {"name": "buyer", "type": "address"},
        {"name": "asset", "type": "address"},
        {"name": "assetAmount", "type": "uint256"},
        {"name": "payToken", "type": "address"},
        {"name": "payAmount", "type": "uint256"},
        {"name": "expiry", "type": "uint64"},
        {"name": "salt", "type": "uint256"},
        {"name": "assetSplitEpoch", "type": "uint256"},
    ]
}
ROLES = ("seller", "buyer")


@dataclass(frozen=True, slots=True)
class Trade:
    """SettlementEngine.Trade: `asset_amount` in the asset's units, `pay_amount` in HKD wei (or
    the pay token's units), `expiry` the last unix second at which it may settle,
    `asset_split_epoch` the asset's `splitEpoch()` when signed."""

    seller: str
    buyer: str
    asset: str
    asset_amount: int
    pay_token: str
    pay_amount: int
    expiry: int
    salt: int
    asset_split_epoch: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.seller,
            self.buyer,
            self.asset,
            self.asset_amount,
            self.pay_token,
            self.pay_amount,
            self.expiry,
            self.salt,
            self.asset_split_epoch,
        )

    def as_message(self) -> dict[str, Any]:
        return dict(zip((f["name"] for f in TRADE_TYPES["Trade"]), self.as_tuple()))


def trade_domain(chain_id: int, engine: str) -> dict[str, Any]:
    return domain(ENGINE_DOMAIN_NAME, chain_id, engine)


def trade_id(trade: Trade, chain_id: int, engine: str) -> bytes:
    """The EIP-712 digest of `trade`: what both parties sign and the engine's trade id."""
    return typed_digest(trade_domain(chain_id, engine), TRADE_TYPES, trade.as_message())


def sign_trade(trade: Trade, private_key: str | bytes, chain_id: int, engine: str) -> bytes:
    """A 65-byte EIP-712 signature of `trade` (eth-account)."""
    return bytes(sign_typed(private_key, trade_domain(chain_id, engine), TRADE_TYPES, trade.as_message()).signature)


#: A trade arranged at an alliance venue (`SettlementEngine.settleAtVenue`): the venue is part of
#: what both parties sign.
VENUE_TRADE_TYPES: dict[str, list[dict[str, str]]] = {
    "VenueTrade": [{"name": "venue", "type": "address"}, {"name": "trade", "type": "Trade"}],
    **TRADE_TYPES,
}


def _venue_message(trade: Trade, venue: str) -> dict[str, Any]:
    return {"venue": to_checksum_address(venue), "trade": trade.as_message()}


def venue_trade_id(trade: Trade, venue: str, chain_id: int, engine: str) -> bytes:
    """The EIP-712 digest of `VenueTrade(venue, trade)`: what both parties sign for a trade at
    `venue`, and the engine's id of it (`venueTradeId`)."""
    return typed_digest(trade_domain(chain_id, engine), VENUE_TRADE_TYPES, _venue_message(trade, venue))


def sign_venue_trade(trade: Trade, venue: str, private_key: str | bytes, chain_id: int, engine: str) -> bytes:
    """A party's 65-byte signature of `trade` at `venue`."""
    signed = sign_typed(private_key, trade_domain(chain_id, engine), VENUE_TRADE_TYPES, _venue_message(trade, venue))
    return bytes(signed.signature)


def recover_signer(trade: Trade, signature: bytes, chain_id: int, engine: str) -> str:
    return recover_typed_signer(trade_domain(chain_id, engine), TRADE_TYPES, trade.as_message(), signature)


@dataclass(frozen=True, slots=True)
class TradeTicket:
    """A trade, where it settles, and the signatures collected so far."""

    trade: Trade
    chain_id: int
    engine: str
    signatures: Mapping[str, bytes] = field(default_factory=dict)  # role -> signature
    note: Mapping[str, str] = field(default_factory=dict)

    @property
    def trade_id(self) -> bytes:
        return trade_id(self.trade, self.chain_id, self.engine)

    def role_of(self, address: str) -> str:
        address = to_checksum_address(address)
        if address == self.trade.seller:
            return "seller"
        if address == self.trade.buyer:
            return "buyer"
        raise TradeFileError(f"{address} is neither the seller ({self.trade.seller}) nor the buyer ({self.trade.buyer})")

    def signed(self, role: str, signature: bytes) -> "TradeTicket":
        """A copy with `role`'s signature, checked to recover to that party."""
        party = getattr(self.trade, role)
        signer = recover_signer(self.trade, signature, self.chain_id, self.engine)
        if signer != party:
            raise TradeFileError(f"the {role} signature recovers to {signer}, not the {role} {party}")
        return replace(self, signatures={**self.signatures, role: signature})

    def to_json(self) -> dict[str, Any]:
        t = self.trade
        return {
            "type": TRADE_FILE_TYPE,
            "chainId": self.chain_id,
            "settlementEngine": self.engine,
            "trade": {
                "seller": t.seller,
                "buyer": t.buyer,
                "asset": t.asset,
                "assetAmount": str(t.asset_amount),
                "payToken": t.pay_token,
                "payAmount": str(t.pay_amount),
                "expiry": t.expiry,
                "salt": str(t.salt),
                "assetSplitEpoch": str(t.asset_split_epoch),
            },
            "tradeId": "0x" + self.trade_id.hex(),
            "signatures": {role: "0x" + sig.hex() for role, sig in self.signatures.items()},
            "note": dict(self.note),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "TradeTicket":
        if raw.get("type") != TRADE_FILE_TYPE:
            raise TradeFileError(f"not a Lantau trade file (type {raw.get('type')!r}, expected {TRADE_FILE_TYPE!r})")
        try:
            t = raw["trade"]
            trade = Trade(
                to_checksum_address(t["seller"]),
                to_checksum_address(t["buyer"]),
                to_checksum_address(t["asset"]),
                int(t["assetAmount"]),
                to_checksum_address(t["payToken"]),
                int(t["payAmount"]),
                int(t["expiry"]),
                int(t["salt"]),
                int(t.get("assetSplitEpoch", 0)),
            )
            ticket = cls(trade, int(raw["chainId"]), to_checksum_address(raw["settlementEngine"]), {}, dict(raw.get("note") or {}))
            if "tradeId" in raw and raw["tradeId"] != "0x" + ticket.trade_id.hex():
                raise TradeFileError("tradeId does not match the trade's terms (was the file edited?)")
            for role, sig in (raw.get("signatures") or {}).items():
                if role not in ROLES:
                    raise TradeFileError(f"unknown signature role {role!r}")
                ticket = ticket.signed(role, bytes.fromhex(sig.removeprefix("0x")))
        except (KeyError, TypeError, ValueError) as exc:
            raise TradeFileError(f"malformed trade file: {exc}") from exc
        return ticket

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "TradeTicket":
        try:
            raw = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise TradeFileError(f"trade file not found: {path}") from None
        except json.JSONDecodeError as exc:
            raise TradeFileError(f"trade file {path} is not JSON: {exc}") from None
        return cls.from_json(raw)
