"""Impersonation is refused on a node WITH an L1 (node/rpc/dev.py): an unsigned transaction could
never be batched for verifiers. Each method answers the one-line reason; no transaction from
the account is mined."""

from __future__ import annotations

from pathlib import Path

from bridge.devnet import L1Devnet
from tests.e2e.test_dev_impersonation import RECIPIENT, WHALE
from tests.e2e.test_dev_rpc import result, rpc
from tests.e2e.test_verifier import BATCHER, write_rollup


def test_impersonation_is_refused_with_an_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:  # noqa: F811
    rollup = write_rollup(l1, tmp_path)
    process = node_factory(data_dir=tmp_path / "sequencer", block_time_s=1, extra_args=(
        "--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup), "--batcher-key", BATCHER.private_key, "--dev-rpc"))
    url = process.rpc_url
    balance = result(url, "eth_getBalance", WHALE, "latest")
    for method, params in [("anvil_impersonateAccount", [WHALE]), ("hardhat_impersonateAccount", [WHALE]),
                           ("anvil_stopImpersonatingAccount", [WHALE]), ("anvil_autoImpersonateAccount", [True]),
                           ("eth_sendTransaction", [{"from": WHALE, "to": RECIPIENT, "value": "0x1"}])]:
        error = rpc(url, method, *params)["error"]
        assert error["code"] == -32000, (method, error)
        assert error["message"].startswith(f"{method.replace('hardhat_', 'anvil_')} is refused on a node with an L1: "
                                           "an unsigned transaction could never be batched"), error
        assert "\n" not in error["message"]
    # Blocks keep coming on the clock; none carries a transaction from WHALE.
    assert result(url, "eth_getTransactionCount", WHALE, "latest") == "0x0"
    assert result(url, "eth_getBalance", WHALE, "latest") == balance
    assert result(url, "eth_getBalance", RECIPIENT, "latest") == "0x0"
