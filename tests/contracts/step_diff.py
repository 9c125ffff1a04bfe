"""Differential harness for the interpreter of the one-step proof (`EVMStep`): one transaction over
a flat pre-state, through py-evm (the L2's `LantauVM` state on a MemoryDB) and through the Solidity
step on anvil, compared field by field.

The witness is what py-evm reads: the account DB is wrapped to record every account and storage
slot the transaction touches, and exactly those (from the pre-state) are given to the step, so the
step's `ExtraWitness` / `MissingWitness` checks are exercised on every case too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import rlp
from eth.abc import SignedTransactionAPI
from eth.constants import BLANK_ROOT_HASH
from eth.db.atomic import AtomicDB
from eth_utils import ValidationError
from eth.exceptions import VMError
from eth.vm.execution_context import ExecutionContext
from eth_typing import Address
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.anvil import AnvilOptions, AnvilProcess
from genesis.artifacts import load_artifact
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS, ProofCostLimits
from node.deposit_tx import is_deposit
from node.vm import LantauTransactionBuilder, LantauVM
from prover.step_call import EVM_STEP, decode_post_state, encode_call, is_paused
from tests.harness.evm import Contracts, decode_custom_error, dev_keys

EMPTY_CODE_HASH = keccak(b"")
STEP_CALL_GAS = 2_000_000_000


#: Caps no transaction reaches: only for measuring what a transaction past the caps would cost.
LIFTED_CAPS = ProofCostLimits(10**12, 10**12, 10**12, 10**12, 10**12, 10**12)


def _lantau_vm(limits: ProofCostLimits) -> Any:
    """The L2's VM with the proof-cost caps `limits` (the step gets the same ones)."""
    return LantauVM.with_proof_cost_limits(limits)


def caps_abi(limits: ProofCostLimits) -> tuple[int, ...]:
    """`StepTypes.ProofCostLimits` of the rollup config's caps."""
    return limits.abi_tuple()


@dataclass
class PreAccount:
    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StepContext:
    number: int = 1
    timestamp: int = 1_700_000_000
    base_fee: int = 7
    coinbase: bytes = bytes.fromhex("4200000000000000000000000000000000000011")
    prev_randao: bytes = b"\x01" * 32
    gas_limit: int = 30_000_000
    chain_id: int = 901
    gas_used_before: int = 0
    block_hashes: tuple[bytes, ...] = ()

    def execution_context(self) -> ExecutionContext:
        return ExecutionContext(
            coinbase=Address(self.coinbase),
            timestamp=self.timestamp,
            block_number=self.number,  # type: ignore[arg-type]
            difficulty=0,
            mix_hash=self.prev_randao,  # type: ignore[arg-type]
            gas_limit=self.gas_limit,
            prev_hashes=self.block_hashes,  # type: ignore[arg-type]
            chain_id=self.chain_id,
            base_fee_per_gas=self.base_fee,
            excess_blob_gas=0,
        )

    def abi(self) -> tuple[Any, ...]:
        return (
            self.number, self.timestamp, self.base_fee, to_checksum_address(self.coinbase), self.prev_randao,
            self.gas_limit, self.chain_id, self.gas_used_before, list(self.block_hashes),
        )


@dataclass
class Outcome:
    """What a transaction did: `invalid` (a reason) for one a block cannot carry."""

    invalid: str | None = None
    success: bool = False
    gas_used: int = 0
    logs_hash: bytes = b""
    # address -> (exists, nonce, balance, code_hash, {slot: value}) for every witnessed account
    accounts: dict[bytes, tuple[bool, int, int, bytes, dict[int, int]]] = field(default_factory=dict)
    witness: dict[bytes, set[int]] = field(default_factory=dict)
    l1_gas: int = 0
    proof_costs: Any = None  # node.vm.ProofCosts of py-evm's run (`exceeded`: the cap passed)
    segments: int = 1  # L1 calls the step took (segmented execution)


def state_with(state_class: Any, pre: dict[bytes, PreAccount], ctx: StepContext) -> Any:
    """A py-evm state of `state_class` (any fork's) holding `pre`, persisted, on a fresh DB."""
    state = state_class(AtomicDB(), ctx.execution_context(), BLANK_ROOT_HASH)
    for address, account in pre.items():
        state.set_balance(address, account.balance)
        state.set_nonce(address, account.nonce)
        state.set_code(address, account.code)
        for slot, value in account.storage.items():
            if value:
                state.set_storage(address, slot, value)
    state.persist()
    return state


def _state(
    pre: dict[bytes, PreAccount], ctx: StepContext, limits: ProofCostLimits, state_class: Any = None
) -> tuple[Any, AtomicDB, bytes]:
    """`pre` persisted on a fresh database by the L2's state class (or `state_class`)."""
    state_class = state_class or _lantau_vm(limits)._state_class
    state = state_with(state_class, pre, ctx)
    return state_class, state._db, state.state_root


def logs_hash(entries: Any) -> bytes:
    return keccak(rlp.encode([[address, [t.to_bytes(32, "big") for t in topics], data] for address, topics, data in entries]))


def run_pyevm(
    pre: dict[bytes, PreAccount], raw_tx: bytes, ctx: StepContext, limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS
) -> tuple[Outcome, bytes]:
    """py-evm's outcome of `raw_tx` on `pre` under the caps `limits`, with the witness it read; and
    the pre-state root."""
    state_class, db, root = _state(pre, ctx, limits)
    state = state_class(db, ctx.execution_context(), root)
    adb = state._account_db
    witness: dict[bytes, set[int]] = {}
    get_account, get_storage = adb._get_account, adb.get_storage

    def rec_account(address: bytes, *args: Any, **kwargs: Any) -> Any:
        witness.setdefault(bytes(address), set())
        return get_account(address, *args, **kwargs)

    def rec_storage(address: bytes, slot: int, *args: Any, **kwargs: Any) -> Any:
        witness.setdefault(bytes(address), set()).add(slot)
        return get_storage(address, slot, *args, **kwargs)

    adb._get_account, adb.get_storage = rec_account, rec_storage  # every account read goes through _get_account
    tx: SignedTransactionAPI = LantauTransactionBuilder.decode(raw_tx)
    out = Outcome(witness=witness)
    block_gas_left = ctx.gas_limit - ctx.gas_used_before
    if is_deposit(tx):
        computation = state.apply_deposit(tx, block_gas_left)
    else:
        if tx.gas > block_gas_left:
            out.invalid = "gas above the block's gas left"
            return out, root
        try:
            computation = state.apply_transaction(tx)
        except (ValidationError, VMError) as exc:
            # VMError: py-evm will not start it (init code over EIP-3860's limit); the pool refuses
            # it and a block carrying it does not apply, so it is never on the L2
            out.invalid = str(exc)
            return out, root
    out.success = not computation.is_error
    out.gas_used = _lantau_vm(limits).finalize_gas_used(tx, computation)
    out.proof_costs = state.proof_meter.counts()
    out.logs_hash = logs_hash(computation.get_log_entries() if out.success else ())
    adb._get_account, adb.get_storage = get_account, get_storage
    for address, slots in witness.items():
        exists = state.account_exists(address)
        out.accounts[address] = (
            exists,
            state.get_nonce(address),
            state.get_balance(address),
            state.get_code_hash(address) if exists else b"",
            {slot: state.get_storage(address, slot) for slot in slots},
        )
    return out, root


def pre_state_abi(pre: dict[bytes, PreAccount], witness: dict[bytes, set[int]], root: bytes) -> tuple[Any, ...]:
    """The flat `StepTypes.PreState` of exactly the witnessed accounts and slots of `pre`."""
    accounts = []
    for address in sorted(witness):
        account = pre.get(address)
        exists = account is not None  # a pre-state account is in the trie, an empty one included
        slots = [((s).to_bytes(32, "big"), (account.storage.get(s, 0) if account else 0).to_bytes(32, "big")) for s in sorted(witness[address])]
        if account is None:
            accounts.append((to_checksum_address(address), False, 0, 0, b"\x00" * 32, b"\x00" * 32, b"", slots))
        else:
            storage_root = _storage_root(account.storage)
            accounts.append((
                to_checksum_address(address), exists, account.nonce, account.balance, storage_root,
                keccak(account.code), account.code, slots,
            ))
    return (root, accounts)


def _storage_root(storage: dict[int, int]) -> bytes:
    from trie import HexaryTrie

    t = HexaryTrie({})
    for slot, value in storage.items():
        if value:
            t[keccak(slot.to_bytes(32, "big"))] = rlp.encode(value)
    return t.root_hash


def apply_diffs(pre: dict[bytes, PreAccount], witness: dict[bytes, set[int]], diffs: Any) -> dict[bytes, tuple[bool, int, int, bytes, dict[int, int]]]:
    """Each witnessed account after the step: the pre-state with the step's AccountDiffs applied."""
    by_address = {bytes.fromhex(d[0][2:]): d for d in diffs}
    result = {}
    for address, slots in witness.items():
        account = pre.get(address)
        d = by_address.get(address)
        if d is None:
            if account is None:
                result[address] = (False, 0, 0, b"", {s: 0 for s in slots})
            else:
                result[address] = (True, account.nonce, account.balance, keccak(account.code), {s: account.storage.get(s, 0) for s in slots})
            continue
        _, deleted, storage_reset, nonce, balance, code_hash, changed = d
        if deleted:
            result[address] = (False, 0, 0, b"", {s: 0 for s in slots})
            continue
        storage = {} if storage_reset or account is None else dict(account.storage)
        for key, value in changed:
            storage[int.from_bytes(key, "big")] = int.from_bytes(value, "big")
        result[address] = (True, nonce, balance, bytes(code_hash), {s: storage.get(s, 0) for s in slots})
    return result


#: anvil with a block gas limit high enough for the step's worst cases (the L1 gas is measured,
#: not assumed: see docs/fault-proofs.md).
STEP_ANVIL_GAS_LIMIT = 3_000_000_000
STEP_ANVIL_OPTIONS = AnvilOptions(extra_args=("--gas-limit", str(STEP_ANVIL_GAS_LIMIT)))


@pytest.fixture(scope="module")
def anvil_options() -> AnvilOptions:
    """The harness' `anvil` fixture, for a module importing this: with the step's gas limit."""
    return STEP_ANVIL_OPTIONS


@contextmanager
def step_on_anvil() -> Iterator[tuple[Any, Contract]]:
    """Outside pytest (scripts, bench): a fresh anvil with `STEP_ANVIL_OPTIONS`, the `Contracts`
    deployer over it and an EVMStepHarness."""
    with AnvilProcess(STEP_ANVIL_OPTIONS) as process:
        w3 = Web3(Web3.HTTPProvider(process.rpc_url, request_kwargs={"timeout": 300}))
        contracts = Contracts(w3=w3, anvil=process, keys=dev_keys())
        yield contracts, deploy_step(contracts.deploy)


def deploy_step(deploy: Any) -> Contract:
    tx_lib = deploy("EVMTx")
    pre_lib = deploy("EVMPrecompiles")
    step = deploy("EVMStep", tx_lib.address, pre_lib.address)
    return deploy("EVMStepHarness", step.address)


def step_abi() -> list[dict[str, Any]]:
    return list(load_artifact("EVMStep").abi)


def run_step(
    harness: Contract, pre_abi: tuple[Any, ...], raw_tx: bytes, ctx: StepContext,
    limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS,
) -> tuple[str | None, Any, int]:
    """(error name or None, PostState, L1 gas of execute) from the Solidity step."""
    return measure_step(harness, pre_abi, raw_tx, ctx.abi(), limits)


def measure_step(
    harness: Contract, pre_abi: tuple[Any, ...], raw_tx: bytes, ctx_abi: tuple[Any, ...], limits: ProofCostLimits,
) -> tuple[str | None, Any, int]:
    """`EVMStepHarness.measure` on ABI tuples: (error name or None, PostState, L1 gas)."""
    try:
        post, l1_gas = harness.functions.measure(pre_abi, raw_tx, ctx_abi, caps_abi(limits)).call({"gas": STEP_CALL_GAS})
    except (ContractCustomError, ContractLogicError) as exc:
        data = exc.data if isinstance(exc.data, str) else None
        if not data or data == "0x":  # out of L1 gas or memory
            return f"revert without data: {exc!r}", None, 0
        name, args = decode_custom_error(step_abi(), bytes.fromhex(data.removeprefix("0x")))
        return f"{name}{args}", None, 0
    return None, post, l1_gas


def measure_step_segmented(
    harness: Contract, pre_abi: tuple[Any, ...], raw_tx: bytes, ctx_abi: tuple[Any, ...], limits: ProofCostLimits,
    budget: int,
) -> tuple[str | None, Any, list[bytes]]:
    """The step in segments of `budget` instructions: `EVMStep.execute` with the budget, then
    `resume` from each paused machine. (error name or None, PostState, the paused machines)."""
    step = harness.functions.step().call()
    machines: list[bytes] = []
    data = encode_call("execute", (pre_abi, raw_tx, ctx_abi, caps_abi(limits), budget), EVM_STEP)
    while True:
        try:
            result = bytes(harness.w3.eth.call({"to": step, "data": data, "gas": STEP_CALL_GAS}))
        except (ContractCustomError, ContractLogicError) as exc:
            payload = exc.data if isinstance(exc.data, str) else None
            if not payload or payload == "0x":
                return f"revert without data: {exc!r}", None, machines
            name, args = decode_custom_error(step_abi(), bytes.fromhex(payload.removeprefix("0x")))
            return f"{name}{args}", None, machines
        if not is_paused(result):
            return None, decode_post_state(result), machines
        machines.append(result)
        data = encode_call("resume", (result, budget), EVM_STEP)


@pytest.fixture(scope="module")
def harness(contracts: Any) -> Contract:
    """EVMStepHarness over a fresh EVMStep (with EVMTx and EVMPrecompiles)."""
    return deploy_step(contracts.deploy)


def compare(
    harness: Contract, pre: dict[bytes, PreAccount], raw_tx: bytes, ctx: StepContext,
    limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS, budget: int | None = None,
) -> tuple[list[str], Outcome]:
    """Differences between py-evm and the step on one transaction under the caps `limits` (the
    rollup's, by default; empty = identical); with `budget`, the step runs in segments of that
    many instructions (`Outcome.segments` counts them)."""
    expected, root = run_pyevm(pre, raw_tx, ctx, limits)
    pre_abi = pre_state_abi(pre, expected.witness, root)
    if budget is None:
        error, post, l1_gas = run_step(harness, pre_abi, raw_tx, ctx, limits)
    else:
        error, post, machines = measure_step_segmented(harness, pre_abi, raw_tx, ctx.abi(), limits, budget)
        l1_gas, expected.segments = 0, len(machines) + 1
    expected.l1_gas = l1_gas
    if expected.invalid is not None:
        if error is None or not error.startswith("InvalidTransaction"):
            return [f"py-evm refuses ({expected.invalid}), step gives {error or 'a post state'}"], expected
        return [], expected
    if error is not None:
        return [f"step reverted {error}"], expected
    accounts, success, gas_used, step_logs = post
    problems = []
    if success != expected.success:
        problems.append(f"success: step {success}, py-evm {expected.success}")
    if gas_used != expected.gas_used:
        problems.append(f"gasUsed: step {gas_used}, py-evm {expected.gas_used}")
    if bytes(step_logs) != expected.logs_hash:
        problems.append("logs hash differs")
    got = apply_diffs(pre, expected.witness, accounts)
    for address, want in expected.accounts.items():
        have = got[address]
        if not want[0] and not have[0]:
            continue
        if have != want:
            problems.append(f"{to_checksum_address(address)}: step {have}, py-evm {want}")
    return problems, expected


def w3_of(contract: Contract) -> Web3:
    return contract.w3
