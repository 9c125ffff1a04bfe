"""Errors of the RWA SDK, under Lantau's one hierarchy (`node.errors.LantauError`).

A reverted call is decoded with the ABIs of the committed artifacts into the contract's custom
error; a compliance refusal becomes `TransferNotCompliant`, whose message is the contract's
own reason ("receiver not KYC verified").
"""

from __future__ import annotations

from typing import Any

from node.errors import LantauError


class RWAError(LantauError):
    """Root of the RWA SDK's errors."""


class ContractReverted(RWAError):
    """A call or transaction reverted; `error` is the Solidity custom error's name."""

    def __init__(self, function: str, error: str, args: tuple[Any, ...], data: bytes = b"") -> None:
        shown = ", ".join(_show(a) for a in args)
        super().__init__(f"{function} reverted: {error}({shown})")
        self.function, self.error, self.args_, self.data = function, error, args, data


class TransferNotCompliant(ContractReverted):
    """Identity, freeze, pause or a compliance rule forbids the transfer (`TransferCodes`)."""

    def __init__(self, function: str, code: int, reason: str, data: bytes = b"") -> None:
        super().__init__(function, "TransferNotCompliant", (code, reason), data)
        self.code, self.reason = code, reason

    def __str__(self) -> str:
        return f"transfer not compliant: {self.reason} (code {self.code})"


class TransactionFailed(RWAError):
    """A mined transaction has status 0 (it passed the pre-flight call: the state moved)."""

    def __init__(self, function: str, tx_hash: str, block_number: int) -> None:
        super().__init__(f"{function}: transaction {tx_hash} reverted in block {block_number}")
        self.function, self.tx_hash, self.block_number = function, tx_hash, block_number


class TransactionNotIncluded(RWAError):
    """A sent transaction has no receipt after the wait; `detail` is the node's view of why
    (whether its pool still holds it, the sender's mined and pending nonces)."""

    def __init__(self, function: str, tx_hash: str, waited_s: float, detail: str) -> None:
        super().__init__(f"{function}: transaction {tx_hash} not included after {waited_s:g} s ({detail})")
        self.function, self.tx_hash, self.waited_s, self.detail = function, tx_hash, waited_s, detail


class NoSigner(RWAError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} needs a signing key (--key or LANTAU_KEY)")


class AssetNotFound(RWAError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no asset {reference!r}: give its address, identifier (ISIN / HKEX code) or symbol")
        self.reference = reference


class AmbiguousAsset(RWAError):
    def __init__(self, symbol: str, addresses: list[str]) -> None:
        super().__init__(f"symbol {symbol!r} names {len(addresses)} assets ({', '.join(addresses)}): give the identifier or address")
        self.symbol, self.addresses = symbol, addresses


class InsufficientHKD(RWAError):
    def __init__(self, who: str, have_wei: int, need_wei: int, what: str) -> None:
        super().__init__(
            f"{what} needs HK${need_wei / 10**18:,.2f} but {who} holds HK${have_wei / 10**18:,.2f}"
        )
        self.who, self.have_wei, self.need_wei = who, have_wei, need_wei


class NoCouponDate(RWAError):
    """A bond has no coupon date left to announce a coupon for (CorporateActions pays a coupon
    only on one of its terms' `couponDates`, one coupon per date)."""

    def __init__(self, token: str, after: int) -> None:
        super().__init__(f"{token} has no coupon date after {after} without a coupon announced (see its bond terms' couponDates)")
        self.token, self.after = token, after


class TradeFileError(RWAError):
    """A trade file that cannot be used (malformed, another chain, a signature by a non-party)."""


class ChainTimeout(RWAError):
    pass


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return repr(value) if not value.startswith("0x") else value
    return str(value)
