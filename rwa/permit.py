"""ERC-2612 permits for RWA assets: an owner's EIP-712 signature that lets a spender (the
SettlementEngine, a venue, a custodian) take an allowance without the owner sending a transaction.

The domain is each asset's own (`RWATokenExtension.DOMAIN_SEPARATOR`): name = the asset's current
`name()`, version "1", the chain id, verifyingContract = the asset; the message is
`Permit(owner, spender, value, nonce, deadline)` with the owner's current `nonces(owner)`. Anyone
may submit the signature with `permit(owner, spender, value, deadline, v, r, s)`; it works once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from rwa.eip712 import domain, sign_typed

PERMIT_TYPES: dict[str, list[dict[str, str]]] = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


@dataclass(frozen=True, slots=True)
class Permit:
    """What an owner signs: `value` units of the asset for `spender`, valid until `deadline`
    (unix seconds) and only at the owner's `nonce`."""

    owner: str
    spender: str
    value: int
    nonce: int
    deadline: int

    def as_message(self) -> dict[str, Any]:
        return {
            "owner": to_checksum_address(self.owner),
            "spender": to_checksum_address(self.spender),
            "value": self.value,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


@dataclass(frozen=True, slots=True)
class PermitSignature:
    v: int
    r: bytes
    s: bytes


def permit_domain(chain_id: int, token: str, token_name: str) -> dict[str, Any]:
    return domain(token_name, chain_id, token)


def sign_permit(permit: Permit, private_key: str | bytes, *, chain_id: int, token: str, token_name: str) -> PermitSignature:
    """The owner's EIP-712 signature of `permit` (eth-account), split as `permit` takes it."""
    signed = sign_typed(private_key, permit_domain(chain_id, token, token_name), PERMIT_TYPES, permit.as_message())
    return PermitSignature(v=signed.v, r=signed.r.to_bytes(32, "big"), s=signed.s.to_bytes(32, "big"))
