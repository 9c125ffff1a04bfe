"""A transaction step too long for one L1 transaction, proven the staged way (docs/fault-proofs.md,
"Segmented execution", "Load and commit in chunks"): the load in chunks (`loadWitnessChunk`),
execution in segments (`startExecution`, then `continueExecution` from each paused machine), the
commit in chunks (`commitTransactionChunk`) on the game's `OneStepProof`; the game's
`stepTransaction` with no trie nodes then takes the post-state root it recorded.

`StagedStep.advance` sends the next L1 transaction the proof lacks, one per call, after reading
from L1 what is recorded already (the load progress reached, the paused machines, the executed
`PostState`, the commit cursors, the post-state root). So after kill -9, or an L1 reorg that took
some of the proof, the next calls send exactly what L1 no longer has, and nothing twice. A chunk's
size is picked by `eth_estimateGas` under the cap (scaled down by estimate until it fits, then
grown by quarters while a larger one fits), from the chunk before it once that is on L1, and its
calldata kept under `max_calldata_bytes` (geth's pool refuses a transaction over 128 KiB). A
segment sends its machine packed (`prover.packed_machine`), a large one with the witnessed codes
copied from data contracts the driver publishes first (`publishData`, "Packed machines"), one
still above `max_calldata_bytes` with its dense runs (memory, return data, calldata) copied too. The machines, progresses and cursors handed
between transactions are deterministic: they are recomputed by `eth_call` and kept in memory,
never trusted from a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak

from bridge.l1_client import L1CallReverted, L1Client
from bridge.l1_contract_clients import candidate_of
from bridge.tx_manager import TxManager, gas_with_headroom
from prover.errors import ChallengerError
from prover.packed_machine import DataStore, data_pieces, dense_run_pieces
from prover.step_call import StepCall, encode_pre_state
from prover.step_chunks import CommitChunks, LoadChunks, commit_start, cursor_hash, load_start, merge_accounts, progress_hash

#: EIP-7825's cap on the gas of one L1 transaction.
EIP_7825_TX_GAS_CAP = 16_777_216
#: Instructions a segment: with 2,000 every project workload's segments fit the cap
#: (docs/fault-proofs.md, "Segmented execution": the settleBatch of 25's largest is 16.15M).
DEFAULT_SEGMENT_BUDGET = 2_000
#: Calldata bytes an L1 transaction of the proof may carry: geth's pool refuses a transaction over
#: 128 KiB (131,072 B, RLP-encoded with its signature), so with a margin.
MAX_CALLDATA_BYTES = 120_000
#: A machine whose plain packing (zero bytes left out) is larger is packed with the codes copied
#: from data contracts, published once per code (docs/fault-proofs.md, "Packed machines"): only
#: for the size, since publishing costs more L1 gas than copying saves on a step of a few segments.
CODES_ON_L1_ABOVE_BYTES = 100_000
#: Codes shorter than this stay in the packed machine (a copy token is 26 bytes and a cold
#: EXTCODECOPY 2,600 gas; publishing is ~32k gas a contract plus 200 a byte).
MIN_PUBLISHED_CODE_BYTES = 1_024
#: Calldata of `publishData` besides the data: selector, offset, length, padding.
PUBLISH_CALLDATA_BYTES = 4 + 32 + 32 + 31
#: L1 gas of `publishData`, measured (bench/step_segments.py: 5,394,597 for 24,544 B, 660,830 for
#: 2,784 B), with a margin: a piece stays under the cap too.
PUBLISH_BASE_GAS, PUBLISH_GAS_PER_BYTE = 100_000, 230
ZERO_ROOT = b"\x00" * 32


class StageTooLarge(ChallengerError):
    """One stage of a staged step needs more L1 gas than one L1 transaction may use."""

    def __init__(self, function: str, gas: int, cap: int) -> None:
        super().__init__(f"{function} needs {gas:,} L1 gas, above the {cap:,} a transaction may use"
                         + (" (a smaller segment budget makes segments smaller)" if "Execution" in function else ""))
        self.function, self.gas, self.cap = function, gas, cap


class CalldataTooLarge(ChallengerError):
    """One L1 transaction of a staged step would carry more calldata than an L1 pool accepts."""

    def __init__(self, function: str, size: int, limit: int) -> None:
        super().__init__(f"{function} carries {size:,} bytes of calldata, above the {limit:,} an L1 transaction may")
        self.function, self.size, self.limit = function, size, limit


@dataclass(frozen=True, slots=True)
class StagedStepConfig:
    tx_gas_cap: int = EIP_7825_TX_GAS_CAP  # a step whose one-call proof needs more is staged
    segment_budget: int = DEFAULT_SEGMENT_BUDGET  # instructions per execution segment
    max_calldata_bytes: int = MAX_CALLDATA_BYTES  # per L1 transaction
    codes_on_l1_above_bytes: int = CODES_ON_L1_ABOVE_BYTES  # plain packed machine size


class StagedStep:
    """The staged proof of one transaction step (`call`) on the `OneStepProof` at `address`."""

    def __init__(self, l1: L1Client, txmgr: TxManager, address: str, call: StepCall,
                 config: StagedStepConfig = StagedStepConfig()) -> None:
        self.l1, self.txmgr, self.call, self.config = l1, txmgr, call, config
        self.contract = l1.contract("OneStepProof", address)
        self.step_id = call.step_id()
        self._load = LoadChunks(call)
        self._commit: CommitChunks | None = None  # once the PostState is known
        # planned once its start is on L1
        self._load_plan: dict[int, tuple[int, Any, Any]] = {}  # start -> (stop, function, result)
        self._commit_plan: dict[int, tuple[int, Any, Any]] = {}
        # machine hash -> (the data contracts it copies from, continueExecution's arguments)
        self._continue_args: dict[bytes, tuple[tuple[DataStore, ...], tuple[Any, ...]]] = {}
        self._code_stores: tuple[DataStore, ...] | None = None  # the codes' data contracts
        self._data_stores: dict[bytes, DataStore] = {}  # piece -> its data contract
        # (machine hash (step id: the start), budget) -> what its segment returns; whether it fits the cap
        self._results: dict[tuple[bytes, int], tuple[bytes, Any]] = {}
        self._fits: dict[tuple[bytes, int], bool] = {}
        self._start_args: tuple[Any, tuple[DataStore, ...], tuple[Any, ...]] | None = None  # (PreState, stores, args)

    def proven(self) -> bool:
        return bytes(self.l1.call(self.contract.functions.postStateRoot(self.step_id))) != ZERO_ROOT

    def advance(self) -> dict[str, Any] | None:
        """Send the next L1 transaction the proof lacks and return its receipt; None if the
        post-state root is recorded already. Raises `StageTooLarge` before sending a stage above
        the cap, `ChallengerError` if a stage reverted on L1."""
        if self.proven():
            return None
        function = self._next_missing()
        size = len(_calldata(function))
        if size > self.config.max_calldata_bytes:
            raise CalldataTooLarge(function.fn_name, size, self.config.max_calldata_bytes)
        gas = self._estimate(function)
        if gas is None or gas > self.config.tx_gas_cap:
            raise StageTooLarge(function.fn_name, gas or 0, self.config.tx_gas_cap)
        receipt = self.txmgr.send(candidate_of(function, gas_limit=min(self.config.tx_gas_cap, gas_with_headroom(gas))))
        if receipt["status"] != 1:
            raise ChallengerError(f"{function.fn_name} of step 0x{self.step_id.hex()} reverted on L1")
        return receipt

    def pre_state(self) -> Any:
        """The `PreState` the load chunks prove (once every load chunk is on L1)."""
        missing, pre = self._loaded_pre_state()
        if missing is not None:
            raise ChallengerError(f"step 0x{self.step_id.hex()}: {missing.fn_name} is not on L1 yet")
        return pre

    def post_state(self) -> Any:
        """The `PostState` of the transaction's execution (once every segment is on L1)."""
        missing, post = self._walk()
        if missing is not None:
            raise ChallengerError(f"step 0x{self.step_id.hex()}: {missing.fn_name} is not on L1 yet")
        return post

    def _next_missing(self) -> Any:
        """The first call of load chunks, segments, commit chunks whose effect L1 does not hold."""
        missing, post = self._walk()
        if missing is not None:
            return missing
        return self._missing_commit(post)

    def _estimate(self, function: Any) -> int | None:
        """L1 gas of sending `function`; None if more than L1 lets a call use (out of gas)."""
        try:
            return self.l1.estimate_gas({"from": self.txmgr.address, "to": self.contract.address,
                                         "data": _calldata(function)})
        except L1CallReverted as exc:
            if exc.revert is not None:
                raise  # a named refusal: not a matter of size
            return None

    def _fit(self, function_for: Any, start: int, total: int, guess: int) -> tuple[int, Any]:
        """(stop, function) of a chunk from `start` under the cap: from `guess` items, scaled down
        by estimate against 0.9 of the cap until it fits (halved if the estimate runs out of gas or
        the calldata is above `max_calldata_bytes`),
        then grown by a quarter while the larger one still fits. Only the estimates of chunks not
        sent decide a size (a chunk on L1 estimates cheaper: its record is written already), so a
        restarted driver plans the same chunks and finds them on L1."""
        cap = self.config.tx_gas_cap
        size = max(1, min(guess, total - start))
        fitted: tuple[int, Any] | None = None
        for _ in range(64):
            function = function_for(start + size)
            too_long = len(_calldata(function)) > self.config.max_calldata_bytes
            gas = None if too_long else self._estimate(function)
            if gas is not None and gas <= cap:
                fitted = (start + size, function)
                if size >= total - start:
                    return fitted
                size = min(total - start, size + max(1, size // 4))
                continue
            if fitted is not None:
                return fitted  # the larger one is above the cap: the last that fitted
            if size == 1 and too_long:
                raise CalldataTooLarge(function.fn_name, len(_calldata(function)), self.config.max_calldata_bytes)
            if size == 1:
                raise StageTooLarge(function.fn_name, gas or 0, cap)
            size = size // 2 if gas is None else max(1, min(size - 1, size * cap * 9 // (gas * 10)))
        if fitted is None:
            raise StageTooLarge(function.fn_name, 0, cap)
        return fitted

    def _planned(self, plan: dict[int, tuple[int, Any, Any]], function_for: Any, start: int,
                 total: int) -> tuple[int, Any, Any]:
        if start not in plan:
            # the first chunk from everything; the next from the size of the one before
            guess = max((stop - s for s, (stop, _, _) in plan.items()), default=total)
            stop, function = self._fit(function_for, start, total, guess)
            plan[start] = (stop, function, self.l1.call(function))
        return plan[start]

    def _loaded_pre_state(self) -> tuple[Any, Any]:
        """(the first load chunk L1 does not hold, None) or (None, the loaded `PreState`)."""
        functions = self.contract.functions
        progress, start, accounts = load_start(self.call.pre_state_root), 0, []  # type: ignore[var-annotated]
        while start < len(self._load):
            stop, function, (reached, chunk_accounts) = self._planned(
                self._load_plan, lambda end, p=progress, s=start: functions.loadWitnessChunk(*self._load.args(p, s, end)),
                start, len(self._load))
            if not self.l1.call(functions.loaded(progress_hash(reached))):
                return function, None
            progress, start, accounts = reached, stop, merge_accounts(accounts, chunk_accounts)
        return None, (self.call.pre_state_root, accounts)

    def _missing_commit(self, post: Any) -> Any:
        """The first commit chunk L1 does not hold (the post-state root is not recorded)."""
        functions = self.contract.functions
        if self._commit is None or self._commit.post != post:
            self._commit, self._commit_plan = CommitChunks(self.call, post), {}
        commit = self._commit
        execution = self.l1.call(functions.executionHash(self.step_id, post))
        cursor, start = commit_start(self.call.pre_state_root), 0
        while True:
            stop, function, reached = self._planned(
                self._commit_plan,
                lambda end, c=cursor, s=start: functions.commitTransactionChunk(*commit.args(c, s, end)),
                start, len(commit))
            key = self.l1.call(functions.commitKey(execution, cursor_hash(reached)))
            if stop >= len(commit) or not self.l1.call(functions.committing(key)):
                return function
            cursor, start = reached, stop

    def _walk(self) -> tuple[Any, Any]:
        """(the first of load chunks and segments L1 does not hold, None) or, when it holds them
        all, (None, the execution's `PostState`)."""
        functions = self.contract.functions
        missing_load, pre = self._loaded_pre_state()
        if missing_load is not None:
            return missing_load, None
        stores, start_args = self._packed_start(pre)
        seen: set[str] = set()  # data contracts found on L1 in this walk
        unpublished = self._unpublished(stores, seen)
        if unpublished is not None:
            return unpublished, None
        producer, on_l1, (machine, post) = self._segment(self.step_id, functions.startExecution, start_args)
        while on_l1 and machine:
            machine_hash = keccak(machine)
            stores, args = self._packed(machine_hash, machine)
            unpublished = self._unpublished(stores, seen)
            if unpublished is not None:
                return unpublished, None
            producer, on_l1, (machine, post) = self._segment(machine_hash, functions.continueExecution, args)
        if not on_l1:
            return producer, None  # this segment (or the one-segment execution) is not on L1
        return None, post

    def _segment(self, key: bytes, function_for: Any, args: tuple[Any, ...]) -> tuple[Any, bool, tuple[bytes, Any]]:
        """(the call, whether L1 holds its result, (the machine it leaves, the PostState)) of the
        segment from a machine (`key`: its hash; the step id for the start): at `segment_budget`,
        or halved while L1 holds neither its result nor an estimate under the cap for it. A
        segment's fixed part grows with its machine (memory near its cap), so the budget that suits
        a workload can pass the cap there; the budget decides only the gas, never the result
        (docs/fault-proofs.md, "Packed machines"), and the choice is remade alike after a restart
        (a segment not on L1 estimates as before; one on L1 is found by its record)."""
        functions = self.contract.functions
        budget = args[-1]
        while True:
            function = function_for(*args[:-1], budget)
            if (key, budget) not in self._results:
                machine, post = self.l1.call(function)
                self._results[(key, budget)] = (bytes(machine), post)
            machine, post = self._results[(key, budget)]
            if machine:
                record = keccak(abi_encode(["bytes32", "bytes32"], [self.step_id, keccak(machine)]))
                on_l1 = self.l1.call(functions.paused(record))
            else:
                on_l1 = self.l1.call(functions.executed(self.l1.call(functions.executionHash(self.step_id, post))))
            if on_l1 or budget == 1:
                return function, bool(on_l1), (machine, post)
            if (key, budget) not in self._fits:
                gas = self._estimate(function)
                self._fits[(key, budget)] = gas is not None and gas <= self.config.tx_gas_cap
            if self._fits[(key, budget)]:
                return function, False, (machine, post)
            budget //= 2

    def _packed(self, machine_hash: bytes, machine: bytes) -> tuple[tuple[DataStore, ...], tuple[Any, ...]]:
        """(the data contracts it copies from, continueExecution's arguments) for `machine`
        (`_packing`'s rule)."""
        if machine_hash not in self._continue_args:
            budget = self.config.segment_budget
            self._continue_args[machine_hash] = self._packing(
                machine, lambda stores: self.call.continue_args(machine, budget, stores),
                lambda args: self.contract.functions.continueExecution(*args), packed_at=1)
        return self._continue_args[machine_hash]

    def _packed_start(self, pre: Any) -> tuple[tuple[DataStore, ...], tuple[Any, ...]]:
        """(the data contracts it copies from, startExecution's arguments): the `PreState` packed
        as a machine is, by the same rule."""
        if self._start_args is None or self._start_args[0] != pre:
            budget = self.config.segment_budget
            stores, args = self._packing(
                encode_pre_state(pre), lambda stores: self.call.start_args(pre, budget, stores),
                lambda args: self.contract.functions.startExecution(*args), packed_at=0)
            self._start_args = (pre, stores, args)
        return self._start_args[1], self._start_args[2]

    def _packing(self, image: bytes, args_for: Any, function_for: Any, packed_at: int) -> tuple[tuple[DataStore, ...], tuple[Any, ...]]:
        """(data contracts, arguments) of a call carrying `image` packed: plainly if so it is at
        most `codes_on_l1_above_bytes`; else with the codes copied from their data contracts; and
        if that call is still above `max_calldata_bytes` (memory, return data or calldata near
        the caps), with the image's dense runs copied too (docs/fault-proofs.md, "Packed
        machines"). The data contracts' addresses come from `eth_call`s of `publishData`."""
        args = args_for(())
        if len(args[packed_at]) <= self.config.codes_on_l1_above_bytes:
            return (), args
        stores = self._stores()
        args = args_for(stores)
        if len(_calldata(function_for(args))) <= self.config.max_calldata_bytes:
            return stores, args
        pieces = dense_run_pieces(image, stores, min(self.config.max_calldata_bytes - PUBLISH_CALLDATA_BYTES,
                                                     (self.config.tx_gas_cap - PUBLISH_BASE_GAS) // PUBLISH_GAS_PER_BYTE))
        # full pieces first: a run's last piece changes as the run grows (memory filled segment by
        # segment), so it is published only if the call is still above the limit without it
        full = max(map(len, pieces), default=0)
        stores = stores + tuple(self._store_of(piece) for piece in pieces if len(piece) == full)
        args = args_for(stores)
        if len(_calldata(function_for(args))) <= self.config.max_calldata_bytes:
            return stores, args
        stores = stores + tuple(self._store_of(piece) for piece in pieces if len(piece) < full)
        return stores, args_for(stores)

    def _store_of(self, piece: bytes) -> DataStore:
        if piece not in self._data_stores:
            self._data_stores[piece] = DataStore(self.l1.call(self.contract.functions.publishData(piece)), piece)
        return self._data_stores[piece]

    def _stores(self) -> tuple[DataStore, ...]:
        """The data contracts of the witnessed codes (their addresses by `eth_call`)."""
        if self._code_stores is None:
            self._code_stores = tuple(self._store_of(piece)
                                      for piece in data_pieces(self.call.codes(), MIN_PUBLISHED_CODE_BYTES))
        return self._code_stores

    def _unpublished(self, stores: tuple[DataStore, ...], seen: set[str]) -> Any:
        """`publishData` of the first of `stores` L1 lacks (not among `seen`, found on L1 earlier
        in this walk), or None."""
        for store in stores:
            if store.address in seen:
                continue
            if self.l1.rpc("eth_getCode", [store.address, "latest"]) in ("0x", "0x0", None):
                return self.contract.functions.publishData(store.data)
            seen.add(store.address)
        return None


def _calldata(function: Any) -> bytes:
    return bytes.fromhex(function._encode_transaction_data().removeprefix("0x"))
