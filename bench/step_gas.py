"""L1 gas of the one-step proof (docs/fault-proofs.md, "The interpreter" and "The numbers").

    python bench/step_gas.py

On anvil (block gas limit 3e9, so that nothing is cut short): for each of the project's
transactions, built on the devnet genesis by the L2's block builder (tests/contracts/step_workloads.py),
its witness from `prover.witness.transaction_witness` goes through the three parts of the step:

- `load`    WitnessDB.load: every witnessed account and slot proven against the pre-state root;
- `execute` EVMStep.execute: the transaction over the flat pre-state, under the devnet's caps;
- `commit`  WitnessDB.commit: the AccountDiffs written back, which must give the L2's post root;

(`load` and `commit` measured together over one node set by `WitnessDBHarness.loadAndCommit`).
"full step, 1 tx" is `OneStepProof.proveTransaction` (the three parts in one call, calldata
included) sent as one L1 transaction, beside EIP-7825's 16,777,216 per L1 transaction.
Beside them, the worst cases for `execute` at the devnet caps: synthetic transactions that run
to the opcode cap doing what the step finds dearest per instruction (each is stopped at
instruction 250,001 and fails, in py-evm as in the step; `opcodes` shows what the step ran), and
call loops to the frames cap (stopped at frame 1,025; `opcodes` is py-evm's, which runs on).
Every row is checked against py-evm
(post root, or the whole PostState) before it is printed.
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import sys  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS  # noqa: E402
from prover.step_call import StepCall  # noqa: E402
from prover.witness import transaction_witness  # noqa: E402
from tests.harness.evm import Contracts  # noqa: E402
from tests.contracts.step_diff import STEP_CALL_GAS, PreAccount, caps_abi, compare, measure_step, step_on_anvil  # noqa: E402
from tests.contracts.step_workloads import build_workloads, expected_accounts, step_accounts  # noqa: E402
from tests.contracts.test_evm_step import CONTRACT, CTX, SENDER, VAULT, asm, push, signed  # noqa: E402

EIP_7825_TX_GAS_CAP = 16_777_216
WORKLOADS = ("HKD transfer", "ERC-20 transfer", "RWA transfer", "DvP settle", "coupon pushPayments chunk of 100",
             "DvP settleBatch of 25 (atomic=True)")


@dataclass(frozen=True)
class Row:
    name: str
    l2_gas: int
    opcodes: int
    accounts: int
    slots: int
    load_gas: int | None
    execute_gas: int | None  # None: more than the 2e9 L1 gas the measurement gives the call
    commit_gas: int | None
    full_step_gas: int | None = None  # OneStepProof.proveTransaction as one L1 transaction (calldata included)


def workload_rows(contracts: Contracts, step: Any) -> list[Row]:
    db_harness = contracts.deploy("WitnessDBHarness")
    proof = contracts.deploy("OneStepProof", step.functions.step().call(), caps_abi(DEVNET_PROOF_COST_LIMITS))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        chain, workloads = build_workloads(Path(tmp))
        try:
            for workload in workloads:
                if workload.name not in WORKLOADS:
                    continue
                witness = transaction_witness(chain, workload.block_number, workload.index)
                pre = (witness.pre_state_root, [a.abi_tuple() for a in witness.accounts])
                error, post, execute_gas = measure_step(step, pre, witness.transaction, witness.context.abi_tuple(),
                                                        DEVNET_PROOF_COST_LIMITS)
                if error is not None:
                    raise SystemExit(f"{workload.name}: the step reverted {error}")
                if step_accounts(witness, post[0]) != expected_accounts(chain, witness) or post[2] != witness.gas_used:
                    raise SystemExit(f"{workload.name}: the step's PostState is not the L2's")
                accounts = [(a.address, a.code, [s.key.to_bytes(32, "big") for s in a.slots]) for a in witness.accounts]
                root, load_gas, commit_gas = db_harness.functions.loadAndCommit(
                    witness.pre_state_root, list(witness.trie_nodes or ()), accounts, post).call({"gas": STEP_CALL_GAS})
                if bytes(root) != bytes(witness.post_state_root):
                    raise SystemExit(f"{workload.name}: commit gives {bytes(root).hex()}, the L2 {witness.post_state_root.hex()}")
                prove = proof.functions.proveTransaction(*StepCall.from_witness(witness).prove_args())
                if bytes(prove.call({"gas": STEP_CALL_GAS})[0]) != bytes(witness.post_state_root):
                    raise SystemExit(f"{workload.name}: OneStepProof's root is not the L2's")
                full_step_gas = prove.estimate_gas({"gas": STEP_CALL_GAS})
                costs = witness.proof_costs
                rows.append(Row(workload.name, witness.gas_used, costs.opcodes, costs.accounts, costs.slots,
                                load_gas, execute_gas, commit_gas, full_step_gas))
        finally:
            chain.close()
    return sorted(rows, key=lambda r: WORKLOADS.index(r.name))


def _worst_cases() -> list[tuple[str, dict[bytes, PreAccount], bytes]]:
    base = {SENDER: PreAccount(balance=10**20), VAULT: PreAccount(balance=1)}
    loop = asm(push(0), 0x5B, push(1), 0x01, push(2), 0x56)  # x += 1 forever (5 instructions)
    tstore = asm(0x5B, 0x5A, 0x80, 0x5D, push(0), 0x56)  # TSTORE(gas, gas) forever: a new key each time
    sload = asm(0x5B, push(0), 0x54, 0x50, push(0), 0x56)  # SLOAD(0) forever, 512 slots warm
    callee = bytes.fromhex("00000000000000000000000000000000000ca11e")
    calls = asm(0x5B, 0x5F, 0x5F, 0x5F, 0x5F, 0x5F, push(int.from_bytes(callee, "big")), 0x5A, 0xF1, 0x50, 0x5F, 0x56)
    calling = {**base, CONTRACT: PreAccount(code=calls), callee: PreAccount(balance=1)}
    # STATICCALL(gas, identity, 0, 50,000, 0, 0) forever: a state test's static_Call50000_identity
    identity = asm(0x5B, 0x5F, 0x5F, push(50_000), 0x5F, push(4), 0x5A, 0xFA, 0x50, 0x5F, 0x56)
    warm_512 = [{"address": "0x" + CONTRACT.hex(), "storageKeys": ["0x" + k.to_bytes(32, "big").hex() for k in range(512)]}]
    return [
        ("cheap instructions to the opcode cap", {**base, CONTRACT: PreAccount(code=loop)}, signed(to=CONTRACT, gas=6_000_000)),
        ("TSTORE of new keys to the opcode cap", {**base, CONTRACT: PreAccount(code=tstore)}, signed(to=CONTRACT, gas=10_000_000)),
        ("warm SLOAD (512 slots warm) to the opcode cap", {**base, CONTRACT: PreAccount(code=sload, storage={0: 1})},
         signed(to=CONTRACT, gas=8_000_000, access_list=warm_512)),
        # a CALL costs the step more the more calls came before (its memory is never freed): the
        # frames cap bounds them (docs/fault-proofs.md, "L1 gas")
        ("CALL to an account without code to the frames cap", calling, signed(to=CONTRACT, gas=1_000_000)),
        ("STATICCALL identity, 50 kB input, to the frames cap", {**base, CONTRACT: PreAccount(code=identity)},
         signed(to=CONTRACT, gas=8_000_000)),
    ]


def worst_case_rows(step: Any) -> list[Row]:
    rows = []
    for name, pre, raw in _worst_cases():
        problems, outcome = compare(step, pre, raw, CTX)
        out_of_l1_gas = bool(problems) and all(p.startswith("step reverted revert without data") for p in problems)
        if problems and not out_of_l1_gas:
            raise SystemExit(f"{name}: step and py-evm differ: {problems}")
        costs = outcome.proof_costs
        # past the cap py-evm runs on to its gas limit; the step stops at the first instruction over
        opcodes = min(costs.opcodes, DEVNET_PROOF_COST_LIMITS.max_opcodes + 1)
        rows.append(Row(f"{name} ({'fails: ' + costs.exceeded if costs.exceeded else 'ok' if outcome.success else 'out of gas'})", outcome.gas_used,
                        opcodes, costs.accounts, costs.slots, None, None if out_of_l1_gas else outcome.l1_gas, None))
    return rows


def table(rows: list[Row]) -> str:
    header = (f"{'transaction':<62} {'L2 gas':>10} {'opcodes':>8} {'acc':>4} {'slots':>5} "
              f"{'L1 load':>12} {'L1 execute':>13} {'L1 commit':>12} {'full step, 1 tx':>16} {'fits 16.7M':>10}")
    lines = [header, "-" * len(header)]
    for r in rows:
        load = f"{r.load_gas:>12,}" if r.load_gas is not None else f"{'-':>12}"
        commit = f"{r.commit_gas:>12,}" if r.commit_gas is not None else f"{'-':>12}"
        full = f"{r.full_step_gas:>16,} {'yes' if r.full_step_gas <= EIP_7825_TX_GAS_CAP else 'no':>10}" \
            if r.full_step_gas is not None else f"{'-':>16} {'-':>10}"
        lines.append(f"{r.name:<62} {r.l2_gas:>10,} {r.opcodes:>8,} {r.accounts:>4} {r.slots:>5} {load} "
                     f"{f'{r.execute_gas:,}' if r.execute_gas is not None else '> 2e9':>13} {commit} {full}")
    return "\n".join(lines)


def main() -> None:
    with step_on_anvil() as (contracts, step):
        print(table(workload_rows(contracts, step) + worst_case_rows(step)))

if __name__ == "__main__":
    main()
