"""L1 gas of the whole staged one-step proof: load in chunks, execute in segments, commit in chunks
(docs/fault-proofs.md, "Segmented execution", "Load and commit in chunks").

    python bench/step_segments.py [--budget INSTRUCTIONS] [--cap GAS] [--only NAME ...]

On anvil (block gas limit 3e9): for the project's transactions whose proof does not fit one L1
transaction (and a small one for scale), built on the devnet genesis by the L2's block builder
(tests/contracts/step_workloads.py), the challenger's driver (`prover.staged_step.StagedStep`, its
cap per L1 transaction `--cap`, EIP-7825's 16,777,216 by default) sends every L1 transaction of the
proof: `loadWitnessChunk`s sized by estimate under the cap, `startExecution` + `continueExecution`
segments of `--budget` instructions (machines packed, large ones copying the codes from data
contracts the driver publishes first: `publishData`), `commitTransactionChunk`s sized by estimate.
Printed per transaction and per stage: the L1 transactions, the largest and the total L1 gas,
beside the baseline: the same stage as one L1 transaction (`loadWitness`, `executeTransaction`,
`commitTransaction`, by `eth_estimateGas`), and whether every transaction fits the cap; then the
size of every L1 transaction: the largest calldata sent and the largest RLP-encoded signed
transaction, beside the baseline: the largest segment's calldata with its machine unpacked (as
`continueExecution` took it before "Packed machines"), against geth's 131,072 B. The last workload
is the proof-cost caps' corner: 98,304 B of code loaded (four contracts of JUMPDESTs called), 262,144
B of memory filled with pseudo-random words (no zero byte to leave out) and 512 slots written, whose machines pack under the limit only with their memory
copied from data contracts too ("Packed machines": the publish column counts those). Every row is
checked before it is printed: the post-state root recorded is the block's (py-evm's).
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.proof_costs import PUSH_CHUNK  # noqa: E402
from bridge.l1_client import L1Client  # noqa: E402
from bridge.tx_manager import TxManager  # noqa: E402
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS  # noqa: E402
from prover.staged_step import EIP_7825_TX_GAS_CAP, StagedStep, StagedStepConfig  # noqa: E402
from prover.step_call import StepCall  # noqa: E402
from prover.witness import transaction_witness  # noqa: E402
from tests.contracts.step_diff import STEP_CALL_GAS, caps_abi, step_on_anvil  # noqa: E402
from tests.contracts.step_workloads import build_cap_corner, build_workloads  # noqa: E402
from tests.harness.evm import Contracts  # noqa: E402

#: The proof-cost caps' corner: memory at its cap, filled with words that have no zero byte to leave
#: out, and slots at theirs (tests/contracts/step_workloads.py, `cap_corner_init_code`).
CAP_CORNER_MEMORY_BYTES, CAP_CORNER_SLOTS = DEVNET_PROOF_COST_LIMITS.max_memory_bytes, DEVNET_PROOF_COST_LIMITS.max_slots
CAP_CORNER_CODE_BYTES = DEVNET_PROOF_COST_LIMITS.max_code_bytes
CAP_CORNER = (f"cap corner: {CAP_CORNER_MEMORY_BYTES:,} B of pseudo-random memory, {CAP_CORNER_SLOTS} slots, "
              f"{CAP_CORNER_CODE_BYTES:,} B of code")
WORKLOADS = ("RWA transfer", "DvP settle", "bond redeem after maturity", f"coupon pushPayments chunk of {PUSH_CHUNK}",
             "DvP settleBatch of 25 (atomic=True)", CAP_CORNER)
STAGES = {"loadWitnessChunk": "load", "publishData": "publish", "startExecution": "execute",
          "continueExecution": "execute", "commitTransactionChunk": "commit"}
#: geth's `txMaxSize`: the largest transaction its pool accepts (RLP-encoded, signed).
GETH_TX_MAX_SIZE = 131_072


@dataclass(frozen=True)
class Stage:
    one_tx_gas: int  #   the stage as one L1 transaction (the baseline)
    transactions: list[int]  # L1 gas of each of its transactions


@dataclass(frozen=True)
class Row:
    name: str
    l2_gas: int
    stages: dict[str, Stage]
    max_machine_bytes: int
    publish_gas: list[int]  # publishData transactions (the codes' data contracts)
    max_calldata: int  # the largest calldata of any L1 transaction of the step
    max_tx_bytes: int  # the largest signed transaction, RLP-encoded (what geth's limit counts)
    max_unpacked_segment: int  # baseline: the largest segment's calldata with its machine unpacked

    @property
    def largest(self) -> int:
        return max(max(s.transactions) for s in self.stages.values())


def measure(contracts: Contracts, proof: Any, call: StepCall, name: str, l2_gas: int, budget: int, cap: int) -> Row:
    l1 = L1Client(contracts.w3)
    staged = StagedStep(l1, TxManager(l1, contracts.keys[1]), proof.address, call,
                        StagedStepConfig(tx_gas_cap=cap, segment_budget=budget))
    gas: dict[str, list[int]] = {"load": [], "publish": [], "execute": [], "commit": []}
    machine_bytes = max_calldata = max_tx_bytes = max_unpacked = 0
    while (receipt := staged.advance()) is not None:
        tx_hash = receipt["transactionHash"]
        calldata = bytes(contracts.w3.eth.get_transaction(tx_hash)["input"])
        raw_tx = bytes.fromhex(contracts.w3.provider.make_request("eth_getRawTransactionByHash", ["0x" + bytes(tx_hash).hex()])
                               ["result"].removeprefix("0x"))
        assert len(raw_tx) > len(calldata), "eth_getRawTransactionByHash gave the signed transaction"
        function, args = proof.decode_function_input(calldata)
        gas[STAGES[function.fn_name]].append(receipt["gasUsed"])
        max_calldata, max_tx_bytes = max(max_calldata, len(calldata)), max(max_tx_bytes, len(raw_tx))
        if function.fn_name == "continueExecution":
            length = int.from_bytes(args["packedMachine"][:4], "big")  # the unpacked machine's
            machine_bytes = max(machine_bytes, length)
            max_unpacked = max(max_unpacked, 4 + 4 * 32 + -(-length // 32) * 32)
    if bytes(proof.functions.postStateRoot(call.step_id()).call()) != call.post_state_root:
        raise SystemExit(f"{name}: the committed root is not the block header's")
    f = proof.functions
    post = staged.post_state()
    one_tx = {"load": f.loadWitness(*call.load_args()), "execute": f.executeTransaction(*call.execute_args(staged.pre_state())),
              "commit": f.commitTransaction(*call.commit_args(post))}
    return Row(name, l2_gas, {stage: Stage(one_tx[stage].estimate_gas({"from": contracts.address(1), "gas": STEP_CALL_GAS}),
                                           gas[stage]) for stage in one_tx}, machine_bytes, gas["publish"],
               max_calldata, max_tx_bytes, max_unpacked)


def table(rows: list[Row], budget: int, cap: int) -> str:
    lines = [f"segments of at most {budget:,} instructions; cap {cap:,} L1 gas per transaction; "
             "per stage: as 1 L1 tx (baseline) -> transactions x largest (total)",
             "| transaction | L2 gas | load | publish codes | execute | commit | largest tx | fits | all stages "
             "| largest machine (B) | largest segment calldata, machine unpacked (baseline) | largest calldata "
             "| largest signed tx (B) | under geth's 131,072 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{s.one_tx_gas:,} -> {len(s.transactions)} x {max(s.transactions):,} ({sum(s.transactions):,})"
                 for s in r.stages.values()]
        publish = f"{len(r.publish_gas)} x {max(r.publish_gas):,} ({sum(r.publish_gas):,})" if r.publish_gas else "-"
        cells.insert(1, publish)
        total = sum(sum(s.transactions) for s in r.stages.values()) + sum(r.publish_gas)
        largest = max(r.largest, *r.publish_gas) if r.publish_gas else r.largest
        lines.append(f"| {r.name} | {r.l2_gas:,} | {' | '.join(cells)} | {largest:,} | "
                     f"{'yes' if largest <= cap else 'no'} | {total:,} | {r.max_machine_bytes:,} | "
                     f"{r.max_unpacked_segment:,} | {r.max_calldata:,} | {r.max_tx_bytes:,} | "
                     f"{'yes' if r.max_tx_bytes < GETH_TX_MAX_SIZE else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=2_000, help="instructions per segment")
    parser.add_argument("--cap", type=int, default=EIP_7825_TX_GAS_CAP, help="L1 gas per transaction")
    parser.add_argument("--only", nargs="*", default=list(WORKLOADS), help="workload names")
    options = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, step_on_anvil() as (contracts, _harness):
        step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address, contracts.deploy("EVMPrecompiles").address)
        proof = contracts.deploy("OneStepProof", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))
        if set(options.only) - {CAP_CORNER}:
            chain, workloads = build_workloads(Path(tmp) / "workloads")
            try:
                for workload in workloads:
                    if workload.name in options.only:
                        rows.append(measure_workload(contracts, proof, chain, workload, options.budget, options.cap))
            finally:
                chain.close()
        if CAP_CORNER in options.only:
            chain, workload = build_cap_corner(Path(tmp) / "corner", CAP_CORNER_MEMORY_BYTES, CAP_CORNER_SLOTS,
                                              code_bytes=CAP_CORNER_CODE_BYTES)
            try:
                rows.append(measure_workload(contracts, proof, chain, workload, options.budget, options.cap))
            finally:
                chain.close()
    print(table(rows, options.budget, options.cap))


def measure_workload(contracts: Contracts, proof: Any, chain: Any, workload: Any, budget: int, cap: int) -> Row:
    witness = transaction_witness(chain, workload.block_number, workload.index)
    row = measure(contracts, proof, StepCall.from_witness(witness), workload.name, witness.gas_used, budget, cap)
    print(table([row], budget, cap).splitlines()[-1], flush=True)
    return row


if __name__ == "__main__":
    main()
