"""Typed clients of Lantau's L1 contracts: reads through `L1Client` (reverts decoded), writes as
`TxCandidate`s sent by a `TxManager`. ABIs come from the committed artifacts.

    OutputOracleClient   nextBlockNumber, proposeL2Output (with the bond), outputs
    PortalClient         depositHKD, proveWithdrawalTransaction, finalizeWithdrawalTransaction
    HkdTokenClient       approve, mint
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from web3.contract import Contract

from bridge.l1_client import L1Client
from bridge.tx_manager import TxCandidate, TxManager
from node.l1_block_ref import L1BlockRef


def candidate_of(function: Any, *, value: int = 0, gas_limit: int | None = None) -> TxCandidate:
    """The `TxCandidate` calling a web3 `ContractFunction` (gas estimated by the manager)."""
    data = bytes.fromhex(function._encode_transaction_data().removeprefix("0x"))
    return TxCandidate(to=function.address, data=data, value=value, gas_limit=gas_limit)


@dataclass(frozen=True, slots=True)
class L2Output:
    output_root: bytes
    timestamp: int  # L1 time it was posted
    l2_block_number: int


class _ContractClient:
    name: str = ""

    def __init__(self, l1: L1Client, address: str) -> None:
        self.l1 = l1
        self.address: ChecksumAddress = to_checksum_address(address)
        self.contract: Contract = l1.contract(self.name, self.address)

    def _call(self, function: str, *args: Any) -> Any:
        return self.l1.call(getattr(self.contract.functions, function)(*args))


class OutputOracleClient(_ContractClient):
    name = "OutputOracle"

    def next_block_number(self) -> int:
        return int(self._call("nextBlockNumber"))

    def latest_block_number(self) -> int:
        return int(self._call("latestBlockNumber"))

    def required_bond(self) -> int:
        return int(self._call("requiredBond"))

    def finalization_period_s(self) -> int:
        return int(self._call("finalizationPeriodSeconds"))

    def l2_output(self, index: int) -> L2Output:
        root, timestamp, block = self._call("getL2Output", index)
        return L2Output(bytes(root), int(timestamp), int(block))

    def l2_output_index_after(self, l2_block_number: int) -> int:
        """Index of the first output at or after `l2_block_number`; `L1CallReverted` with
        `NoOutputAfter` while there is none."""
        return int(self._call("getL2OutputIndexAfter", l2_block_number))

    def propose(self, txmgr: TxManager, output_root: bytes, l2_block_number: int, anchor: L1BlockRef, *, bond: int) -> dict[str, Any]:
        """`proposeL2Output` with `bond`, anchored on L1 block `anchor` (one before L1's head:
        `blockhash` of the block being executed is zero)."""
        call = self.contract.functions.proposeL2Output(output_root, l2_block_number, bytes(anchor.hash), anchor.number)
        return txmgr.send(candidate_of(call, value=bond))


class PortalClient(_ContractClient):
    name = "LantauPortal"

    def deposit_hkd(self, txmgr: TxManager, to: str, amount_units: int, gas_limit: int, data: bytes = b"") -> dict[str, Any]:
        call = self.contract.functions.depositHKD(to_checksum_address(to), amount_units, gas_limit, data)
        return txmgr.send(candidate_of(call))

    def prove_withdrawal(self, txmgr: TxManager, withdrawal: tuple[Any, ...], l2_output_index: int,
                         output_root_proof: tuple[Any, ...], storage_proof: list[bytes]) -> dict[str, Any]:
        call = self.contract.functions.proveWithdrawalTransaction(withdrawal, l2_output_index, output_root_proof, storage_proof)
        return txmgr.send(candidate_of(call))

    def finalize_withdrawal(self, txmgr: TxManager, withdrawal: tuple[Any, ...]) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.finalizeWithdrawalTransaction(withdrawal)))

    def proven_withdrawal(self, withdrawal_hash: bytes) -> tuple[bytes, int, int]:
        """(output root, L1 timestamp of the proof, output index); timestamp 0: not proven."""
        root, proven_at, index = self._call("provenWithdrawals", withdrawal_hash)
        return bytes(root), int(proven_at), int(index)

    def finalized(self, withdrawal_hash: bytes) -> bool:
        return bool(self._call("finalizedWithdrawals", withdrawal_hash))

    def finalization_period_s(self) -> int:
        return int(self._call("finalizationPeriodSeconds"))


class HkdTokenClient(_ContractClient):
    name = "HKDStablecoin"

    def approve(self, txmgr: TxManager, spender: str, amount_units: int) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.approve(to_checksum_address(spender), amount_units)))

    def mint(self, txmgr: TxManager, to: str, amount_units: int) -> dict[str, Any]:
        return txmgr.send(candidate_of(self.contract.functions.mint(to_checksum_address(to), amount_units)))

    def balance_of(self, holder: str) -> int:
        return int(self._call("balanceOf", to_checksum_address(holder)))
