"""Every L1 contract's code against the limits L1 puts on it, the headroom printed (`pytest -s`):
EIP-170 caps a contract's code at 24,576 bytes and EIP-3860 its creation code at twice that. The
dispute game's creation code is itself deployed as a contract's code, its blueprint
(`bridge.l1_contracts.GAME_BLUEPRINT`), which the factory copies: EIP-170 caps that creation code
too. A contract over a limit could not be deployed on L1; one close to it has no room for a fix."""

from __future__ import annotations

from typing import NamedTuple

from bridge.l1_contracts import GAME_BLUEPRINT
from genesis.artifacts import ARTIFACTS_DIR, load_artifact

EIP_170_MAX_CODE_BYTES = 24_576
EIP_3860_MAX_INITCODE_BYTES = 2 * EIP_170_MAX_CODE_BYTES


class SizeCheck(NamedTuple):
    contract: str
    what: str
    size_bytes: int
    limit_bytes: int

    @property
    def headroom_bytes(self) -> int:
        return self.limit_bytes - self.size_bytes


def l1_size_checks() -> list[SizeCheck]:
    """One row per limit each deployable L1 contract (`contracts/src/L1`) must keep."""
    checks = []
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        artifact = load_artifact(path.stem)
        if not artifact.source_name.startswith("src/L1/") or not artifact.bytecode:
            continue  # L2 and test contracts; interfaces and abstract contracts have no code
        name = artifact.contract_name
        checks.append(SizeCheck(name, "code (EIP-170)", len(artifact.deployed_bytecode), EIP_170_MAX_CODE_BYTES))
        checks.append(SizeCheck(name, "creation code (EIP-3860)", len(artifact.bytecode), EIP_3860_MAX_INITCODE_BYTES))
        if name == GAME_BLUEPRINT:
            checks.append(SizeCheck(name, "creation code as blueprint code (EIP-170)", len(artifact.bytecode), EIP_170_MAX_CODE_BYTES))
    return checks


def test_every_l1_contract_fits_the_code_size_limits() -> None:
    checks = l1_size_checks()
    print("\n| contract | what | bytes | limit | headroom |\n|---|---|---|---|---|")
    for check in sorted(checks, key=lambda c: c.headroom_bytes):
        print(f"| {check.contract} | {check.what} | {check.size_bytes:,} | {check.limit_bytes:,} | {check.headroom_bytes:,} |")
    assert any(c.contract == GAME_BLUEPRINT and "blueprint" in c.what for c in checks)  # the game's artifact was found
    assert {"OutputOracle", "LantauPortal", "DisputeGameFactory", "OutputDisputeGameLeaves", "EVMStep"} <= {c.contract for c in checks}
    over = [check for check in checks if check.headroom_bytes < 0]
    assert over == [], f"over L1's code size limits: {over}"
