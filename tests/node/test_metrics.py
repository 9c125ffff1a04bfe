"""Prometheus text rendering: names, labels, and a failing reading that hides nothing else."""

from __future__ import annotations

import pytest

from node.metrics import MetricsRegistry


def test_render_gauges_with_and_without_labels() -> None:
    registry = MetricsRegistry()
    registry.gauge("lantau_node_txpool_size", "Transactions in the pool.", lambda: 3)
    registry.gauge("lantau_node_head_number", "Heads.", lambda: {(("head", "unsafe"),): 12, (("head", "safe"),): 10})
    registry.gauge("lantau_batcher_last_post_time", "Unix time.", lambda: 1.5)
    assert registry.render() == (
        "# HELP lantau_node_txpool_size Transactions in the pool.\n# TYPE lantau_node_txpool_size gauge\n"
        "lantau_node_txpool_size 3\n"
        "# HELP lantau_node_head_number Heads.\n# TYPE lantau_node_head_number gauge\n"
        'lantau_node_head_number{head="unsafe"} 12\nlantau_node_head_number{head="safe"} 10\n'
        "# HELP lantau_batcher_last_post_time Unix time.\n# TYPE lantau_batcher_last_post_time gauge\n"
        "lantau_batcher_last_post_time 1.5\n"
    )


def test_a_failing_reading_is_left_out_and_the_rest_rendered() -> None:
    registry = MetricsRegistry()
    registry.gauge("lantau_proposer_balance_wei", "L1 balance.", lambda: 1 / 0)
    registry.gauge("lantau_node_txpool_size", "Pool.", lambda: 0)
    text = registry.render()
    assert "lantau_proposer_balance_wei" not in text and "lantau_node_txpool_size 0" in text


def test_names_follow_the_convention() -> None:
    with pytest.raises(ValueError, match="lantau_<process>_<what>"):
        MetricsRegistry().gauge("head", "no prefix", lambda: 0)
