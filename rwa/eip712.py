"""EIP-712 typed data for Lantau's contracts, in one place: the domain they all use (a name,
version "1", the chain id, the verifying contract), the digest a contract computes (and uses as an
id: a trade id, a reading's uid), signing it with eth-account, and recovering the signer.

`types` never lists `EIP712Domain`: eth-account derives it from the domain's four fields, in the
order EIP-712 gives them, as the contracts' `DOMAIN_TYPEHASH` does.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak, to_checksum_address

Types = dict[str, list[dict[str, str]]]


def domain(name: str, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The EIP-712 domain of a Lantau contract."""
    return {"name": name, "version": "1", "chainId": chain_id, "verifyingContract": to_checksum_address(verifying_contract)}


def _signable(domain_data: dict[str, Any], types: Types, message: dict[str, Any]) -> SignableMessage:
    return encode_typed_data(domain_data, types, message)


def typed_digest(domain_data: dict[str, Any], types: Types, message: dict[str, Any]) -> bytes:
    """keccak256("\\x19\\x01" ‖ domainSeparator ‖ hashStruct(message)): what is signed."""
    signable = _signable(domain_data, types, message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_typed(private_key: str | bytes, domain_data: dict[str, Any], types: Types, message: dict[str, Any]) -> Any:
    """eth-account's signature of the typed message (`.signature` 65 bytes, `.v`, `.r`, `.s`)."""
    return Account.sign_message(_signable(domain_data, types, message), private_key)


def recover_typed_signer(domain_data: dict[str, Any], types: Types, message: dict[str, Any], signature: bytes) -> str:
    return Account.recover_message(_signable(domain_data, types, message), signature=signature)
