"""The L2 virtual machine: py-evm's newest fork (Prague) with Lantau's L2 rules.

Every L2-specific consensus rule lives here, in one subclass, so each has one obvious home:

- **Fees are not burned.** HKD on L2 is backed one-for-one by HKD locked in the L1 portal, so
  the base fee (`gas_used * base_fee`) is credited to the `BaseFeeVault` predeploy instead of
  being destroyed; the priority fee goes to the block's coinbase, the `SequencerFeeVault`
  (as in the OP Stack).
- **No beacon chain.** An L2 block carries no EIP-7685 execution-layer requests: the requests
  hash is always that of the empty list, and blocks skip the scan for beacon deposit logs.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Type

from eth.abc import BlockAPI, ComputationAPI, SignedTransactionAPI, TransactionExecutorAPI
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.state import PragueState, PragueTransactionExecutor
from eth.vm.state import BaseState

from genesis.predeploys import BASE_FEE_VAULT

EMPTY_REQUESTS_HASH = sha256(b"").digest()


class LantauTransactionExecutor(PragueTransactionExecutor):
    def finalize_computation(
        self, transaction: SignedTransactionAPI, computation: ComputationAPI
    ) -> ComputationAPI:
        computation = super().finalize_computation(transaction, computation)
        base_fee = self.vm_state.execution_context.base_fee_per_gas or 0
        if base_fee:
            gas_remaining = computation.get_gas_remaining()
            gas_refund = self.calculate_gas_refund(computation, transaction.gas - gas_remaining)
            gas_used = transaction.gas - gas_remaining - gas_refund + computation.data_floor_gas
            self.vm_state.delta_balance(BASE_FEE_VAULT, gas_used * base_fee)
        return computation


class LantauState(PragueState):
    transaction_executor_class: Type[TransactionExecutorAPI] = LantauTransactionExecutor


class LantauVM(PragueVM):
    fork = "lantau-prague"
    _state_class: Type[BaseState] = LantauState

    def block_postprocessing(self, block: BlockAPI) -> BlockAPI:
        return block.copy(header=block.header.copy(requests_hash=EMPTY_REQUESTS_HASH))
