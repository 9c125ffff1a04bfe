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
- **No beacon chain.** An L2 block carries no EIP-7685 execution-layer requests: the requests
  hash is always that of the empty list, and blocks skip the scan for beacon deposit logs.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Dict, Type

from eth.abc import (
    BlockAPI,
    BlockHeaderAPI,
    ComputationAPI,
    MessageAPI,
    ReceiptAPI,
    SignedTransactionAPI,
    StateAPI,
    TransactionDecoderAPI,
    TransactionExecutorAPI,
)
from eth.constants import CREATE_CONTRACT_ADDRESS, GAS_TX
from eth.exceptions import VMError
from eth.rlp.receipts import Receipt
from eth.vm.message import Message
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.blocks import PragueBlock, PragueBlockHeader
from eth.vm.forks.prague.constants import STANDARD_TOKEN_COST, TOTAL_COST_FLOOR_PER_TOKEN
from eth.vm.forks.prague.receipts import PragueReceiptBuilder, PragueTypedReceipt
from eth.vm.forks.prague.state import PragueState, PragueTransactionExecutor
from eth.vm.forks.prague.transactions import PragueTransactionBuilder, PragueTypedTransaction
from eth.vm.forks.shanghai.constants import INITCODE_WORD_COST, MAX_INITCODE_SIZE
from eth.vm.state import BaseState
from eth_typing import Address, Hash32
from eth_utils import to_checksum_address
from rlp.sedes import CountableList

from eth.vm.forks.shanghai.withdrawals import Withdrawal
from genesis.predeploys import BASE_FEE_VAULT
from node.deposit_tx import DEPOSIT_TX_TYPE, DepositPayloadDecoder, DepositReceipt, DepositTransaction, is_deposit
from node.errors import (
    BlockGasExhausted,
    FloorDataGasTooLow,
    InitcodeTooLarge,
    InsufficientFunds,
    IntrinsicGasTooLow,
    LantauError,
)

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


# --- execution -------------------------------------------------------------------------------


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
    transaction_executor_class: Type[TransactionExecutorAPI] = LantauTransactionExecutor

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
