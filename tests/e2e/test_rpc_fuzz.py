"""The JSON-RPC fuzz target in CI: hypothesis draws cases (`rpc_fuzz.make_case`) against one
real `lantau node` process; a bounded number here (about 600 requests), any number with
`scripts/rpc_fuzz.py --requests N`."""

from __future__ import annotations

import asyncio
import json
import random
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e import rpc_fuzz
from tests.harness.node_process import LantauNodeProcess

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def fuzzed_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LantauNodeProcess]:
    node = LantauNodeProcess(Path(tmp_path_factory.mktemp("fuzz")) / "node", block_time_s=0)
    try:
        yield node.start()
    finally:
        try:
            node.stop(timeout_s=20)
        except RuntimeError:
            pass
        node.kill()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seeds=st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=20, max_size=20))
def test_hostile_requests_get_well_formed_answers(fuzzed_node: LantauNodeProcess, seeds: list[int]) -> None:
    cases = [rpc_fuzz.make_case(random.Random(seed)) for seed in seeds]
    tally = rpc_fuzz.Tally()
    asyncio.run(rpc_fuzz.run_cases(fuzzed_node.rpc_url, cases, tally))
    assert fuzzed_node.process.poll() is None, "the node died:\n" + fuzzed_node.output[-3000:]
    assert tally.failures == 0, tally.summary() + "\n" + "\n".join(tally.examples)
    with urllib.request.urlopen(fuzzed_node.rpc_url + "/healthz", timeout=30) as reply:
        assert json.loads(reply.read())["status"] == "ok"
