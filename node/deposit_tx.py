"""The deposit transaction, type 0x7E, exactly as the OP Stack specifies it.

Encoding (EIP-2718 envelope):

    0x7E || rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data])

    sourceHash  bytes32   unique id of the deposit (see `user_deposit_source_hash`)
    from        address   L1 sender (aliased if an L1 contract), or the L1-info depositor
    to          address   empty (0x80) for a contract creation
    mint        uint256   native HKD (18 decimals) created on L2 for `from`, even if the call fails
    value       uint256   moved from `from` to `to` by the call
    gas         uint64    gas limit of the L2 execution (paid for on L1)
    isSystemTx  bool      always false since the OP Stack's Regolith; kept for the format
    data        bytes     calldata (or init code)

No signature, no nonce field: the sender's nonce is still incremented on L2. The receipt
(type 0x7E) is `rlp([status, cumulativeGasUsed, logsBloom, logs, depositNonce,
depositReceiptVersion])` with depositReceiptVersion = 1 (the OP Stack's Canyon format).

Source hashes:

    user deposit:  keccak256(bytes32(256) || keccak256(l1BlockHash || bytes32(position)))
    L1 info:       keccak256(bytes32(1) || keccak256(l1BlockHash || bytes32(sequenceNumber)))

The L1-info deposit's is the OP Stack's (its "deposits" spec). A user deposit's is Lantau's own
(issue 15): `position` is the deposit's place among its L1 block's portal deposits, counted from 0,
i.e. the link `LantauPortal.depositHashChain[block]` appended for it, where the OP Stack names the
log's index in the whole L1 block. The portal's chain fixes the position, so L1 decides a block's
deposits from the chain alone (`InputOracle`); a log index needed the block's receipts up to the
deposit's, which anyone could make larger than one L1 transaction. It has a domain of its own,
256, beside OP's 0 (user deposit by log index), 1 (L1 info), 2 (upgrade) and 3 (deposit context):
a hash by position never equals OP's hash of another deposit at the same number, so a tool that
computes OP's source hash finds no transaction instead of a wrong one, and OP's small domains can
grow without meeting it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Iterable, Sequence, Tuple

import rlp
from eth.abc import ReceiptAPI, SignedTransactionAPI
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth.rlp.logs import Log
from eth.rlp.receipts import Receipt
from eth.rlp.sedes import address, hash32, uint256
from eth.rlp.transactions import SignedTransactionMethods
from eth.vm.forks.istanbul.constants import GAS_TXDATANONZERO_EIP2028
from eth_bloom import BloomFilter
from eth_typing import Address, Hash32
from eth_utils import keccak
from rlp.sedes import CountableList, big_endian_int, binary, boolean

DEPOSIT_TX_TYPE = 0x7E
DEPOSIT_RECEIPT_VERSION = 1
USER_DEPOSIT_DOMAIN = 256  # Lantau's: a user deposit by its position in the L1 block (module doc)
L1_INFO_DEPOSIT_DOMAIN = 1

_TX_GAS = 21_000
_TX_CREATE_GAS = 53_000
_TX_DATA_ZERO_GAS = 4


def user_deposit_source_hash(l1_block_hash: bytes, position: int) -> Hash32:
    """The source hash of the `position`-th portal deposit (from 0) of L1 block `l1_block_hash`."""
    inner = keccak(l1_block_hash + position.to_bytes(32, "big"))
    return Hash32(keccak(USER_DEPOSIT_DOMAIN.to_bytes(32, "big") + inner))


def l1_info_source_hash(l1_block_hash: bytes, sequence_number: int) -> Hash32:
    inner = keccak(l1_block_hash + sequence_number.to_bytes(32, "big"))
    return Hash32(keccak(L1_INFO_DEPOSIT_DOMAIN.to_bytes(32, "big") + inner))


class DepositTransaction(rlp.Serializable, SignedTransactionMethods, SignedTransactionAPI):
    """The inner (payload) part of a 0x7E transaction."""

    fields = [
        ("source_hash", hash32),
        ("from_", address),
        ("to", address),
        ("mint", big_endian_int),
        ("value", big_endian_int),
        ("gas", big_endian_int),
        ("is_system_tx", boolean),
        ("data", binary),
    ]

    # Fee fields: deposits are paid for on L1 and buy their L2 gas at price zero.
    chain_id = None
    nonce = 0
    gas_price = 0
    max_fee_per_gas = 0
    max_priority_fee_per_gas = 0
    access_list: Sequence[Tuple[Address, Sequence[int]]] = ()
    authorization_list: Sequence[Any] = ()
    blob_versioned_hashes: Sequence[Hash32] = ()
    max_fee_per_blob_gas = 0
    y_parity = r = s = v = 0

    def validate(self) -> None:
        if len(self.source_hash) != 32:
            raise rlp.DeserializationError("deposit sourceHash must be 32 bytes", self.source_hash)

    def check_signature_validity(self) -> None:
        """Deposits carry no signature: their authenticity is the L1 log they come from."""

    def get_sender(self) -> Address:
        return self.from_

    @property
    def sender(self) -> Address:
        return self.from_

    def get_message_for_signing(self) -> bytes:
        raise NotImplementedError("deposit transactions are not signed")

    def get_intrinsic_gas(self) -> int:
        zeros = self.data.count(0)
        gas = _TX_CREATE_GAS if self.to == CREATE_CONTRACT_ADDRESS else _TX_GAS
        return gas + zeros * _TX_DATA_ZERO_GAS + (len(self.data) - zeros) * GAS_TXDATANONZERO_EIP2028

    @property
    def is_creation(self) -> bool:
        return self.to == CREATE_CONTRACT_ADDRESS

    @cached_property
    def hash(self) -> Hash32:
        raise NotImplementedError("call hash on the typed (0x7E) wrapper")

    def encode(self) -> bytes:
        return rlp.encode(self)

    @classmethod
    def decode(cls, payload: bytes) -> "DepositTransaction":
        return rlp.decode(payload, sedes=cls)

    def make_receipt(self, status: bytes, gas_used: int, log_entries: Iterable[Tuple[bytes, Tuple[int, ...], bytes]]) -> ReceiptAPI:
        logs = [Log(addr, topics, data) for addr, topics, data in log_entries]
        # depositNonce is filled in by the VM, which knows the sender's nonce before execution.
        return DepositReceipt(state_root=status, gas_used=gas_used, logs=logs, deposit_nonce=0)


class DepositPayloadDecoder:
    @classmethod
    def decode(cls, payload: bytes) -> DepositTransaction:
        return rlp.decode(payload, sedes=DepositTransaction)


class DepositReceipt(rlp.Serializable, ReceiptAPI):
    fields = [
        ("state_root", binary),
        ("gas_used", big_endian_int),
        ("bloom", uint256),
        ("logs", CountableList(Log)),
        ("deposit_nonce", big_endian_int),
        ("deposit_receipt_version", big_endian_int),
    ]

    def __init__(
        self,
        state_root: bytes,
        gas_used: int,
        logs: Iterable[Log],
        deposit_nonce: int,
        deposit_receipt_version: int = DEPOSIT_RECEIPT_VERSION,
        bloom: int | None = None,
    ) -> None:
        logs = list(logs)
        if bloom is None:
            bloom = int(BloomFilter.from_iterable(b for log in logs for b in log.bloomables))
        super().__init__(
            state_root=state_root, gas_used=gas_used, bloom=bloom, logs=logs,
            deposit_nonce=deposit_nonce, deposit_receipt_version=deposit_receipt_version,
        )

    @property
    def bloom_filter(self) -> BloomFilter:
        return BloomFilter(self.bloom)

    @classmethod
    def decode(cls, encoded: bytes) -> "DepositReceipt":
        return rlp.decode(encoded, sedes=cls)

    def encode(self) -> bytes:
        return rlp.encode(self)


def is_deposit(transaction: SignedTransactionAPI) -> bool:
    return getattr(transaction, "type_id", None) == DEPOSIT_TX_TYPE


# Keep `Receipt` importable from here for callers that build non-deposit receipts in tests.
__all__ = [
    "DEPOSIT_TX_TYPE", "DepositTransaction", "DepositReceipt", "DepositPayloadDecoder",
    "user_deposit_source_hash", "l1_info_source_hash", "is_deposit", "Receipt",
]
