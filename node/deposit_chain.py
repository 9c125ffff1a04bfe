"""The deposit hash chain: L1's commitment to the user deposits of one L1 block, in order.

`LantauPortal` keeps, per L1 block number, the hash chain of the deposits made in that block
(`depositHashChain(l1Block)`), so that a contract can check that an L2 block's user deposits
(the 0x7E transactions after its L1-info deposit, when the block starts an epoch) are exactly
its L1 origin's, none added, none dropped, in log order:

    c_0 = bytes32(0)
    c_i = keccak256(c_{i-1} ‖ keccak256(from ‖ to ‖ mint ‖ value ‖ gas ‖ isCreation ‖ data))

    from        20 bytes  the deposit's L2 sender (already aliased by the portal)
    to          20 bytes  zero for a creation
    mint, value 32 bytes each, big-endian
    gas          8 bytes  (uint64)
    isCreation   1 byte   0 or 1
    data                  the rest, no length prefix

The leaf is keccak256(from ‖ to ‖ opaqueData) of the portal's `TransactionDeposited` log
(node/deposit_event.py). It covers every field of the 0x7E transaction, the source hash too:
that names the L1 block's hash and the deposit's position in it (keccak(256 ‖ keccak(l1BlockHash
‖ position)), node/deposit_tx.py), and the position of deposit i is its link c_i here.
"""

from __future__ import annotations

from typing import Iterable

from eth.abc import SignedTransactionAPI
from eth_typing import Hash32
from eth_utils import keccak

from node.deposit_tx import DepositPayloadDecoder, DepositTransaction, is_deposit

EMPTY_DEPOSIT_CHAIN = Hash32(bytes(32))


def deposit_leaf(deposit: DepositTransaction) -> Hash32:
    """keccak256(from ‖ to ‖ mint ‖ value ‖ gas ‖ isCreation ‖ data) of one user deposit."""
    to = bytes(20) if deposit.is_creation else bytes(deposit.to)
    packed = (
        bytes(deposit.from_) + to + deposit.mint.to_bytes(32, "big") + deposit.value.to_bytes(32, "big")
        + deposit.gas.to_bytes(8, "big") + bytes([deposit.is_creation]) + deposit.data
    )
    return Hash32(keccak(packed))


def deposit_hash_chain(deposits: Iterable[SignedTransactionAPI]) -> Hash32:
    """The portal's `depositHashChain` of an L1 block whose user deposits are `deposits`
    (0x7E transactions, log order; the L1-info deposit is not a user deposit: leave it out)."""
    chain = EMPTY_DEPOSIT_CHAIN
    for tx in deposits:
        if not is_deposit(tx):
            raise ValueError(f"not a deposit transaction: type {getattr(tx, 'type_id', None)}")
        inner = DepositPayloadDecoder.decode(tx.encode()[1:])
        chain = Hash32(keccak(chain + deposit_leaf(inner)))
    return chain
