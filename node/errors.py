"""The one error hierarchy of Lantau. Every error raised on purpose derives from `LantauError`.

The JSON-RPC layer maps each class to a JSON-RPC code in one table (`node/rpc/errors.py`);
nowhere else turns exceptions into error codes. Derivation errors say what the pipeline must
do: `TemporaryError` (retry), `ResetError` (back to a common ancestor), `CriticalError` (stop).
"""

from __future__ import annotations


class LantauError(Exception):
    """Root of every error the node raises on purpose."""


# --- transactions entering the pool --------------------------------------------------------


class InvalidTransaction(LantauError):
    """A transaction that can never be accepted as sent (bad encoding, signature, chain id...)."""


class TransactionDecodeError(InvalidTransaction):
    pass


class NonCanonicalTransaction(TransactionDecodeError):
    """The transaction decodes but is not the canonical encoding of its fields: the same
    signature under a second hash."""


class InvalidSignature(InvalidTransaction):
    pass


class WrongChainId(InvalidTransaction):
    def __init__(self, got: int | None, expected: int) -> None:
        what = "no chain id (pre-EIP-155)" if got is None else f"chain id {got}"
        super().__init__(f"invalid chain id: transaction is signed for {what}, this chain is {expected}")
        self.got, self.expected = got, expected


class NonceTooLow(InvalidTransaction):
    def __init__(self, sender: str, nonce: int, expected: int) -> None:
        super().__init__(f"nonce too low: next nonce for {sender} is {expected}, got {nonce}")
        self.sender, self.nonce, self.expected = sender, nonce, expected


class InsufficientFunds(InvalidTransaction):
    def __init__(self, sender: str, balance: int, cost: int) -> None:
        super().__init__(
            f"insufficient funds for gas * price + value: address {sender} have {balance} want {cost}"
        )
        self.sender, self.balance, self.cost = sender, balance, cost


class IntrinsicGasTooLow(InvalidTransaction):
    def __init__(self, gas: int, intrinsic: int) -> None:
        super().__init__(f"intrinsic gas too low: gas {gas}, minimum needed {intrinsic}")
        self.gas, self.intrinsic = gas, intrinsic


class GasLimitExceeded(InvalidTransaction):
    def __init__(self, gas: int, block_gas_limit: int) -> None:
        super().__init__(f"exceeds block gas limit: gas {gas} > block gas limit {block_gas_limit}")


class BlockGasExhausted(InvalidTransaction):
    """The transaction's gas is more than the block it is in has left (geth's ErrGasLimitReached)."""

    def __init__(self, gas: int, gas_left: int) -> None:
        super().__init__(f"gas limit reached: gas {gas} > gas left in the block {gas_left}")
        self.gas, self.gas_left = gas, gas_left


class OversizedTransaction(InvalidTransaction):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"oversized data: transaction size {size} bytes, limit {limit}")


class FeeTooLow(InvalidTransaction):
    pass


class TxPoolRejection(LantauError):
    """The transaction is well formed but the pool will not take it now (full, replacement...)."""


class AlreadyKnown(TxPoolRejection):
    def __init__(self, tx_hash: str) -> None:
        super().__init__(f"already known: {tx_hash}")


class ReplacementUnderpriced(TxPoolRejection):
    pass


class TxPoolFull(TxPoolRejection):
    pass


# --- chain and blocks ------------------------------------------------------------------------


class ChainError(LantauError):
    pass


class BlockNotFound(ChainError):
    pass


class TransactionNotFound(ChainError):
    pass


class GenesisMismatch(ChainError):
    """The data directory holds a chain from another genesis."""


# --- execution on behalf of eth_call / eth_estimateGas -----------------------------------------


class ExecutionReverted(LantauError):
    def __init__(self, reason: str | None, data: bytes) -> None:
        super().__init__("execution reverted" + (f": {reason}" if reason else ""))
        self.reason, self.data = reason, data


class ExecutionTimeout(LantauError):
    pass


# --- requests ----------------------------------------------------------------------------------


class InvalidParams(LantauError):
    """A JSON-RPC parameter that is missing, of the wrong type, or out of range."""


class LimitExceeded(LantauError):
    """A request beyond a configured limit (block range, batch size, body size...)."""


class ConfigError(LantauError):
    pass


# --- derivation ----------------------------------------------------------------------------------


class DerivationError(LantauError):
    pass


class TemporaryError(DerivationError):
    """Retry later: the L1 node is behind or unreachable."""


class ResetError(DerivationError):
    """Go back to a common ancestor of L1 and L2 and derive again (an L1 reorg)."""


class CriticalError(DerivationError):
    """Stop: continuing would produce or serve a wrong chain."""


# --- transactions entering the pool (added with node/txpool.py) -----------------------------


class UnsupportedTransactionType(InvalidTransaction):
    def __init__(self, type_id: int, reason: str | None = None) -> None:
        super().__init__(
            f"transaction type not supported: 0x{type_id:02x}" + (f" ({reason})" if reason else "")
        )
        self.type_id = type_id


class UnprotectedTransaction(WrongChainId):
    """A legacy transaction signed without a chain id: it could be replayed on any chain."""

    def __init__(self, expected: int) -> None:
        InvalidTransaction.__init__(self, "only replay-protected (EIP-155) transactions allowed over RPC")
        self.got, self.expected = None, expected


class FieldOutOfRange(InvalidTransaction):
    """A field no valid transaction can hold (a nonce of 2**64 - 1, a fee above 2**256 - 1)."""


class TipAboveFeeCap(InvalidTransaction):
    def __init__(self, tip: int, fee_cap: int) -> None:
        super().__init__(
            f"max priority fee per gas higher than max fee per gas: tip {tip}, fee cap {fee_cap}"
        )
        self.tip, self.fee_cap = tip, fee_cap


class FeeCapBelowBaseFee(FeeTooLow):
    """geth's ErrFeeCapTooLow: the fee cap cannot pay the next block's base fee."""

    def __init__(self, sender: str, max_fee: int, base_fee: int) -> None:
        super().__init__(
            f"max fee per gas less than block base fee: address {sender}, maxFeePerGas: {max_fee}, baseFee: {base_fee}"
        )
        self.sender, self.max_fee, self.base_fee = sender, max_fee, base_fee


class FloorDataGasTooLow(IntrinsicGasTooLow):
    """EIP-7623 (Prague): a transaction must be able to pay the calldata floor price."""

    def __init__(self, gas: int, floor: int) -> None:
        InvalidTransaction.__init__(
            self, f"insufficient gas for floor data gas cost: gas {gas}, minimum needed {floor}"
        )
        self.gas, self.intrinsic = gas, floor


class InitcodeTooLarge(InvalidTransaction):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"max initcode size exceeded: code size {size}, limit {limit}")
        self.size, self.limit = size, limit


class AccountLimitExceeded(TxPoolRejection):
    def __init__(self, sender: str, limit: int) -> None:
        super().__init__(
            f"account limit exceeded: {sender} already has {limit} queued transactions in the pool "
            f"(nonces after a gap), the most one sender may have"
        )
        self.sender, self.limit = sender, limit


class ShuttingDown(LantauError):
    """The node is stopping and takes no new work."""


# --- JSON-RPC requests and eth_call execution (added with node/rpc) ---------------------------


class ParseError(LantauError):
    """The request body is not valid JSON."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"parse error: {detail}")


class InvalidRequest(LantauError):
    """A JSON-RPC message that is not a valid request object (JSON-RPC 2.0, section 4)."""


class RequestBodyTooLarge(InvalidRequest):
    def __init__(self, size: int | None, limit: int) -> None:
        # `size` is None when the body came chunked and was cut off at the limit.
        amount = f"{size} bytes" if size is not None else f"more than {limit} bytes"
        super().__init__(f"request body too large: {amount}, limit {limit}")
        self.size, self.limit = size, limit


class BatchTooLarge(InvalidRequest):
    def __init__(self, items: int, limit: int) -> None:
        super().__init__(f"batch too large: {items} requests, limit {limit}")
        self.items, self.limit = items, limit


class MethodNotFound(LantauError):
    def __init__(self, method: str) -> None:
        super().__init__(f"the method {method} does not exist/is not available")
        self.method = method


class NotificationsUnsupported(LantauError):
    """eth_subscribe over a transport that cannot push (HTTP)."""

    def __init__(self) -> None:
        super().__init__("notifications not supported")


class FilterNotFound(LantauError):
    def __init__(self) -> None:
        super().__init__("filter not found")


class SubscriptionNotFound(LantauError):
    def __init__(self) -> None:
        super().__init__("subscription not found")


class ExecutionFailed(LantauError):
    """eth_call / eth_estimateGas stopped by an EVM error other than REVERT (out of gas...)."""


class GasRequiredExceedsAllowance(ExecutionFailed):
    def __init__(self, allowance: int) -> None:
        super().__init__(f"gas required exceeds allowance ({allowance})")
        self.allowance = allowance


# --- batch, channel and frame codecs (node/batches.py, node/channels.py) -----------------------
# Every malformed input has its own class, so a caller (and a test) can tell why bytes were
# refused; derivation drops such data with the message as the logged reason.


class CodecError(LantauError):
    """Bytes that are not a valid batch, channel, frame or batcher transaction."""


class MalformedBatch(CodecError):
    pass


class EmptyBatch(MalformedBatch):
    def __init__(self) -> None:
        super().__init__("empty batch: no version byte")


class UnknownBatchVersion(MalformedBatch):
    def __init__(self, version: int) -> None:
        super().__init__(f"unknown batch version 0x{version:02x}")
        self.version = version


class TruncatedBatch(MalformedBatch):
    """The batch ends in the middle of a field."""


class TrailingBatchData(MalformedBatch):
    def __init__(self, extra: int) -> None:
        super().__init__(f"{extra} bytes after the end of the batch")
        self.extra = extra


class NonCanonicalBatch(MalformedBatch):
    """The batch decodes, but re-encoding it gives other bytes (one batch, one encoding)."""


class SpanBatchTooLarge(MalformedBatch):
    def __init__(self, what: str, count: int, limit: int) -> None:
        super().__init__(f"span batch too large: {what} {count}, limit {limit}")
        self.what, self.count, self.limit = what, count, limit


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
    pass


class UnknownChannelCompression(MalformedChannel):
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
    def __init__(self, limit: int) -> None:
        super().__init__(f"channel decompresses to more than {limit} bytes")
        self.limit = limit


class InvalidChannelFraming(MalformedChannel):
    """The decompressed stream is not a sequence of RLP byte strings (one per batch)."""


class MalformedBatcherTransaction(CodecError):
    pass


class EmptyBatcherTransaction(MalformedBatcherTransaction):
    def __init__(self) -> None:
        super().__init__("empty batcher transaction data")


class UnknownDerivationVersion(MalformedBatcherTransaction):
    def __init__(self, version: int) -> None:
        super().__init__(f"unknown derivation version 0x{version:02x}")
        self.version = version


class NoFrames(MalformedBatcherTransaction):
    def __init__(self) -> None:
        super().__init__("batcher transaction holds no frame")


class MalformedFrame(MalformedBatcherTransaction):
    pass


class TruncatedFrame(MalformedFrame):
    pass


class FrameTooLarge(MalformedFrame):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"frame data of {size} bytes, limit {limit}")
        self.size, self.limit = size, limit


class InvalidFrameFlag(MalformedFrame):
    def __init__(self, value: int) -> None:
        super().__init__(f"frame is_last byte must be 0 or 1, got {value}")
        self.value = value


class ChannelBuilderError(LantauError):
    pass


class ChannelClosed(ChannelBuilderError):
    def __init__(self) -> None:
        super().__init__("channel is closed: start a new one")


class ChannelFull(ChannelBuilderError):
    """Adding this batch would take the channel past its decompressed size limit."""


class ReadOnlyNode(TxPoolRejection):
    """A verifier takes no transactions: its blocks come from L1 data only."""


# --- eth_simulateV1 (node/rpc/simulate.py) ---------------------------------------------------


class SimulationRefused(LantauError):
    """eth_simulateV1 stops: one simulated transaction or block is invalid. Each subclass has the
    execution-apis error code (node/rpc/errors.py); a call that runs and fails is no such error,
    it is reported in that call's result."""


class SimulationNonceTooLow(SimulationRefused): ...


class SimulationNonceTooHigh(SimulationRefused): ...


class SimulationFeeCapTooLow(SimulationRefused): ...


class SimulationIntrinsicGasTooLow(SimulationRefused): ...


class SimulationInsufficientFunds(SimulationRefused): ...


class SimulationBlockGasLimitReached(SimulationRefused): ...


class SimulationBlockNumberInvalid(SimulationRefused): ...


class SimulationBlockTimestampInvalid(SimulationRefused): ...


class SimulationSenderNotEOA(SimulationRefused): ...


class SimulationTooLarge(SimulationRefused):
    """More simulated blocks than a request may ask for (geth's 256)."""
