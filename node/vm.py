"""The L2 virtual machine: py-evm's newest fork (Prague) with Lantau's L2 rules.

Every L2-specific consensus rule lives here, in one subclass, so each has one obvious home:

- **Deposits (type 0x7E, `node.deposit_tx`).** No signature, nonce or fee checks: a deposit is
  authentic because derivation read it from the L1 portal's logs. `mint` is credited to the
  sender before execution and stays even if the call reverts; the sender's nonce is
  incremented; gas is bought at price zero, so a deposit pays no tip and no base fee. Its
  receipt records `depositNonce` (the sender's nonce before the deposit).
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
from eth.rlp.receipts import Receipt
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.blocks import PragueBlock, PragueBlockHeader
from eth.vm.forks.prague.receipts import PragueReceiptBuilder, PragueTypedReceipt
from eth.vm.forks.prague.state import PragueState, PragueTransactionExecutor
from eth.vm.forks.prague.transactions import PragueTransactionBuilder, PragueTypedTransaction
from eth.vm.state import BaseState
from eth_typing import Address, Hash32
from rlp.sedes import CountableList

from eth.vm.forks.shanghai.withdrawals import Withdrawal
from genesis.predeploys import BASE_FEE_VAULT
from node.deposit_tx import DEPOSIT_TX_TYPE, DepositPayloadDecoder, DepositReceipt, DepositTransaction, is_deposit

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


class LantauTransactionExecutor(PragueTransactionExecutor):
    def validate_transaction(self, transaction: SignedTransactionAPI) -> None:
        if is_deposit(transaction):
            return  # validated on L1 by the portal and in derivation; never by signature/nonce/fee
        super().validate_transaction(transaction)

    def build_evm_message(self, transaction: SignedTransactionAPI) -> MessageAPI:
        if is_deposit(transaction) and transaction.mint:  # type: ignore[attr-defined]
            # Outside the call's snapshot: the mint stands even if the call reverts.
            self.vm_state.delta_balance(transaction.sender, transaction.mint)  # type: ignore[attr-defined]
        return super().build_evm_message(transaction)

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


class LantauVM(PragueVM):
    fork = "lantau-prague"
    block_class: Type[BlockAPI] = LantauBlock
    _state_class: Type[BaseState] = LantauState

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
