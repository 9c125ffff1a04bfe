"""L1 gas of stage 2 of the one-step proof in segments (docs/fault-proofs.md, "Segmented execution").

    python bench/step_segments.py [--budget INSTRUCTIONS] [--only NAME ...]

On anvil (block gas limit 3e9): for the project's transactions whose `execute` does not fit one L1
transaction (and a small one for scale), built on the devnet genesis by the L2's block builder
(tests/contracts/step_workloads.py), the witness is loaded (`loadWitness`), then the transaction
runs as `startExecution` + `continueExecution`..., each segment a mined L1 transaction of at most
`--budget` instructions (`prover.step_call.run_segments`). Printed per transaction: segments, the
largest and the total L1 gas of a segment transaction, the largest machine handed between
segments (calldata of the next), beside the baseline: `executeTransaction` (the whole execute as
one L1 transaction) and EIP-7825's 16,777,216 per L1 transaction. Every row is checked before it is
printed: the segmented PostState is the one-call one and `commitTransaction` gives the block
header's stateRoot.
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

from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS  # noqa: E402
from prover.step_call import StepCall, run_segments  # noqa: E402
from prover.witness import transaction_witness  # noqa: E402
from tests.contracts.step_diff import STEP_CALL_GAS, caps_abi, step_on_anvil  # noqa: E402
from bench.proof_costs import PUSH_CHUNK  # noqa: E402
from tests.contracts.step_workloads import build_workloads  # noqa: E402
from tests.harness.evm import Contracts  # noqa: E402
from web3.exceptions import Web3RPCError  # noqa: E402

EIP_7825_TX_GAS_CAP = 16_777_216
WORKLOADS = ("RWA transfer", "DvP settle", "bond redeem after maturity", f"coupon pushPayments chunk of {PUSH_CHUNK}",
             "DvP settleBatch of 25 (atomic=True)")


@dataclass(frozen=True)
class Row:
    name: str
    l2_gas: int
    one_tx_gas: int  #     executeTransaction as one L1 transaction (the baseline)
    segments: int
    max_segment_gas: int
    total_gas: int
    max_machine_bytes: int
    stopped: str = ""  #   why the segments did not reach the end ("" = they did)


def measure(contracts: Contracts, proof: Any, call: StepCall, name: str, l2_gas: int, budget: int) -> Row:
    load = proof.functions.loadWitness(*call.load_args())
    pre = load.call({"gas": STEP_CALL_GAS})
    contracts.send(1, load, gas=STEP_CALL_GAS)
    one_call = proof.functions.executeTransaction(*call.execute_args(pre))
    expected = one_call.call({"gas": STEP_CALL_GAS})
    one_tx_gas = contracts.send(1, one_call, gas=STEP_CALL_GAS)["gasUsed"]
    gas: list[int] = []

    def transact(function: str, args: tuple[Any, ...]) -> Any:
        fn = getattr(proof.functions, function)(*args)
        result = fn.call({"gas": STEP_CALL_GAS})
        receipt = contracts.send(1, fn, gas=STEP_CALL_GAS)
        if receipt["status"] != 1:
            raise SystemExit(f"{name}: {function} reverted")
        gas.append(receipt["gasUsed"])
        return result

    machines: list[bytes] = []

    def recording(function: str, args: tuple[Any, ...]) -> Any:
        if function == "continueExecution":
            machines.append(args[1])
        return transact(function, args)

    try:
        post, _ = run_segments(call, pre, budget, recording)
    except Web3RPCError as exc:  # anvil refuses a request past its body size: the machine grew too big
        return Row(name, l2_gas, one_tx_gas, len(gas), max(gas), sum(gas), len(machines[-1]),
                   f"stopped after segment {len(gas)}: anvil refused the next ({exc.message})")
    if tuple(post) != tuple(expected):
        raise SystemExit(f"{name}: the segmented PostState is not the one-call one")
    contracts.send(1, proof.functions.commitTransaction(*call.commit_args(post)), gas=STEP_CALL_GAS)
    if proof.functions.postStateRoot(call.step_id()).call() != call.post_state_root:
        raise SystemExit(f"{name}: the committed root is not the block header's")
    return Row(name, l2_gas, one_tx_gas, len(gas), max(gas), sum(gas), max((len(m) for m in machines), default=0))



def table(rows: list[Row], budget: int) -> str:
    lines = [f"segments of at most {budget:,} instructions; EIP-7825 cap {EIP_7825_TX_GAS_CAP:,} L1 gas per transaction",
             "| transaction | L2 gas | execute as 1 L1 tx (baseline) | segments | largest segment tx | fits | "
             "all segments | largest machine (bytes) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        fits = "yes" if r.max_segment_gas <= EIP_7825_TX_GAS_CAP else "no"
        lines.append(f"| {r.name} | {r.l2_gas:,} | {r.one_tx_gas:,} | {r.segments}{r.stopped and ' (' + r.stopped + ')'} | "
                     f"{r.max_segment_gas:,} | {fits} | {r.total_gas:,} | {r.max_machine_bytes:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=4_000, help="instructions per segment")
    parser.add_argument("--only", nargs="*", default=list(WORKLOADS), help="workload names")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, step_on_anvil() as (contracts, _harness):
        chain, workloads = build_workloads(Path(tmp))
        try:
            step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address,
                                    contracts.deploy("EVMPrecompiles").address)
            proof = contracts.deploy("OneStepProofHarness", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))
            rows = []
            for workload in workloads:
                if workload.name not in options.only:
                    continue
                witness = transaction_witness(chain, workload.block_number, workload.index)
                rows.append(measure(contracts, proof, StepCall.from_witness(witness), workload.name,
                                    witness.gas_used, options.budget))
                print(table(rows[-1:], options.budget).splitlines()[-1], flush=True)
        finally:
            chain.close()
    print(table(rows, options.budget))


if __name__ == "__main__":
    main()
