"""The shared Ethereum state tests (../shared/fixtures/state-tests) as step-vs-py-evm cases.

Each post entry of a fixture is one case: its pre-state, its `txbytes`, its env as the block
context (BLOBBASEFEE as on the L2: excess blob gas 0), run through py-evm's LantauVM (Lantau's
rules: base fee to the BaseFeeVault, Prague) and through `EVMStep` on the witness py-evm read
(tests/contracts/step_diff.py). The fixture's own expected root is for L1 rules and is not used.

A case is excluded, with its reason, when the L2 cannot carry it: a transaction type the L2
refuses (0x03 blob, 0x04 set-code), anything the step refuses `Unsupported`, or one
past a proof-cost cap (the devnet's, `genesis.rollup_config.DEVNET_PROOF_COST_LIMITS`): both sides
run with the caps on, and such a case is excluded only once the step fails it exactly as py-evm
does (its EVM behaviour past the cap cannot happen on the L2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from tests.contracts.step_diff import PreAccount, StepContext, compare

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "state-tests"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures/state-tests")


@dataclass(frozen=True)
class Case:
    name: str
    pre: dict[bytes, PreAccount]
    raw_tx: bytes
    ctx: StepContext


def _int(text: str) -> int:
    return int(text, 16) if text.startswith("0x") else int(text)


def _ctx(env: dict[str, str]) -> StepContext:
    number = _int(env["currentNumber"])
    hashes = tuple(keccak(text=str(n)) for n in range(number - 1, max(number - 257, -1), -1))
    return StepContext(
        number=number,
        timestamp=_int(env["currentTimestamp"]),
        base_fee=_int(env.get("currentBaseFee", "0x0")),
        coinbase=bytes.fromhex(env["currentCoinbase"][2:]),
        prev_randao=_int(env.get("currentRandom", "0x0")).to_bytes(32, "big"),
        gas_limit=_int(env["currentGasLimit"]),
        chain_id=1,
        block_hashes=hashes,
    )


def _pre(raw: dict[str, Any]) -> dict[bytes, PreAccount]:
    return {
        bytes.fromhex(address[2:]): PreAccount(
            balance=_int(a["balance"]),
            nonce=_int(a["nonce"]),
            code=bytes.fromhex(a["code"][2:]),
            storage={_int(k): _int(v) for k, v in a["storage"].items()},
        )
        for address, a in raw.items()
    }


def cases(paths: list[Path]) -> Iterator[Case]:
    for path in paths:
        try:
            tests = json.loads(path.read_text())
        except ValueError:  # not a state test (a few files of the folder are other JSON or empty)
            continue
        for name, test in tests.items():
            if not isinstance(test, dict) or "pre" not in test:
                continue
            posts = test["post"].get("Cancun") or test["post"].get("Shanghai") or []
            pre = _pre(test["pre"])
            ctx = _ctx(test["env"])
            for i, post in enumerate(posts):
                yield Case(f"{path.relative_to(FIXTURES)}::{name}[{i}]", pre, bytes.fromhex(post["txbytes"][2:]), ctx)


def fixture_files(share: int = 1) -> list[Path]:
    """Every fixture file (every `share`-th one, in a stable order, for a representative subset)."""
    files = sorted(p for p in FIXTURES.rglob("*.json"))
    return files[::share]


def exclusion(case: Case) -> str | None:
    if case.raw_tx[:1] == b"\x03":
        return "blob transaction (type 0x03): the L2 refuses it"
    if case.raw_tx[:1] == b"\x04":
        return "set-code transaction (type 0x04): the L2 refuses it"
    if any(a.nonce == 0 and not a.code and any(a.storage.values()) for a in case.pre.values()):
        # EIP-7610's storage-only collisions: py-evm (the L2) does not implement EIP-7610, and no
        # L2 state holds such an account (a created account starts at nonce 1; EIP-6780)
        return "pre-state account with storage but no code or nonce: no L2 state holds one"
    return None


def run_case(harness: Any, case: Case) -> tuple[str, str]:
    """('pass' | 'fail' | 'excluded', detail)."""
    reason = exclusion(case)
    if reason:
        return "excluded", reason
    try:
        problems, outcome = compare(harness, case.pre, case.raw_tx, case.ctx)
    except Exception as exc:  # noqa: BLE001 - a harness failure is reported as the case's failure
        return "fail", f"harness: {type(exc).__name__}: {str(exc)[:200]}"
    if problems and any("Unsupported" in p for p in problems):
        return "excluded", problems[0]
    exceeded = outcome.proof_costs.exceeded if outcome.proof_costs is not None else None
    if exceeded is not None:
        # the L2 fails it at the cap, and the step must too (the whole PostState is compared);
        # its EVM behaviour past the cap cannot be on the L2, so it is not counted as a pass
        if problems:
            return "fail", f"past proof-cost cap {exceeded}: " + "; ".join(problems)[:400]
        return "excluded", f"exceeds proof-cost cap {exceeded} (step and py-evm fail it identically)"
    return ("fail", "; ".join(problems)[:400]) if problems else ("pass", "")
