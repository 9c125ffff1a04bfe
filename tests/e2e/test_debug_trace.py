"""debug_trace* against an independent reference: the same transactions on anvil (a real node,
`--hardfork prague`) and on a real `lantau node`, traced by both. Same deployer and nonces on
both chains, so the contracts have the same addresses and the traces must agree: the
callTracer's frames (type, from, to, value, gas, gasUsed, input, output, error, revertReason,
nesting) for a call that reverts two frames deep and for one that succeeds, and the struct
logger's steps (pc, op, gas, gasCost, depth, stack, storage) for a simple call and for code that
ends without a STOP (the implicit STOP past the end, after a PUSH whose data is 0x00, after a
PUSH cut short) beside code that ends with one.

(One known difference: the top frame's `gas` is the transaction's gas limit, as geth's
callTracer sets it; anvil shows the gas left after the intrinsic cost.)

The forwarder is hand-assembled (addresses: bytes 10-29 of its runtime):
    CALLDATACOPY(0, 0, CALLDATASIZE); ok = CALL(GAS, probe, 0, 0, CALLDATASIZE, 0, 0)
    RETURNDATACOPY(0, 0, RETURNDATASIZE); ok ? RETURN(0, RETURNDATASIZE) : REVERT(0, RETURNDATASIZE)
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from web3 import Web3

from bridge.anvil import AnvilOptions, AnvilProcess
from genesis.artifacts import load_artifact
from genesis.dev_accounts import dev_accounts
from tests.harness.anvil import anvil  # noqa: F401 (fixture: the reference anvil)

DEPLOYER = dev_accounts()[7]
PROBE = load_artifact("Probe")
GWEI = 10**9
RECIPIENT = to_checksum_address("0x00000000000000000000000000000000000c0ffe")  # holds no code


def forwarder_initcode(target: bytes) -> bytes:
    runtime = (bytes.fromhex("365f5f37" "5f5f365f5f73") + target + bytes.fromhex("5af1" "3d5f5f3e" "602a57" "3d5ffd" "5b3d5ff3"))
    assert runtime[42] == 0x5B  # the JUMPDEST the JUMPI names
    return bytes([0x60, len(runtime), 0x80, 0x60, 0x09, 0x5F, 0x39, 0x5F, 0xF3]) + runtime


@pytest.fixture(scope="module")
def anvil_options() -> AnvilOptions:
    """The harness' anvil (tests/harness/anvil.py) as the reference: Prague, with step tracing."""
    return AnvilOptions(chain_id=31337, extra_args=("--hardfork", "prague", "--steps-tracing"))


def send(w3: Web3, **fields: Any) -> bytes:
    tx = {"chainId": w3.eth.chain_id, "nonce": w3.eth.get_transaction_count(DEPLOYER.address), "gas": 1_000_000,
          "maxFeePerGas": 50 * GWEI, "maxPriorityFeePerGas": GWEI, "value": 0, **fields}
    raw = Account.sign_transaction(tx, DEPLOYER.private_key).raw_transaction
    tx_hash = w3.eth.send_raw_transaction(raw)
    w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    return tx_hash


def scenario(w3: Web3) -> dict[str, str]:
    """Deploy Probe and the forwarder, then call Probe through it: once reverting, once not."""
    probe_address = w3.eth.get_transaction_receipt(send(w3, data=PROBE.bytecode))["contractAddress"]
    forwarder_tx = send(w3, data=forwarder_initcode(bytes.fromhex(probe_address[2:])))
    forwarder = w3.eth.get_transaction_receipt(forwarder_tx)["contractAddress"]
    probe = w3.eth.contract(address=probe_address, abi=list(PROBE.abi))
    reverting = send(w3, to=forwarder, gas=300_000, data=probe.encode_abi("set", [13, "x"]))
    succeeding = send(w3, to=forwarder, gas=300_000, data=probe.encode_abi("set", [42, "hello"]))
    simple = send(w3, to=probe_address, gas=300_000, data=probe.encode_abi("set", [7, "direct"]))
    transfer = send(w3, to=RECIPIENT, gas=21_000, value=12_345)
    assert w3.eth.get_transaction_receipt(reverting)["status"] == 0
    return {"probe": probe_address, "forwarder": forwarder, "reverting": "0x" + reverting.hex(),
            "succeeding": "0x" + succeeding.hex(), "simple": "0x" + simple.hex(), "transfer": "0x" + transfer.hex()}


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    answer = w3.provider.make_request(method, list(params))
    assert "error" not in answer, answer
    return answer["result"]


CALL_FIELDS = ("type", "from", "to", "value", "gas", "gasUsed", "input", "output", "error", "revertReason")


def call_frame(frame: dict[str, Any]) -> dict[str, Any]:
    """A frame with only geth's fields (anvil adds none, but say which are compared)."""
    shaped = {key: (frame[key].lower() if isinstance(frame.get(key), str) and key != "revertReason" else frame.get(key))
              for key in CALL_FIELDS if frame.get(key) not in (None, "")}
    if shaped.get("type") == "STATICCALL" or shaped.get("type") == "DELEGATECALL":
        shaped.pop("value", None)
    shaped["calls"] = [call_frame(child) for child in frame.get("calls") or []]
    return shaped


def test_call_tracer_and_struct_logger_agree_with_anvil(node_factory, anvil: AnvilProcess) -> None:
    lantau = Web3(Web3.HTTPProvider(node_factory(block_time_s=0).rpc_url, request_kwargs={"timeout": 30}))
    reference = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 30}))
    ours, theirs = scenario(lantau), scenario(reference)
    assert ours["probe"] == theirs["probe"] and ours["forwarder"] == theirs["forwarder"]

    for name in ("reverting", "succeeding"):
        mine = rpc(lantau, "debug_traceTransaction", ours[name], {"tracer": "callTracer"})
        reference_trace = rpc(reference, "debug_traceTransaction", theirs[name], {"tracer": "callTracer"})
        # The top frame's gas: geth's callTracer shows the transaction's gas limit, anvil what is
        # left after the intrinsic gas; Lantau follows geth. Every other field must agree.
        assert mine["gas"] == hex(300_000)
        mine_shape, reference_shape = call_frame(mine), call_frame(reference_trace)
        mine_shape.pop("gas"), reference_shape.pop("gas")
        assert mine_shape == reference_shape, name
        assert mine_shape["calls"] and mine_shape["calls"][0]["gasUsed"] != "0x0"
    reverted = rpc(lantau, "debug_traceTransaction", ours["reverting"], {"tracer": "callTracer"})
    assert reverted["error"] == "execution reverted" and reverted["calls"][0]["revertReason"] == "unlucky number"
    assert reverted["calls"][0]["to"] == ours["probe"].lower() and reverted["calls"][0]["type"] == "CALL"

    mine = rpc(lantau, "debug_traceTransaction", ours["simple"], {})
    reference_trace = rpc(reference, "debug_traceTransaction", theirs["simple"], {})
    assert (mine["gas"], mine["failed"]) == (reference_trace["gas"], reference_trace["failed"])
    assert len(mine["structLogs"]) == len(reference_trace["structLogs"]) > 100
    for index, (step, expected) in enumerate(zip(mine["structLogs"], reference_trace["structLogs"], strict=True)):
        for key in ("pc", "op", "gas", "gasCost", "depth", "stack"):
            assert step.get(key) == expected.get(key), (index, key, step, expected)
        # geth writes storage words as unprefixed hex, anvil with 0x: compare the words
        assert step.get("storage") == unprefixed(expected.get("storage")), (index, step, expected)
    assert any("storage" in step for step in mine["structLogs"])

    # A value transfer to an account without code runs no code: no steps, on both.
    mine = rpc(lantau, "debug_traceTransaction", ours["transfer"], {})
    reference_trace = rpc(reference, "debug_traceTransaction", theirs["transfer"], {})
    shape = ("gas", "failed", "structLogs")
    assert tuple(mine[k] for k in shape) == tuple(reference_trace[k] for k in shape) == (21_000, False, [])


def unprefixed(storage: dict[str, str] | None) -> dict[str, str] | None:
    if storage is None:
        return None
    return {key.removeprefix("0x"): value.removeprefix("0x") for key, value in storage.items()}


# Runtimes that end in different ways; the struct logger's last step is the STOP geth logs.
ENDINGS = {
    "implicit STOP after SSTORE": "6001600055",  # STOP at pc 5 = the code's length
    "implicit STOP after PUSH1 0x00": "60016000556000",  # last byte 0x00 is PUSH data: STOP at pc 7
    "implicit STOP after a cut PUSH2": "60016000556101",  # PUSH2 at 5 with one byte: STOP at pc 8
    "explicit STOP": "600160005500",  # the last byte is the STOP: pc 5
}


def test_struct_logger_pcs_at_the_end_of_the_code_agree_with_anvil(node_factory, anvil: AnvilProcess) -> None:
    lantau = Web3(Web3.HTTPProvider(node_factory(block_time_s=0).rpc_url, request_kwargs={"timeout": 30}))
    reference = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 30}))
    last_pcs = {}
    for name, runtime_hex in ENDINGS.items():
        runtime = bytes.fromhex(runtime_hex)
        initcode = bytes([0x60, len(runtime), 0x80, 0x60, 0x09, 0x5F, 0x39, 0x5F, 0xF3]) + runtime
        traces = []
        for w3 in (lantau, reference):
            contract = w3.eth.get_transaction_receipt(send(w3, data=initcode))["contractAddress"]
            assert bytes(w3.eth.get_code(contract)) == runtime
            traces.append(rpc(w3, "debug_traceTransaction", "0x" + send(w3, to=contract, gas=100_000).hex(), {}))
        mine, expected = traces
        assert (mine["gas"], mine["failed"]) == (expected["gas"], expected["failed"]), name
        steps = [{key: step.get(key) for key in ("pc", "op", "gas", "gasCost", "depth", "stack")} for step in mine["structLogs"]]
        assert steps == [{key: step.get(key) for key in ("pc", "op", "gas", "gasCost", "depth", "stack")}
                         for step in expected["structLogs"]], name
        assert steps[-1]["op"] == "STOP"
        last_pcs[name] = steps[-1]["pc"]
    assert list(last_pcs.values()) == [5, 7, 8, 5]
