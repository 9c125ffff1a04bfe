"""Withdrawals the L1 portal would never pay are refused on L2, before any HKD is burned
(issue 9, finding 4).

The L2 is Lantau's own VM on the devnet genesis (whose `L2ToL1MessagePasser` knows the L1 portal,
the HKD token and the withdrawal gas bound), served by the node's real JSON-RPC application; the
L1 is a real anvil with the contracts deployed as a devnet deploys them. Each refusal is checked
twice: the named error (eth_call), then the transaction mined anyway, which must fail and leave
the sender poorer by its fee only, and the passer's balance, nonce and storage as they were.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_canonical_address, to_checksum_address
from trie import HexaryTrie
from web3 import Web3
from web3.exceptions import ContractCustomError

from bridge.devnet import GenesisL1Mismatch, check_genesis_knows_l1
from bridge.l1_contracts import L1Deployment
from bridge.withdrawal import MESSAGE_PASSER, PasserBounds, WithdrawalError, check_withdrawal, passer_bounds
from genesis.artifacts import load_artifact
from genesis.config import GenesisAccount, GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.l1_addresses import DEVNET_L1_BLOCK_GAS_LIMIT, devnet_l1_addresses, max_withdrawal_gas_limit
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT
from node.chain import BlockAttributes, Chain
from node.vm import LantauVM
from tests.bridge.test_withdrawals import L2RpcServer

ALICE = dev_accounts()[0]
RECIPIENT = dev_accounts()[5].address
MAX_GAS = (30_000_000 - 300_000) * 63 // 64  # what the devnet genesis writes (tests/genesis checks it)
PASSER_ABI = list(load_artifact("L2ToL1MessagePasser").abi)
PORTAL, HKD = (to_checksum_address(devnet_l1_addresses()[name]) for name in ("LantauPortal", "HKDStablecoin"))


@pytest.fixture(scope="module")
def l2() -> Iterator[tuple[Chain, Web3]]:
    chain = Chain.open(None, GenesisConfig.load())
    server = L2RpcServer(chain).start()
    try:
        yield chain, Web3(Web3.HTTPProvider(server.url, request_kwargs={"timeout": 30}))
    finally:
        server.stop()


def _passer(w3: Web3) -> Any:
    return w3.eth.contract(address=MESSAGE_PASSER, abi=PASSER_ABI)


def _mine(chain: Chain, w3: Web3, value: int, data: bytes) -> dict[str, Any]:
    """Alice's transaction to the passer, mined in a block of its own (no gas estimate, which
    would refuse it); returns its receipt as the node serves it."""
    signed = Account.sign_transaction(
        {"to": MESSAGE_PASSER, "value": value, "gas": 300_000, "data": data, "maxFeePerGas": 3 * 10**9,
         "maxPriorityFeePerGas": 10, "nonce": w3.eth.get_transaction_count(ALICE.address), "chainId": chain.chain_id,
         "type": 2},
        ALICE.private_key,
    )
    tx = LantauVM.get_transaction_builder().decode(bytes(signed.raw_transaction))
    head = chain.head
    built = chain.build_block(head, BlockAttributes(timestamp=head.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT,
                                                    prev_randao=b"\x01" * 32, gas_limit=head.gas_limit), [tx])
    assert not built.rejected
    return dict(w3.eth.get_transaction_receipt(tx.hash))


def _passer_state(chain: Chain) -> tuple[int, bytes]:
    """The passer's balance and storage root in the head state (records and nonce included)."""
    account = rlp.decode(HexaryTrie(chain.db, chain.head.state_root).get(keccak(L2_TO_L1_MESSAGE_PASSER)))
    return int.from_bytes(account[1], "big"), bytes(account[2])


def _error_of(w3: Web3, value: int, data: bytes) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(ContractCustomError) as caught:
        w3.eth.call({"from": ALICE.address, "to": MESSAGE_PASSER, "value": value, "data": data})
    revert = bytes.fromhex(str(caught.value.data).removeprefix("0x"))
    for entry in PASSER_ABI:
        if entry["type"] == "error":
            types = [i["type"] for i in entry["inputs"]]
            if keccak(f"{entry['name']}({','.join(types)})".encode())[:4] == revert[:4]:
                return entry["name"], tuple(w3.codec.decode(types, revert[4:]))
    raise AssertionError(f"unknown revert 0x{revert.hex()}")


def _initiate(w3: Web3, target: str, gas_limit: int, data: bytes) -> bytes:
    return bytes.fromhex(_passer(w3).encode_abi("initiateWithdrawal", args=[target, gas_limit, data])[2:])


CASES = {
    # name: (target, value wei, gas limit, data) -> (error, args)
    "dust": ((RECIPIENT, 10**12 + 1, 100_000, b""), ("AmountNotRepresentable", (10**12 + 1,))),
    "dust_below_one_unit": ((RECIPIENT, 999_999_999_999, 100_000, b""), ("AmountNotRepresentable", (999_999_999_999,))),
    "to_portal": ((PORTAL, 10**18, 100_000, b""), ("BadTarget", ())),
    "to_token": ((HKD, 0, 100_000, b"\x09\x5e\xa7\xb3"), ("BadTarget", ())),
    "to_zero": (("0x" + "00" * 20, 10**18, 100_000, b""), ("BadTarget", ())),
    "gas_above_any_l1_block": ((RECIPIENT, 10**18, 30_000_000, b""), ("WithdrawalGasLimitTooHigh", (30_000_000, MAX_GAS))),
    "gas_one_above_the_bound": ((RECIPIENT, 10**18, MAX_GAS + 1, b""), ("WithdrawalGasLimitTooHigh", (MAX_GAS + 1, MAX_GAS))),
    "data_share_over_the_bound": ((RECIPIENT, 10**18, MAX_GAS - 39, b"x"), ("WithdrawalGasLimitTooHigh", (MAX_GAS - 39, MAX_GAS - 40))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_withdrawal_l1_would_refuse_is_refused_on_l2_and_burns_nothing(l2: tuple[Chain, Web3], name: str) -> None:
    chain, w3 = l2
    (target, value, gas_limit, data), expected = CASES[name]
    calldata = _initiate(w3, to_checksum_address(target), gas_limit, data)
    assert _error_of(w3, value, calldata) == expected
    # The SDK refuses it before signing, with the same name.
    with pytest.raises(WithdrawalError, match=expected[0]):
        check_withdrawal(to_checksum_address(target), value, gas_limit, data, portal=PORTAL, hkd_token=HKD,
                         max_gas_limit=MAX_GAS)

    nonce_before = _passer(w3).functions.messageNonce().call()
    alice_before, passer_before = w3.eth.get_balance(ALICE.address), _passer_state(chain)
    receipt = _mine(chain, w3, value, calldata)
    assert receipt["status"] == 0 and receipt["logs"] == []
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(ALICE.address) == alice_before - fee  # the value never left her
    assert _passer_state(chain) == passer_before  # no HKD held for burning, no record, same nonce
    assert _passer(w3).functions.messageNonce().call() == nonce_before


def test_a_bare_transfer_of_dust_is_refused(l2: tuple[Chain, Web3]) -> None:
    """The receive() path withdraws to the sender with the default gas limit: the same checks."""
    chain, w3 = l2
    assert _error_of(w3, 10**18 + 1, b"") == ("AmountNotRepresentable", (10**18 + 1,))
    alice_before, passer_before = w3.eth.get_balance(ALICE.address), _passer_state(chain)
    receipt = _mine(chain, w3, 10**18 + 1, b"")
    assert receipt["status"] == 0
    assert w3.eth.get_balance(ALICE.address) == alice_before - receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert _passer_state(chain) == passer_before


def test_withdrawals_within_the_bounds_are_taken(l2: tuple[Chain, Web3]) -> None:
    """The edges of each rule pass: one whole L1 unit, zero HKD (a bare message), the largest gas
    limit, the largest gas limit that leaves room for the data."""
    chain, w3 = l2
    passer = _passer(w3)
    for value, gas_limit, data in ((10**12, 100_000, b""), (0, 100_000, b""), (10**18, MAX_GAS, b""), (5 * 10**12, MAX_GAS - 40, b"x")):
        check_withdrawal(RECIPIENT, value, gas_limit, data, portal=PORTAL, hkd_token=HKD, max_gas_limit=MAX_GAS)
        nonce = passer.functions.messageNonce().call()
        held = w3.eth.get_balance(MESSAGE_PASSER)
        receipt = _mine(chain, w3, value, _initiate(w3, RECIPIENT, gas_limit, data))
        assert receipt["status"] == 1
        (event,) = passer.events.MessagePassed().process_receipt(receipt)
        assert (event["args"]["nonce"], event["args"]["value"], event["args"]["gasLimit"]) == (nonce, value, gas_limit)
        assert passer.functions.messageNonce().call() == nonce + 1
        assert w3.eth.get_balance(MESSAGE_PASSER) == held + value


def test_the_gas_bound_is_what_an_l1_block_can_pay() -> None:
    assert max_withdrawal_gas_limit(DEVNET_L1_BLOCK_GAS_LIMIT) == MAX_GAS
    # The finalization of a withdrawal at the bound fits the L1 block: the call's 64/63 share
    # plus the reserve for the portal's own work.
    assert MAX_GAS * 64 // 63 + 300_000 <= DEVNET_L1_BLOCK_GAS_LIMIT < (MAX_GAS + 1) * 64 // 63 + 300_000 + 64
    with pytest.raises(ValueError):
        max_withdrawal_gas_limit(300_000)


def test_a_devnet_deployment_lands_where_the_genesis_expects(
    deployment: L1Deployment, w3: Web3, l2: tuple[Chain, Web3]
) -> None:
    """A fresh anvil and the devnet deployer give the L1 addresses the genesis wrote into the
    passer (and both sides scale by 10**12); a genesis naming other contracts is refused before
    the devnet starts."""
    assert (deployment.lantau_portal, deployment.hkd_stablecoin) == (PORTAL, HKD)
    passer = _passer(l2[1]).functions
    assert (passer.l1Portal().call(), passer.l1HkdToken().call(), passer.maxGasLimit().call()) == (PORTAL, HKD, MAX_GAS)
    portal = deployment.contract(w3, "LantauPortal")
    assert portal.functions.DECIMAL_SCALE().call() == passer.DECIMAL_SCALE().call() == 10**12
    genesis = GenesisConfig.load()
    check_genesis_knows_l1(genesis, deployment)
    passer = genesis.alloc[L2_TO_L1_MESSAGE_PASSER]
    unset = genesis.with_accounts({L2_TO_L1_MESSAGE_PASSER: dataclasses.replace(passer, storage={})})
    with pytest.raises(GenesisL1Mismatch, match="l1Portal"):
        check_genesis_knows_l1(unset, deployment)
    other_token = genesis.with_accounts(
        {L2_TO_L1_MESSAGE_PASSER: GenesisAccount(code=passer.code, storage={**passer.storage, 3: int(PORTAL, 16)})}
    )
    with pytest.raises(GenesisL1Mismatch, match="l1HkdToken"):
        check_genesis_knows_l1(other_token, deployment)
    assert to_canonical_address(PORTAL) == devnet_l1_addresses()["LantauPortal"]


def test_the_sdk_reads_the_bounds_from_the_l2_passer(l2: tuple[Chain, Web3]) -> None:
    assert passer_bounds(l2[1]) == PasserBounds(PORTAL, HKD, MAX_GAS)


def test_the_sdk_refuses_a_passer_that_cannot_say_what_l1_pays() -> None:
    """A passer from before these checks takes anything: the SDK will not withdraw through it."""
    old_passer = bytes.fromhex("60006000fd")  # PUSH1 0 PUSH1 0 REVERT: answers nothing, as the old code to l1Portal()
    genesis = GenesisConfig.load().with_accounts({L2_TO_L1_MESSAGE_PASSER: GenesisAccount(code=old_passer)})
    server = L2RpcServer(Chain.open(None, genesis)).start()
    try:
        with pytest.raises(WithdrawalError, match="before issue 9"):
            passer_bounds(Web3(Web3.HTTPProvider(server.url)))
    finally:
        server.stop()
