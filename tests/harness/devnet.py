"""The one L1 devnet of the tests: `bridge.devnet.start_l1_devnet` (anvil + Lantau's L1 contracts,
the L2 genesis' backing minted to the portal), exactly what `lantau devnet` runs.

`running_l1_devnet` for a fixture of any scope or a script; the `l1` fixture (per test) for the
end-to-end tests, its L1 block time from the `l1_block_time_s` fixture (1 s of interval mining;
a module overrides it with None for automine, a block per L1 transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bridge.devnet import L1Devnet, start_l1_devnet
from genesis.config import GenesisConfig


@contextmanager
def running_l1_devnet(*, block_time_s: float | None, genesis: GenesisConfig | None = None) -> Iterator[L1Devnet]:
    """A devnet L1 for the devnet genesis (or `genesis`), stopped on exit whatever happened."""
    devnet = start_l1_devnet(genesis or GenesisConfig.load(), block_time_s=block_time_s)
    try:
        yield devnet
    finally:
        devnet.stop()


@pytest.fixture
def l1_block_time_s() -> float | None:
    """The `l1` devnet's block time in seconds; None: automine. A module overrides it."""
    return 1


@pytest.fixture(name="l1")
def l1_devnet(l1_block_time_s: float | None) -> Iterator[L1Devnet]:
    with running_l1_devnet(block_time_s=l1_block_time_s) as devnet:
        yield devnet
