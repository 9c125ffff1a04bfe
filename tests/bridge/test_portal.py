"""LantauPortal on a real anvil: HKD deposits emit the OP Stack `TransactionDeposited` log with
exact 6 -> 18 decimal scaling, contract senders are aliased, every refused deposit reverts
with its own readable error, moves nothing and emits nothing, and one L1 block holds at most
`MAX_BLOCK_DEPOSITS` deposits carrying `MAX_BLOCK_DEPOSIT_DATA` bytes of data."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import Nonce

from node.deposit_chain import deposit_hash_chain
from node.deposit_event import TRANSACTION_DEPOSITED_TOPIC, DepositEvent, decode_block_deposits, decode_deposit_log, deposit_transaction
from bridge.l1_contracts import DEVNET_MINT_AMOUNT, HKD_UNIT

from tests.bridge.l1_harness import L1, sign_permit

ALIAS_OFFSET = 0x1111000000000000000000000000000000001111
DEPOSITOR, RECIPIENT = 1, 2
L2_GAS = 100_000


def alias(address: str) -> str:
    """OP's AddressAliasHelper.applyL1ToL2Alias, computed by hand."""
    return Web3.to_checksum_address(((int(address, 16) + ALIAS_OFFSET) % 2**160).to_bytes(20, "big"))


def deposits_in(l1: L1, receipt: dict[str, Any]) -> list[DepositEvent]:
    """The deposits of `receipt`, its L1 block's only transaction (automine): their positions in the
    block are their places among its portal logs."""
    logs = [log for log in receipt["logs"] if log["address"] == l1.portal.address and bytes(log["topics"][0]) == TRANSACTION_DEPOSITED_TOPIC]
    return [decode_deposit_log(log, position) for position, log in enumerate(logs)]


def hkd_deposit(l1: L1, sender: int, amount: int, *, to: int = RECIPIENT, data: bytes = b"") -> dict[str, Any]:
    l1.ok(sender, l1.hkd.functions.approve(l1.portal.address, amount))
    return l1.ok(sender, l1.portal.functions.depositHKD(l1.address(to), amount, L2_GAS, data))


def test_deposit_of_100_50_hkd_mints_exactly_100_50_native_hkd(l1: L1) -> None:
    amount = 100_500_000  # 100.50 HKD at 6 decimals
    depositor, recipient = l1.address(DEPOSITOR), l1.address(RECIPIENT)
    receipt = hkd_deposit(l1, DEPOSITOR, amount)

    (deposit,) = deposits_in(l1, receipt)
    assert deposit.mint == deposit.value == 100_500_000_000_000_000_000  # 100.50 * 10**18 wei
    assert deposit.from_address == bytes.fromhex(depositor[2:])  # an EOA: not aliased
    assert deposit.to_address == bytes.fromhex(recipient[2:])
    assert (deposit.version, deposit.gas_limit, deposit.is_creation, deposit.data) == (0, L2_GAS, False, b"")
    assert (deposit.l1_block_number, deposit.tx_hash) == (receipt["blockNumber"], bytes(receipt["transactionHash"]))
    assert deposit.l1_block_hash == bytes(receipt["blockHash"])

    # web3.py's own ABI decoding of the event, against the packed layout written out by hand.
    (event,) = l1.portal.events.TransactionDeposited().process_receipt(receipt, errors=DISCARD)
    assert (event.args["from"], event.args.to, event.args.version) == (depositor, recipient, 0)
    mint = 100_500_000 * 10**12
    assert event.args.opaqueData == mint.to_bytes(32, "big") * 2 + L2_GAS.to_bytes(8, "big") + b"\x00"

    assert l1.hkd_balance(l1.portal.address) == amount
    assert l1.hkd_balance(depositor) == DEVNET_MINT_AMOUNT - amount
    assert l1.portal.functions.totalDeposited().call() == amount


def test_measure_deposit_gas(l1: L1) -> None:
    """The L1 gas of a `depositHKD` (no data), from receipts. Each buys 100,000 L2 gas at the
    deposit base fee's floor (1 gwei per L2 gas) by burning 100,000 L1 gas, from which the
    portal's own work is deducted (`ResourceMetering`), so all cost about the same, except the
    first ever, whose work (first writes of the portal's slots, and of the block's
    `depositHashChain`: ~22,000) passes the 100,000 it burns."""
    first = hkd_deposit(l1, DEPOSITOR, 10 * HKD_UNIT)
    second = hkd_deposit(l1, 3, 20 * HKD_UNIT)
    third = hkd_deposit(l1, DEPOSITOR, 30 * HKD_UNIT)
    print(
        f"\nL1 gas of depositHKD: first ever {first['gasUsed']}, "
        f"new depositor {second['gasUsed']}, repeat depositor {third['gasUsed']}"
    )
    assert L2_GAS <= first["gasUsed"] < L2_GAS + 40_000
    for receipt in (second, third):
        assert L2_GAS <= receipt["gasUsed"] < L2_GAS + 30_000  # net of SSTORE refunds


def test_deposit_with_permit_and_data_at_the_minimum_gas(l1: L1) -> None:
    """No prior approval; 3 bytes of data need exactly 21_000 + 3 * 16 = 21_048 L2 gas."""
    amount = 7 * HKD_UNIT
    data = b"\x01\x02\x03"
    deadline = int(time.time()) + 3600
    v, r, s = sign_permit(l1, DEPOSITOR, l1.portal.address, amount, deadline)
    call = l1.portal.functions.depositHKDWithPermit(l1.address(RECIPIENT), amount, 21_048, data, deadline, v, r, s)
    (deposit,) = deposits_in(l1, l1.ok(DEPOSITOR, call))
    assert (deposit.mint, deposit.gas_limit, deposit.data) == (7 * 10**18, 21_048, data)
    assert l1.hkd.functions.allowance(l1.address(DEPOSITOR), l1.portal.address).call() == 0
    assert l1.hkd_balance(l1.portal.address) == amount


def test_deposit_transaction_mints_nothing(l1: L1) -> None:
    call = l1.portal.functions.depositTransaction(l1.address(RECIPIENT), 5 * 10**18, L2_GAS, False, b"\xab")
    (deposit,) = deposits_in(l1, l1.ok(DEPOSITOR, call))
    assert (deposit.mint, deposit.value, deposit.data, deposit.is_creation) == (0, 5 * 10**18, b"\xab", False)

    initcode = bytes.fromhex("600a600c600039600a6000f3") + b"\x00" * 10
    creation = l1.portal.functions.depositTransaction("0x" + "00" * 20, 0, 200_000, True, initcode)
    (deposit,) = deposits_in(l1, l1.ok(DEPOSITOR, creation))
    assert deposit.is_creation and deposit.to_address is None and deposit.data == initcode
    assert l1.hkd_balance(l1.portal.address) == 0
    assert l1.portal.functions.totalDeposited().call() == 0


def test_deposit_from_a_contract_is_aliased(l1: L1) -> None:
    forwarder = l1.deploy_forwarder(DEPOSITOR)
    amount = 3 * HKD_UNIT
    l1.ok(DEPOSITOR, l1.hkd.functions.transfer(forwarder, amount))

    def through_forwarder(target: str, call: ContractFunction) -> dict[str, Any]:
        payload = bytes.fromhex(target[2:]) + bytes.fromhex(call._encode_transaction_data()[2:])
        receipt = l1.send_raw(DEPOSITOR, forwarder, payload)
        assert receipt["status"] == 1
        return receipt

    through_forwarder(l1.hkd.address, l1.hkd.functions.approve(l1.portal.address, amount))
    receipt = through_forwarder(
        l1.portal.address, l1.portal.functions.depositHKD(l1.address(RECIPIENT), amount, L2_GAS, b"")
    )
    (deposit,) = deposits_in(l1, receipt)
    assert Web3.to_checksum_address(deposit.from_address) == alias(forwarder)
    assert deposit.mint == 3 * 10**18
    assert l1.hkd_balance(forwarder) == 0

    # The same rule, read from the contract: EOA keeps its address, a contract is aliased.
    eoa = l1.address(DEPOSITOR)
    assert l1.portal.functions.l2Sender(eoa, eoa).call() == eoa
    assert l1.portal.functions.l2Sender(forwarder, eoa).call() == alias(forwarder)
    # uint160 wraparound: 0xff…ff + 0x1111…1111 = 0x1111…1110
    top = "0x" + "ff" * 20
    assert l1.portal.functions.l1ToL2Alias(Web3.to_checksum_address(top)).call() == alias(top)
    assert alias(top) == Web3.to_checksum_address("0x1111000000000000000000000000000000001110")


def test_eip7702_delegated_eoa_is_not_aliased(l1: L1) -> None:
    """An EOA with EIP-7702 code keeps its address (its key controls it on L2 too), whether it
    sends the deposit itself or its delegated code is called by someone else (as OP's portal)."""
    forwarder = l1.deploy_forwarder(DEPOSITOR)
    delegator, sponsor = 5, 8
    authority = l1.account(delegator)
    authorization = Account.sign_authorization(
        {
            "chainId": l1.w3.eth.chain_id,
            "address": forwarder,
            "nonce": l1.w3.eth.get_transaction_count(authority.address),
        },
        authority.key,
    )
    call = l1.portal.functions.depositTransaction(l1.address(RECIPIENT), 0, L2_GAS, False, b"")
    payload = bytes.fromhex(l1.portal.address[2:]) + bytes.fromhex(call._encode_transaction_data()[2:])
    sponsor_account = l1.account(sponsor)
    tx: dict[str, Any] = {
        "chainId": l1.w3.eth.chain_id,
        "nonce": l1.w3.eth.get_transaction_count(sponsor_account.address),
        "to": authority.address,
        "value": 0,
        "data": payload,
        "gas": 300_000,
        "maxFeePerGas": 2 * l1.w3.eth.gas_price + 1,
        "maxPriorityFeePerGas": 1,
        "accessList": [],
        "authorizationList": [authorization],
    }
    tx_hash = l1.w3.eth.send_raw_transaction(sponsor_account.sign_transaction(tx).raw_transaction)
    receipt = dict(l1.w3.eth.wait_for_transaction_receipt(tx_hash))
    assert receipt["status"] == 1
    assert l1.w3.eth.get_code(authority.address) == b"\xef\x01\x00" + bytes.fromhex(forwarder[2:])

    (sponsored,) = deposits_in(l1, receipt)  # msg.sender = delegated EOA, tx.origin = sponsor
    assert sponsored.from_address == bytes.fromhex(authority.address[2:])
    (direct,) = deposits_in(l1, l1.ok(delegator, call))  # msg.sender = tx.origin, with code
    assert direct.from_address == bytes.fromhex(authority.address[2:])


# --- refusals: each names its cause, and leaves no trace -------------------------------------

Case = Callable[[L1], tuple[ContractFunction, str, tuple[Any, ...]]]


def _approve(l1: L1, amount: int) -> None:
    l1.ok(DEPOSITOR, l1.hkd.functions.approve(l1.portal.address, amount))


def frozen_depositor(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    # No approval on purpose: without the portal's up-front check the token would report a
    # missing allowance, not the freeze.
    l1.ok(0, l1.hkd.functions.freeze(l1.address(DEPOSITOR)))
    call = l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, L2_GAS, b"")
    return call, "AccountFrozen", (l1.address(DEPOSITOR),)


def portal_paused(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    _approve(l1, HKD_UNIT)
    l1.ok(0, l1.portal.functions.pause())
    return l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, L2_GAS, b""), "Paused", ()


def token_paused(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    _approve(l1, HKD_UNIT)
    l1.ok(0, l1.hkd.functions.pause())
    return l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, L2_GAS, b""), "Paused", ()


def token_paused_call(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    l1.ok(0, l1.hkd.functions.pause())
    return l1.portal.functions.depositTransaction(l1.address(RECIPIENT), 0, L2_GAS, False, b""), "Paused", ()


def gas_below_minimum(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    _approve(l1, HKD_UNIT)
    data = b"\xff" * 10  # minimum 21_000 + 10 * 16 = 21_160
    call = l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, 21_159, data)
    return call, "GasLimitTooLow", (21_159, 21_160)


def gas_above_maximum(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    _approve(l1, HKD_UNIT)
    call = l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, 20_000_001, b"")
    return call, "GasLimitTooHigh", (20_000_001, 20_000_000)


def data_above_cap(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    _approve(l1, HKD_UNIT)
    call = l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, 5_000_000, b"\x00" * 120_001)
    return call, "DataTooLarge", (120_001, 120_000)


def zero_amount(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    _approve(l1, HKD_UNIT)
    return l1.portal.functions.depositHKD(l1.address(RECIPIENT), 0, L2_GAS, b""), "ZeroAmount", ()


def hkd_to_zero_address(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    _approve(l1, HKD_UNIT)
    return l1.portal.functions.depositHKD("0x" + "00" * 20, HKD_UNIT, L2_GAS, b""), "BadTarget", ()


def creation_below_intrinsic_gas(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    # The chain halt: a creation with 21,000 gas. On L2 it needs 21,000 + 32,000
    # (EIP-2) + 16 * 10 bytes + 2 * 1 word of init code (EIP-3860) = 53,162.
    call = l1.portal.functions.depositTransaction("0x" + "00" * 20, 0, 53_161, True, b"\x60" * 10)
    return call, "GasLimitTooLow", (53_161, 53_162)


def creation_at_21000_gas(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    call = l1.portal.functions.depositTransaction("0x" + "00" * 20, 0, 21_000, True, b"")
    return call, "GasLimitTooLow", (21_000, 53_000)


def init_code_too_large(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    call = l1.portal.functions.depositTransaction("0x" + "00" * 20, 0, 5_000_000, True, b"\x00" * 49_153)
    return call, "InitCodeTooLarge", (49_153, 49_152)


def call_data_gas_too_low(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    # Zero bytes are charged 16 too (L2 charges 4): conservative, never below the L2's cost.
    call = l1.portal.functions.depositTransaction(l1.address(RECIPIENT), 0, 21_000 + 16 * 100 - 1, False, bytes(100))
    return call, "GasLimitTooLow", (22_599, 22_600)


def creation_with_target(l1: L1) -> tuple[ContractFunction, str, tuple[Any, ...]]:
    call = l1.portal.functions.depositTransaction(l1.address(RECIPIENT), 0, L2_GAS, True, b"\x00")
    return call, "BadTarget", ()


@pytest.mark.parametrize(
    "case",
    [
        frozen_depositor,
        portal_paused,
        token_paused,
        token_paused_call,
        gas_below_minimum,
        gas_above_maximum,
        data_above_cap,
        zero_amount,
        hkd_to_zero_address,
        creation_with_target,
        creation_below_intrinsic_gas,
        creation_at_21000_gas,
        init_code_too_large,
        call_data_gas_too_low,
    ],
    ids=lambda case: case.__name__,
)
def test_refused_deposit_names_its_cause_and_moves_nothing(l1: L1, case: Case) -> None:
    call, error, args = case(l1)
    depositor = l1.address(DEPOSITOR)

    def state() -> tuple[Any, ...]:
        return (l1.hkd_balance(depositor), l1.hkd_balance(l1.portal.address), l1.portal.functions.totalDeposited().call(),
                l1.portal.functions.params().call())

    before = state()

    revert = l1.revert_of(DEPOSITOR, call)
    assert (revert.name, revert.args) == (error, args)
    l1.expect_failed_tx(DEPOSITOR, call)  # mined anyway: status 0, no logs at all

    assert state() == before


def test_a_creation_at_exactly_its_l2_intrinsic_gas_is_accepted(l1: L1) -> None:
    init_code = b"\x60" * 16_384  # the most data one L1 block's deposits carry: 512 words
    minimum = 21_000 + 32_000 + 16 * 16_384 + 2 * 512
    receipt = l1.ok(DEPOSITOR, l1.portal.functions.depositTransaction("0x" + "00" * 20, 0, minimum, True, init_code))
    (deposit,) = deposits_in(l1, receipt)
    assert (deposit.is_creation, deposit.gas_limit, deposit.data) == (True, 316_168, init_code)


def in_one_block(l1: L1, index: int, calls: list[ContractFunction], gas: int = 400_000) -> list[dict[str, Any]]:
    """`calls` sent by account `index` and mined in one L1 block (automine off meanwhile), in order."""
    account = l1.account(index)
    nonce = l1.w3.eth.get_transaction_count(account.address)
    l1.anvil.rpc("evm_setAutomine", [False])
    try:
        hashes = []
        for offset, call in enumerate(calls):
            tx: dict[str, Any] = dict(call.build_transaction({"from": account.address, "nonce": Nonce(nonce + offset), "gas": gas}))  # type: ignore[arg-type]
            hashes.append(l1.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
        l1.anvil.rpc("evm_mine")
    finally:
        l1.anvil.rpc("evm_setAutomine", [True])
    receipts = [dict(l1.w3.eth.wait_for_transaction_receipt(h)) for h in hashes]
    assert len({r["blockNumber"] for r in receipts}) == 1
    return receipts


def block_deposits(l1: L1, receipt: dict[str, Any]) -> list[DepositEvent]:
    """Every portal deposit of `receipt`'s L1 block, in log order."""
    logs = l1.w3.eth.get_logs({"blockHash": receipt["blockHash"], "address": l1.portal.address, "topics": [TRANSACTION_DEPOSITED_TOPIC]})
    return decode_block_deposits(logs)


def test_deposits_are_bounded_per_l1_block(l1: L1) -> None:
    """One L1 block takes `MAX_BLOCK_DEPOSITS` (64) deposits; the next reverts `BlockDepositsFull`
    with nothing recorded: the block's chain, its deposits and the portal's totals are the 64's, and
    the following block takes deposits again. Each L2 transaction is named by its position."""
    portal = l1.portal.functions
    assert (portal.MAX_BLOCK_DEPOSITS().call(), portal.MAX_BLOCK_DEPOSIT_DATA().call()) == (64, 16_384)
    calls = [portal.depositTransaction(l1.address(RECIPIENT), 0, 21_000 + 16 * 3, False, i.to_bytes(3, "big")) for i in range(65)]
    receipts = in_one_block(l1, DEPOSITOR, calls)
    assert [r["status"] for r in receipts] == [1] * 64 + [0] and receipts[-1]["logs"] == []
    number = receipts[0]["blockNumber"]
    revert = l1.revert_of(DEPOSITOR, calls[-1])  # an eth_call runs in the latest block: its count is spent
    assert (revert.name, revert.args) == ("BlockDepositsFull", (64,))
    events = block_deposits(l1, receipts[0])
    assert [e.data for e in events] == [i.to_bytes(3, "big") for i in range(64)] and [e.position for e in events] == list(range(64))
    assert portal.depositHashChain(number).call() == deposit_hash_chain(deposit_transaction(e) for e in events)
    assert len({deposit_transaction(e).hash for e in events}) == 64
    after = l1.ok(DEPOSITOR, calls[-1])
    assert after["blockNumber"] == number + 1 and [e.position for e in block_deposits(l1, after)] == [0]
    assert portal.depositHashChain(number).call() == deposit_hash_chain(deposit_transaction(e) for e in events)


def test_deposit_data_is_bounded_per_l1_block(l1: L1) -> None:
    """One L1 block's deposits carry at most `MAX_BLOCK_DEPOSIT_DATA` (16,384) bytes of data; a
    deposit past it reverts `BlockDepositDataFull(used, size, max)`, moving no HKD, and the next
    L1 block takes it."""
    _approve(l1, 3 * HKD_UNIT)
    portal = l1.portal.functions
    calls = [portal.depositHKD(l1.address(RECIPIENT), HKD_UNIT, 21_000 + 16 * size, b"\x5a" * size) for size in (16_000, 384, 1)]
    totals = (portal.totalDeposited().call(), l1.hkd_balance(l1.portal.address))
    receipts = in_one_block(l1, DEPOSITOR, calls, gas=2_000_000)
    assert [r["status"] for r in receipts] == [1, 1, 0]
    number = receipts[0]["blockNumber"]
    revert = l1.revert_of(DEPOSITOR, calls[-1])
    assert (revert.name, revert.args) == ("BlockDepositDataFull", (16_384, 1, 16_384))
    events = block_deposits(l1, receipts[0])
    assert [len(e.data) for e in events] == [16_000, 384]
    assert portal.depositHashChain(number).call() == deposit_hash_chain(deposit_transaction(e) for e in events)
    assert (portal.totalDeposited().call(), l1.hkd_balance(l1.portal.address)) == (totals[0] + 2 * HKD_UNIT, totals[1] + 2 * HKD_UNIT)
    assert l1.ok(DEPOSITOR, calls[-1])["status"] == 1  # the next block has its own budget


def test_deposit_gas_is_budgeted_per_l1_block(l1: L1) -> None:
    """Two deposits in one L1 block may buy at most 20M L2 gas together (OP's `OutOfGas` past
    it); the next block has a fresh budget, at a higher price. Automine is off so that both land
    in the same block. Each pays its L2 gas by burning L1 gas (see test_deposit_market.py)."""
    _approve(l1, 2 * HKD_UNIT)
    first = l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, 15_000_000, b"")
    second = l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, 10_000_000, b"")
    l1.anvil.rpc("evm_setAutomine", [False])
    try:
        hashes = []
        for call, nonce_offset, gas in ((first, 0, 15_500_000), (second, 1, 10_500_000)):
            account = l1.account(DEPOSITOR)
            nonce = l1.w3.eth.get_transaction_count(account.address) + nonce_offset
            params = {"from": account.address, "nonce": Nonce(nonce), "gas": gas}
            tx: dict[str, Any] = dict(call.build_transaction(params))  # type: ignore[arg-type]
            hashes.append(l1.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
        l1.anvil.rpc("evm_mine")
    finally:
        l1.anvil.rpc("evm_setAutomine", [True])
    receipts = [l1.w3.eth.wait_for_transaction_receipt(h) for h in hashes]
    assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    assert [r["status"] for r in receipts] == [1, 0]
    assert l1.portal.functions.totalDeposited().call() == HKD_UNIT
    assert l1.portal.functions.params().call() == [10**9, 15_000_000, receipts[0]["blockNumber"]]

    # An eth_call runs in the context of the latest block, so it sees that block's budget spent
    # and names the refusal; a transaction lands in a new block with a fresh budget, priced up
    # by (15M - 2M target) / (2M * 8): 1 gwei -> 1.8125 gwei per L2 gas.
    revert = l1.revert_of(DEPOSITOR, second, gas=20_000_000)
    assert (revert.name, revert.args) == ("OutOfGas", ())
    receipt = l1.send(DEPOSITOR, second, gas=20_000_000)
    assert receipt["status"] == 1
    (deposit,) = deposits_in(l1, receipt)
    assert deposit.gas_limit == 10_000_000
    assert l1.portal.functions.params().call() == [1_812_500_000, 10_000_000, receipt["blockNumber"]]
    assert receipt["gasUsed"] >= 18_125_000  # 10M L2 gas * 1.8125 gwei / 1 gwei, burned


def test_only_the_guardian_pauses(l1: L1) -> None:
    revert = l1.revert_of(3, l1.portal.functions.pause())
    assert (revert.name, revert.args) == ("NotGuardian", (l1.address(3),))
    l1.ok(0, l1.portal.functions.pause())
    assert l1.portal.functions.isPaused().call()
    l1.ok(0, l1.portal.functions.unpause())
    assert not l1.portal.functions.isPaused().call()


def test_to_l1_amount_refuses_dust(l1: L1) -> None:
    to_l1 = l1.portal.functions.toL1Amount
    assert to_l1(100_500_000 * 10**12).call() == 100_500_000
    assert to_l1(0).call() == 0
    for dust in (1, 10**12 - 1, 100_500_000 * 10**12 + 1, 2**256 - 1):
        revert = l1.revert_of(DEPOSITOR, to_l1(dust))
        assert (revert.name, revert.args) == ("AmountNotRepresentable", (dust,))
    assert l1.portal.functions.toL2Amount(100_500_000).call() == 100_500_000 * 10**12
