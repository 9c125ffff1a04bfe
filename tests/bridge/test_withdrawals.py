"""HKD withdrawals end to end: initiated on Lantau's own L2 VM, proven on a real anvil against an
output root posted to the `OutputOracle`, finalized after the challenge period.

The L2 side is an in-process chain (the devnet genesis with its `L2ToL1MessagePasser` predeploy)
served by the node's real JSON-RPC application on a loopback port, so the client reads receipts
and `eth_getProof` exactly as it would from a running node. The proposer's output roots are
computed here independently, straight from the chain's state trie.

Every refusal is checked twice: the custom error (eth_call), then the same call mined anyway,
which must revert, emit nothing, move no HKD and leave the portal's records as they were.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import rlp
from aiohttp import web
from eth_account import Account
from eth_hash.auto import keccak
from eth_typing import ChecksumAddress, Hash32
from eth_utils import to_canonical_address, to_checksum_address
from trie import HexaryTrie
from web3 import Web3
from web3.logs import DISCARD

from bridge.anvil import AnvilProcess
from bridge.l1_contracts import L1Deployment, OracleConfig
from bridge.withdrawal import (
    MESSAGE_PASSER,
    NoOutputYet,
    OutputRootMismatch,
    OutputRootProof,
    WithdrawalError,
    WithdrawalNotFound,
    WithdrawalProof,
    WithdrawalRefused,
    WithdrawalTransaction,
    finalize,
    find_output_index_covering,
    proof_from_eip1186,
    prove,
    withdrawal_proof,
    withdrawal_status,
    withdrawals_in_receipt,
)
from genesis.artifacts import load_artifact
from genesis.config import GenesisAccount, GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT
from node.chain import BlockAttributes, Chain
from node.output_root import output_root, versioned_nonce
from node.rpc import create_rpc_app
from node.vm import LantauVM
from tests.bridge.l1_harness import L1
from tests.node.rpc.rpc_harness import l2_node_on

# L1 roles (dev accounts): the devnet's proposer and challenger, and the people of the tests.
DEPOSITOR, PROPOSER, CHALLENGER, RECIPIENT, RELAYER, FORWARDED_TO, FORWARDER_OWNER, ATTACKER = 1, 2, 3, 5, 6, 7, 8, 9
ALICE = dev_accounts()[0]  # the L2 account that withdraws
HKD_UNIT = 10**6
WEI_PER_UNIT = 10**12
BOND = 10**16
# The challenge period of this module's oracle and portal (the devnet's is 12 s): long enough that a
# loaded machine's slow steps between a proof and the test's next mined block never pass it (the
# tests jump over it with evm_mine; 12 s failed at load ~20). tests/bridge/conftest.py deploys with it.
PERIOD_S = 600
ORACLE_CONFIG = OracleConfig(finalization_period_s=PERIOD_S)
MID_PERIOD_S = 120  # a point inside the period the tests mine at, likewise with slack
INTERVAL = 10
BACKING_UNITS = 1_000 * HKD_UNIT  # deposited into the portal before any withdrawal
DEAD = "0x000000000000000000000000000000000000dEaD"
TRIE_ERRORS = {
    "EmptyProof", "MissingProofNode", "InvalidNodeHash", "InvalidNode", "UnusedProofNodes", "KeyNotFound",
    "RLPEmptyInput", "RLPTruncated", "RLPNonCanonicalSingleByte", "RLPNonCanonicalLength", "RLPTrailingBytes",
    "RLPNotAList", "RLPNotAString",
}


# --- the L2: an in-process chain behind the node's real JSON-RPC server ---------------------------


class L2RpcServer:
    """The node's aiohttp JSON-RPC application for `chain`, on its own event loop thread, so the
    (synchronous) tests and client reach it over HTTP."""

    def __init__(self, chain: Chain) -> None:
        self._app = create_rpc_app(l2_node_on(chain))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="l2-rpc", daemon=True)
        self._runner = web.AppRunner(self._app)
        self.url = ""

    def start(self) -> "L2RpcServer":
        self._thread.start()

        async def serve() -> str:
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            host, port = self._runner.addresses[0][:2]
            return f"http://{host}:{port}/"

        self.url = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


@dataclass
class World:
    """The L2 chain with its withdrawals, and the L1 pieces they target."""

    chain: Chain
    l2: Web3
    forwarder: ChecksumAddress
    withdrawals: dict[str, WithdrawalTransaction]
    l2_tx_hashes: dict[str, bytes]
    l2_block_of: dict[str, int]

    def output_root(self, l2_block: int) -> Hash32:
        """Computed here from the chain's own state trie, not through the client or the RPC."""
        header = self.chain.header_by_number(l2_block)
        account = HexaryTrie(self.chain.db, header.state_root).get(keccak(L2_TO_L1_MESSAGE_PASSER))
        return output_root(header.state_root, rlp.decode(account)[2], header.hash)


def _forward_call(token: str, calldata: bytes) -> bytes:
    """Data for the l1_harness forwarder: target (20 bytes) ++ payload."""
    return to_canonical_address(token) + calldata


def _erc20_transfer(to: str, amount: int) -> bytes:
    return keccak(b"transfer(address,uint256)")[:4] + to_canonical_address(to).rjust(32, b"\0") + amount.to_bytes(32, "big")


def _erc20_approve(spender: str, amount: int) -> bytes:
    return keccak(b"approve(address,uint256)")[:4] + to_canonical_address(spender).rjust(32, b"\0") + amount.to_bytes(32, "big")


@pytest.fixture(scope="module")
def world(anvil: AnvilProcess, w3: Web3, deployment: L1Deployment, dev_keys: tuple[str, ...]) -> Iterator[World]:
    """Set up once per module, before any test's snapshot: an L1 forwarder contract, 1,000 HKD of
    backing deposited into the portal, and an L2 chain of 20 blocks whose block 1 and block 15
    initiate the withdrawals the tests use."""
    l1 = L1.on(w3, anvil, deployment, dev_keys)
    forwarder = l1.deploy_forwarder(FORWARDER_OWNER)
    l1.ok(DEPOSITOR, l1.hkd.functions.approve(deployment.lantau_portal, BACKING_UNITS))
    l1.ok(DEPOSITOR, l1.portal.functions.depositHKD(l1.address(DEPOSITOR), BACKING_UNITS, 100_000, b""))

    hkd = deployment.hkd_stablecoin
    recipient, forwarded_to, attacker = l1.address(RECIPIENT), l1.address(FORWARDED_TO), l1.address(ATTACKER)
    # Records of withdrawals the L2 passer now refuses (test_withdrawal_refusals.py), written into
    # its genesis storage as a passer without those checks would have recorded them, so that the
    # portal's own checks (the second guard) are still tested against real proofs.
    unpayable = {
        "dust": WithdrawalTransaction(versioned_nonce(2**32), ALICE.address, recipient, 10**18 + 1, 100_000, b""),
        "to_token": WithdrawalTransaction(versioned_nonce(2**32 + 1), ALICE.address, to_checksum_address(hkd), 0, 100_000,
                                          _erc20_approve(attacker, 2**256 - 1)),
    }
    base = GenesisConfig.load()
    passer_account = base.alloc[L2_TO_L1_MESSAGE_PASSER]
    records = {int.from_bytes(w.storage_slot, "big"): 1 for w in unpayable.values()}
    genesis = base.with_accounts({L2_TO_L1_MESSAGE_PASSER: GenesisAccount(
        code=passer_account.code, storage={**passer_account.storage, **records})})
    chain = Chain.open(None, genesis)
    passer = Web3().eth.contract(abi=list(load_artifact("L2ToL1MessagePasser").abi))
    # name: (target, HKD wei, L1 gas limit, data)
    plan_block_1 = {
        "main": (recipient, 250_250_000_000_000_000_000, 100_000, b""),  # 250.25 HKD
        "call": (forwarder, 10 * 10**18, 100_000, _forward_call(hkd, _erc20_transfer(forwarded_to, 10 * HKD_UNIT))),
        "failing_call": (forwarder, 10**18, 100_000, _forward_call(hkd, _erc20_transfer(forwarded_to, 2 * HKD_UNIT))),
        "second": (recipient, 7 * 10**18, 100_000, b""),
    }
    plan_block_15 = {"late": (recipient, 5 * 10**18, 100_000, b"")}

    nonce = 0
    tx_hashes: dict[str, bytes] = {}
    block_of: dict[str, int] = {}

    def build(plan: dict[str, tuple[str, int, int, bytes]]) -> None:
        nonce_ = nonce
        txs = []
        for name, (target, value, gas_limit, data) in plan.items():
            calldata = passer.encode_abi("initiateWithdrawal", args=[to_checksum_address(target), gas_limit, data])
            signed = Account.sign_transaction(
                {"to": MESSAGE_PASSER, "value": value, "gas": 300_000, "data": calldata, "maxFeePerGas": 3 * 10**9,
                 "maxPriorityFeePerGas": 10, "nonce": nonce_, "chainId": chain.chain_id, "type": 2},
                ALICE.private_key,
            )
            nonce_ += 1
            txs.append(LantauVM.get_transaction_builder().decode(bytes(signed.raw_transaction)))
            tx_hashes[name] = bytes(txs[-1].hash)
        head = chain.head
        built = chain.build_block(head, BlockAttributes(timestamp=head.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT,
                                                        prev_randao=b"\x01" * 32, gas_limit=head.gas_limit), txs)
        assert not built.rejected and all(receipt.gas_used > 0 for receipt in built.receipts)
        for name in plan:
            block_of[name] = built.header.block_number

    for number in range(1, 21):
        plan = plan_block_1 if number == 1 else plan_block_15 if number == 15 else {}
        build(plan)
        nonce += len(plan)
    assert chain.head.block_number == 20

    server = L2RpcServer(chain).start()
    try:
        l2 = Web3(Web3.HTTPProvider(server.url, request_kwargs={"timeout": 30}))
        withdrawals: dict[str, WithdrawalTransaction] = dict(unpayable)
        block_of.update({name: 0 for name in unpayable})
        for name, tx_hash in tx_hashes.items():
            (withdrawal,) = withdrawals_in_receipt(l2.eth.get_transaction_receipt(tx_hash))
            withdrawals[name] = withdrawal
        yield World(chain, l2, forwarder, withdrawals, tx_hashes, block_of)
    finally:
        server.stop()


# --- helpers --------------------------------------------------------------------------------------


def propose(l1: L1, world: World, l2_block: int, root: bytes | None = None) -> dict[str, Any]:
    return l1.ok(PROPOSER, l1.oracle.functions.proposeL2Output(root or world.output_root(l2_block), l2_block, bytes(32), 0),
                 value=BOND)


def timestamp_of(l1: L1, receipt: dict[str, Any]) -> int:
    return int(l1.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def next_block_at(l1: L1, timestamp: int) -> None:
    """The next mined block (the next transaction's, on automine) gets exactly `timestamp`."""
    l1.anvil.rpc("evm_setNextBlockTimestamp", [timestamp])


def mine_at(l1: L1, timestamp: int) -> None:
    """Mine an empty block at `timestamp`, so that calls, gas estimates and later transactions
    all see at least that L1 time."""
    l1.anvil.rpc("evm_mine", [timestamp])


def send_exactly_at(l1: L1, timestamp: int, index: int, call: Any) -> dict[str, Any]:
    """Mine `call` in a block stamped `timestamp` (no gas estimate, which would run earlier)."""
    next_block_at(l1, timestamp)
    receipt = l1.send(index, call, gas=1_000_000)
    assert timestamp_of(l1, receipt) == timestamp
    return receipt


def proven_record(l1: L1, withdrawal: WithdrawalTransaction) -> tuple[bytes, int, int]:
    root, timestamp, index = l1.portal.functions.provenWithdrawals(withdrawal.withdrawal_hash).call()
    return bytes(root), int(timestamp), int(index)


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused call must leave as it was."""

    hkd: tuple[int, ...]
    total_withdrawn: int
    proven: tuple[tuple[bytes, int, int], ...]
    finalized: tuple[bool, ...]


def snapshot(l1: L1, world: World) -> Snapshot:
    holders = [l1.portal.address, l1.address(RECIPIENT), world.forwarder, l1.address(FORWARDED_TO), l1.address(RELAYER)]
    withdrawals = list(world.withdrawals.values())
    return Snapshot(
        hkd=tuple(l1.hkd_balance(holder) for holder in holders),
        total_withdrawn=int(l1.portal.functions.totalWithdrawn().call()),
        proven=tuple(proven_record(l1, w) for w in withdrawals),
        finalized=tuple(bool(l1.portal.functions.finalizedWithdrawals(w.withdrawal_hash).call()) for w in withdrawals),
    )


def refused(l1: L1, world: World, index: int, call: Any, name: str, args: tuple[Any, ...] | None = None) -> None:
    """`call` reverts with custom error `name` (and `args`, if given); mined anyway, it reverts,
    emits nothing and changes nothing."""
    error = l1.revert_of(index, call)
    assert error.name == name, str(error)
    if args is not None:
        assert error.args == args, str(error)
    before = snapshot(l1, world)
    l1.expect_failed_tx(index, call)
    assert snapshot(l1, world) == before


def prove_call(l1: L1, withdrawal: WithdrawalTransaction, index: int, proof: WithdrawalProof) -> Any:
    return l1.portal.functions.proveWithdrawalTransaction(
        withdrawal.as_abi(), index, proof.output_root_proof.as_abi(), list(proof.storage_proof)
    )


def finalize_call(l1: L1, withdrawal: WithdrawalTransaction) -> Any:
    return l1.portal.functions.finalizeWithdrawalTransaction(withdrawal.as_abi())


def propose_and_prove(l1: L1, world: World, name: str) -> tuple[WithdrawalTransaction, WithdrawalProof, int]:
    """Post the output of block 10 and prove `name` against it; returns the proof's L1 time."""
    withdrawal = world.withdrawals[name]
    propose(l1, world, INTERVAL)
    proof = withdrawal_proof(world.l2, withdrawal, INTERVAL)
    receipt = prove(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal, 0, proof)
    return withdrawal, proof, timestamp_of(l1, dict(receipt))


# --- tests ----------------------------------------------------------------------------------------


def test_the_portal_proves_against_the_devnet_oracle(l1: L1) -> None:
    oracle = l1.oracle.functions
    assert l1.portal.functions.oracle().call() == l1.deployment.output_oracle
    assert l1.deployment.address_of("OutputOracle") == l1.deployment.output_oracle
    assert (oracle.submissionInterval().call(), oracle.l2BlockTime().call(), oracle.startingBlockNumber().call(),
            oracle.startingTimestamp().call()) == (INTERVAL, 1, 0, GenesisConfig.load().timestamp)
    assert (oracle.proposer().call(), oracle.challenger().call()) == (l1.address(PROPOSER), l1.address(CHALLENGER))
    assert (oracle.finalizationPeriodSeconds().call(), oracle.requiredBond().call()) == (PERIOD_S, BOND)
    assert l1.portal.functions.finalizationPeriodSeconds().call() == PERIOD_S
    assert l1.portal.functions.withdrawalSender().call() == DEAD
    assert l1.portal.functions.totalWithdrawn().call() == 0


def test_the_client_reads_withdrawals_from_l2_receipts(world: World, l1: L1) -> None:
    main = world.withdrawals["main"]
    assert main == WithdrawalTransaction(
        nonce=versioned_nonce(0), sender=ALICE.address, target=l1.address(RECIPIENT),
        value=250_250_000_000_000_000_000, gas_limit=100_000, data=b"",
    )
    assert main.l1_amount == 250_250_000
    # The passer recorded exactly this hash, in the state of its block.
    state = world.chain.state_at(world.chain.header_by_number(1))
    for name, withdrawal in world.withdrawals.items():
        slot = int.from_bytes(withdrawal.storage_slot, "big")
        assert state.get_storage(L2_TO_L1_MESSAGE_PASSER, slot) == (1 if world.l2_block_of[name] <= 1 else 0), name
    # Nonces follow the passer's count, one per withdrawal initiated on L2.
    sent = [w.nonce for name, w in world.withdrawals.items() if name in world.l2_tx_hashes]
    assert sent == list(range(len(world.l2_tx_hashes)))


def test_round_trip_releases_exactly_250_25_hkd(world: World, l1: L1) -> None:
    withdrawal = world.withdrawals["main"]
    with pytest.raises(NoOutputYet):
        find_output_index_covering(l1.w3, l1.deployment, world.l2_block_of["main"])

    propose_receipt = propose(l1, world, INTERVAL)
    index = find_output_index_covering(l1.w3, l1.deployment, world.l2_block_of["main"])
    assert index == 0
    proof = withdrawal_proof(world.l2, withdrawal, INTERVAL)
    assert proof.output_root_proof.output_root == world.output_root(INTERVAL) == l1.oracle.functions.getL2Output(0).call()[0]

    recipient, portal = l1.address(RECIPIENT), l1.portal.address
    recipient_before, portal_before = l1.hkd_balance(recipient), l1.hkd_balance(portal)
    prove_receipt = dict(prove(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal, index, proof))
    proven_at = timestamp_of(l1, prove_receipt)
    (event,) = l1.portal.events.WithdrawalProven().process_receipt(prove_receipt, errors=DISCARD)
    assert dict(event["args"]) == {"withdrawalHash": withdrawal.withdrawal_hash, "from": ALICE.address, "to": recipient}
    assert proven_record(l1, withdrawal) == (world.output_root(INTERVAL), proven_at, 0)
    status = withdrawal_status(l1.w3, l1.deployment, withdrawal)
    assert (status.proven_at, status.l2_output_index, status.finalizable_at, status.finalized) == (
        proven_at, 0, proven_at + PERIOD_S + 1, False
    )
    assert l1.hkd_balance(recipient) == recipient_before  # proving pays nothing

    mine_at(l1, proven_at + PERIOD_S + 1)
    finalize_receipt = dict(finalize(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal))
    (finalized,) = l1.portal.events.WithdrawalFinalized().process_receipt(finalize_receipt, errors=DISCARD)
    assert dict(finalized["args"]) == {"withdrawalHash": withdrawal.withdrawal_hash, "success": True}
    (transfer,) = l1.hkd.events.Transfer().process_receipt(finalize_receipt, errors=DISCARD)
    assert dict(transfer["args"]) == {"from": portal, "to": recipient, "value": 250_250_000}
    # 250.25 HKD = 250_250_000 units of 6 decimals = 250.25 * 10**18 wei / 10**12, exactly.
    assert l1.hkd_balance(recipient) == recipient_before + 250_250_000
    assert l1.hkd_balance(portal) == portal_before - 250_250_000
    assert l1.portal.functions.totalWithdrawn().call() == 250_250_000
    assert l1.portal.functions.totalDeposited().call() == BACKING_UNITS
    assert l1.portal.functions.finalizedWithdrawals(withdrawal.withdrawal_hash).call() is True
    assert withdrawal_status(l1.w3, l1.deployment, withdrawal).finalized is True
    print(f"\nL1 gas: propose {propose_receipt['gasUsed']}, prove {prove_receipt['gasUsed']}"
          f" ({len(proof.storage_proof)} storage proof nodes), finalize {finalize_receipt['gasUsed']}")


def test_finalize_before_the_period_is_refused_to_the_second(world: World, l1: L1) -> None:
    withdrawal, _, proven_at = propose_and_prove(l1, world, "main")
    call = finalize_call(l1, withdrawal)
    refused(l1, world, RELAYER, call, "ProofNotOldEnough", (proven_at, proven_at + PERIOD_S + 1))
    with pytest.raises(WithdrawalRefused, match=r"ProofNotOldEnough"):
        finalize(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal)
    # Exactly `period` seconds after the proof is still too early; one second later is not.
    before = snapshot(l1, world)
    too_early = send_exactly_at(l1, proven_at + PERIOD_S, RELAYER, call)
    assert too_early["status"] == 0 and too_early["logs"] == []
    assert snapshot(l1, world) == before
    assert send_exactly_at(l1, proven_at + PERIOD_S + 1, RELAYER, call)["status"] == 1
    assert l1.hkd_balance(l1.portal.address) == before.hkd[0] - 250_250_000


def test_finalize_twice_is_refused(world: World, l1: L1) -> None:
    withdrawal, proof, proven_at = propose_and_prove(l1, world, "main")
    mine_at(l1, proven_at + PERIOD_S + 1)
    l1.ok(RELAYER, finalize_call(l1, withdrawal))
    refused(l1, world, RELAYER, finalize_call(l1, withdrawal), "AlreadyFinalized", (withdrawal.withdrawal_hash,))
    refused(l1, world, ATTACKER, prove_call(l1, withdrawal, 0, proof), "AlreadyFinalized", (withdrawal.withdrawal_hash,))
    assert l1.portal.functions.totalWithdrawn().call() == 250_250_000


def test_prove_against_an_output_that_does_not_exist(world: World, l1: L1) -> None:
    withdrawal = world.withdrawals["main"]
    proof = withdrawal_proof(world.l2, withdrawal, INTERVAL)
    refused(l1, world, RELAYER, prove_call(l1, withdrawal, 0, proof), "OutputNotFound", (0,))
    propose(l1, world, INTERVAL)
    refused(l1, world, RELAYER, prove_call(l1, withdrawal, 5, proof), "OutputNotFound", (5,))
    with pytest.raises(WithdrawalRefused, match=r"OutputNotFound\(5\)"):
        prove(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal, 5, proof)
    # Never proven, so there is nothing to finalize either.
    refused(l1, world, RELAYER, finalize_call(l1, withdrawal), "WithdrawalNotProven", (withdrawal.withdrawal_hash,))


def test_forged_proofs_are_refused_with_the_trie_errors(world: World, l1: L1) -> None:
    withdrawal = world.withdrawals["main"]
    propose(l1, world, INTERVAL)
    proof = withdrawal_proof(world.l2, withdrawal, INTERVAL)
    nodes = list(proof.storage_proof)
    assert len(nodes) >= 2
    # One flipped byte in any node: that node no longer hashes to what its parent (or the
    # storage root, for node 0) commits to.
    for position, node in enumerate(nodes):
        forged = bytearray(node)
        forged[len(forged) // 2] ^= 0x01
        bad = WithdrawalProof(proof.l2_block_number, proof.output_root_proof,
                              tuple(nodes[:position] + [bytes(forged)] + nodes[position + 1:]))
        error = l1.revert_of(RELAYER, prove_call(l1, withdrawal, 0, bad))
        assert (error.name, error.args) == ("InvalidNodeHash", (position,)), str(error)
        if position == len(nodes) - 1:  # mine one of them too
            refused(l1, world, RELAYER, prove_call(l1, withdrawal, 0, bad), "InvalidNodeHash", (position,))
    # Proof elements missing or extra.
    short = WithdrawalProof(proof.l2_block_number, proof.output_root_proof, tuple(nodes[:-1]))
    assert l1.revert_of(RELAYER, prove_call(l1, withdrawal, 0, short)).name == "MissingProofNode"
    extra = WithdrawalProof(proof.l2_block_number, proof.output_root_proof, tuple(nodes + [nodes[-1]]))
    assert l1.revert_of(RELAYER, prove_call(l1, withdrawal, 0, extra)).name == "UnusedProofNodes"

    # One flipped byte in the output root's preimage: it no longer hashes to the posted root.
    root_proof = proof.output_root_proof
    flipped = bytearray(root_proof.state_root)
    flipped[0] ^= 0x80
    forged_root = OutputRootProof(root_proof.version, Hash32(bytes(flipped)), root_proof.message_passer_storage_root,
                                  root_proof.latest_blockhash)
    bad_root = WithdrawalProof(proof.l2_block_number, forged_root, proof.storage_proof)
    refused(l1, world, RELAYER, prove_call(l1, withdrawal, 0, bad_root), "InvalidOutputRootProof", ())
    with pytest.raises(OutputRootMismatch):  # the client does not even send it
        prove(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal, 0, bad_root)
    version_1 = Hash32((1).to_bytes(32, "big"))
    other_version = WithdrawalProof(proof.l2_block_number, OutputRootProof(version_1, *root_proof.as_abi()[1:]),
                                    proof.storage_proof)
    error = l1.revert_of(RELAYER, prove_call(l1, withdrawal, 0, other_version))
    assert (error.name, error.args) == ("UnsupportedOutputVersion", (version_1,))

    # The genuine proof still works after all that.
    l1.ok(RELAYER, prove_call(l1, withdrawal, 0, proof))


def test_a_message_never_sent_cannot_be_proven(world: World, l1: L1) -> None:
    real = world.withdrawals["main"]
    fake = WithdrawalTransaction(real.nonce, real.sender, real.target, 1_000 * 10**18, real.gas_limit, real.data)
    propose(l1, world, INTERVAL)
    with pytest.raises(WithdrawalNotFound):
        withdrawal_proof(world.l2, fake, INTERVAL)  # the client checks the slot first

    # The L2 node's exclusion proof, sent anyway: the trie shows the slot empty.
    block = world.l2.eth.get_block(INTERVAL)
    answer = world.l2.eth.get_proof(MESSAGE_PASSER, [int.from_bytes(fake.storage_slot, "big")], INTERVAL)
    assert int.from_bytes(bytes(answer["storageProof"][0]["value"]), "big") == 0
    exclusion = WithdrawalProof(
        INTERVAL,
        OutputRootProof(Hash32(bytes(32)), Hash32(bytes(block["stateRoot"])), Hash32(bytes(answer["storageHash"])),
                        Hash32(bytes(block["hash"]))),
        tuple(bytes(node) for node in answer["storageProof"][0]["proof"]),
    )
    refused(l1, world, ATTACKER, prove_call(l1, fake, 0, exclusion), "KeyNotFound", (keccak(fake.storage_slot),))
    # The real withdrawal's (valid) proof does not prove the fake one either.
    genuine = withdrawal_proof(world.l2, real, INTERVAL)
    error = l1.revert_of(ATTACKER, prove_call(l1, fake, 0, genuine))
    assert error.name in TRIE_ERRORS, str(error)
    # A proof of the right slot taken before the withdrawal was sent (block 0 has no record).
    with pytest.raises(WithdrawalNotFound):
        proof_from_eip1186(real, 0, bytes(world.l2.eth.get_block(0)["hash"]), bytes(world.l2.eth.get_block(0)["stateRoot"]),
                           world.l2.eth.get_proof(MESSAGE_PASSER, [int.from_bytes(real.storage_slot, "big")], 0))


def test_an_amount_not_representable_in_6_decimals_is_refused_at_proof_time(world: World, l1: L1) -> None:
    dust = world.withdrawals["dust"]
    assert dust.value == 10**18 + 1
    with pytest.raises(WithdrawalError, match="not a whole number"):
        dust.l1_amount
    propose(l1, world, INTERVAL)
    proof = withdrawal_proof(world.l2, dust, INTERVAL)  # it was sent: the proof itself is valid
    refused(l1, world, RELAYER, prove_call(l1, dust, 0, proof), "AmountNotRepresentable", (10**18 + 1,))
    with pytest.raises(WithdrawalRefused, match=r"AmountNotRepresentable\(1000000000000000001\)"):
        prove(l1.w3, l1.deployment, l1.keys[RELAYER], dust, 0, proof)
    refused(l1, world, RELAYER, finalize_call(l1, dust), "WithdrawalNotProven", (dust.withdrawal_hash,))


def test_a_withdrawal_that_would_call_the_token_is_refused(world: World, l1: L1) -> None:
    """A call from the portal to the HKD token would spend the backing (here: approve an attacker)."""
    withdrawal = world.withdrawals["to_token"]
    assert withdrawal.target == l1.deployment.hkd_stablecoin
    propose(l1, world, INTERVAL)
    proof = withdrawal_proof(world.l2, withdrawal, INTERVAL)
    refused(l1, world, ATTACKER, prove_call(l1, withdrawal, 0, proof), "BadTarget", ())
    assert l1.hkd.functions.allowance(l1.portal.address, l1.address(ATTACKER)).call() == 0


def test_re_proving_against_a_valid_output_does_not_reset_the_timer(world: World, l1: L1) -> None:
    withdrawal, proof, proven_at = propose_and_prove(l1, world, "main")
    propose(l1, world, 2 * INTERVAL)
    later_proof = withdrawal_proof(world.l2, withdrawal, 2 * INTERVAL)
    record = proven_record(l1, withdrawal)
    mine_at(l1, proven_at + MID_PERIOD_S)
    # Anyone trying to prove it again, against the same output or a later one, is refused.
    refused(l1, world, ATTACKER, prove_call(l1, withdrawal, 0, proof), "WithdrawalAlreadyProven", (withdrawal.withdrawal_hash, 0))
    refused(l1, world, ATTACKER, prove_call(l1, withdrawal, 1, later_proof), "WithdrawalAlreadyProven",
            (withdrawal.withdrawal_hash, 0))
    assert proven_record(l1, withdrawal) == record
    # So the withdrawal pays out on the first proof's schedule.
    assert send_exactly_at(l1, proven_at + PERIOD_S + 1, RELAYER, finalize_call(l1, withdrawal))["status"] == 1
    assert l1.portal.functions.totalWithdrawn().call() == 250_250_000


def test_an_invalidated_output_blocks_finalization(world: World, l1: L1) -> None:
    withdrawal, proof, proven_at = propose_and_prove(l1, world, "main")
    l1.ok(CHALLENGER, l1.oracle.functions.invalidateOutput(0))
    mine_at(l1, proven_at + PERIOD_S + 1)
    refused(l1, world, RELAYER, finalize_call(l1, withdrawal), "OutputInvalidated", (0,))
    # Output 0 deleted and nothing at its index: the proof is dead.
    assert l1.oracle.functions.nextOutputIndex().call() == 0


def test_a_replaced_output_needs_a_new_proof_and_a_new_period(world: World, l1: L1) -> None:
    """A wrong output (a made-up state root, but the real passer storage root, so that proofs
    against it pass) is proven against, then deleted by the challenger and replaced with the
    true one: the old proof is dead, and a new one starts the period again."""
    withdrawal = world.withdrawals["main"]
    honest = withdrawal_proof(world.l2, withdrawal, INTERVAL).output_root_proof
    wrong = OutputRootProof(honest.version, Hash32(keccak(b"made up")), honest.message_passer_storage_root, honest.latest_blockhash)
    propose(l1, world, INTERVAL, root=wrong.output_root)
    wrong_proof = WithdrawalProof(INTERVAL, wrong, withdrawal_proof(world.l2, withdrawal, INTERVAL).storage_proof)
    with pytest.raises(OutputRootMismatch):  # the client notices the output is not its node's
        prove(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal, 0, withdrawal_proof(world.l2, withdrawal, INTERVAL))
    first_proof_at = timestamp_of(l1, l1.ok(RELAYER, prove_call(l1, withdrawal, 0, wrong_proof)))

    l1.ok(CHALLENGER, l1.oracle.functions.invalidateOutput(0))
    propose(l1, world, INTERVAL)  # the true root, at the same index
    mine_at(l1, first_proof_at + PERIOD_S + 1)
    refused(l1, world, RELAYER, finalize_call(l1, withdrawal), "OutputInvalidated", (0,))

    honest_proof = withdrawal_proof(world.l2, withdrawal, INTERVAL)
    proven_at = timestamp_of(l1, dict(prove(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal, 0, honest_proof)))
    assert proven_record(l1, withdrawal) == (world.output_root(INTERVAL), proven_at, 0)
    refused(l1, world, RELAYER, finalize_call(l1, withdrawal), "ProofNotOldEnough", (proven_at, proven_at + PERIOD_S + 1))
    mine_at(l1, proven_at + PERIOD_S + 1)
    l1.ok(RELAYER, finalize_call(l1, withdrawal))
    assert l1.portal.functions.totalWithdrawn().call() == 250_250_000


def test_the_same_root_posted_again_keeps_the_proof_but_waits_for_the_new_output(world: World, l1: L1) -> None:
    withdrawal, _, proven_at = propose_and_prove(l1, world, "main")
    l1.ok(CHALLENGER, l1.oracle.functions.invalidateOutput(0))
    mine_at(l1, proven_at + MID_PERIOD_S)
    reposted_at = timestamp_of(l1, propose(l1, world, INTERVAL))
    mine_at(l1, proven_at + PERIOD_S + 1)
    # The proof is old enough and its root is at its index again, but that output is young.
    refused(l1, world, RELAYER, finalize_call(l1, withdrawal), "OutputNotFinalized", (0,))
    refused(l1, world, ATTACKER, prove_call(l1, withdrawal, 0, withdrawal_proof(world.l2, withdrawal, INTERVAL)),
            "WithdrawalAlreadyProven", (withdrawal.withdrawal_hash, 0))
    mine_at(l1, reposted_at + PERIOD_S + 1)
    target_before = l1.hkd_balance(withdrawal.target)
    l1.ok(RELAYER, finalize_call(l1, withdrawal))
    assert l1.portal.functions.finalizedWithdrawals(withdrawal.withdrawal_hash).call() is True
    assert l1.hkd_balance(withdrawal.target) == target_before + withdrawal.l1_amount


def test_a_withdrawal_from_a_later_block_is_proven_against_the_output_covering_it(world: World, l1: L1) -> None:
    late = world.withdrawals["late"]
    assert world.l2_block_of["late"] == 15
    propose(l1, world, INTERVAL)
    with pytest.raises(NoOutputYet):
        find_output_index_covering(l1.w3, l1.deployment, 15)
    with pytest.raises(WithdrawalNotFound):
        withdrawal_proof(world.l2, late, INTERVAL)  # not sent yet at block 10
    propose(l1, world, 2 * INTERVAL)
    assert find_output_index_covering(l1.w3, l1.deployment, 15) == 1
    proof = withdrawal_proof(world.l2, late, 2 * INTERVAL)
    refused(l1, world, RELAYER, prove_call(l1, late, 0, proof), "InvalidOutputRootProof", ())
    with pytest.raises(OutputRootMismatch, match="is for L2 block 10"):
        prove(l1.w3, l1.deployment, l1.keys[RELAYER], late, 0, proof)
    prove(l1.w3, l1.deployment, l1.keys[RELAYER], late, 1, proof)
    assert proven_record(l1, late)[2] == 1


def test_a_withdrawal_with_data_pays_then_calls_its_target(world: World, l1: L1) -> None:
    """The forwarder receives 10 HKD and, in the same finalization, passes them on."""
    withdrawal, _, proven_at = propose_and_prove(l1, world, "call")
    forwarded_to = l1.address(FORWARDED_TO)
    before = l1.hkd_balance(forwarded_to)
    mine_at(l1, proven_at + PERIOD_S + 1)
    # Too little gas for the call's 100,000: refused, so a finalizer cannot make the call fail.
    required = 100_000 * 64 // 63 + 40_000
    error = l1.revert_of(RELAYER, finalize_call(l1, withdrawal), gas=150_000)
    assert error.name == "InsufficientGas" and error.args[1] == required and error.args[0] < required
    receipt = l1.ok(RELAYER, finalize_call(l1, withdrawal))
    (event,) = l1.portal.events.WithdrawalFinalized().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["success"] is True
    assert l1.hkd_balance(forwarded_to) == before + 10 * HKD_UNIT
    assert l1.hkd_balance(world.forwarder) == 0
    assert l1.portal.functions.withdrawalSender().call() == DEAD


def test_a_failing_call_still_finalizes_and_the_hkd_stays_with_the_target(world: World, l1: L1) -> None:
    withdrawal, proof, proven_at = propose_and_prove(l1, world, "failing_call")
    mine_at(l1, proven_at + PERIOD_S + 1)
    receipt = l1.ok(RELAYER, finalize_call(l1, withdrawal))
    (event,) = l1.portal.events.WithdrawalFinalized().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {"withdrawalHash": withdrawal.withdrawal_hash, "success": False}
    assert l1.hkd_balance(world.forwarder) == HKD_UNIT  # it tried to pass on 2 HKD, holding 1
    assert l1.portal.functions.finalizedWithdrawals(withdrawal.withdrawal_hash).call() is True
    refused(l1, world, RELAYER, finalize_call(l1, withdrawal), "AlreadyFinalized", (withdrawal.withdrawal_hash,))


def test_a_paused_portal_neither_proves_nor_finalizes(world: World, l1: L1) -> None:
    withdrawal, proof, proven_at = propose_and_prove(l1, world, "main")
    second = world.withdrawals["second"]
    second_proof = withdrawal_proof(world.l2, second, INTERVAL)
    l1.ok(0, l1.portal.functions.pause())
    mine_at(l1, proven_at + PERIOD_S + 1)
    refused(l1, world, RELAYER, finalize_call(l1, withdrawal), "Paused", ())
    refused(l1, world, RELAYER, prove_call(l1, second, 0, second_proof), "Paused", ())
    assert l1.portal.functions.finalizedWithdrawals(withdrawal.withdrawal_hash).call() is False
    assert proven_record(l1, second)[1] == 0  # never proven while paused
    l1.ok(0, l1.portal.functions.unpause())
    target_before = l1.hkd_balance(withdrawal.target)
    l1.ok(RELAYER, finalize_call(l1, withdrawal))
    assert l1.portal.functions.finalizedWithdrawals(withdrawal.withdrawal_hash).call() is True
    assert l1.hkd_balance(withdrawal.target) == target_before + withdrawal.l1_amount


def test_withdrawals_lower_the_backing_by_exactly_what_they_release(world: World, l1: L1) -> None:
    """Conservation: portal HKD + everything released == the backing deposited."""
    propose(l1, world, INTERVAL)
    names = ("main", "second", "call")
    proven_at = 0
    for name in names:
        withdrawal = world.withdrawals[name]
        proven_at = timestamp_of(l1, dict(prove(l1.w3, l1.deployment, l1.keys[RELAYER], withdrawal, 0,
                                                withdrawal_proof(world.l2, withdrawal, INTERVAL))))
    mine_at(l1, proven_at + PERIOD_S + 1)
    for name in names:
        finalize(l1.w3, l1.deployment, l1.keys[RELAYER], world.withdrawals[name])
    released = sum(world.withdrawals[name].l1_amount for name in names)
    assert released == 250_250_000 + 7 * HKD_UNIT + 10 * HKD_UNIT
    assert l1.portal.functions.totalWithdrawn().call() == released
    assert l1.hkd_balance(l1.portal.address) == BACKING_UNITS - released
