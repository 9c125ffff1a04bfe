"""`L1Client`: the one handle on an L1 JSON-RPC endpoint (anvil or any Ethereum node).

Everything Lantau reads from or sends to L1 outside derivation's `L1Source` goes through it:
block refs, receipts (canonical ones only), nonces and balances, the fee market, raw sends,
contracts bound from the committed artifacts, and custom-error decoding of reverts. Services
(`sequencer/`, `prover/`) get one from the composition root (`node/cli.py`) and never import
web3 themselves.

Errors are classified once, here:

- a transport failure (connection refused, timeout, a node answering garbage) is a
  `TemporaryError`: nothing happened, try again later;
- a pool's refusal of a raw transaction is an `L1TxRefused` subclass naming what L1 said
  (`L1NonceTooLow`, `L1ReplacementUnderpriced`, `L1InsufficientFunds`, `L1FeeTooLow`);
  "already known" is not a refusal (`send_raw` returns normally: L1 has the transaction);
- a call or gas estimate that reverts is `L1CallReverted`, with the contract's custom error
  decoded (`decode_revert`) when it is one of the L1 contracts';
- a gas estimate that runs out of gas at the highest limit the node lets it use (the block's
  gas limit, or the `gas` given) is `L1GasAboveAllowance`, an `L1CallReverted` without a custom
  error as a revert without data is: geth says `gas required exceeds allowance (N)` (code
  -32000), anvil `Out of gas: gas required exceeds allowance: N` (code -32003), neither a revert
  web3 recognises, so without this they read as a transport failure retried for ever.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, TypeVar

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_typing import Hash32
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BlockNotFound, ContractLogicError, TransactionNotFound, Web3Exception, Web3RPCError

from genesis.artifacts import load_artifact
from node.cli_common import show
from node.errors import LantauError, TemporaryError
from node.l1_block_ref import L1BlockRef

L1_CONTRACT_NAMES = ("HKDStablecoin", "SystemConfig", "OutputOracle", "LantauPortal", "BatchInbox", "L1BlockAnchors",
                     "DisputeGameFactory", "OutputDisputeGame", "BlockFinishLeaf", "OneStepProof",
                     "WitnessChunks", "DerivationBisection", "DerivationStep")
DEFAULT_TIMEOUT_S = 30.0

T = TypeVar("T")
_NOT_SERVED: Any = object()  # a JSON-RPC method the node does not serve


# --- errors ---------------------------------------------------------------------------------------


class L1TxRefused(LantauError):
    """L1's pool refused a raw transaction; `message` is what the node said."""

    def __init__(self, message: str) -> None:
        super().__init__(f"L1 refused the transaction: {message}")
        self.message = message


class L1NonceTooLow(L1TxRefused):
    """The nonce is used: by an earlier transaction of ours, or by another writer on the key."""


class L1ReplacementUnderpriced(L1TxRefused):
    """A transaction with this nonce is pooled and this one does not pay enough more to replace it."""


class L1InsufficientFunds(L1TxRefused):
    """The sender cannot pay gas * fee cap + value (+ blob gas)."""


class L1FeeTooLow(L1TxRefused):
    """Fee cap below the block's base fee, or a tip below the pool's minimum."""


class L1CallReverted(LantauError):
    """An `eth_call` or `eth_estimateGas` reverted; `revert` is the decoded custom error, if any."""

    def __init__(self, revert: L1Revert | None, detail: str) -> None:
        super().__init__(f"reverted: {revert or detail}")
        self.revert, self.detail = revert, detail


class L1GasAboveAllowance(L1CallReverted):
    """An `eth_estimateGas` ran out of gas at `allowance`, the most the node lets it use (the L1
    block's gas limit unless the call names a `gas`): the transaction needs more than one L1
    transaction may have. No custom error (`revert` None), as a revert without data."""

    def __init__(self, allowance: int | None, detail: str) -> None:
        super().__init__(None, detail)
        self.allowance = allowance


# What geth (`eth/gasestimator`: "gas required exceeds allowance (%d)") and anvil ("Out of gas:
# gas required exceeds allowance: %d") answer when an estimate fails for want of gas.
_GAS_ALLOWANCE = re.compile(r"gas required exceeds allowance\W*(\d+)?", re.IGNORECASE)


def gas_above_allowance(error: dict[str, Any]) -> L1GasAboveAllowance | None:
    """`L1GasAboveAllowance` for a JSON-RPC error object that says an estimate ran out of gas at
    its allowance (geth's or anvil's wording); None for any other error."""
    message = str(error.get("message", ""))
    found = _GAS_ALLOWANCE.search(message)
    if found is None:
        return None
    return L1GasAboveAllowance(int(found.group(1)) if found.group(1) else None, message)


# Substrings of pool refusals (geth, anvil, reth spell them alike) -> what they mean.
_REFUSALS: tuple[tuple[str, type[L1TxRefused]], ...] = (
    ("nonce too low", L1NonceTooLow),
    ("replacement transaction underpriced", L1ReplacementUnderpriced),
    ("insufficient funds", L1InsufficientFunds),
    ("less than block base fee", L1FeeTooLow),
    ("fee cap less than block base fee", L1FeeTooLow),
    ("transaction underpriced", L1FeeTooLow),
)
_ALREADY_KNOWN = ("already known", "already imported")


def classify_refusal(message: str) -> L1TxRefused:
    """The `L1TxRefused` subclass for a pool's refusal message (the base class if unknown)."""
    lowered = message.lower()
    for needle, error in _REFUSALS:
        if needle in lowered:
            return error(message)
    return L1TxRefused(message)


def _rpc_error(exc: BaseException) -> dict[str, Any]:
    """The JSON-RPC error object web3 raised `exc` for ({} if it carries none)."""
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        return dict(response["error"])
    return {}


def _rpc_message(exc: BaseException) -> str:
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        return str(response["error"].get("message", response["error"]))
    if exc.args and isinstance(exc.args[0], dict) and "message" in exc.args[0]:
        return str(exc.args[0]["message"])
    return str(exc)


# --- revert decoding ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class L1Revert:
    """A custom error decoded from revert data, e.g. `GasLimitTooLow(20000, 21000)`."""

    name: str
    args: tuple[Any, ...]
    selector: bytes

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(show, self.args))})"


def decode_revert(data: bytes) -> L1Revert | None:
    """Decode revert data against every custom error of the L1 contracts; None if unknown."""
    if len(data) < 4:
        return None
    for entry in _custom_errors().get(data[:4], ()):
        types = [i["type"] for i in entry["inputs"]]
        try:
            values = abi_decode(types, data[4:])
        except DecodingError:  # not this candidate's layout: try the next one of the same selector
            continue
        args = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values))
        return L1Revert(entry["name"], args, data[:4])
    return None


def revert_of(exc: ContractLogicError) -> L1Revert | None:
    """The custom error web3's `ContractLogicError` carries, decoded; None if it carries none."""
    data = exc.data if isinstance(exc.data, str) else ""
    return decode_revert(bytes.fromhex(data.removeprefix("0x"))) if data else None


@lru_cache(maxsize=1)
def _custom_errors() -> dict[bytes, tuple[dict[str, Any], ...]]:
    table: dict[bytes, list[dict[str, Any]]] = {}
    for name in L1_CONTRACT_NAMES:
        for entry in load_artifact(name).abi:
            if entry["type"] != "error":
                continue
            signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
            candidates = table.setdefault(function_signature_to_4byte_selector(signature), [])
            if entry not in candidates:
                candidates.append(entry)
    return {selector: tuple(entries) for selector, entries in table.items()}


# --- the client -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeeMarket:
    """L1's fees as of its latest block."""

    base_fee: int
    suggested_tip: int  # eth_maxPriorityFeePerGas
    blob_base_fee: int


def block_ref(block: Any) -> L1BlockRef:
    """The `L1BlockRef` of a web3 block answer."""
    return L1BlockRef(
        number=int(block["number"]),
        hash=Hash32(bytes(block["hash"])),
        parent_hash=Hash32(bytes(block["parentHash"])),
        timestamp=int(block["timestamp"]),
        base_fee=int(block.get("baseFeePerGas", 0) or 0),
    )


class L1Client:
    """Reads and sends on one L1 endpoint; see the module docstring for its error classes."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    @classmethod
    def connect(cls, rpc_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> L1Client:
        return cls(Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s})))

    @property
    def rpc_url(self) -> str:
        return str(getattr(self.w3.provider, "endpoint_uri", ""))

    @cached_property
    def chain_id(self) -> int:
        return self._read("chain id", lambda: int(self.w3.eth.chain_id))

    # --- blocks ---------------------------------------------------------------------------------

    def block_ref(self, block: int | str) -> L1BlockRef | None:
        """The block at a number or tag (`latest`, `safe`, `finalized`, `pending`); None if L1 has none."""
        try:
            return block_ref(self._read(f"block {block}", lambda: self.w3.eth.get_block(block)))
        except BlockNotFound:
            return None

    def head(self) -> L1BlockRef:
        ref = self.block_ref("latest")
        if ref is None:
            raise TemporaryError("L1 has no latest block")
        return ref

    def block_hash(self, number: int) -> Hash32 | None:
        ref = self.block_ref(number)
        return None if ref is None else ref.hash

    # --- accounts and fees ----------------------------------------------------------------------

    def nonce(self, address: str, block: str = "pending") -> int:
        return self._read("nonce", lambda: int(self.w3.eth.get_transaction_count(to_checksum_address(address), block)))  # type: ignore[arg-type]

    def balance(self, address: str) -> int:
        return self._read("balance", lambda: int(self.w3.eth.get_balance(to_checksum_address(address))))

    def fee_market(self, head: L1BlockRef | None = None) -> FeeMarket:
        """The fees of `head`, or (no `head`) of the block a transaction sent now lands in: the
        higher of the latest block's base fee and the pending block's (geth computes the next
        base fee there; anvil shows `anvil_setNextBlockBaseFeePerGas` there)."""
        base_fee = head.base_fee if head is not None else self.next_base_fee()
        tip = self._read("priority fee", lambda: int(self.w3.eth.max_priority_fee))
        blob_base_fee = self._read("blob base fee", lambda: int(self.w3.eth.blob_base_fee))
        return FeeMarket(base_fee, tip, blob_base_fee)

    def next_base_fee(self) -> int:
        """The least base fee a transaction sent now pays: the higher of the latest block's and
        the pending block's (when the node builds one)."""
        pending = self.block_ref("pending")
        return max(self.head().base_fee, 0 if pending is None else pending.base_fee)

    def pooled_transaction(self, sender: str, nonce: int) -> dict[str, Any] | None:
        """The transaction of `sender` with `nonce` waiting in L1's pool (not mined), or None when
        the node shows none. Asked of `txpool_contentFrom` (geth), then `txpool_content` (geth,
        anvil), then `eth_getTransactionBySenderAndNonce` (anvil, reth, erigon): the first the node
        serves answers. A node serving none of them (geth's default `--http.api` leaves `txpool`
        out) shows none. The answer is an `eth_getTransactionByHash` object (hex strings); a blob
        transaction's comes without its blobs."""
        address = to_checksum_address(sender)
        content = self._optional_rpc("txpool_contentFrom", [address])
        if content is _NOT_SERVED:
            everyone = self._optional_rpc("txpool_content", [])
            content = _NOT_SERVED if everyone is _NOT_SERVED else {
                group: next((txs for account, txs in (everyone.get(group) or {}).items() if account.lower() == address.lower()), {})
                for group in ("pending", "queued")}
        if content is not _NOT_SERVED:
            for group in ("pending", "queued"):
                for key, tx in ((content or {}).get(group) or {}).items():
                    if int(str(key), 0) == nonce:
                        return dict(tx)
            return None
        found = self._optional_rpc("eth_getTransactionBySenderAndNonce", [address, hex(nonce)])
        if found is _NOT_SERVED or not found or found.get("blockNumber") is not None:
            return None
        return dict(found)

    def _optional_rpc(self, method: str, params: list[Any]) -> Any:
        """A raw request of a method the node may not serve: `_NOT_SERVED` when it says so
        (JSON-RPC -32601, or geth's "does not exist/is not available")."""
        reply = self._read(method, lambda: self.w3.provider.make_request(method, params))  # type: ignore[arg-type]
        error = reply.get("error")
        if error is None:
            return reply.get("result")
        message = str(error.get("message", "")).lower() if isinstance(error, dict) else str(error).lower()
        if (isinstance(error, dict) and error.get("code") == -32601) or "not found" in message or "does not exist" in message \
                or "not available" in message or "not supported" in message:
            return _NOT_SERVED
        raise LantauError(f"{method}: {json.dumps(error)}")

    # --- transactions ---------------------------------------------------------------------------

    def send_raw(self, raw: bytes) -> None:
        """Hand a signed transaction (network form) to L1's pool. Returns normally when L1 took
        it or already had it; raises an `L1TxRefused` subclass or `TemporaryError`."""
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Web3RPCError as exc:
            message = _rpc_message(exc)
            if any(needle in message.lower() for needle in _ALREADY_KNOWN):
                return
            raise classify_refusal(message) from exc
        except ValueError as exc:  # older web3 spelling of an RPC error
            message = _rpc_message(exc)
            if any(needle in message.lower() for needle in _ALREADY_KNOWN):
                return
            raise classify_refusal(message) from exc
        except (Web3Exception, OSError) as exc:
            raise TemporaryError(f"L1 unreachable: {exc}") from exc

    def receipt(self, tx_hash: str | bytes) -> dict[str, Any] | None:
        """The receipt of `tx_hash` if it is in a canonical L1 block (a node may still answer for
        a block it has just reorganised away: that receipt is not returned)."""
        try:
            receipt = self._read("receipt", lambda: self.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        except TransactionNotFound:
            return None
        if receipt is None or receipt.get("blockNumber") is None:
            return None
        canonical = self.block_hash(int(receipt["blockNumber"]))
        if canonical is None or bytes(canonical) != bytes(receipt["blockHash"]):
            return None
        return dict(receipt)

    def in_pool(self, tx_hash: str | bytes) -> bool:
        """L1 knows the transaction (pooled, or mined: call `receipt` first)."""
        try:
            return self._read("transaction", lambda: self.w3.eth.get_transaction(tx_hash)) is not None  # type: ignore[arg-type]
        except TransactionNotFound:
            return False

    def estimate_gas(self, tx: dict[str, Any], block: str = "pending") -> int:
        """`eth_estimateGas` of `tx`; `L1CallReverted` (custom error decoded) if it reverts."""
        try:
            with transport_errors("gas estimate", gas_above_allowance):
                return int(self.w3.eth.estimate_gas(tx, block))  # type: ignore[arg-type]
        except ContractLogicError as exc:
            raise L1CallReverted(revert_of(exc), str(exc)) from exc

    # --- contracts ------------------------------------------------------------------------------

    def contract(self, contract_name: str, address: str) -> Contract:
        """A web3 contract bound to `address`, its ABI from the committed artifact."""
        return self.w3.eth.contract(address=to_checksum_address(address), abi=list(load_artifact(contract_name).abi))

    def call(self, function: Any, block: int | str = "latest") -> Any:
        """`function.call()` (a web3 `ContractFunction`) with reverts decoded (`L1CallReverted`)."""
        try:
            return self._read("call", lambda: function.call(block_identifier=block))
        except ContractLogicError as exc:
            raise L1CallReverted(revert_of(exc), str(exc)) from exc

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        """A raw JSON-RPC request (anvil's `evm_*` controls, `txpool_content`)."""
        reply = self._read(method, lambda: self.w3.provider.make_request(method, params or []))  # type: ignore[arg-type]
        if "error" in reply:
            raise LantauError(f"{method}: {json.dumps(reply['error'])}")
        return reply["result"]

    def _read(self, what: str, read: Callable[[], T]) -> T:
        with transport_errors(what):
            return read()


@contextmanager
def transport_errors(what: str, answer: Callable[[dict[str, Any]], LantauError | None] | None = None) -> Iterator[None]:
    """The one mapping of L1 transport failures to `TemporaryError`; web3's not-found answers
    and contract reverts pass through for the caller to interpret, and so does an RPC error
    object `answer` names (an error of its own, e.g. `gas_above_allowance`)."""
    try:
        yield
    except (BlockNotFound, TransactionNotFound, ContractLogicError):
        raise
    except Web3RPCError as exc:
        named = answer(_rpc_error(exc)) if answer is not None else None
        if named is not None:
            raise named from exc
        raise TemporaryError(f"L1 request failed ({what}): {exc}") from exc
    except (Web3Exception, OSError, TimeoutError) as exc:
        raise TemporaryError(f"L1 request failed ({what}): {exc}") from exc
