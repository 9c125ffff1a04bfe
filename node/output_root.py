"""Output roots and withdrawal hashes: what the proposer posts to L1 and what a withdrawal proves.

An output root commits to one L2 block (version 0, the OP Stack's):

    output_root = keccak256(version ‖ state_root ‖ message_passer_storage_root ‖ block_hash)

four 32-byte words, 128 bytes hashed, `version = bytes32(0)`. The message passer's storage root
is the `storageRoot` of the `L2ToL1MessagePasser` predeploy's account in that block's state.

A withdrawal is recorded by the passer under

    withdrawal_hash = keccak256(abi.encode(nonce, sender, target, value, gas_limit, data))

(six ABI words, `data` dynamic: offset 0xc0, then length and right-padded bytes), at storage slot

    withdrawal_storage_key = keccak256(withdrawal_hash ‖ uint256(0))

because `sentMessages` is the mapping at slot 0; the slot holds 1. The L1 portal checks a storage
proof of that slot (the storage trie key is keccak256 of the slot) against the passer's storage
root, and that storage root against an output root posted to the `OutputOracle`.

The Solidity twins are `contracts/src/L1/lib/OutputRootLib.sol` and `L2ToL1MessagePasser`.
"""

from __future__ import annotations

from typing import Final

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_typing import Address, Hash32

OUTPUT_VERSION_V0: Final = Hash32(bytes(32))
SENT_MESSAGES_SLOT: Final = 0  # storage slot of `L2ToL1MessagePasser.sentMessages`
MESSAGE_VERSION: Final = 0  # top 16 bits of a withdrawal nonce
_NONCE_BITS: Final = 240


def output_root(state_root: Hash32, message_passer_storage_root: Hash32, block_hash: Hash32) -> Hash32:
    """Commitment to an L2 block that the proposer posts to L1 (version 0)."""
    _check_word("state_root", state_root)
    _check_word("message_passer_storage_root", message_passer_storage_root)
    _check_word("block_hash", block_hash)
    return Hash32(keccak(OUTPUT_VERSION_V0 + state_root + message_passer_storage_root + block_hash))


def versioned_nonce(count: int, version: int = MESSAGE_VERSION) -> int:
    """The passer's `messageNonce()` after `count` withdrawals: version in the top 16 bits."""
    if not 0 <= count < 1 << _NONCE_BITS or not 0 <= version < 1 << 16:
        raise ValueError(f"nonce {count} or version {version} out of range")
    return version << _NONCE_BITS | count


def withdrawal_hash(nonce: int, sender: Address, target: Address, value: int, gas_limit: int, data: bytes) -> Hash32:
    """The hash `L2ToL1MessagePasser` records a withdrawal under (OP's `Hashing.hashWithdrawal`)."""
    encoded = abi_encode(
        ["uint256", "address", "address", "uint256", "uint256", "bytes"],
        [nonce, bytes(sender), bytes(target), value, gas_limit, bytes(data)],
    )
    return Hash32(keccak(encoded))


def withdrawal_storage_key(withdrawal_hash: Hash32) -> Hash32:
    """The passer's storage slot holding `sentMessages[withdrawal_hash]` (1 once initiated)."""
    _check_word("withdrawal_hash", withdrawal_hash)
    return Hash32(keccak(withdrawal_hash + SENT_MESSAGES_SLOT.to_bytes(32, "big")))


def _check_word(name: str, word: bytes) -> None:
    # A short hash would silently shift every later word of the preimage: refuse it.
    if len(word) != 32:
        raise ValueError(f"{name} must be 32 bytes, got {len(word)}")
