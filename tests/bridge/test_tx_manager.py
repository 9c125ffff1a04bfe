"""`L1Client` and `TxManager` against a real anvil: nonces across restarts and other writers,
a fee bump on a stuck transaction, the same bytes again after an L1 reorg, and the one
classification of L1's refusals and transport failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3
from web3.providers import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from bridge.anvil import AnvilProcess
from bridge.blob_tx import encode_blob
from bridge.l1_client import (
    L1CallReverted,
    L1Client,
    L1FeeTooLow,
    L1GasAboveAllowance,
    L1InsufficientFunds,
    L1NonceTooLow,
    L1ReplacementUnderpriced,
    L1TxRefused,
    classify_refusal,
    gas_above_allowance,
)
from bridge.l1_contracts import L1Deployment
from bridge.tx_manager import (
    FeeCaps,
    NonceUsedElsewhere,
    NotMinedInTime,
    PoolTakeoverRefused,
    TxCandidate,
    TxManager,
    TxManagerConfig,
    bump_fee_caps,
    fee_caps,
    gas_with_headroom,
    pooled_fees,
)
from genesis.dev_accounts import dev_accounts
from node.errors import TemporaryError

SENDER = dev_accounts()[5]
OTHER = dev_accounts()[6]
FAST = TxManagerConfig(poll_interval_s=0.05, receipt_timeout_s=30.0)


@pytest.fixture
def l1(anvil: AnvilProcess, w3: Web3) -> Iterator[L1Client]:
    snapshot = anvil.rpc("evm_snapshot")
    try:
        yield L1Client(w3)
    finally:
        anvil.rpc("evm_setAutomine", [True])
        anvil.rpc("evm_revert", [snapshot])


def transfer(amount: int = 1) -> TxCandidate:
    return TxCandidate(to=OTHER.address, value=amount, gas_limit=21_000)


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def pooled(anvil: AnvilProcess, address: str) -> dict[str, Any]:
    return dict(anvil.rpc("txpool_content")["pending"].get(address.lower(), {}))


# --- the rules, by hand ---------------------------------------------------------------------------


def test_fee_caps_are_twice_the_base_fee_plus_the_tip() -> None:
    assert fee_caps(100, 5, 7, min_tip=10) == FeeCaps(210, 10, 14)  # tip floor applies
    assert fee_caps(100, 50, 0, min_tip=10) == FeeCaps(250, 50, 1)  # blob fee cap at least 1


def test_one_fee_bump_rule_12_5_percent_at_least_one_wei_never_below_market() -> None:
    market = FeeCaps(0, 0, 0)
    # a blob transaction's three caps doubled: a blob pool's replacement rule (geth's and reth's price bump 100 %)
    assert bump_fee_caps(FeeCaps(1000, 100, 10), market, blob=True, limit=10**9) == FeeCaps(2000, 200, 20)
    assert bump_fee_caps(FeeCaps(1, 1, 1), market, blob=False, limit=10**9) == FeeCaps(2, 2, 0)  # +1 wei on tiny fees
    # geth's pool wants +10 %; 12.5 % rounded up always clears it.
    for fee in (9, 10, 11, 999, 10**9 + 7):
        bumped = bump_fee_caps(FeeCaps(fee, fee, 0), market, blob=False, limit=10**12)
        assert bumped is not None and bumped.max_fee_per_gas * 10 >= fee * 11
    assert bump_fee_caps(FeeCaps(1000, 100, 0), FeeCaps(5000, 400, 0), blob=False, limit=10**9) == FeeCaps(5000, 400, 0)
    assert bump_fee_caps(FeeCaps(1000, 100, 0), market, blob=False, limit=1124) is None


def test_gas_headroom_is_a_fifth() -> None:
    assert gas_with_headroom(100_000) == 120_000


def test_refusal_messages_are_classified() -> None:
    assert type(classify_refusal("nonce too low: next nonce 5, tx nonce 4")) is L1NonceTooLow
    assert type(classify_refusal("replacement transaction underpriced")) is L1ReplacementUnderpriced
    assert type(classify_refusal("insufficient funds for gas * price + value")) is L1InsufficientFunds
    assert type(classify_refusal("max fee per gas less than block base fee")) is L1FeeTooLow
    assert type(classify_refusal("something new")) is L1TxRefused


#: What geth answers an `eth_estimateGas` that runs out of gas at the block's gas limit:
#: `eth/gasestimator/gasestimator.go` returns `fmt.Errorf("gas required exceeds allowance (%d)", hi)`
#: and `rpc/json.go` sends a plain error with `errcodeDefault` (-32000) and no data.
GETH_GAS_ABOVE_ALLOWANCE = {"code": -32000, "message": "gas required exceeds allowance (30000000)"}


class RecordedGeth(BaseProvider):
    """Answers every request with one recorded JSON-RPC reply of geth (through web3's own request
    pipeline: its formatters decide whether the reply is a revert or another error)."""

    def __init__(self, chain_id: int, error: dict[str, Any]) -> None:
        super().__init__()
        self.chain_id, self.error = chain_id, error

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_chainId":
            return {"jsonrpc": "2.0", "id": 1, "result": hex(self.chain_id)}
        return {"jsonrpc": "2.0", "id": 1, "error": self.error}  # type: ignore[typeddict-item]


def test_geths_gas_allowance_error_is_named_as_a_revert_without_data() -> None:
    named = gas_above_allowance(GETH_GAS_ABOVE_ALLOWANCE)
    assert type(named) is L1GasAboveAllowance and isinstance(named, L1CallReverted)
    assert named.revert is None and named.allowance == 30_000_000
    assert gas_above_allowance({"code": -32000, "message": "header not found"}) is None
    geth = L1Client(Web3(RecordedGeth(1, GETH_GAS_ABOVE_ALLOWANCE)))
    with pytest.raises(L1GasAboveAllowance) as refused:
        geth.estimate_gas({"from": SENDER.address, "to": OTHER.address, "data": "0x00"})
    assert refused.value.allowance == 30_000_000 and refused.value.revert is None
    with pytest.raises(L1GasAboveAllowance):  # the transaction manager's estimate: nothing signed
        TxManager(geth, SENDER.private_key, FAST).gas_of(TxCandidate(to=OTHER.address, data=b"\x00"))
    other = L1Client(Web3(RecordedGeth(1, {"code": -32000, "message": "header not found"})))
    with pytest.raises(TemporaryError):  # any other error object is still a transport failure
        other.estimate_gas({"from": SENDER.address, "to": OTHER.address})


# --- against anvil -------------------------------------------------------------------------------


def test_an_estimate_above_the_block_gas_limit_is_named_and_nothing_is_sent(l1: L1Client) -> None:
    """Init code that loops until it runs out of gas (JUMPDEST PUSH1 0 JUMP) needs more than any
    block: anvil answers `Out of gas: gas required exceeds allowance: 30000000` (code -32003), the
    same `L1GasAboveAllowance` as geth's wording; the sender's nonce and balance do not move."""
    manager = TxManager(l1, SENDER.private_key, FAST)
    nonce, balance = manager.pending_nonce(), l1.balance(SENDER.address)
    with pytest.raises(L1GasAboveAllowance) as refused:
        manager.send(TxCandidate(to=None, data=bytes.fromhex("5b600056")))
    assert refused.value.allowance == l1.w3.eth.get_block("latest")["gasLimit"] == 30_000_000
    assert refused.value.revert is None
    with pytest.raises(L1GasAboveAllowance) as capped:  # a `gas` given is the allowance
        l1.estimate_gas({"from": SENDER.address, "data": "0x5b600056", "gas": 1_000_000})
    assert capped.value.allowance == 1_000_000
    assert manager.pending_nonce() == nonce and l1.balance(SENDER.address) == balance




def test_send_estimates_signs_and_returns_the_canonical_receipt(l1: L1Client) -> None:
    manager = TxManager(l1, SENDER.private_key, FAST)
    before = l1.balance(OTHER.address)
    nonce = manager.pending_nonce()
    receipt = manager.send(TxCandidate(to=OTHER.address, value=12345))  # gas estimated: 21,000 + a fifth
    assert receipt["status"] == 1 and receipt["gasUsed"] == 21_000
    assert l1.balance(OTHER.address) == before + 12345
    tx = l1.w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["nonce"] == nonce and tx["gas"] == 25_200 and tx["type"] == 2
    head = l1.head()
    assert tx["maxFeePerGas"] >= tx["maxPriorityFeePerGas"] >= 10**9
    assert manager.send(transfer())["blockNumber"] == head.number + 1 and manager.pending_nonce() == nonce + 2


def test_a_reverting_call_is_refused_before_it_costs_gas_with_its_custom_error(l1: L1Client, deployment: L1Deployment) -> None:
    manager = TxManager(l1, SENDER.private_key, FAST)
    portal = l1.contract("LantauPortal", deployment.lantau_portal)
    nonce = manager.pending_nonce()
    data = bytes.fromhex(portal.functions.depositHKD(OTHER.address, 10**6, 100_000, b"")._encode_transaction_data()[2:])
    with pytest.raises(L1CallReverted) as refused:  # no allowance for the portal
        manager.send(TxCandidate(to=deployment.lantau_portal, data=data))
    assert refused.value.revert is not None and refused.value.revert.name.startswith("ERC20InsufficientAllowance")
    assert manager.pending_nonce() == nonce  # nothing sent


def test_a_restarted_manager_continues_after_the_pooled_transactions(anvil: AnvilProcess, l1: L1Client) -> None:
    """A manager holds no nonce of its own across restarts: a new one on the same key (mining
    off, two of the old one's transactions still pooled) takes nonce +2, and all three land in order."""
    anvil.rpc("evm_setAutomine", [False])
    first = TxManager(l1, SENDER.private_key, FAST)
    start = first.pending_nonce()
    fees = first.market_fees()
    for offset in range(2):
        first.publish(first.sign(transfer(), nonce=start + offset, fees=fees, gas=21_000))
    restarted = TxManager(l1, SENDER.private_key, FAST)
    assert restarted.pending_nonce() == start + 2
    thread, result = in_thread(lambda: restarted.send(transfer()))
    wait_for(lambda: len(pooled(anvil, SENDER.address)) == 3)
    anvil.rpc("evm_mine")
    thread.join(10)
    receipt = result["value"]
    assert l1.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == start + 2
    assert restarted.latest_nonce() == start + 3


def test_another_writer_taking_the_nonce_is_answered_by_signing_again(anvil: AnvilProcess, l1: L1Client) -> None:
    """Another process on the key sends between our nonce read and our send: L1 says the
    replacement is underpriced (same nonce, same fees); the manager signs again on the next nonce."""
    manager = TxManager(l1, SENDER.private_key, FAST)
    anvil.rpc("evm_setAutomine", [False])
    nonce = manager.pending_nonce()
    fees = manager.market_fees()
    other_writer = Account.sign_transaction(
        {"chainId": l1.chain_id, "nonce": nonce, "to": OTHER.address, "value": 7, "gas": 21_000, "type": 2,
         "maxFeePerGas": fees.max_fee_per_gas, "maxPriorityFeePerGas": fees.max_priority_fee_per_gas},
        SENDER.private_key,
    )
    real_pending = manager.pending_nonce
    reads: list[int] = []

    def racing_nonce() -> int:  # the first read predates the other writer's send
        reads.append(nonce if not reads else real_pending())
        return reads[-1]

    l1.send_raw(bytes(other_writer.raw_transaction))
    manager.pending_nonce = racing_nonce  # type: ignore[method-assign]
    thread, result = in_thread(lambda: manager.send(transfer(9)))
    wait_for(lambda: len(pooled(anvil, SENDER.address)) == 2)
    anvil.rpc("evm_mine")
    thread.join(10)
    receipt = result["value"]
    assert l1.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == nonce + 1
    assert manager.counters.nonce_races == 1 and reads[:2] == [nonce, nonce + 1]


def test_a_receipt_that_lags_the_nonce_is_waited_for_not_taken_for_another_writer(anvil: AnvilProcess, l1: L1Client) -> None:
    """Under load anvil can show the sender's new nonce before the receipt of the block that moved
    it (seen in CI as NonceUsedElsewhere for the manager's own transaction): the manager waits
    `nonce_moved_grace_s` for a receipt before it decides another writer took the nonce."""
    manager = TxManager(l1, SENDER.private_key, FAST)
    real_receipt = l1.receipt
    first_seen: list[float] = []

    def lagging_receipt(tx_hash: str | bytes) -> dict[str, Any] | None:
        found = real_receipt(tx_hash)
        if found is not None and not first_seen:
            first_seen.append(time.monotonic())
        return None if not first_seen or time.monotonic() - first_seen[0] < 0.5 else found

    l1.receipt = lagging_receipt  # type: ignore[method-assign]
    try:
        receipt = manager.send(transfer(3))
    finally:
        l1.receipt = real_receipt  # type: ignore[method-assign]
    assert receipt["status"] == 1 and first_seen
    assert l1.w3.eth.get_transaction(receipt["transactionHash"])["value"] == 3


def another_writer_replaces_ours(anvil: AnvilProcess, l1: L1Client, candidate: TxCandidate, *, value: int
                                 ) -> tuple[TxManager, threading.Thread, dict[str, Any], int, bytes]:
    """A manager (automine off) sends `candidate` in a thread; once it is pooled, another process on
    the key sends its own transfer of `value` wei with the same nonce and twice the fees, which
    replaces ours in the pool (not mined). (manager, thread, result, nonce, the other's hash)."""
    manager = TxManager(l1, SENDER.private_key, TxManagerConfig(poll_interval_s=0.05, nonce_moved_grace_s=0.5))
    anvil.rpc("evm_setAutomine", [False])
    thread, result = in_thread(lambda: manager.send(candidate))
    wait_for(lambda: len(pooled(anvil, SENDER.address)) == 1)
    [ours] = pooled(anvil, SENDER.address).values()
    nonce = int(ours["nonce"], 16)
    theirs = Account.sign_transaction(
        {"chainId": l1.chain_id, "nonce": nonce, "to": OTHER.address, "value": value, "gas": 21_000, "type": 2,
         "maxFeePerGas": int(ours["maxFeePerGas"], 16) * 2, "maxPriorityFeePerGas": int(ours["maxPriorityFeePerGas"], 16) * 2},
        SENDER.private_key,
    )
    l1.send_raw(bytes(theirs.raw_transaction))
    return manager, thread, result, nonce, bytes(theirs.hash)


def test_another_writer_mining_our_nonce_is_named_after_the_grace(anvil: AnvilProcess, l1: L1Client) -> None:
    """Another process on the key replaces the manager's pooled transaction with its own (same
    nonce, higher fees) and it is mined: no receipt of ours will come, so after the grace the
    manager raises NonceUsedElsewhere naming the nonce; L1 holds the other writer's transfer."""
    manager, thread, result, nonce, theirs = another_writer_replaces_ours(anvil, l1, transfer(1), value=11)
    anvil.rpc("evm_mine")
    thread.join(10)
    assert isinstance(result.get("error"), NonceUsedElsewhere), result
    assert f"nonce {nonce}" in str(result["error"])
    mined = l1.w3.eth.get_transaction(theirs)
    assert mined["value"] == 11 and l1.nonce(SENDER.address, "latest") == nonce + 1


def test_another_writers_replacement_in_the_pool_is_waited_out_not_an_error(anvil: AnvilProcess, l1: L1Client) -> None:
    """Another writer on the key replaces the manager's pooled transaction (same nonce, higher
    fees) and it sits in the pool for many polls before it is mined: the manager sees its own
    transaction gone from the pool, tries the same bytes again, is refused as underpriced (the
    slot is taken, not dropped) and keeps waiting; once the other one is mined it raises
    NonceUsedElsewhere as when the replacement is mined at once (the refusal used to escape as
    L1ReplacementUnderpriced, or L1NonceTooLow after the mining)."""
    manager, thread, result, nonce, theirs = another_writer_replaces_ours(anvil, l1, transfer(2), value=12)
    wait_for(lambda: manager.counters.resubmissions >= 1)  # it saw ours gone and tried the same bytes again
    assert thread.is_alive() and "error" not in result, result  # still waiting, not failed
    anvil.rpc("evm_mine")
    thread.join(10)
    assert isinstance(result.get("error"), NonceUsedElsewhere), result
    assert f"nonce {nonce}" in str(result["error"])
    assert l1.w3.eth.get_transaction(theirs)["value"] == 12 and l1.nonce(SENDER.address, "latest") == nonce + 1


def test_a_stuck_transaction_is_replaced_with_fees_12_5_percent_higher(anvil: AnvilProcess, l1: L1Client) -> None:
    anvil.rpc("evm_setAutomine", [False])
    manager = TxManager(l1, SENDER.private_key, TxManagerConfig(poll_interval_s=0.05, resubmit_after_s=0.3))
    thread, result = in_thread(lambda: manager.send(transfer()))
    wait_for(lambda: len(pooled(anvil, SENDER.address)) == 1)
    [first] = pooled(anvil, SENDER.address).values()
    wait_for(lambda: manager.counters.fee_bumps >= 1)
    [replacement] = pooled(anvil, SENDER.address).values()  # the pool holds the replacement only
    assert replacement["hash"] != first["hash"] and replacement["nonce"] == first["nonce"]
    for key in ("maxFeePerGas", "maxPriorityFeePerGas"):
        assert int(replacement[key], 16) >= int(first[key], 16) * 1.125
    anvil.rpc("evm_mine")
    thread.join(10)
    receipt = result["value"]
    assert receipt["status"] == 1 and receipt["transactionHash"].hex() != first["hash"].removeprefix("0x")


def test_a_transaction_an_l1_reorg_took_away_is_sent_again_byte_for_byte(anvil: AnvilProcess, l1: L1Client) -> None:
    """confirmations=3: the manager sees its transaction mined, then anvil reverts to before it
    (block and transaction gone); it sends the same bytes again and returns the receipt of the
    same hash in the new block, once it is 3 deep."""
    manager = TxManager(l1, SENDER.private_key, TxManagerConfig(poll_interval_s=0.05, confirmations=3))
    start = manager.latest_nonce()
    snapshot = anvil.rpc("evm_snapshot")
    thread, result = in_thread(lambda: manager.send(transfer()))
    wait_for(lambda: manager.counters.sent == 1 and l1.nonce(SENDER.address, "latest") == start + 1)
    [mined] = [tx for tx in l1.w3.eth.get_block("latest", full_transactions=True)["transactions"] if tx["from"] == SENDER.address]
    first_block = l1.w3.eth.get_transaction_receipt(mined["hash"])["blockHash"]
    time.sleep(0.2)  # the manager sees it mined, 1 of 3 confirmations
    anvil.rpc("evm_revert", [snapshot])
    wait_for(lambda: manager.counters.resubmissions == 1)
    for _ in range(3):
        anvil.rpc("evm_mine")
    thread.join(10)
    receipt = result["value"]
    assert receipt["transactionHash"] == mined["hash"] and receipt["blockHash"] != first_block
    assert manager.counters.sent == 2 and manager.counters.fee_bumps == 0


def test_l1_refusals_are_classified(anvil: AnvilProcess, l1: L1Client) -> None:
    manager = TxManager(l1, SENDER.private_key, FAST)
    receipt = manager.send(transfer())
    used = l1.w3.eth.get_transaction(receipt["transactionHash"])["nonce"]
    fees = manager.market_fees()
    with pytest.raises(L1NonceTooLow):
        manager.publish(manager.sign(transfer(), nonce=used, fees=fees, gas=21_000))
    anvil.rpc("evm_setAutomine", [False])
    pooled_tx = manager.sign(transfer(), nonce=used + 1, fees=fees, gas=21_000)
    manager.publish(pooled_tx)
    manager.publish(pooled_tx)  # already known: not an error
    with pytest.raises(L1ReplacementUnderpriced):
        manager.publish(manager.sign(transfer(2), nonce=used + 1, fees=fees, gas=21_000))
    with pytest.raises(L1FeeTooLow):
        manager.publish(manager.sign(transfer(), nonce=used + 2, fees=FeeCaps(1, 1), gas=21_000))
    broke = TxManager(l1, "0x" + "42" * 32, FAST)
    with pytest.raises(L1InsufficientFunds):
        broke.publish(broke.sign(transfer(), nonce=0, fees=fees, gas=21_000))


def test_an_unreachable_l1_is_a_temporary_error() -> None:
    down = L1Client.connect("http://127.0.0.1:1", timeout_s=2)  # nothing listens on port 1
    with pytest.raises(TemporaryError):
        down.head()
    with pytest.raises(TemporaryError):
        TxManager(down, SENDER.private_key, FAST).pending_nonce()


# --- a dead process's pooled transactions ---------------------------------------------------------

GWEI = 10**9


class GethWithoutTxpool(BaseProvider):
    """anvil as a geth started with its default `--http.api` (eth, net, web3) answers: the
    `txpool` namespace and `eth_getTransactionBySenderAndNonce` (geth has none) are refused with
    geth's -32601 "the method ... does not exist/is not available"; everything else is anvil's."""

    def __init__(self, anvil: AnvilProcess) -> None:
        super().__init__()
        self.anvil = Web3(Web3.HTTPProvider(anvil.rpc_url)).provider

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method.startswith("txpool_") or method == "eth_getTransactionBySenderAndNonce":
            message = f"the method {method} does not exist/is not available"
            return {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": message}}  # type: ignore[typeddict-item]
        return self.anvil.make_request(method, params)


def pool_and_die(anvil: AnvilProcess, l1: L1Client, candidate: TxCandidate, fees: FeeCaps) -> tuple[int, str]:
    """Automine off; a first manager pools `candidate` with `fees` and is dropped (as a kill -9:
    nothing of it survives but the pooled transaction). (its nonce, its hash)."""
    anvil.rpc("evm_setAutomine", [False])
    dead = TxManager(l1, SENDER.private_key, FAST)
    signed = dead.sign(candidate, nonce=dead.pending_nonce(), fees=fees, gas=candidate.gas_limit or 21_000)
    dead.publish(signed)
    assert list(pooled(anvil, SENDER.address)) == [str(signed.nonce)]
    return signed.nonce, signed.hash


def low_fees(l1: L1Client) -> FeeCaps:
    """Fees that pay the next block's base fee + 1 gwei, tip 1 gwei."""
    return FeeCaps(l1.fee_market().base_fee + GWEI, GWEI)


def raise_next_base_fee(anvil: AnvilProcess, l1: L1Client, base_fee: int) -> None:
    """The next L1 block's base fee to `base_fee` (anvil's control; on geth, full blocks do it)."""
    anvil.rpc("anvil_setNextBlockBaseFeePerGas", [hex(base_fee)])
    assert l1.next_base_fee() == base_fee


def test_a_dead_processs_stuck_transaction_is_taken_over_and_the_next_send_lands(anvil: AnvilProcess, l1: L1Client) -> None:
    """A manager pools a call (to, data, value) paying the base fee + 1 gwei and dies; the next
    block's base fee rises threefold above that, so the transaction can never land and would hold the key's nonce for ever.
    A new manager on the key sees the nonce pooled but not its own, finds the transaction
    (anvil: txpool_content), sends the same call again at market fees (at least +12.5 % on both
    caps, as geth's +10 % replacement rule wants), then its own transaction: both land in the next
    block, in order, and the takeover is counted."""
    call = TxCandidate(to=OTHER.address, data=b"\x01\x02", value=77, gas_limit=30_000)
    fees = low_fees(l1)
    nonce, dead_hash = pool_and_die(anvil, l1, call, fees)
    raise_next_base_fee(anvil, l1, 3 * fees.max_fee_per_gas)
    restarted = TxManager(l1, SENDER.private_key, FAST)
    assert restarted.foreign_nonces() == [nonce]
    thread, result = in_thread(lambda: restarted.send(transfer(5)))
    wait_for(lambda: len(pooled(anvil, SENDER.address)) == 2)
    [taken_over] = [tx for key, tx in pooled(anvil, SENDER.address).items() if int(key) == nonce]
    assert taken_over["hash"] != dead_hash  # the dead one is replaced, not kept beside it
    anvil.rpc("evm_mine")
    thread.join(10)
    receipt = result["value"]
    assert receipt["status"] == 1 and l1.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == nonce + 1
    mined = l1.w3.eth.get_transaction(taken_over["hash"])
    assert (mined["to"], bytes(mined["input"]), mined["value"], mined["gas"]) == (OTHER.address, b"\x01\x02", 77, 30_000)
    assert mined["maxFeePerGas"] >= 2 * 3 * fees.max_fee_per_gas and mined["maxPriorityFeePerGas"] >= GWEI * 1.125
    assert l1.receipt(taken_over["hash"]) is not None and l1.receipt(dead_hash) is None
    assert restarted.counters.pool_takeovers == 1 and restarted.counters.pool_cancels == 0
    assert restarted.latest_nonce() == nonce + 2 and restarted.foreign_nonces() == []


def test_a_dead_processs_unknown_pooled_transaction_is_cancelled(anvil: AnvilProcess, l1: L1Client) -> None:
    """The same, on an L1 that shows no pool (geth's default http.api): the new manager cannot
    learn what the dead one pooled, so once the nonce has been foreign for `resubmit_after_s` (its
    own transaction waiting behind it) it fills the nonce with a 0-value self-transfer at market
    fees bumped once; the cancel and its own transaction land, the dead call never does."""
    call = TxCandidate(to=OTHER.address, value=99, gas_limit=21_000)
    fees = low_fees(l1)
    nonce, dead_hash = pool_and_die(anvil, l1, call, fees)
    raise_next_base_fee(anvil, l1, 3 * fees.max_fee_per_gas)
    blind = L1Client(Web3(GethWithoutTxpool(anvil)))
    assert blind.pooled_transaction(SENDER.address, nonce) is None and l1.pooled_transaction(SENDER.address, nonce) is not None
    restarted = TxManager(blind, SENDER.private_key, TxManagerConfig(poll_interval_s=0.05, resubmit_after_s=0.3, receipt_timeout_s=30))
    other_before = l1.balance(OTHER.address)
    thread, result = in_thread(lambda: restarted.send(transfer(5)))
    wait_for(lambda: restarted.counters.pool_cancels == 1)
    [cancel] = [tx for key, tx in pooled(anvil, SENDER.address).items() if int(key) == nonce]
    assert cancel["hash"] != dead_hash
    anvil.rpc("evm_mine")
    thread.join(10)
    assert "value" in result, result
    receipt = result["value"]
    assert receipt["status"] == 1 and l1.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == nonce + 1
    mined = l1.w3.eth.get_transaction(cancel["hash"])
    assert (mined["to"], mined["value"], mined["gas"]) == (SENDER.address, 0, 21_000) and l1.receipt(cancel["hash"]) is not None
    assert l1.receipt(dead_hash) is None and l1.balance(OTHER.address) == other_before + 5  # the dead 99 wei never sent
    assert restarted.counters.pool_takeovers == 0 and restarted.latest_nonce() == nonce + 2


def test_nothing_pooled_is_nothing_to_take_over(l1: L1Client) -> None:
    manager = TxManager(l1, SENDER.private_key, FAST)
    nonce = manager.pending_nonce()
    assert manager.foreign_nonces() == [] and manager.take_over_pool().nothing_done
    assert manager.counters.sent == 0 and manager.pending_nonce() == nonce


def test_a_takeover_the_node_refuses_is_named_and_the_pool_is_kept(anvil: AnvilProcess, l1: L1Client) -> None:
    """The dead process's pooled transaction pays 10x the market (not stuck, just not mined yet,
    automine off) and the L1 hides its pool: the cancel at market fees does not outbid it by
    geth's 10 %, L1 refuses it as underpriced, the takeover reports `PoolTakeoverRefused` naming
    the nonce and L1's words, and the pool still holds the dead process's transaction alone. A
    found transaction whose bump would pass the operator's fee limit is refused the same way,
    without sending."""
    market = TxManager(l1, SENDER.private_key, FAST).market_fees()
    rich = FeeCaps(market.max_fee_per_gas * 10, market.max_priority_fee_per_gas * 10)
    nonce, dead_hash = pool_and_die(anvil, l1, transfer(3), rich)
    blind = TxManager(L1Client(Web3(GethWithoutTxpool(anvil))), SENDER.private_key, FAST)
    report = blind.take_over_pool()
    [refusal] = report.refused
    assert isinstance(refusal, PoolTakeoverRefused) and isinstance(refusal.cause, L1ReplacementUnderpriced)
    assert refusal.nonce == nonce and refusal.action == "cancel" and f"nonce {nonce}" in str(refusal)
    assert report.cancelled == () and blind.counters.pool_cancels == 0 and blind.counters.pool_takeovers_refused == 1
    assert [tx["hash"] for tx in pooled(anvil, SENDER.address).values()] == [dead_hash]
    capped = TxManager(l1, SENDER.private_key, TxManagerConfig(max_fee_per_gas_limit=rich.max_fee_per_gas))
    [limit] = capped.take_over_pool().refused
    assert limit.cause is None and "limit" in str(limit) and capped.counters.sent == 0
    assert [tx["hash"] for tx in pooled(anvil, SENDER.address).values()] == [dead_hash]
    anvil.rpc("evm_mine")
    assert l1.receipt(dead_hash) is not None  # it was never stuck: L1 takes it


class RecordedPool(BaseProvider):
    """Answers the pool methods as `answers` says (a JSON-RPC result, or an error object under
    "error"), and -32601 for any other pool method."""

    def __init__(self, answers: dict[str, Any]) -> None:
        super().__init__()
        self.answers = answers

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method not in self.answers:
            message = f"the method {method} does not exist/is not available"
            return {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": message}}  # type: ignore[typeddict-item]
        return {"jsonrpc": "2.0", "id": 1, "result": self.answers[method]}  # type: ignore[typeddict-item]


def test_pooled_transactions_are_read_as_geth_anvil_and_reth_show_them() -> None:
    """geth's `txpool_contentFrom` (decimal nonce keys, pending and queued), geth's
    `txpool_content` (checksummed address keys), and `eth_getTransactionBySenderAndNonce` (anvil,
    reth: a mined answer is not pooled); a legacy transaction's gas price is both fee caps."""
    legacy = {"nonce": "0x7", "gasPrice": "0x64", "gas": "0x5208", "value": "0x0", "input": "0x", "to": OTHER.address}
    dynamic = {"nonce": "0x8", "maxFeePerGas": "0xc8", "maxPriorityFeePerGas": "0xa", "gas": "0x5208", "value": "0x1", "input": "0x"}
    content_from = L1Client(Web3(RecordedPool({"txpool_contentFrom": {"pending": {"7": legacy}, "queued": {"8": dynamic}}})))
    assert content_from.pooled_transaction(SENDER.address, 7) == legacy and content_from.pooled_transaction(SENDER.address, 8) == dynamic
    assert content_from.pooled_transaction(SENDER.address, 9) is None
    content = L1Client(Web3(RecordedPool({"txpool_content": {"pending": {SENDER.address: {"7": legacy}}, "queued": {}}})))
    assert content.pooled_transaction(SENDER.address.lower(), 7) == legacy and content.pooled_transaction(SENDER.address, 8) is None
    by_nonce = L1Client(Web3(RecordedPool({"eth_getTransactionBySenderAndNonce": dict(dynamic, blockNumber=None)})))
    assert by_nonce.pooled_transaction(SENDER.address, 8) is not None
    mined = L1Client(Web3(RecordedPool({"eth_getTransactionBySenderAndNonce": dict(dynamic, blockNumber="0x5")})))
    assert mined.pooled_transaction(SENDER.address, 8) is None
    assert L1Client(Web3(RecordedPool({}))).pooled_transaction(SENDER.address, 8) is None  # a node showing no pool
    assert pooled_fees(legacy) == FeeCaps(100, 100) and pooled_fees(dynamic) == FeeCaps(200, 10)


def test_a_send_that_gave_up_waiting_is_taken_over_by_the_next_send(anvil: AnvilProcess, l1: L1Client) -> None:
    """A send gives up (`NotMinedInTime`) on a transaction the next block's base fee has outgrown
    (automine off, no bump within the wait): it stays pooled, and the manager's next send takes it
    over like a dead process's (stuck: at once), so both land in the next block."""
    anvil.rpc("evm_setAutomine", [False])
    manager = TxManager(l1, SENDER.private_key, TxManagerConfig(poll_interval_s=0.05, receipt_timeout_s=0.5, resubmit_after_s=60))
    fees = manager.market_fees()
    with pytest.raises(NotMinedInTime):
        manager.send(transfer(41))
    [(key, gave_up)] = pooled(anvil, SENDER.address).items()
    nonce = int(key)
    raise_next_base_fee(anvil, l1, 2 * fees.max_fee_per_gas)
    thread, result = in_thread(lambda: manager.send(transfer(42)))
    wait_for(lambda: manager.counters.pool_takeovers == 1 and len(pooled(anvil, SENDER.address)) == 2)
    [taken_over] = [tx for k, tx in pooled(anvil, SENDER.address).items() if int(k) == nonce]
    assert taken_over["hash"] != gave_up["hash"] and int(taken_over["value"], 16) == 41
    anvil.rpc("evm_mine")
    thread.join(10)
    assert "value" in result, result
    assert l1.w3.eth.get_transaction(result["value"]["transactionHash"])["nonce"] == nonce + 1
    assert l1.receipt(taken_over["hash"]) is not None and manager.latest_nonce() == nonce + 2


class CountingProvider(BaseProvider):
    """anvil, counting the JSON-RPC requests by method."""

    def __init__(self, anvil: AnvilProcess) -> None:
        super().__init__()
        self.anvil = Web3(Web3.HTTPProvider(anvil.rpc_url)).provider
        self.requests: list[str] = []

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self.requests.append(str(method))
        return self.anvil.make_request(method, params)


def test_a_send_after_its_own_mined_send_does_not_look_for_foreign_nonces(anvil: AnvilProcess, l1: L1Client) -> None:
    """The takeover's reads (the key's latest and pending nonce, the next base fee) are off the hot
    path: before it publishes, the first send of a manager looks (eth_getTransactionCount latest and
    pending, then pending to sign on); a send that follows its own mined one reads only the pending
    nonce it signs on. (The wait's polls after publishing depend on how soon anvil mines.)"""
    provider = CountingProvider(anvil)
    manager = TxManager(L1Client(Web3(provider)), SENDER.private_key, FAST)

    def nonce_reads_before_publishing() -> int:
        provider.requests.clear()
        assert manager.send(transfer())["status"] == 1
        return provider.requests[:provider.requests.index("eth_sendRawTransaction")].count("eth_getTransactionCount")

    assert nonce_reads_before_publishing() == 3
    assert [nonce_reads_before_publishing() for _ in range(3)] == [1, 1, 1]


def test_a_dead_processs_nonce_pooled_after_our_last_send_is_taken_over_by_the_next(anvil: AnvilProcess, l1: L1Client) -> None:
    """A manager's send is mined; then another process on the key pools a call on the very nonce
    the manager would sign on next and dies, and the next block's base fee outgrows it. The
    manager's next send finds the pending nonce past where its own send left it, so it looks,
    takes the stuck nonce over (same call, market fees) and both land in order."""
    manager = TxManager(l1, SENDER.private_key, FAST)
    first = manager.send(transfer(1))
    call = TxCandidate(to=OTHER.address, data=b"\x03", value=55, gas_limit=30_000)
    fees = low_fees(l1)
    nonce, dead_hash = pool_and_die(anvil, l1, call, fees)
    assert nonce == l1.w3.eth.get_transaction(first["transactionHash"])["nonce"] + 1
    raise_next_base_fee(anvil, l1, 3 * fees.max_fee_per_gas)
    thread, result = in_thread(lambda: manager.send(transfer(6)))
    wait_for(lambda: manager.counters.pool_takeovers == 1 and len(pooled(anvil, SENDER.address)) == 2)
    [taken_over] = [tx for key, tx in pooled(anvil, SENDER.address).items() if int(key) == nonce]
    assert taken_over["hash"] != dead_hash and int(taken_over["value"], 16) == 55
    anvil.rpc("evm_mine")
    thread.join(10)
    assert "value" in result, result
    assert l1.w3.eth.get_transaction(result["value"]["transactionHash"])["nonce"] == nonce + 1
    assert l1.receipt(taken_over["hash"]) is not None and l1.receipt(dead_hash) is None
    assert manager.latest_nonce() == nonce + 2


def blob_call() -> TxCandidate:
    """A batcher's blob transaction: one blob of frame bytes to the inbox stand-in."""
    return TxCandidate(to=OTHER.address, blobs=(encode_blob(b"frame of a dead batcher"),), gas_limit=21_000)


def assert_blob_cancel(cancel: dict[str, Any], replaced: FeeCaps) -> None:
    """`cancel` (as the pool shows it) is a blob transaction (a 0-value self-transfer carrying one
    blob) paying at least twice each fee cap of the transaction it replaced: the blob pool's
    replacement rule, checked here because anvil takes any transaction paying 10 % more."""
    assert int(cancel["type"], 16) == 3 and len(cancel["blobVersionedHashes"]) == 1
    assert (Web3.to_checksum_address(cancel["to"]), int(cancel["value"], 16)) == (SENDER.address, 0)
    assert int(cancel["maxFeePerGas"], 16) >= 2 * replaced.max_fee_per_gas
    assert int(cancel["maxPriorityFeePerGas"], 16) >= 2 * replaced.max_priority_fee_per_gas
    assert int(cancel["maxFeePerBlobGas"], 16) >= 2 * replaced.max_fee_per_blob_gas


def test_a_dead_batchers_pooled_blob_transaction_is_cancelled_by_a_blob_transaction(anvil: AnvilProcess, l1: L1Client) -> None:
    """A batcher pools a blob transaction and dies with its state file lost; the next base fee
    outgrows it. Was: the takeover left every pooled blob transaction "to its owner", whose
    records were gone, so the nonce stayed a gap and every later transaction of the key queued
    behind it for good (anvil evicts the stuck one when it mines, the later ones stay queued). Now
    it is cancelled by a blob transaction whose three fee caps each at least double the pooled
    one's (a blob pool takes nothing less); the cancel lands, the dead blob transaction never
    does, and the key's next send lands after it. A nonce the caller's records own is left."""
    dead_fees = FeeCaps(l1.fee_market().base_fee + GWEI, GWEI, 10)
    nonce, dead_hash = pool_and_die(anvil, l1, blob_call(), dead_fees)
    raise_next_base_fee(anvil, l1, 3 * dead_fees.max_fee_per_gas)
    restarted = TxManager(l1, SENDER.private_key, FAST)
    assert restarted.take_over_pool(owned={nonce}).left == (nonce,) and restarted.counters.sent == 0
    report = restarted.take_over_pool()
    [cancel] = report.cancelled
    assert report.left == () and report.replaced == () and restarted.counters.pool_cancels == 1
    [(key, pooled_cancel)] = pooled(anvil, SENDER.address).items()
    assert (int(key), pooled_cancel["hash"]) == (nonce, cancel.hash)
    assert_blob_cancel(pooled_cancel, dead_fees)
    anvil.rpc("evm_mine")
    assert l1.receipt(cancel.hash)["status"] == 1 and l1.receipt(dead_hash) is None
    anvil.rpc("evm_setAutomine", [True])
    receipt = restarted.send(transfer(7))
    assert l1.w3.eth.get_transaction(receipt["transactionHash"])["nonce"] == nonce + 1


def test_a_blob_senders_nonce_the_pool_hides_is_cancelled_by_a_blob_transaction(anvil: AnvilProcess, l1: L1Client) -> None:
    """The same behind an L1 that shows no pool (geth's default http.api): a key that sends blobs
    (`blob_sender`, the batcher with blobs) cancels the hidden nonce with a blob transaction at
    the market's fees doubled, as geth keeps an account's transactions in one pool and its blob
    pool takes a blob transaction's replacement only from another one (was: a plain 0-value
    transfer, which anvil takes but geth refuses). A key that sends no blobs still cancels with a
    plain transfer (`test_a_dead_processs_unknown_pooled_transaction_is_cancelled`)."""
    # the dead batcher paid the market's blob fee cap (a cancel blind to the pool outbids that, doubled)
    dead_fees = FeeCaps(l1.fee_market().base_fee + GWEI, GWEI, TxManager(l1, SENDER.private_key).market_fees().max_fee_per_blob_gas)
    nonce, dead_hash = pool_and_die(anvil, l1, blob_call(), dead_fees)
    raise_next_base_fee(anvil, l1, 3 * dead_fees.max_fee_per_gas)
    # (a fee limit above the market's doubled max fee: earlier tests in this module raised L1's base fee)
    roomy = TxManagerConfig(poll_interval_s=0.05, receipt_timeout_s=30.0, max_fee_per_gas_limit=10**15)
    blind = TxManager(L1Client(Web3(GethWithoutTxpool(anvil))), SENDER.private_key, roomy)
    market = blind.market_fees()
    [cancel] = blind.take_over_pool(blob_sender=True).cancelled
    [(key, pooled_cancel)] = pooled(anvil, SENDER.address).items()
    assert (int(key), pooled_cancel["hash"]) == (nonce, cancel.hash)
    assert_blob_cancel(pooled_cancel, dead_fees)
    assert cancel.fees == FeeCaps(2 * market.max_fee_per_gas, 2 * market.max_priority_fee_per_gas, 2 * market.max_fee_per_blob_gas)
    anvil.rpc("evm_mine")
    assert l1.receipt(cancel.hash)["status"] == 1 and l1.receipt(dead_hash) is None
