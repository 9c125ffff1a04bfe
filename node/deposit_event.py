"""Decoding of the portal's `TransactionDeposited` log (OP Stack deposit version 0).

Log layout, as LantauPortal emits it and op-node reads it:

    topics[0]  keccak256("TransactionDeposited(address,address,uint256,bytes)")
    topics[1]  from     (address, left-padded; aliased by +0x1111…1111 if an L1 contract sent it)
    topics[2]  to       (address, left-padded; zero for a creation)
    topics[3]  version  (uint256; only 0 is defined)
    data       abi.encode(bytes opaqueData): offset (must be 0x20), length, content, zero padding

    opaqueData (version 0), tightly packed:
      bytes  0..32   uint256 mint        L2 wei credited to `from` before the call
      bytes 32..64   uint256 value       L2 wei sent with the call
      bytes 64..72   uint64  gasLimit
      byte  72       bool    isCreation  (0 or 1)
      bytes 73..     bytes   data        (the rest, no length prefix)

The source hash that makes every user deposit's L2 transaction unique is Lantau's (issue 15,
`node.deposit_tx`): keccak256(bytes32(uint256(256)) ++ keccak256(l1BlockHash ++ bytes32(position)))
with `position` the log's place among the portal's `TransactionDeposited` logs of its L1 block,
from 0 (`positioned`): the link of `LantauPortal.depositHashChain[block]` the portal appended with
the log. Not the OP Stack's log index in the whole block, which L1 could only prove from the block's
receipts up to the deposit's.

`decode_deposit_log` is pure and strict: any log the portal cannot have emitted raises a
`MalformedDepositLog` that says what is wrong. `deposit_transaction` maps a decoded event to
its L2 transaction (type 0x7E): the one mapping, used by derivation's L1 source and by the
deposit client that predicts a deposit's L2 hash. A consensus format, so it lives in `node/`;
bridge/ only fetches the logs (every portal `TransactionDeposited` log of the block: a position
counts them all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth.constants import CREATE_CONTRACT_ADDRESS
from eth_typing import Address, Hash32
from eth_utils import keccak

from node.deposit_tx import user_deposit_source_hash
from node.errors import MalformedDepositLog
from node.vm import LantauTransactionBuilder, LantauTypedTransaction

TRANSACTION_DEPOSITED_TOPIC = keccak(text="TransactionDeposited(address,address,uint256,bytes)")
DEPOSIT_VERSION_0 = 0
OPAQUE_DATA_V0_MIN_LENGTH = 32 + 32 + 8 + 1



class UnknownDepositVersion(MalformedDepositLog):
    def __init__(self, version: int) -> None:
        super().__init__(f"unknown deposit version {version}: only version {DEPOSIT_VERSION_0} is defined")
        self.version = version


@dataclass(frozen=True, slots=True)
class DepositEvent:
    """One user deposit, as read from L1. Addresses and hashes are raw bytes (20 and 32)."""

    l1_block_hash: Hash32
    l1_block_number: int
    log_index: int  # index of the log in its L1 block (not in its transaction); shown, not hashed
    position: int  # place among the portal's deposits of its L1 block, from 0: the source hash's
    tx_hash: Hash32
    from_address: Address  # the L2 sender, already aliased by the portal where it applies
    to_address: Address | None  # None for a contract creation
    version: int
    mint: int  # L2 wei
    value: int  # L2 wei
    gas_limit: int
    is_creation: bool
    data: bytes

    @property
    def source_hash(self) -> Hash32:
        return deposit_source_hash(self.l1_block_hash, self.position)


def deposit_source_hash(l1_block_hash: bytes, position: int) -> Hash32:
    """Source hash of a user deposit (Lantau's domain 256), unique per (L1 block, position).

    The rule lives in `node.deposit_tx`; this checks the inputs a log can get wrong."""
    if len(l1_block_hash) != 32:
        raise ValueError(f"L1 block hash must be 32 bytes, got {len(l1_block_hash)}")
    if not 0 <= position < 2**256:
        raise ValueError(f"deposit position out of range: {position}")
    return user_deposit_source_hash(l1_block_hash, position)


def positioned(logs: Iterable[Mapping[str, Any]]) -> list[tuple[int, Mapping[str, Any]]]:
    """Every portal `TransactionDeposited` log of one L1 block, in log order, each with its
    position (from 0). `logs` must be all of them (`eth_getLogs` by block hash, the portal's
    address and the event's topic): a position counts every one, a malformed one too."""
    ordered = sorted(logs, key=lambda entry: _as_int(_field(entry, "logIndex"), "logIndex"))
    return list(enumerate(ordered))


def decode_block_deposits(logs: Iterable[Mapping[str, Any]]) -> list[DepositEvent]:
    """Every portal deposit of one L1 block (all its portal `TransactionDeposited` logs, in any
    order), decoded in log order; `MalformedDepositLog` on any the portal cannot have emitted."""
    return [decode_deposit_log(entry, position) for position, entry in positioned(logs)]


def decode_deposit_log(log: Mapping[str, Any], position: int) -> DepositEvent:
    """Decode a `TransactionDeposited` log, as web3.py returns it (HexBytes, ints) or as raw
    JSON-RPC returns it (0x-hex strings), the `position`-th portal deposit of its L1 block
    (`positioned`). Does not check the log's address: the caller asks L1 for the portal's logs
    only."""
    topics = [_as_bytes(t, "topic") for t in _field(log, "topics")]
    if len(topics) != 4:
        raise MalformedDepositLog(f"expected 4 topics (event, from, to, version), got {len(topics)}")
    if any(len(t) != 32 for t in topics):
        raise MalformedDepositLog("every topic must be 32 bytes")
    if topics[0] != TRANSACTION_DEPOSITED_TOPIC:
        raise MalformedDepositLog(f"not a TransactionDeposited log: topic0 {topics[0].hex()}")
    from_address = _topic_address(topics[1], "from")
    to_topic = _topic_address(topics[2], "to")
    version = int.from_bytes(topics[3], "big")
    if version != DEPOSIT_VERSION_0:
        raise UnknownDepositVersion(version)

    opaque = _abi_bytes(_as_bytes(_field(log, "data"), "data"))
    if len(opaque) < OPAQUE_DATA_V0_MIN_LENGTH:
        raise MalformedDepositLog(
            f"opaqueData is {len(opaque)} bytes; version 0 needs at least {OPAQUE_DATA_V0_MIN_LENGTH}"
        )
    mint = int.from_bytes(opaque[0:32], "big")
    value = int.from_bytes(opaque[32:64], "big")
    gas_limit = int.from_bytes(opaque[64:72], "big")
    creation_flag = opaque[72]
    if creation_flag > 1:
        raise MalformedDepositLog(f"isCreation byte must be 0 or 1, got {creation_flag}")
    is_creation = creation_flag == 1

    block_hash = _as_bytes(_field(log, "blockHash"), "blockHash")
    tx_hash = _as_bytes(_field(log, "transactionHash"), "transactionHash")
    if len(block_hash) != 32 or len(tx_hash) != 32:
        raise MalformedDepositLog("blockHash and transactionHash must be 32 bytes")
    return DepositEvent(
        l1_block_hash=Hash32(block_hash),
        l1_block_number=_as_int(_field(log, "blockNumber"), "blockNumber"),
        log_index=_as_int(_field(log, "logIndex"), "logIndex"),
        position=position,
        tx_hash=Hash32(tx_hash),
        from_address=from_address,
        to_address=None if is_creation else to_topic,
        version=version,
        mint=mint,
        value=value,
        gas_limit=gas_limit,
        is_creation=is_creation,
        data=bytes(opaque[73:]),
    )


def deposit_transaction(event: DepositEvent) -> LantauTypedTransaction:
    """The L2 deposit transaction (type 0x7E) that `event` makes: its hash is known on L1."""
    return LantauTransactionBuilder.new_deposit_transaction(
        source_hash=event.source_hash,
        from_=event.from_address,
        to=CREATE_CONTRACT_ADDRESS if event.to_address is None else event.to_address,
        mint=event.mint,
        value=event.value,
        gas=event.gas_limit,
        data=event.data,
    )


def _abi_bytes(data: bytes) -> bytes:
    """The content of `abi.encode(bytes)`, with op-node's checks: offset 32, length within the
    data, and minimal zero padding to a multiple of 32 bytes."""
    if len(data) < 64 or len(data) % 32 != 0:
        raise MalformedDepositLog(f"log data must be >= 64 bytes and a multiple of 32, got {len(data)}")
    offset = int.from_bytes(data[0:32], "big")
    if offset != 32:
        raise MalformedDepositLog(f"opaqueData offset must be 32, got {offset}")
    length = int.from_bytes(data[32:64], "big")
    available = len(data) - 64
    if length > available or length + 32 <= available:
        raise MalformedDepositLog(f"opaqueData length {length} does not match {available} bytes of content")
    if any(data[64 + length :]):
        raise MalformedDepositLog("opaqueData padding is not zero")
    return data[64 : 64 + length]


def _topic_address(topic: bytes, name: str) -> Address:
    if any(topic[:12]):
        raise MalformedDepositLog(f"{name} topic is not an address: {topic.hex()}")
    return Address(topic[12:])


def _field(log: Mapping[str, Any], name: str) -> Any:
    try:
        value = log[name]
    except KeyError:
        raise MalformedDepositLog(f"log has no {name!r}") from None
    if value is None:  # a pending log has no block yet
        raise MalformedDepositLog(f"log has no {name!r} (pending?)")
    return value


def _as_bytes(value: Any, name: str) -> bytes:
    if isinstance(value, (bytes, bytearray)):  # includes HexBytes
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise MalformedDepositLog(f"{name} is not bytes or 0x-hex: {value!r}")


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise MalformedDepositLog(f"{name} is not an integer or 0x-hex: {value!r}")
