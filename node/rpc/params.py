"""Parsing JSON-RPC parameters into typed values, with geth's -32602 messages.

Every parser takes the decoded JSON value and returns a typed one, or raises
`InvalidParams` with what is wrong ("hex string without 0x prefix"); `bind_params` binds a
method's positional params by its spec and prefixes the position ("invalid argument 0: …"),
as geth does. Encodings follow the execution-apis spec: quantities are 0x-hex without
leading zeros, data is 0x-hex of even length, block ids are a tag, a quantity, or an
EIP-1898 object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Final, Mapping, Sequence

from eth_typing import Address, Hash32

from node.errors import InvalidParams

UINT64_MAX: Final = 2**64 - 1
UINT256_MAX: Final = 2**256 - 1

LATEST: Final = "latest"
EARLIEST: Final = "earliest"
PENDING: Final = "pending"
SAFE: Final = "safe"
FINALIZED: Final = "finalized"
BLOCK_TAGS: Final = frozenset({LATEST, EARLIEST, PENDING, SAFE, FINALIZED})

#: Per log filter (eth_getLogs, eth_newFilter, eth_subscribe "logs"): topic positions, as
#: geth (4, the most a LOG opcode writes); alternatives in one position and addresses, each
#: capped at 1,000, the batch-item limit: matching a block costs a bloom test per address and
#: per alternative, and a filter installed once is matched against every new block, so an
#: uncapped list (100,000 addresses) would occupy the node for seconds per block.
MAX_TOPICS: Final = 4
MAX_TOPIC_ALTERNATIVES: Final = 1_000
MAX_FILTER_ADDRESSES: Final = 1_000
#: eth_getProof: storage keys per call. geth sets none; each key costs a trie walk and about
#: 1 KB of answer, so 1,024 keys stay near 1 MB (300,000 made a 67 MB answer).
MAX_PROOF_STORAGE_KEYS: Final = 1_024


# --- scalars --------------------------------------------------------------------------------


#: Hex digits, and only those: `int(x, 16)` would also take a sign, "_" and spaces around,
#: `bytes.fromhex` spaces anywhere, and both would read a 38-digit address with two spaces
#: as 19 bytes. Every hex value is checked against this before it is converted.
_HEX = re.compile(r"[0-9a-fA-F]*")
_DECIMAL = re.compile(r"[0-9]+")
#: A JSON number or decimal string is refused past this many digits before converting it
#: (2**64 has 20), so a 5,000-digit number never reaches int(), which raises past 4,300.
_MAX_DECIMAL_DIGITS: Final = 20


def _hex_digits(value: Any, *, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidParams(f"cannot unmarshal non-string into {what}, want a 0x-prefixed hex string")
    if value == "":
        raise InvalidParams("empty hex string")
    if not (value.startswith("0x") or value.startswith("0X")):
        raise InvalidParams("hex string without 0x prefix")
    digits = value[2:]
    if not _HEX.fullmatch(digits):
        raise InvalidParams("invalid hex string")
    return digits


def parse_quantity(value: Any, *, bits: int = 256) -> int:
    """A QUANTITY as execution-apis' `uint`, `^0x(0|[1-9a-f][0-9a-f]*)$`, at most `bits` bits.
    The spec writes the digits in lowercase; as geth (hexutil), A-F and a "0X" prefix are
    taken too."""
    digits = _hex_digits(value, what="quantity")
    if digits == "":
        raise InvalidParams('hex string "0x"')
    if len(digits) > 1 and digits[0] == "0":
        raise InvalidParams("hex number with leading zero digits")
    if len(digits) > (bits + 3) // 4:
        raise InvalidParams(f"hex number > {bits} bits")
    number = int(digits, 16)
    if number.bit_length() > bits:
        raise InvalidParams(f"hex number > {bits} bits")
    return number


def parse_uint64(value: Any) -> int:
    return parse_quantity(value, bits=64)


def parse_data(value: Any) -> bytes:
    """DATA as execution-apis' `bytes`, `^0x([0-9a-f][0-9a-f])*$` (an empty "0x" is empty
    data); A-F taken too, as in addresses."""
    digits = _hex_digits(value, what="data")
    if len(digits) % 2:
        raise InvalidParams("hex string of odd length")
    return bytes.fromhex(digits)


def _fixed_bytes(value: Any, size: int, name: str) -> bytes:
    digits = _hex_digits(value, what=name)
    if len(digits) != 2 * size:
        raise InvalidParams(f"hex string has length {len(digits)}, want {2 * size} for {name}")
    return bytes.fromhex(digits)


def parse_address(value: Any) -> Address:
    """A 20-byte address; the checksum case is not enforced (as geth)."""
    return Address(_fixed_bytes(value, 20, "address"))


def parse_hash(value: Any) -> Hash32:
    return Hash32(_fixed_bytes(value, 32, "hash"))


def parse_storage_key(value: Any) -> int:
    """A storage slot: 0x-hex of up to 32 bytes, leading zeros allowed ("0x0", "0x00…01")."""
    digits = _hex_digits(value, what="storage key")
    if not digits or len(digits) > 64:
        raise InvalidParams(f"storage key must be 1 to 64 hex digits, got {len(digits)}")
    return int(digits, 16)


def parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidParams(f"cannot unmarshal {type(value).__name__} into bool")
    return value


def parse_hex_or_decimal(value: Any) -> int:
    """geth's math.HexOrDecimal64: a JSON number, a decimal string or a 0x-hex string."""
    if isinstance(value, bool):
        raise InvalidParams("cannot unmarshal bool into number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value[:2] in ("0x", "0X"):
        number = parse_quantity(value, bits=64)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value):
        if len(value) > _MAX_DECIMAL_DIGITS:
            raise InvalidParams(f"number of {len(value)} digits out of range")
        number = int(value)
    else:
        raise InvalidParams(f"invalid number {value[:40] if isinstance(value, str) else value!r}")
    if not 0 <= number <= UINT64_MAX:
        raise InvalidParams("number out of range")
    return number


# --- block ids ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockId:
    """A block by tag, by number, or by hash (EIP-1898)."""

    tag: str | None = None
    number: int | None = None
    hash: Hash32 | None = None
    require_canonical: bool = False

    def __str__(self) -> str:
        if self.tag is not None:
            return self.tag
        if self.number is not None:
            return hex(self.number)
        assert self.hash is not None
        return "0x" + self.hash.hex()


LATEST_BLOCK: Final = BlockId(tag=LATEST)


def parse_block_number(value: Any) -> BlockId:
    """A block tag or number (no hash): eth_getBlockByNumber, filter ranges."""
    if isinstance(value, str) and value in BLOCK_TAGS:
        return BlockId(tag=value)
    if isinstance(value, str) and not value.startswith(("0x", "0X")):
        raise InvalidParams(f"invalid block tag {value[:40]!r}: want one of {', '.join(sorted(BLOCK_TAGS))} or a 0x-hex number")
    return BlockId(number=parse_uint64(value))


def parse_block_id(value: Any) -> BlockId:
    """A block tag, a number, or an EIP-1898 object {"blockHash", "requireCanonical"} /
    {"blockNumber"}; a bare 32-byte hash is taken as a block hash (as geth does)."""
    if isinstance(value, Mapping):
        has_hash, has_number = "blockHash" in value, "blockNumber" in value
        if has_hash and has_number:
            raise InvalidParams("cannot specify both BlockHash and BlockNumber, choose one or the other")
        if has_hash:
            canonical = _optional(parse_bool, value, "requireCanonical") or False
            return BlockId(hash=_field(parse_hash, value, "blockHash"), require_canonical=canonical)
        if has_number:
            return _field(parse_block_number, value, "blockNumber")
        raise InvalidParams("block object needs blockHash or blockNumber")
    if isinstance(value, str) and len(value) == 66 and value.startswith("0x"):
        return BlockId(hash=parse_hash(value))
    return parse_block_number(value)


# --- objects --------------------------------------------------------------------------------


def _field(parse: Callable[[Any], Any], obj: Mapping[str, Any], key: str) -> Any:
    try:
        return parse(obj[key])
    except InvalidParams as error:
        raise InvalidParams(f"{key}: {error}") from None


def _optional(parse: Callable[[Any], Any], obj: Mapping[str, Any], key: str) -> Any:
    if obj.get(key) is None:
        return None
    return _field(parse, obj, key)


def _items(parse: Callable[[Any], Any], values: Sequence[Any], name: str) -> tuple[Any, ...]:
    """Each of a list's values parsed; an error names the element ("address[3]: …")."""
    parsed = []
    for index, item in enumerate(values):
        try:
            parsed.append(parse(item))
        except InvalidParams as error:
            raise InvalidParams(f"{name}[{index}]: {error}") from None
    return tuple(parsed)


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidParams(f"cannot unmarshal {type(value).__name__} into {what} object")
    return value


AccessList = tuple[tuple[Address, tuple[int, ...]], ...]


def parse_access_list(value: Any) -> AccessList:
    if not isinstance(value, list):
        raise InvalidParams("access list must be an array")
    entries = []
    for item in value:
        item = _object(item, "access list entry")
        keys = item.get("storageKeys") or []
        if not isinstance(keys, list):
            raise InvalidParams("storageKeys must be an array")
        entries.append((_field(parse_address, item, "address"), _items(parse_storage_slot, keys, "storageKeys")))
    return tuple(entries)


@dataclass(frozen=True, slots=True)
class CallArgs:
    """eth_call / eth_estimateGas transaction arguments (geth's TransactionArgs)."""

    sender: Address | None = None
    to: Address | None = None
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int = 0
    data: bytes = b""
    nonce: int | None = None
    access_list: AccessList = ()
    chain_id: int | None = None

    @property
    def fee_cap(self) -> int:
        """What the sender pays per gas at most; 0 when no price is given (a free call)."""
        if self.gas_price is not None:
            return self.gas_price
        return self.max_fee_per_gas or 0


def parse_call_args(value: Any) -> CallArgs:
    obj = _object(value, "transaction")
    data = _optional(parse_data, obj, "data")
    input_ = _optional(parse_data, obj, "input")
    if data is not None and input_ is not None and data != input_:
        raise InvalidParams('both "data" and "input" are set and not equal. Please use "input" to pass transaction call data')
    gas_price = _optional(parse_quantity, obj, "gasPrice")
    max_fee = _optional(parse_quantity, obj, "maxFeePerGas")
    max_tip = _optional(parse_quantity, obj, "maxPriorityFeePerGas")
    if gas_price is not None and (max_fee is not None or max_tip is not None):
        raise InvalidParams("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
    if max_fee is not None or max_tip is not None:
        # As geth's TransactionArgs.ToMessage: a fee field left out is zero.
        max_fee, max_tip = max_fee or 0, max_tip or 0
        if max_tip > max_fee:
            raise InvalidParams(f"maxFeePerGas ({max_fee}) < maxPriorityFeePerGas ({max_tip})")
    return CallArgs(
        sender=_optional(parse_address, obj, "from"),
        to=_optional(parse_address, obj, "to"),
        gas=_optional(parse_uint64, obj, "gas"),
        gas_price=gas_price,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=max_tip,
        value=_optional(parse_quantity, obj, "value") or 0,
        data=input_ if input_ is not None else (data or b""),
        nonce=_optional(parse_uint64, obj, "nonce"),
        access_list=_optional(parse_access_list, obj, "accessList") or (),
        chain_id=_optional(parse_quantity, obj, "chainId"),
    )


@dataclass(frozen=True, slots=True)
class AccountOverride:
    """One account of an eth_call state override set (geth's OverrideAccount)."""

    balance: int | None = None
    nonce: int | None = None
    code: bytes | None = None
    state: Mapping[int, int] | None = None  # replaces the whole storage
    state_diff: Mapping[int, int] | None = None  # changes these slots only


StateOverrides = Mapping[Address, AccountOverride]


def parse_storage_slot(value: Any) -> int:
    """A 32-byte word given as a hash (access-list keys, override slots and values)."""
    return int.from_bytes(parse_hash(value), "big")


def _parse_slots(value: Any) -> dict[int, int]:
    obj = _object(value, "storage")
    slots: dict[int, int] = {}
    for slot, word in obj.items():
        try:
            slots[parse_storage_slot(slot)] = parse_storage_slot(word)
        except InvalidParams as error:
            raise InvalidParams(f"slot {slot[:70]!r}: {error}") from None
    return slots


def parse_state_overrides(value: Any) -> StateOverrides:
    obj = _object(value, "state override")
    overrides: dict[Address, AccountOverride] = {}
    for key, account in obj.items():
        try:
            address = parse_address(key)
        except InvalidParams as error:
            raise InvalidParams(f"account {key[:50]!r}: {error}") from None
        account = _object(account, "account override")
        if account.get("state") is not None and account.get("stateDiff") is not None:
            raise InvalidParams(f"account {key} has both 'state' and 'stateDiff'")
        overrides[address] = AccountOverride(
            balance=_optional(parse_quantity, account, "balance"),
            nonce=_optional(parse_uint64, account, "nonce"),
            code=_optional(parse_data, account, "code"),
            state=_optional(_parse_slots, account, "state"),
            state_diff=_optional(_parse_slots, account, "stateDiff"),
        )
    return overrides


@dataclass(frozen=True, slots=True)
class BlockOverrides:
    """eth_call / eth_estimateGas block overrides (geth's BlockOverrides, 4th parameter): the
    block context the call runs in. `time` is what lets a client estimate at the next block's
    timestamp, where a time-dependent contract may take another path."""

    time: int | None = None
    gas_limit: int | None = None
    fee_recipient: Address | None = None
    prev_randao: Hash32 | None = None


NO_BLOCK_OVERRIDES: Final = BlockOverrides()

#: The fields Lantau honours; geth's others (number, baseFeePerGas, blobBaseFee, ...) are
#: refused by name rather than silently ignored.
_BLOCK_OVERRIDE_FIELDS: Final = ("time", "gasLimit", "feeRecipient", "prevRandao")


def parse_block_overrides(value: Any) -> BlockOverrides:
    obj = _object(value, "block overrides")
    unsupported = sorted(set(obj) - set(_BLOCK_OVERRIDE_FIELDS))
    if unsupported:
        raise InvalidParams(f"block overrides: {unsupported[0]!r} is not supported (only {', '.join(_BLOCK_OVERRIDE_FIELDS)})")
    return BlockOverrides(
        time=_optional(parse_uint64, obj, "time"),
        gas_limit=_optional(parse_uint64, obj, "gasLimit"),
        fee_recipient=_optional(parse_address, obj, "feeRecipient"),
        prev_randao=_optional(parse_hash, obj, "prevRandao"),
    )


Topics = tuple[tuple[bytes, ...] | None, ...]  # per position: any of these, or None for any


@dataclass(frozen=True, slots=True)
class FilterCriteria:
    """eth_getLogs / eth_newFilter criteria. `addresses` empty means any address."""

    from_block: BlockId | None = None
    to_block: BlockId | None = None
    block_hash: Hash32 | None = None
    addresses: tuple[Address, ...] = ()
    topics: Topics = field(default_factory=tuple)


def parse_topics(value: Any) -> Topics:
    if not isinstance(value, list):
        raise InvalidParams("topics must be an array")
    if len(value) > MAX_TOPICS:
        raise InvalidParams(f"exceed max topics: {len(value)} given, at most {MAX_TOPICS}")
    topics: list[tuple[bytes, ...] | None] = []
    for index, position in enumerate(value):
        if position is None:
            topics.append(None)
        elif isinstance(position, list):
            # A null inside an OR-list matches anything, as in geth.
            if len(position) > MAX_TOPIC_ALTERNATIVES:
                raise InvalidParams(
                    f"too many alternatives in topic position {index}: {len(position)} given, at most {MAX_TOPIC_ALTERNATIVES}"
                )
            if any(item is None for item in position) or not position:
                topics.append(None)
            else:
                topics.append(_items(parse_hash, position, f"[{index}]"))
        else:
            try:
                topics.append((parse_hash(position),))
            except InvalidParams as error:
                raise InvalidParams(f"[{index}]: {error}") from None
    return tuple(topics)


def parse_filter_criteria(value: Any) -> FilterCriteria:
    obj = _object(value, "filter")
    block_hash = _optional(parse_hash, obj, "blockHash")
    from_block = _optional(parse_block_number, obj, "fromBlock")
    to_block = _optional(parse_block_number, obj, "toBlock")
    if block_hash is not None and (from_block is not None or to_block is not None):
        raise InvalidParams("cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other")
    raw_address = obj.get("address")
    if raw_address is None:
        addresses: tuple[Address, ...] = ()
    elif isinstance(raw_address, list):
        if len(raw_address) > MAX_FILTER_ADDRESSES:
            raise InvalidParams(f"too many addresses: {len(raw_address)} given, at most {MAX_FILTER_ADDRESSES}")
        addresses = _items(parse_address, raw_address, "address")
    else:
        addresses = (_field(parse_address, obj, "address"),)
    topics = _optional(parse_topics, obj, "topics") or ()
    return FilterCriteria(from_block, to_block, block_hash, addresses, topics)


def parse_reward_percentiles(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise InvalidParams("reward percentiles must be an array")
    percentiles: list[float] = []
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise InvalidParams(f"invalid reward percentile: {item!r}")
        if not 0 <= item <= 100:
            raise InvalidParams(f"invalid reward percentile: {item}")
        if percentiles and item < percentiles[-1]:
            raise InvalidParams(f"invalid reward percentile: #{index - 1}:{percentiles[-1]} > #{index}:{item}")
        percentiles.append(float(item))
    return tuple(percentiles)


def parse_storage_keys(value: Any) -> tuple[tuple[str, int], ...]:
    """eth_getProof keys: each kept with its text, which the answer echoes back."""
    if not isinstance(value, list):
        raise InvalidParams("storage keys must be an array")
    if len(value) > MAX_PROOF_STORAGE_KEYS:
        raise InvalidParams(f"too many storage keys: {len(value)} given, at most {MAX_PROOF_STORAGE_KEYS}")
    return _items(lambda item: (item, parse_storage_key(item)), value, "storageKeys")


# --- debug_trace* options -------------------------------------------------------------------

#: The tracers Lantau runs: geth's default struct logger (no "tracer") and its callTracer.
TRACERS: Final = frozenset({"callTracer"})
_TRACE_CONFIG_FIELDS: Final = frozenset({
    "tracer", "tracerConfig", "timeout", "reexec", "enableMemory", "disableStack", "disableStorage",
    "enableReturnData", "debug", "limit",
})


@dataclass(frozen=True, slots=True)
class TraceConfig:
    """geth's TraceConfig, as far as Lantau honours it. `timeout` and `reexec` are taken and
    ignored: the node's EVM timeout bounds every trace, and every block's state is kept."""

    tracer: str | None = None  # None: the struct logger
    only_top_call: bool = False  # callTracer's tracerConfig.onlyTopCall
    enable_memory: bool = False
    disable_stack: bool = False
    disable_storage: bool = False
    enable_return_data: bool = False


def parse_trace_config(value: Any, *, extra_fields: frozenset[str] = frozenset()) -> tuple[TraceConfig, Mapping[str, Any]]:
    """A debug_trace* options object: the `TraceConfig`, and the raw values of `extra_fields`
    (debug_traceCall's stateOverrides) for the caller to parse. Unknown fields are refused by
    name, so a misspelt option is not silently ignored."""
    obj = _object(value, "trace config")
    unknown = sorted(set(obj) - _TRACE_CONFIG_FIELDS - extra_fields)
    if unknown:
        raise InvalidParams(f"unknown trace option {unknown[0]!r}")
    tracer = obj.get("tracer")
    if tracer is not None and (not isinstance(tracer, str) or tracer not in TRACERS):
        raise InvalidParams(f"tracer: {tracer!r} is not a tracer here (callTracer, or none for the struct logger)")
    if obj.get("timeout") is not None and not isinstance(obj["timeout"], str):
        raise InvalidParams("timeout: must be a duration string such as \"5s\"")
    only_top_call = False
    tracer_config = obj.get("tracerConfig")
    if tracer_config is not None:
        tracer_config = _object(tracer_config, "tracerConfig")
        unknown = sorted(set(tracer_config) - {"onlyTopCall", "withLog"})
        if unknown or (tracer_config and tracer is None):
            raise InvalidParams(f"tracerConfig: unknown option {(unknown or sorted(tracer_config))[0]!r}")
        only_top_call = bool(_optional(parse_bool, tracer_config, "onlyTopCall"))
        if _optional(parse_bool, tracer_config, "withLog"):
            raise InvalidParams("tracerConfig: withLog is not supported")
    flags = {key: bool(_optional(parse_bool, obj, key)) for key in
             ("enableMemory", "disableStack", "disableStorage", "enableReturnData")}
    config = TraceConfig(
        tracer=tracer, only_top_call=only_top_call, enable_memory=flags["enableMemory"],
        disable_stack=flags["disableStack"], disable_storage=flags["disableStorage"],
        enable_return_data=flags["enableReturnData"],
    )
    return config, {key: obj[key] for key in extra_fields if obj.get(key) is not None}


# --- binding a method's positional params ---------------------------------------------------


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final = _Required()


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    parse: Callable[[Any], Any]
    default: Any = REQUIRED


def bind_params(raw: Any, spec: Sequence[Param]) -> list[Any]:
    """Positional JSON-RPC params, parsed by `spec`; a null or absent optional param takes
    its default."""
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise InvalidParams("non-array args")
    if len(raw) > len(spec):
        raise InvalidParams(f"too many arguments, want at most {len(spec)}")
    bound: list[Any] = []
    for index, param in enumerate(spec):
        value = raw[index] if index < len(raw) else None
        if value is None:
            if param.default is REQUIRED:
                raise InvalidParams(f"missing value for required argument {index}")
            bound.append(param.default)
            continue
        try:
            bound.append(param.parse(value))
        except InvalidParams as error:
            raise InvalidParams(f"invalid argument {index}: {error}") from None
    return bound
