"""The one error hierarchy of Lantau. Every error raised on purpose derives from `LantauError`.

The JSON-RPC layer maps each class to a JSON-RPC code in one table (`node/rpc/errors.py`);
nowhere else turns exceptions into error codes. Derivation errors say what the pipeline must
do: `TemporaryError` (retry), `ResetError` (back to a common ancestor), `CriticalError` (stop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

if TYPE_CHECKING:
    from pathlib import Path

    from eth_typing import Address


# --- the root, and the node as a whole --------------------------------------------------------


class LantauError(Exception):
    """Root of every error the node raises on purpose."""


class ConfigError(LantauError):
    """A configuration (genesis, rollup config, command line, wiring) that the node refuses to
    run with."""


class ShuttingDown(LantauError):
    """The node is stopping and takes no new work."""


class SequencerStateError(LantauError):
    """`admin_stopSequencer` on a stopped sequencer, or `admin_startSequencer` on a running one
    (op-node's "sequencer not running" / "sequencer already running")."""


# --- transactions refused as sent (node/user_tx.py, node/txpool.py) ---------------------------


class InvalidTransaction(LantauError):
    """A transaction that can never be accepted as sent (bad encoding, signature, chain id...)."""


class TransactionDecodeError(InvalidTransaction):
    """The bytes are not a transaction of a type this chain knows (bad RLP, bad fields)."""


class NonCanonicalTransaction(TransactionDecodeError):
    """The transaction decodes but is not the canonical encoding of its fields: the same
    signature under a second hash."""


class UnsupportedTransactionType(InvalidTransaction):
    """The transaction type is not one a user may send on L2 (deposits come from L1, blobs
    never)."""

    def __init__(self, type_id: int, reason: str | None = None) -> None:
        super().__init__(
            f"transaction type not supported: 0x{type_id:02x}" + (f" ({reason})" if reason else "")
        )
        self.type_id = type_id


class InvalidSignature(InvalidTransaction):
    """The signature is malformed or recovers no sender."""


class WrongChainId(InvalidTransaction):
    """The transaction is signed for another chain (or, legacy, for none)."""

    def __init__(self, got: int | None, expected: int) -> None:
        what = "no chain id (pre-EIP-155)" if got is None else f"chain id {got}"
        super().__init__(f"invalid chain id: transaction is signed for {what}, this chain is {expected}")
        self.got, self.expected = got, expected


class UnprotectedTransaction(WrongChainId):
    """A legacy transaction signed without a chain id: it could be replayed on any chain."""

    def __init__(self, expected: int) -> None:
        InvalidTransaction.__init__(self, "only replay-protected (EIP-155) transactions allowed over RPC")
        self.got, self.expected = None, expected


class FieldOutOfRange(InvalidTransaction):
    """A field no valid transaction can hold (a nonce of 2**64 - 1, a fee above 2**256 - 1)."""


class NonceTooLow(InvalidTransaction):
    """The sender's account has already used this nonce."""

    def __init__(self, sender: str, nonce: int, expected: int) -> None:
        super().__init__(f"nonce too low: next nonce for {sender} is {expected}, got {nonce}")
        self.sender, self.nonce, self.expected = sender, nonce, expected


class InsufficientFunds(InvalidTransaction):
    """The sender cannot pay gas * fee cap + value."""

    def __init__(self, sender: str, balance: int, cost: int) -> None:
        super().__init__(
            f"insufficient funds for gas * price + value: address {sender} have {balance} want {cost}"
        )
        self.sender, self.balance, self.cost = sender, balance, cost


class SenderNotEOA(InvalidTransaction):
    """EIP-3607: the sender's account holds code."""

    def __init__(self, sender: str) -> None:
        super().__init__(f"sender not an eoa: address {sender} has code")
        self.sender = sender


class IntrinsicGasTooLow(InvalidTransaction):
    """The gas limit is below what the transaction costs before it runs."""

    def __init__(self, gas: int, intrinsic: int) -> None:
        super().__init__(f"intrinsic gas too low: gas {gas}, minimum needed {intrinsic}")
        self.gas, self.intrinsic = gas, intrinsic


class FloorDataGasTooLow(IntrinsicGasTooLow):
    """EIP-7623 (Prague): a transaction must be able to pay the calldata floor price."""

    def __init__(self, gas: int, floor: int) -> None:
        InvalidTransaction.__init__(
            self, f"insufficient gas for floor data gas cost: gas {gas}, minimum needed {floor}"
        )
        self.gas, self.intrinsic = gas, floor


class GasLimitExceeded(InvalidTransaction):
    """The gas limit is above the block gas limit: no block can hold it."""

    def __init__(self, gas: int, block_gas_limit: int) -> None:
        super().__init__(f"exceeds block gas limit: gas {gas} > block gas limit {block_gas_limit}")


class BlockGasExhausted(InvalidTransaction):
    """The transaction's gas is more than the block it is in has left (geth's ErrGasLimitReached)."""

    def __init__(self, gas: int, gas_left: int) -> None:
        super().__init__(f"gas limit reached: gas {gas} > gas left in the block {gas_left}")
        self.gas, self.gas_left = gas, gas_left


class OversizedTransaction(InvalidTransaction):
    """The encoded transaction is larger than the pool takes."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"oversized data: transaction size {size} bytes, limit {limit}")


class InitcodeTooLarge(InvalidTransaction):
    """A contract creation whose initcode is above EIP-3860's limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"max initcode size exceeded: code size {size}, limit {limit}")
        self.size, self.limit = size, limit


class FeeTooLow(InvalidTransaction):
    """The fees offered are below what the node requires."""


class FeeCapBelowBaseFee(FeeTooLow):
    """geth's ErrFeeCapTooLow: the fee cap cannot pay the next block's base fee."""

    def __init__(self, sender: str, max_fee: int, base_fee: int) -> None:
        super().__init__(
            f"max fee per gas less than block base fee: address {sender}, maxFeePerGas: {max_fee}, baseFee: {base_fee}"
        )
        self.sender, self.max_fee, self.base_fee = sender, max_fee, base_fee


class TipAboveFeeCap(InvalidTransaction):
    """The priority fee is above the fee cap (EIP-1559)."""

    def __init__(self, tip: int, fee_cap: int) -> None:
        super().__init__(
            f"max priority fee per gas higher than max fee per gas: tip {tip}, fee cap {fee_cap}"
        )
        self.tip, self.fee_cap = tip, fee_cap


# --- the pool's policy (node/txpool.py) -------------------------------------------------------


class TxPoolRejection(LantauError):
    """The transaction is well formed but the pool will not take it now (full, replacement...)."""


class AlreadyKnown(TxPoolRejection):
    """The pool already holds this transaction."""

    def __init__(self, tx_hash: str) -> None:
        super().__init__(f"already known: {tx_hash}")


class ReplacementUnderpriced(TxPoolRejection):
    """A transaction of the same sender and nonce is in the pool and this one does not raise
    its fees enough to replace it."""


class TxPoolFull(TxPoolRejection):
    """The pool is at capacity and this transaction pays too little to evict another."""


class AccountLimitExceeded(TxPoolRejection):
    """The sender already has as many queued (gapped) transactions as one sender may."""

    def __init__(self, sender: str, limit: int) -> None:
        super().__init__(
            f"account limit exceeded: {sender} already has {limit} queued transactions in the pool "
            f"(nonces after a gap), the most one sender may have"
        )
        self.sender, self.limit = sender, limit


class ReadOnlyNode(TxPoolRejection):
    """A verifier takes no transactions: its blocks come from L1 data only."""


# --- chain and blocks (node/chain.py) ---------------------------------------------------------


class ChainError(LantauError):
    """A read of the chain that cannot be answered."""


class BlockNotFound(ChainError):
    """No block with that hash or number."""


class TransactionNotFound(ChainError):
    """No transaction with that hash."""


class GenesisMismatch(ChainError):
    """The data directory holds a chain from another genesis."""


class AddressIndexIncomplete(ChainError):
    """A page of an address's transactions that reaches blocks the node is still backfilling
    into its address index (`node.address_index`): answering it short would say "no more"."""

    def __init__(self, unindexed_to: int, found: int) -> None:
        super().__init__(
            f"the address index is still being backfilled: blocks 1 to {unindexed_to} are not listed yet "
            f"(this page has {found} newer ones); retry shortly")
        self.unindexed_to, self.found = unindexed_to, found


# --- execution on behalf of eth_call / eth_estimateGas (node/rpc/execution.py) ----------------


class ExecutionReverted(LantauError):
    """eth_call / eth_estimateGas: the call ended in REVERT (`reason` decoded, `data` as
    returned)."""

    def __init__(self, reason: str | None, data: bytes) -> None:
        super().__init__("execution reverted" + (f": {reason}" if reason else ""))
        self.reason, self.data = reason, data


class ExecutionTimeout(LantauError):
    """A call or trace (eth_call, eth_estimateGas, debug_trace*) ran past its time limit."""


class ExecutionFailed(LantauError):
    """eth_call / eth_estimateGas stopped by an EVM error other than REVERT (out of gas...)."""


class GasRequiredExceedsAllowance(ExecutionFailed):
    """eth_estimateGas: the call fails even with all the gas it may have."""

    def __init__(self, allowance: int) -> None:
        super().__init__(f"gas required exceeds allowance ({allowance})")
        self.allowance = allowance


# --- JSON-RPC requests (node/rpc/server.py, node/rpc/params.py) -------------------------------


class ParseError(LantauError):
    """The request body is not valid JSON."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"parse error: {detail}")


class InvalidRequest(LantauError):
    """A JSON-RPC message that is not a valid request object (JSON-RPC 2.0, section 4)."""


class RequestBodyTooLarge(InvalidRequest):
    """The HTTP body is larger than the configured limit."""

    def __init__(self, size: int | None, limit: int) -> None:
        # `size` is None when the body came chunked and was cut off at the limit.
        amount = f"{size} bytes" if size is not None else f"more than {limit} bytes"
        super().__init__(f"request body too large: {amount}, limit {limit}")
        self.size, self.limit = size, limit


class BatchTooLarge(InvalidRequest):
    """A JSON-RPC batch with more requests than the configured limit."""

    def __init__(self, items: int, limit: int) -> None:
        super().__init__(f"batch too large: {items} requests, limit {limit}")
        self.items, self.limit = items, limit


class MethodNotFound(LantauError):
    """No such JSON-RPC method (or not enabled on this node)."""

    def __init__(self, method: str) -> None:
        super().__init__(f"the method {method} does not exist/is not available")
        self.method = method


class InvalidParams(LantauError):
    """A JSON-RPC parameter that is missing, of the wrong type, or out of range."""


class LimitExceeded(LantauError):
    """A request beyond a configured limit (block range, batch size, body size...)."""


class NotificationsUnsupported(LantauError):
    """eth_subscribe over a transport that cannot push (HTTP)."""

    def __init__(self) -> None:
        super().__init__("notifications not supported")


class FilterNotFound(LantauError):
    """No filter with that id (never made, uninstalled or expired)."""

    def __init__(self) -> None:
        super().__init__("filter not found")


class SubscriptionNotFound(LantauError):
    """No subscription with that id on this connection."""

    def __init__(self) -> None:
        super().__init__("subscription not found")


# --- eth_simulateV1 (node/rpc/simulate.py) ----------------------------------------------------


class SimulationRefused(LantauError):
    """eth_simulateV1 stops: one simulated transaction or block is invalid. Each subclass has the
    execution-apis error code (node/rpc/errors.py); a call that runs and fails is no such error,
    it is reported in that call's result."""


class SimulationNonceTooLow(SimulationRefused):
    """eth_simulateV1: a call's nonce is below the sender's."""


class SimulationNonceTooHigh(SimulationRefused):
    """eth_simulateV1: a call's nonce is above the sender's."""


class SimulationFeeCapTooLow(SimulationRefused):
    """eth_simulateV1: a fee cap below the block's base fee."""


class SimulationIntrinsicGasTooLow(SimulationRefused):
    """eth_simulateV1: gas below the intrinsic cost."""


class SimulationInsufficientFunds(SimulationRefused):
    """eth_simulateV1: the sender cannot pay for the call."""


class SimulationBlockGasLimitReached(SimulationRefused):
    """eth_simulateV1: the calls of a block need more gas than it has."""


class SimulationBlockNumberInvalid(SimulationRefused):
    """eth_simulateV1: block numbers that do not increase."""


class SimulationBlockTimestampInvalid(SimulationRefused):
    """eth_simulateV1: timestamps that do not increase."""


class SimulationSenderNotEOA(SimulationRefused):
    """eth_simulateV1: the sender has code."""


class SimulationTooLarge(SimulationRefused):
    """More simulated blocks than a request may ask for (geth's 256)."""


# --- derivation (node/derive/): what the pipeline must do -------------------------------------


class DerivationError(LantauError):
    """Derivation cannot go on as it is; the subclass says what the caller does."""


class TemporaryError(DerivationError):
    """Retry later: the L1 node is behind or unreachable."""


class ResetError(DerivationError):
    """Go back to a common ancestor of L1 and L2 and derive again (an L1 reorg)."""


class CriticalError(DerivationError):
    """Stop: continuing would produce or serve a wrong chain."""


class L1BlockOutsideDerivationRange(LantauError):
    """An L1 block asked of a block's derivation trace (node/derive/derivation_commitment.py) is
    not one of its range S .. E: a caller's mistake (-32602 over JSON-RPC), nothing to derive."""

    def __init__(self, l1_block: int, first: int, last: int) -> None:
        super().__init__(f"L1 block {l1_block} is outside the range {first}..{last} of the block's derivation")
        self.l1_block, self.first, self.last = l1_block, first, last


# --- batch, channel and frame codecs (node/batches.py, node/channels.py) ----------------------
# Every malformed input has its own class, so a caller (and a test) can tell why bytes were
# refused; derivation drops such data with the message as the logged reason.


class CodecError(LantauError):
    """Bytes that are not a valid batch, channel, frame or batcher transaction."""


class MalformedBatch(CodecError):
    """Bytes that are not a valid batch (node/batches.py)."""


class EmptyBatch(MalformedBatch):
    """The batch has no bytes, not even its version byte."""

    def __init__(self) -> None:
        super().__init__("empty batch: no version byte")


class UnknownBatchVersion(MalformedBatch):
    """The batch version byte is neither singular nor span."""

    def __init__(self, version: int) -> None:
        super().__init__(f"unknown batch version 0x{version:02x}")
        self.version = version


class TruncatedBatch(MalformedBatch):
    """The batch ends in the middle of a field."""


class TrailingBatchData(MalformedBatch):
    """Bytes left over after a complete batch."""

    def __init__(self, extra: int) -> None:
        super().__init__(f"{extra} bytes after the end of the batch")
        self.extra = extra


class NonCanonicalBatch(MalformedBatch):
    """The batch decodes, but re-encoding it gives other bytes (one batch, one encoding)."""


class SpanBatchTooLarge(MalformedBatch):
    """A span batch declaring more blocks or transactions than a span batch may hold."""

    def __init__(self, what: str, count: int, limit: int) -> None:
        super().__init__(f"span batch too large: {what} {count}, limit {limit}")
        self.what, self.count, self.limit = what, count, limit


class BlockTooManyTransactions(MalformedBatch):
    """A batch giving one L2 block more user transactions than a block may hold
    (`node.batches.MAX_BLOCK_USER_TRANSACTIONS`: what one L1 transaction can decide)."""

    def __init__(self, block_index: int, count: int, limit: int) -> None:
        super().__init__(f"block {block_index} of the batch has {count} user transactions, limit {limit}")
        self.block_index, self.count, self.limit = block_index, count, limit


class InvalidSpanBatch(MalformedBatch):
    """A span batch whose fields are well formed but contradict each other (no blocks, an L1
    origin below zero, bits beyond the bitlist's length, timestamps that do not increase)."""


class InvalidBatchTransaction(MalformedBatch):
    """A transaction inside a batch that no L2 block may contain (empty, deposit, blob, another
    chain's, undecodable)."""


class NonCanonicalBatchTransaction(InvalidBatchTransaction):
    """The transaction decodes but is not the canonical encoding of its fields: the same
    signature under a second hash."""


class UnencodableBatch(CodecError):
    """Encoding side: the batch cannot be represented in the requested format."""


class MalformedChannel(CodecError):
    """A channel whose content cannot be read (node/channels.py)."""


class UnknownChannelCompression(MalformedChannel):
    """The first byte of the channel names no compression."""

    def __init__(self, first_byte: int | None) -> None:
        what = "an empty channel" if first_byte is None else f"first byte 0x{first_byte:02x}"
        super().__init__(f"unknown channel compression: {what}")
        self.first_byte = first_byte


class RetiredChannelCompression(MalformedChannel):
    """A zlib or brotli channel: no L1 contract can decode it, so it is not canonical."""

    def __init__(self, compression: str) -> None:
        super().__init__(f"channel compression {compression} is not canonical (only fastlz is decodable on L1)")
        self.compression = compression


class CorruptChannel(MalformedChannel):
    """The compressed stream is invalid or ends early."""


class ChannelTooLarge(MalformedChannel):
    """The channel decompresses to more than its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"channel decompresses to more than {limit} bytes")
        self.limit = limit


class InvalidChannelFraming(MalformedChannel):
    """The decompressed stream is not a sequence of RLP byte strings (one per batch)."""


class ChannelTooLong(MalformedChannel):
    """A channel of more compressed bytes than one derivation step may read (`MAX_CHANNEL_BYTES`):
    none of its batches count."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"channel of {size} compressed bytes, at most {limit}")
        self.size = size
        self.limit = limit


class TooManyBatches(MalformedChannel):
    """A channel holding more batches than one derivation step may read (`MAX_BATCHES_PER_CHANNEL`):
    the first ones count, as before a framing break."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"channel holds more than {limit} batches")
        self.limit = limit


class MalformedBatcherTransaction(CodecError):
    """Batcher transaction data that is not `version ++ frames` (node/channels.py)."""


class EmptyBatcherTransaction(MalformedBatcherTransaction):
    """The batcher transaction carries no data."""

    def __init__(self) -> None:
        super().__init__("empty batcher transaction data")


class UnknownDerivationVersion(MalformedBatcherTransaction):
    """The first byte of the batcher data is not derivation version 0."""

    def __init__(self, version: int) -> None:
        super().__init__(f"unknown derivation version 0x{version:02x}")
        self.version = version


class NoFrames(MalformedBatcherTransaction):
    """The batcher data has a version byte and nothing after it."""

    def __init__(self) -> None:
        super().__init__("batcher transaction holds no frame")


class MalformedFrame(MalformedBatcherTransaction):
    """A frame that cannot be read."""


class TruncatedFrame(MalformedFrame):
    """The data ends in the middle of a frame."""


class FrameTooLarge(MalformedFrame):
    """A frame carrying more data than a frame may."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"frame data of {size} bytes, limit {limit}")
        self.size, self.limit = size, limit


class InvalidFrameFlag(MalformedFrame):
    """The is_last byte of a frame is neither 0 nor 1."""

    def __init__(self, value: int) -> None:
        super().__init__(f"frame is_last byte must be 0 or 1, got {value}")
        self.value = value


# --- the batcher's channel builder (node/channels.py) -----------------------------------------


class ChannelBuilderError(LantauError):
    """The batcher cannot add to a channel (encoding side)."""


class ChannelClosed(ChannelBuilderError):
    """The channel was closed; batches go to a new one."""

    def __init__(self) -> None:
        super().__init__("channel is closed: start a new one")


class ChannelFull(ChannelBuilderError):
    """Adding this batch would take the channel past its decompressed size limit."""


# --- operating a node (CLI input, data dir, chain identity) -----------------------------------


class NotADevnetDir(LantauError):
    """A --data-dir for `lantau devnet` holding files no devnet wrote (a node's data dir, a
    typo'd path)."""


class NodeUnreachable(LantauError):
    """`lantau status`: no node answers at the given RPC URL."""


class DataDirInUse(LantauError):
    """Another live process holds the data directory's lock."""

    def __init__(self, data_dir: Path, holder: dict[str, Any]) -> None:
        pid = holder.get("pid", "?")
        command = holder.get("command", "lantau")
        where = f", RPC {holder['rpc_url']}" if holder.get("rpc_url") else ""
        super().__init__(
            f"data dir {data_dir} is in use by `lantau {command}` (pid {pid}{where}): stop it, or give this one"
            " another --data-dir (DATA_DIR=… for `make devnet`) and --rpc-port"
        )
        self.data_dir, self.holder = data_dir, holder


class DataDirOfAnotherChain(LantauError):
    """The data dir's chain belongs to another rollup config or another L1."""


class BadAddress(LantauError):
    """Not an address, or a mixed-case address whose EIP-55 checksum is wrong (a typo)."""


class BadHkdAmount(LantauError):
    """Text that is not a positive HKD amount the L1 token can carry."""


# --- developer controls (node/rpc/dev.py) -----------------------------------------------------


class DevModeRefused(LantauError):
    """A developer control this node cannot honour (it has an L1, or the target is on L1)."""


class UnknownAccount(LantauError):
    """eth_sendTransaction from an address this node cannot send as (it holds no keys)."""

    def __init__(self, sender: Address) -> None:
        super().__init__(
            f"unknown account {to_checksum_address(sender)}: this node holds no keys; impersonate it first "
            "(anvil_impersonateAccount) or sign the transaction and use eth_sendRawTransaction"
        )


# --- L1 data (node/blobs.py, node/deposit_event.py) -------------------------------------------


class BlobEncodingError(CodecError):
    """Data that cannot be a blob, or a blob that is not a version-0 encoding."""


# A blob's refusals by kind; contracts/src/L1/derive/BlobReader.sol reverts with the same names.


class WrongBlobSize(BlobEncodingError):
    """Bytes of another length than a blob's 131,072 (or, shown on L1, its first half's 65,536)."""


class UnknownBlobEncodingVersion(BlobEncodingError):
    """Blob byte 1 is not 0, the only blob data encoding version."""


class BlobDataTooLong(BlobEncodingError):
    """The blob's length field announces more than `MAX_BLOB_DATA_SIZE` bytes."""


class BlobFieldElementTopBitsSet(BlobEncodingError):
    """A field element's first byte has one of its two top bits set (no encoder writes it)."""


class BlobTrailingData(BlobEncodingError):
    """A non-zero byte after the blob's data (one encoding per data)."""


class MalformedDepositLog(LantauError):
    """A log that claims to be a deposit but cannot have come from the portal."""
