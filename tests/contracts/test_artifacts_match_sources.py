"""The committed artifacts in `contracts/artifacts` are exactly what `contracts/build.mjs` builds
from `contracts/src` today: none stale, none missing, none extra. Python runs from the committed
artifacts without Node, so a source edit without a rebuild would otherwise go unnoticed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED = REPO_ROOT / "contracts" / "artifacts"


@pytest.mark.e2e
@pytest.mark.timeout(900)  # solc over every source: past 240 s under `make test`'s two workers on a busy machine
def test_committed_artifacts_are_a_fresh_build(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (Node.js) is not on PATH: the contracts cannot be rebuilt; install Node.js, then `make setup`")
    out = tmp_path / "artifacts"
    result = subprocess.run(
        [node, "contracts/build.mjs", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert result.returncode == 0, f"build failed:\n{result.stdout}\n{result.stderr}"

    built = {p.name for p in out.glob("*.json")}
    committed = {p.name for p in COMMITTED.glob("*.json")}
    assert built, "the build wrote no artifacts"
    assert sorted(built - committed) == [], "built but not committed: run `node contracts/build.mjs`"
    assert sorted(committed - built) == [], "committed but no longer built from any source: delete them"
    stale = sorted(name for name in built if (out / name).read_bytes() != (COMMITTED / name).read_bytes())
    assert stale == [], f"stale artifacts (rebuild with `node contracts/build.mjs`): {stale}"


def test_each_error_has_one_declaration() -> None:
    """One home per refusal: a contract reverting with a library's error does not declare it again
    (InputOracle proves its parent with L2ParentLib, whose `ParentOutputMismatch` and
    `ParentHeaderMismatch` its ABI lists once, from the library); no ABI lists an error twice."""
    import json
    from collections import Counter

    twice: dict[str, list[str]] = {}
    for path in sorted(COMMITTED.glob("*.json")):
        errors = Counter(
            f"{item['name']}({','.join(i['type'] for i in item.get('inputs', []))})"
            for item in json.loads(path.read_text())["abi"] if item["type"] == "error"
        )
        if doubled := sorted(name for name, count in errors.items() if count > 1):
            twice[path.stem] = doubled
    assert twice == {}
    oracle = {item["name"] for item in json.loads((COMMITTED / "InputOracle.json").read_text())["abi"] if item["type"] == "error"}
    assert {"ParentOutputMismatch", "ParentHeaderMismatch"} <= oracle  # L2ParentLib's, reached through `_parent`
