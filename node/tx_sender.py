"""A typed transaction's sender, with one signature recovery (libsecp256k1 via coincurve).

py-evm recovers a sender through eth-keys objects and re-serialises the unsigned transaction
field by field; its signature check recovers the key and then verifies the signature against
it, and the pool then asks for the sender, which recovers it again: three curve operations per
transaction at admission. Verifying a signature against the key recovered from it always
succeeds (recovery solves the verification equation for the key), so one recovery is the whole
check. The signing message of an EIP-2718 transaction is its type byte and the RLP of its fields
without the last three (y_parity, r, s), cut from the transaction's own encoding.

The same error as py-evm's (eth-keys'): `eth_keys.exceptions.BadSignature` for a y_parity other
than 0/1, r or s at or above the curve order, or a signature no key recovers from.
"""

from __future__ import annotations

import coincurve
import rlp
from eth.abc import SignedTransactionAPI
from eth_hash.auto import keccak
from eth_keys.constants import SECPK1_N
from eth_keys.exceptions import BadSignature
from eth_typing import Address

#: EIP-2718 types whose signing message is "type byte + rlp(fields but the signature)".
SIGNED_TYPED_TX_TYPES = frozenset({0x01, 0x02})


def recover_typed_sender(transaction: SignedTransactionAPI) -> Address:
    """The address that signed `transaction` (type 0x01 or 0x02)."""
    encoded = transaction.encode()
    fields = rlp.decode(encoded[1:])
    y_parity, r, s = fields[-3:]
    if y_parity not in (b"", b"\x01") or len(r) > 32 or len(s) > 32:
        raise BadSignature("invalid transaction signature values (y_parity, r, s)")
    if int.from_bytes(r, "big") >= SECPK1_N or int.from_bytes(s, "big") >= SECPK1_N:
        raise BadSignature("invalid transaction signature values: r or s not below the curve order")
    message_hash = keccak(encoded[:1] + rlp.encode(fields[:-3]))
    signature = r.rjust(32, b"\x00") + s.rjust(32, b"\x00") + (b"\x01" if y_parity else b"\x00")
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except Exception as error:  # coincurve raises ValueError / its own errors for unrecoverable signatures
        raise BadSignature(f"no public key recovers from the signature: {error}") from error
    return Address(keccak(public_key.format(compressed=False)[1:])[-20:])
