"""Storage layouts of the RWA predeploys, which a network upgrade must keep (issue 17, defect 8).

The upgrade path (docs/rwa-upgrades.md): a network upgrade replaces the runtime code at a
predeploy's address; every asset is an EIP-1167 clone that delegates to the RWAToken
implementation's *address*, so replacing that code upgrades every existing asset at once. The
new code reads the old storage, so a layout may only grow at its end: no variable moved, retyped
or removed. `storage_layouts.json` holds the layouts as released; each artifact's layout (the
compiler's `storageLayout`) must start with it, variable for variable. A deliberate release
appends to the file (`python -m tests.rwa.test_rwa_storage_layout`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genesis.artifacts import load_artifact
from genesis.predeploys import RWA_PREDEPLOYS

RELEASED = Path(__file__).with_name("storage_layouts.json")


def layout(contract: str) -> list[dict[str, Any]]:
    """(label, slot, offset, type, bytes) per state variable, types by their source names (the
    compiler's type ids carry AST numbers that change with unrelated edits)."""
    storage = load_artifact(contract).storage_layout
    types = storage.get("types") or {}
    return [
        {
            "label": entry["label"],
            "slot": int(entry["slot"]),
            "offset": entry["offset"],
            "type": types[entry["type"]]["label"],
            "bytes": int(types[entry["type"]]["numberOfBytes"]),
        }
        for entry in storage["storage"]
    ]


@pytest.mark.parametrize("contract", sorted(RWA_PREDEPLOYS))
def test_layout_only_grows_at_its_end(contract: str) -> None:
    released = json.loads(RELEASED.read_text())[contract]
    current = layout(contract)
    assert current[: len(released)] == released, f"{contract}: a released state variable moved or changed"


def test_every_predeploy_has_a_released_layout() -> None:
    assert sorted(json.loads(RELEASED.read_text())) == sorted(RWA_PREDEPLOYS)


def test_token_and_its_extension_share_one_layout() -> None:
    """RWATokenExtension runs by DELEGATECALL on each asset's storage: its layout must be the
    token's, slot for slot, or an extension write lands in another variable."""
    assert layout("RWATokenExtension") == layout("RWAToken")
    assert layout("RWAToken")[-1]["label"] == "_holds"


def test_a_moved_variable_is_caught() -> None:
    """The check itself can fail: the token with its first two variables swapped is refused."""
    released = json.loads(RELEASED.read_text())["RWAToken"]
    swapped = [released[1], released[0], *released[2:]]
    assert layout("RWAToken")[: len(swapped)] != swapped


if __name__ == "__main__":
    RELEASED.write_text(json.dumps({name: layout(name) for name in sorted(RWA_PREDEPLOYS)}, indent=1) + "\n")
