"""The L2 virtual machine: py-evm's newest fork (Prague) with Lantau's L2 rules.

Every L2-specific consensus rule lives here, in one subclass, so each has one obvious home:

- **Deposits (type 0x7E, `node.deposit_tx`).** No signature, nonce or fee checks: a deposit is
  authentic because derivation read it from the L1 portal's logs. `mint` is credited to the
  sender before execution and stays even if the call reverts; the sender's nonce is
  incremented; gas is bought at price zero, so a deposit pays no tip and no base fee. Its
  receipt records `depositNonce` (the sender's nonce before the deposit).
- **Deposits never fail a block** (the OP Stack's rule, op-geth's `failed deposit`). A deposit
  that cannot execute — `value` above the sender's balance after the mint, gas below the
  intrinsic gas (EIP-3860 initcode words included) or the EIP-7623 calldata floor, init code
  over EIP-3860's limit, or any message py-evm refuses to start — is included with status 0:
  every state change after the mint is undone, the mint stays, the sender's nonce is
  incremented, and it uses its whole gas limit (Regolith). One step further than op-geth, which
  cannot build a block whose deposits overflow its gas limit (the L1 portal's metering keeps
  them under it): a deposit that does not fit in the gas the block has left fails the same way
  and uses what was left, so no deposit content can stop the chain.
- **Fees are not burned.** HKD on L2 is backed one-for-one by HKD locked in the L1 portal, so
  the base fee (`gas_used * base_fee`) is credited to the `BaseFeeVault` predeploy instead of
  being destroyed; the priority fee goes to the block's coinbase, the `SequencerFeeVault`
  (as in the OP Stack).
- **Proof-cost rule** (docs/fault-proofs.md, "Proof-cost rule"). Re-executing a transaction on
  L1 costs hundreds of times its L2 cost, so each transaction is bounded in what makes that
  expensive: instructions dispatched, distinct accounts and storage slots accessed, code
  bytes loaded, memory, call frames entered (`genesis.rollup_config.ProofCostLimits`). A transaction whose counts
  pass any cap fails like one out of gas at its top frame: its state changes are undone, it uses
  its whole gas limit, its fee is charged and its status is 0 (a deposit keeps its mint and
  nonce bump, as every failed deposit). `ProofCostMeter` counts; the counts of the last
  transaction are `LantauState.proof_meter.counts()`.
- **No beacon chain.** An L2 block carries no EIP-7685 execution-layer requests: the requests
  hash is always that of the empty list, and blocks skip the scan for beacon deposit logs.
"""

from __future__ import annotations

from hashlib import sha256
from dataclasses import dataclass
from typing import Any, Dict, Optional, Protocol, Type, cast

from eth.abc import (
    AccountDatabaseAPI,
    BlockAPI,
    BlockHeaderAPI,
    ComputationAPI,
    MessageAPI,
    ReceiptAPI,
    SignedTransactionAPI,
    StateAPI,
    TransactionDecoderAPI,
    TransactionContextAPI,
    TransactionExecutorAPI,
)
from eth._utils.address import generate_contract_address
from eth.constants import CREATE_CONTRACT_ADDRESS, EMPTY_SHA3, GAS_TX
from eth.vm.forks.cancun.constants import BLOB_TX_TYPE
from eth.exceptions import VMError
from eth.vm.computation import NO_RESULT
from eth.rlp.receipts import Receipt
from eth.typing import BytesOrView
from eth.vm.memory import Memory
from eth.vm.message import Message
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.blocks import PragueBlock, PragueBlockHeader
from eth.vm.forks.prague.constants import STANDARD_TOKEN_COST, TOTAL_COST_FLOOR_PER_TOKEN
from eth.vm.forks.prague.receipts import PragueReceiptBuilder, PragueTypedReceipt
from eth.vm.forks.prague.state import PragueState, PragueTransactionExecutor
from eth.vm.forks.prague.transactions import PragueTransactionBuilder, PragueTypedTransaction
from eth.vm.forks.shanghai.constants import INITCODE_WORD_COST, MAX_INITCODE_SIZE
from eth.vm.state import BaseState
from eth_hash.auto import keccak
from eth_typing import Address, Hash32
from eth_keys.exceptions import BadSignature
from eth_utils import ValidationError, to_checksum_address
from rlp.sedes import CountableList

from eth.vm.forks.shanghai.withdrawals import Withdrawal
from genesis.predeploys import BASE_FEE_VAULT
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS, ProofCostLimits
from node.deposit_tx import DEPOSIT_TX_TYPE, DepositPayloadDecoder, DepositReceipt, DepositTransaction, is_deposit
from node.code_stream import AnalyzedCodeStream
from node.evm_frames import bind_stack_proxies, child_message
from node.evm_interpreter import check_inlined_table, run_frame, run_frame_inlined
from node.evm_stack import FastStack, extend_memory_fast, inline_opcodes
from node.state_db import FlatAccountDB
from node.tx_sender import SIGNED_TYPED_TX_TYPES, recover_typed_sender
from node.errors import (
    BlockGasExhausted,
    FloorDataGasTooLow,
    InitcodeTooLarge,
    InsufficientFunds,
    IntrinsicGasTooLow,
    InvalidTransaction,
    LantauError,
    SenderNotEOA,
    TipAboveFeeCap,
)
from node.precompiles import LANTAU_PRECOMPILES

EMPTY_REQUESTS_HASH = sha256(b"").digest()


# --- transaction and receipt types -----------------------------------------------------------


class LantauTypedTransaction(PragueTypedTransaction):
    decoders: Dict[int, Type[TransactionDecoderAPI]] = {
        **PragueTypedTransaction.decoders,
        DEPOSIT_TX_TYPE: DepositPayloadDecoder,  # type: ignore[dict-item]
    }

    @property
    def source_hash(self) -> Hash32:
        return self._inner.source_hash  # type: ignore[attr-defined]

    @property
    def mint(self) -> int:
        return self._inner.mint  # type: ignore[attr-defined]

    @property
    def is_system_tx(self) -> bool:
        return self._inner.is_system_tx  # type: ignore[attr-defined]

    # Sender recovery: one curve operation, cached on the object (node.tx_sender).

    def get_sender(self) -> Address:
        if self.type_id in SIGNED_TYPED_TX_TYPES:
            return recover_typed_sender(self)
        return self._inner.get_sender()

    def check_signature_validity(self) -> None:
        if self.type_id not in SIGNED_TYPED_TX_TYPES:
            self._inner.check_signature_validity()
            return
        try:
            self.__dict__["sender"] = recover_typed_sender(self)  # fills the cached `sender`
        except BadSignature as error:
            raise ValidationError(f"Bad Signature: {error}") from error


class LantauTypedReceipt(PragueTypedReceipt):
    codecs: Dict[int, Type[Receipt]] = {
        **PragueTypedReceipt.codecs,
        DEPOSIT_TX_TYPE: DepositReceipt,  # type: ignore[dict-item]
    }


class LantauReceiptBuilder(PragueReceiptBuilder):
    typed_receipt_class = LantauTypedReceipt


LantauTypedTransaction.receipt_builder = LantauReceiptBuilder


class LantauTransactionBuilder(PragueTransactionBuilder):
    typed_transaction: Type[PragueTypedTransaction] = LantauTypedTransaction

    @classmethod
    def new_deposit_transaction(
        cls,
        *,
        source_hash: Hash32,
        from_: Address,
        to: Address,
        mint: int,
        value: int,
        gas: int,
        data: bytes,
        is_system_tx: bool = False,
    ) -> LantauTypedTransaction:
        inner = DepositTransaction(source_hash, from_, to, mint, value, gas, is_system_tx, data)
        return LantauTypedTransaction(DEPOSIT_TX_TYPE, inner)


class LantauBlock(PragueBlock):
    transaction_builder = LantauTransactionBuilder
    receipt_builder = LantauReceiptBuilder
    # The transaction list's sedes is fixed when the class is created, so it is redefined.
    fields = [
        ("header", PragueBlockHeader),
        ("transactions", CountableList(LantauTransactionBuilder)),
        ("uncles", CountableList(None, max_length=0)),
        ("withdrawals", CountableList(Withdrawal)),
    ]


# --- the proof-cost rule ---------------------------------------------------------------------


class ProofCostExceeded(LantauError, VMError):
    """The transaction went past a proof-cost cap: it fails as if out of gas (burns all its gas)."""

    def __init__(self, costs: "ProofCosts") -> None:
        super().__init__(f"proof-cost cap exceeded: {costs.exceeded} ({costs})")
        self.costs = costs


@dataclass(frozen=True, slots=True)
class ProofCosts:
    """What one transaction used of each proof-cost cap (`exceeded`: the first cap passed, in
    the order of the fields, or None)."""

    opcodes: int
    accounts: int
    slots: int
    code_bytes: int
    memory_bytes: int
    frames: int  # call frames entered (the top frame, every call and creation, precompiles too)
    exceeded: Optional[str] = None


class ProofCostMeter:
    """The counters of one transaction. Every count only grows (work in frames that revert
    counts too), so "the totals are within the caps" and "no count ever passed its cap" are the
    same statement: L2 checks the totals once, when the transaction ends; the L1 step may stop
    at the first count past its cap.

    Costs on the hot path: the interpreter loop counts with `enumerate` and adds its count and
    its memory size on frame exit; accounts, slots and code are counted on their cold paths only
    (first access)."""

    __slots__ = ("limits", "opcodes", "accounts", "slots", "code_addresses", "code_bytes", "memory_bytes", "frames")

    def __init__(self, limits: ProofCostLimits) -> None:
        self.limits = limits
        self.opcodes = 0
        self.accounts: set[Address] = set()
        self.slots: set[tuple[Address, int]] = set()
        self.code_addresses: set[Address] = set()
        self.code_bytes = 0
        self.memory_bytes = 0
        self.frames = 0

    def add_code(self, address: Optional[Address], code: bytes) -> None:
        """Code read in full at `address` (counted once per address), or a creation's init code
        (`address` None, counted every time)."""
        if address is not None:
            if not code or address in self.code_addresses:
                return
            self.code_addresses.add(address)
        self.code_bytes += len(code)

    def counts(self) -> ProofCosts:
        used = (self.opcodes, len(self.accounts), len(self.slots), self.code_bytes, self.memory_bytes, self.frames)
        names = ("opcodes", "accounts", "slots", "code_bytes", "memory_bytes", "frames")
        exceeded = next((name for name, n, cap in zip(names, used, self.limits.abi_tuple()) if n > cap), None)
        return ProofCosts(*used, exceeded=exceeded)


LANTAU_OPCODES = {**PragueComputation.opcodes, **inline_opcodes(PragueComputation.opcodes)}  # node.evm_stack
check_inlined_table(LANTAU_OPCODES)  # the loop's inlined instructions charge this table's gas


class LantauComputation(PragueComputation):
    """Prague's computation, counting instructions, init code and memory for the proof-cost rule,
    with the L2's precompiles (`node.precompiles`: MODEXP as the EIPs define it).

    `apply_computation` is py-evm's with its interpreter loop `node.evm_interpreter.run_frame_inlined`
    (the most run instructions in the loop itself; `run_frame` for a table of wrapped entries, as
    tracing installs) and its debug2 logging left out. An instruction counts when dispatched, the
    STOP py-evm dispatches past the end of the code included; precompiles dispatch none. A frame's
    memory is added when it exits (memory only grows, so that is its largest); a frame counts
    when entered (precompile calls too; a call refused before its frame, e.g. at depth 1024 or
    for want of balance, enters none).
    """

    _precompiles = LANTAU_PRECOMPILES
    opcodes = LANTAU_OPCODES

    def __init__(self, state: StateAPI, message: MessageAPI, transaction_context: TransactionContextAPI) -> None:
        # BaseComputation.__init__ and Shanghai's in one, without the code stream and stack they
        # make for Lantau's to replace (tests/node/test_evm_interpreter.py: the same attributes)
        self.state = state
        self.msg = message
        self.transaction_context = transaction_context
        self.code = AnalyzedCodeStream(message.code)  # jump targets from one analysis per code (node.code_stream)
        self._gas_meter = self._configure_gas_meter()
        self.children = []
        self.accounts_to_delete = []
        self.beneficiaries = []
        stack = FastStack()  # py-evm's stack, common conversions inlined (node.evm_stack)
        self._stack = stack
        bind_stack_proxies(self, stack)  # node.evm_frames
        self._memory = Memory()
        self._log_entries = []
        self.data_floor_cost = 0
        state.mark_address_warm(state.coinbase)  # EIP-3651 (Shanghai): the coinbase is warm

    def prepare_child_message(self, gas: int, to: Address, value: int, data: BytesOrView, code: bytes,
                              **kwargs: Any) -> MessageAPI:
        return child_message(self.msg, gas, to, value, data, code, **kwargs)  # type: ignore[arg-type]  # node.evm_frames

    def extend_memory(self, start_position: int, size: int) -> None:
        extend_memory_fast(self, start_position, size)

    @classmethod
    def apply_computation(
        cls,
        state: StateAPI,
        message: MessageAPI,
        transaction_context: TransactionContextAPI,
        parent_computation: Optional[ComputationAPI] = None,
    ) -> ComputationAPI:
        meter: ProofCostMeter = state.proof_meter  # type: ignore[attr-defined]
        meter.frames += 1
        with cls(state, message, transaction_context) as computation:
            if computation.is_origin_computation:
                computation.contracts_created = []
                if message.is_create:
                    cls.consume_initcode_gas_cost(computation)
            if parent_computation is not None:
                computation.contracts_created = parent_computation.contracts_created
            if message.is_create:
                computation.contracts_created.append(message.storage_address)
                meter.add_code(None, message.code)

            precompile = computation.precompiles.get(message.code_address, NO_RESULT)
            if precompile is not NO_RESULT:
                if not message.is_delegation:
                    precompile(computation)
                return computation

            if cls.opcodes is LANTAU_OPCODES:
                run_frame_inlined(computation, meter)  # node.evm_interpreter
            else:  # a table of wrapped entries (tracing, deadlines): each instruction through it
                run_frame(computation, meter)
        return computation


# --- execution -------------------------------------------------------------------------------


def bloom_bits(value: bytes) -> int:
    """The three bits `value` sets in a 2048-bit log bloom (the yellow paper's M3:2048): bits
    11 of each of the first three byte pairs of keccak(value)."""
    digest = keccak(value)
    return ((1 << (((digest[0] << 8) | digest[1]) & 2047)) | (1 << (((digest[2] << 8) | digest[3]) & 2047))
            | (1 << (((digest[4] << 8) | digest[5]) & 2047)))


def floor_data_gas(data: bytes) -> int:
    """EIP-7623 (Prague): the least gas a transaction carrying `data` is charged."""
    zero_bytes = data.count(0)
    tokens = zero_bytes + (len(data) - zero_bytes) * STANDARD_TOKEN_COST
    return GAS_TX + TOTAL_COST_FLOOR_PER_TOKEN * tokens


def intrinsic_gas(transaction: SignedTransactionAPI) -> int:
    """Gas a transaction needs before its first opcode, as geth counts it: py-evm's intrinsic gas
    plus, for a creation, EIP-3860's initcode words (py-evm charges those on entering the
    computation; either way a transaction below this cannot run)."""
    gas = transaction.intrinsic_gas
    if transaction.to == CREATE_CONTRACT_ADDRESS:
        gas += INITCODE_WORD_COST * ((len(transaction.data) + 31) // 32)
    return gas


def check_tip_within_fee_cap(transaction: SignedTransactionAPI) -> None:
    """EIP-1559: the priority fee is at most the fee cap (a legacy or 0x01 transaction's are both
    its gas price). py-evm lacks the check; the L2 refuses such a transaction in a block
    (`LantauState.validate_transaction`) and the pool admits by this same function."""
    if transaction.max_priority_fee_per_gas > transaction.max_fee_per_gas:
        raise TipAboveFeeCap(transaction.max_priority_fee_per_gas, transaction.max_fee_per_gas)


class CodeHashReader(Protocol):
    def get_code_hash(self, address: Address) -> Hash32: ...


def check_sender_is_eoa(state: CodeHashReader, sender: Address) -> None:
    """EIP-3607: a transaction's sender has no code (the L2 takes no EIP-7702 delegations, so any
    code refuses). py-evm lacks the check; the L2 and the pool refuse by this function."""
    if state.get_code_hash(sender) != EMPTY_SHA3:
        raise SenderNotEOA(to_checksum_address(sender))


class FailedDeposit(LantauError, VMError):
    """Why a deposit could not execute; recorded as its computation's error (receipt status 0).

    `gas_used` is what the deposit is charged: its gas limit, or the gas the block had left if
    that is less.
    """

    def __init__(self, cause: Exception, gas_used: int) -> None:
        super().__init__(f"failed deposit: {cause}")
        self.cause, self.gas_used = cause, gas_used


def deposit_failure(state: StateAPI, deposit: SignedTransactionAPI, block_gas_left: int) -> LantauError | None:
    """Why `deposit` cannot execute on `state` (the mint already credited), or None if it can.

    The checks op-geth makes before a deposit's first opcode, in its order, plus the block's gas.
    """
    if deposit.gas > block_gas_left:
        return BlockGasExhausted(deposit.gas, block_gas_left)
    intrinsic = intrinsic_gas(deposit)
    if deposit.gas < intrinsic:
        return IntrinsicGasTooLow(deposit.gas, intrinsic)
    floor = floor_data_gas(deposit.data)
    if deposit.gas < floor:
        return FloorDataGasTooLow(deposit.gas, floor)
    balance = state.get_balance(deposit.sender)
    if deposit.value > balance:
        return InsufficientFunds(to_checksum_address(deposit.sender), balance, deposit.value)
    if deposit.to == CREATE_CONTRACT_ADDRESS and len(deposit.data) > MAX_INITCODE_SIZE:
        return InitcodeTooLarge(len(deposit.data), MAX_INITCODE_SIZE)
    return None


class LantauTransactionExecutor(PragueTransactionExecutor):
    def build_evm_message(self, transaction: SignedTransactionAPI) -> MessageAPI:
        """py-evm's (Cancun's, with Prague's refund and delegation hooks) without its debug log,
        whose message is built even with the log off: the transaction's repr and the called
        code in hex, ~1/8 of an ERC-20 transfer's time here. Every transaction starts with fresh
        proof-cost counters (eth_call included, which calls this and build_computation
        directly); the top frame's code is read here."""
        state = self.vm_state
        state.reset_proof_meter()  # type: ignore[attr-defined]
        sender = transaction.sender
        blob_fee = self.calc_data_fee(transaction) if transaction.type_id == BLOB_TX_TYPE else 0  # type: ignore[arg-type]
        state.delta_balance(sender, -1 * (transaction.gas * state.get_gas_price(transaction) + blob_fee))
        state.increment_nonce(sender)
        refund = self.calc_message_refund(transaction)
        delegation_address = None
        if transaction.to == CREATE_CONTRACT_ADDRESS:
            contract_address: Optional[Address] = generate_contract_address(sender, state.get_nonce(sender) - 1)
            data, code = b"", transaction.data
        else:
            contract_address = None
            data = transaction.data
            code, delegation_address = self.get_code_at_address(transaction.to)
        return Message(
            gas=transaction.gas - transaction.intrinsic_gas, to=transaction.to, sender=sender,
            value=transaction.value, data=data, code=code, create_address=contract_address, refund=refund,
            is_delegation=delegation_address is not None,
        )

    def build_computation(self, message: MessageAPI, transaction: SignedTransactionAPI) -> ComputationAPI:
        """Run the message; past a proof-cost cap, undo everything it did (the gas bought and
        the nonce bump, done before, stay) and fail it as out of gas does: all gas used, no
        refund, no logs, status 0."""
        snapshot = self.vm_state.snapshot()
        computation = super().build_computation(message, transaction)
        costs = self.vm_state.proof_meter.counts()  # type: ignore[attr-defined]
        if costs.exceeded is None:
            self.vm_state.commit(snapshot)
            return computation
        self.vm_state.revert(snapshot)
        computation._error = ProofCostExceeded(costs)  # type: ignore[attr-defined]  # replaces a revert's
        return computation

    def __call__(self, transaction: SignedTransactionAPI) -> ComputationAPI:
        if is_deposit(transaction):
            return self.apply_deposit(transaction, self.vm_state.execution_context.gas_limit)
        return super().__call__(transaction)

    def apply_deposit(self, deposit: SignedTransactionAPI, block_gas_left: int) -> ComputationAPI:
        """Execute `deposit`; one that cannot execute fails (status 0) instead of raising.

        No signature, nonce or fee checks: a deposit is validated on L1 by the portal and in
        derivation. Whatever the deposit holds, this returns a computation (see the module doc).
        """
        sender = deposit.sender
        if deposit.mint:  # type: ignore[attr-defined]
            # Before the snapshot: the mint stands even if the deposit fails or reverts.
            self.vm_state.delta_balance(sender, deposit.mint)  # type: ignore[attr-defined]
        snapshot = self.vm_state.snapshot()
        failure: Exception | None = deposit_failure(self.vm_state, deposit, block_gas_left)
        if failure is None:
            try:
                message = self.build_evm_message(deposit)
                computation = self.build_computation(message, deposit)
            except VMError as exc:  # a message py-evm will not start: a fact of the deposit's content
                failure = exc
            else:
                self.vm_state.commit(snapshot)
                return self.finalize_computation(deposit, computation)
        self.vm_state.revert(snapshot)
        self.vm_state.increment_nonce(sender)
        message = Message(gas=0, to=deposit.to, sender=sender, value=0, data=b"", code=b"")
        computation = self.vm_state.get_computation(message, self.vm_state.get_transaction_context(deposit))
        computation.error = FailedDeposit(failure, gas_used=min(deposit.gas, block_gas_left))
        return computation

    def finalize_computation(self, transaction: SignedTransactionAPI, computation: ComputationAPI) -> ComputationAPI:
        computation = super().finalize_computation(transaction, computation)
        base_fee = self.vm_state.execution_context.base_fee_per_gas or 0
        if base_fee and not is_deposit(transaction):
            gas_remaining = computation.get_gas_remaining()
            gas_refund = self.calculate_gas_refund(computation, transaction.gas - gas_remaining)
            gas_used = transaction.gas - gas_remaining - gas_refund + computation.data_floor_gas
            self.vm_state.delta_balance(BASE_FEE_VAULT, gas_used * base_fee)
        return computation


class LantauState(PragueState):
    computation_class: Type[ComputationAPI] = LantauComputation
    transaction_executor_class: Type[TransactionExecutorAPI] = LantauTransactionExecutor
    account_db_class: Type[AccountDatabaseAPI] = FlatAccountDB  # flat view, undo log, tries updated once per root (node.state_db)
    proof_cost_limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.proof_meter = ProofCostMeter(self.proof_cost_limits)  # before: __init__ reads code
        super().__init__(*args, **kwargs)

    def reset_proof_meter(self) -> None:
        self.proof_meter = ProofCostMeter(self.proof_cost_limits)

    # The proof-cost counters hook the cold paths of account, slot and code access: an address
    # or slot counts from its first EIP-2929 access, kept when a reverted frame makes it cold.

    def mark_address_warm(self, address: Address) -> None:
        super().mark_address_warm(address)
        self.proof_meter.accounts.add(address)

    def mark_storage_warm(self, address: Address, slot: int) -> None:
        super().mark_storage_warm(address, slot)
        self.proof_meter.slots.add((address, slot))

    def is_address_warm(self, address: Address) -> bool:
        if self._account_db.is_address_warm(address):
            return True
        if address in self.computation_class.get_precompiles():
            # Precompiles are always warm (EIP-2929), so never marked: counted on first use.
            self.proof_meter.accounts.add(address)
            return True
        return False

    def get_code(self, address: Address) -> bytes:
        code = self._account_db.get_code(address)
        self.proof_meter.add_code(address, code)
        return code

    def validate_transaction(self, transaction: SignedTransactionAPI) -> None:
        """py-evm's checks (fee cap against the base fee, balance, nonce) and two of L1's it
        lacks, refused as py-evm refuses (a ValidationError: a block builder skips the
        transaction, derivation too). Deposits never come here (`apply_deposit`)."""
        try:
            check_tip_within_fee_cap(transaction)
            if not getattr(transaction, "sender_is_impersonated", False):
                # dev mode's impersonated sends (node.rpc.dev: no L1, never in a batch) may come
                # from a contract, as anvil's do
                check_sender_is_eoa(self, transaction.sender)
        except InvalidTransaction as exc:
            raise ValidationError(str(exc)) from exc
        super().validate_transaction(transaction)

    def get_tip(self, transaction: SignedTransactionAPI) -> int:
        return 0 if is_deposit(transaction) else super().get_tip(transaction)

    def get_gas_price(self, transaction: SignedTransactionAPI) -> int:
        return 0 if is_deposit(transaction) else super().get_gas_price(transaction)

    def apply_deposit(self, deposit: SignedTransactionAPI, block_gas_left: int) -> ComputationAPI:
        return self.get_transaction_executor().apply_deposit(deposit, block_gas_left)  # type: ignore[attr-defined]


class LantauVM(PragueVM):
    fork = "lantau-prague"
    block_class: Type[BlockAPI] = LantauBlock
    _state_class: Type[BaseState] = LantauState

    @classmethod
    def with_proof_cost_limits(cls, limits: ProofCostLimits) -> Type["LantauVM"]:
        """This VM with other proof-cost caps (a chain's rollup config), as py-evm configures
        variants: a subclass with the class attribute set."""
        if limits == cls._state_class.proof_cost_limits:  # type: ignore[attr-defined]
            return cls
        state_class = cls._state_class.configure(__name__="LantauState", proof_cost_limits=limits)
        return cast(Type["LantauVM"], cls.configure(__name__="LantauVM", _state_class=state_class))

    def apply_transaction(
        self, header: BlockHeaderAPI, transaction: SignedTransactionAPI
    ) -> tuple[ReceiptAPI, ComputationAPI]:
        if not is_deposit(transaction):
            return super().apply_transaction(header, transaction)
        # A deposit is never refused: not fitting in the block's gas is one of its failures.
        self.state.lock_changes()
        computation = self.state.apply_deposit(transaction, header.gas_limit - header.gas_used)  # type: ignore[attr-defined]
        receipt = self.make_receipt(header, transaction, computation, self.state)
        self.validate_receipt(receipt)
        return receipt, computation

    @classmethod
    def validate_receipt(cls, receipt: ReceiptAPI) -> None:
        """py-evm's check that the receipt's bloom holds every log's address and topics, on the
        bloom as an int: each value's three bits in one mask (py-evm builds a filter object and
        hashes each value through generators, ~0.1 ms an ERC-20 receipt)."""
        bloom = receipt.bloom
        for index, log in enumerate(receipt.logs):
            mask = bloom_bits(log.address)
            for topic in log.topics:
                mask |= bloom_bits(topic.to_bytes(32, "big"))
            if bloom & mask != mask:
                raise ValidationError(f"the address or a topic of the log entry at position {index} is not "
                                      "present in the provided bloom filter")

    @classmethod
    def finalize_gas_used(cls, transaction: SignedTransactionAPI, computation: ComputationAPI) -> int:
        if computation.is_error and isinstance(computation.error, FailedDeposit):
            return computation.error.gas_used
        return super().finalize_gas_used(transaction, computation)

    def make_receipt(
        self,
        base_header: BlockHeaderAPI,
        transaction: SignedTransactionAPI,
        computation: ComputationAPI,
        state: StateAPI,
    ) -> ReceiptAPI:
        receipt = super().make_receipt(base_header, transaction, computation, state)
        if is_deposit(transaction):
            # The nonce was incremented by this deposit; the receipt records the one it used.
            receipt = receipt.copy(deposit_nonce=state.get_nonce(transaction.sender) - 1)
        return receipt

    def block_postprocessing(self, block: BlockAPI) -> BlockAPI:
        return block.copy(header=block.header.copy(requests_hash=EMPTY_REQUESTS_HASH))
