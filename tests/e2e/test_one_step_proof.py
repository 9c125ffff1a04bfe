"""The whole one-step transaction proof end to end (docs/fault-proofs.md, "The whole step").

A real `lantau node` (sequencer, with a real anvil L1 for deposits) runs a workload: HKD transfers
(EIP-1559 and legacy), a contract deployment, Probe calls that write storage, clear a slot and
revert, a deposit that mints and one whose call reverts, beside every block's L1-info deposit.
For every transaction of every block the workload touched, `lantau_txWitness` gives the witness;
`OneStepProof` on a second anvil (the step's L1, with a gas limit high enough to measure past
EIP-7825) turns it into a post-state root, once in one call (`proveTransaction`) and once staged
(load, execute, commit as three L1 transactions). Both must equal the root the chain computed:
the witness's post-state root, and for a block's last transaction the header's stateRoot. Success,
gas used and logs hash must equal the receipt's. A bad input of each kind reverts by name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from trie import HexaryTrie
from trie.exceptions import MissingTrieNode as PyTrieMissingNode
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.anvil import AnvilProcess
from bridge.deposit_client import deposit_hkd, wait_for_l2_receipt
from bridge.devnet import L1Devnet, save_rollup_config
from genesis.artifacts import load_artifact
from genesis.config import DEVNET_GENESIS_PATH
from genesis.dev_accounts import dev_accounts
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from prover.step_call import StepCall
from tests.harness.devnet import running_l1_devnet
from tests.harness.evm import Contracts, decode_custom_error, dev_keys
from tests.contracts.step_diff import STEP_ANVIL_GAS_LIMIT, STEP_ANVIL_OPTIONS, caps_abi
from tests.harness.node_process import LantauNodeProcess

ALICE, BOB, CAROL, DAVE = (dev_accounts()[i] for i in (0, 1, 2, 3))
EIP_7825_TX_GAS_CAP = 16_777_216


@dataclass(frozen=True)
class ProvenTx:
    kind: str  # what the workload did, or "L1-info deposit"
    block_number: int
    index: int
    last_in_block: bool
    header_state_root: bytes
    witness: dict[str, Any]  # lantau_txWitness's answer
    receipt: dict[str, Any]

    @property
    def call(self) -> StepCall:
        return StepCall.from_rpc(self.witness)


# --- the L2 workload --------------------------------------------------------------------------


def _send(l2: Web3, account: Any, tx: dict[str, Any]) -> dict[str, Any]:
    nonce = l2.eth.get_transaction_count(account.address, "pending")
    if "gasPrice" not in tx:
        tx = {"maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, **tx}
    signed = Account.sign_transaction({"chainId": l2.eth.chain_id, "nonce": nonce, "value": 0, **tx}, account.private_key)
    return dict(wait_for_l2_receipt(l2, l2.eth.send_raw_transaction(signed.raw_transaction), timeout_s=60))


def _run_workload(l1: L1Devnet, l2: Web3) -> list[tuple[str, dict[str, Any]]]:
    l1_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url))
    done: list[tuple[str, dict[str, Any]]] = []
    done.append(("HKD transfer (0x02)", _send(l2, ALICE, {"to": DAVE.address, "value": 10**18, "gas": 21_000})))
    done.append(("HKD transfer (legacy)", _send(l2, BOB, {"to": DAVE.address, "value": 3, "gas": 21_000, "gasPrice": 10**11})))
    probe_artifact = load_artifact("Probe")
    deployed = _send(l2, ALICE, {"data": probe_artifact.bytecode, "gas": 1_000_000})
    done.append(("deploy Probe", deployed))
    probe = l2.eth.contract(address=deployed["contractAddress"], abi=list(probe_artifact.abi))

    def probe_call(account: Any, value: int, note: str, gas: int = 200_000) -> dict[str, Any]:
        return _send(l2, account, {"to": probe.address, "data": probe.encode_abi("set", [value, note]), "gas": gas})

    done.append(("Probe.set: 2 new slots, a log", probe_call(ALICE, 5, "five")))
    done.append(("Probe.set: update + new slot", probe_call(BOB, 7, "")))
    done.append(("Probe.set(0): a slot cleared", probe_call(ALICE, 0, "zero")))
    done.append(("Probe.set(13): reverts", probe_call(BOB, 13, "")))
    for kind, receipt in done:
        assert receipt["status"] == (0 if "reverts" in kind else 1), kind

    minted = deposit_hkd(l1_w3, l1.deployment, ALICE.private_key, to=CAROL.address, amount_units=2_000_000)
    reverting = deposit_hkd(l1_w3, l1.deployment, ALICE.private_key, to=probe.address, amount_units=1_000_000,
                            gas_limit=200_000, data=bytes.fromhex(probe.encode_abi("set", [13, "via L1"])[2:]))
    l1.anvil.rpc("evm_mine")  # the L1 origin advances once the next L1 block exists
    done.append(("deposit: mint", dict(wait_for_l2_receipt(l2, minted.l2_tx_hash, timeout_s=60))))
    done.append(("deposit: call reverts", dict(wait_for_l2_receipt(l2, reverting.l2_tx_hash, timeout_s=60))))
    assert done[-2][1]["status"] == 1 and done[-1][1]["status"] == 0
    return done


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> list[ProvenTx]:
    """Every transaction of every block the workload touched, with its witness (nodes stopped after)."""
    tmp = tmp_path_factory.mktemp("one_step_proof")
    with running_l1_devnet(block_time_s=None) as l1:
        node = LantauNodeProcess(tmp / "l2", block_time_s=0.25, extra_args=(
            "--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(save_rollup_config(l1.deployment, DEVNET_GENESIS_PATH, tmp))))
        try:
            node.start()
            l2 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
            done = _run_workload(l1, l2)
            kinds = {bytes(r["transactionHash"]): kind for kind, r in done}
            result = []
            for number in sorted({int(r["blockNumber"]) for _, r in done}):
                block = l2.eth.get_block(number)
                hashes = [bytes(h) for h in block["transactions"]]
                for index, tx_hash in enumerate(hashes):
                    witness = node.rpc("lantau_txWitness", [hex(number), hex(index)])
                    assert isinstance(witness, dict)
                    result.append(ProvenTx(
                        kind=kinds.get(tx_hash, "L1-info deposit" if index == 0 else "other"),
                        block_number=number, index=index, last_in_block=index == len(hashes) - 1,
                        header_state_root=bytes(block["stateRoot"]), witness=witness,
                        receipt=dict(l2.eth.get_transaction_receipt(tx_hash)),
                    ))
            return result
        finally:
            try:
                node.stop()
            finally:
                node.kill()


# --- the step's L1 ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def step_l1() -> Iterator[Contracts]:
    with AnvilProcess(STEP_ANVIL_OPTIONS) as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 120}))
        yield Contracts(w3=w3, anvil=anvil, keys=dev_keys())


@pytest.fixture(scope="module")
def proof(step_l1: Contracts) -> Contract:
    """`OneStepProofHarness` (OneStepProof + `measure`) with the devnet's proof-cost caps, the
    rollup config the L2 node runs with."""
    step = step_l1.deploy("EVMStep", step_l1.deploy("EVMTx").address, step_l1.deploy("EVMPrecompiles").address)
    return step_l1.deploy("OneStepProofHarness", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))


def _error_abi() -> list[dict[str, Any]]:
    return [*load_artifact("OneStepProofHarness").abi, *load_artifact("WitnessChunks").abi, *load_artifact("EVMStep").abi]


def revert_of(function: Any) -> tuple[str, tuple[Any, ...]]:
    """The named error an `eth_call` of `function` reverts with (OneStepProof's, its libraries' or
    EVMStep's)."""
    try:
        function.call({"gas": STEP_ANVIL_GAS_LIMIT // 2})
    except (ContractCustomError, ContractLogicError) as exc:
        data = exc.data if isinstance(exc.data, str) else None
        assert data, f"reverted without data: {exc!r}"
        return decode_custom_error(_error_abi(), bytes.fromhex(data.removeprefix("0x")))
    raise AssertionError("the step returned a root")


# --- the differential ---------------------------------------------------------------------------


def test_every_transaction_proves_to_the_chains_post_state_root(proven: list[ProvenTx], proof: Contract, step_l1: Contracts) -> None:
    kinds = {p.kind for p in proven}
    assert {"deploy Probe", "Probe.set(0): a slot cleared", "deposit: call reverts", "L1-info deposit"} <= kinds
    rows = []
    for p in proven:
        call = p.call
        assert call.transaction_hash == bytes(p.receipt["transactionHash"])
        if p.index:  # the root after the block's transaction before this one
            assert call.pre_state_root == bytes.fromhex(p.witness["intermediateRoots"][-2][2:])
        m = proof.functions.measure(*call.prove_args()).call({"gas": STEP_ANVIL_GAS_LIMIT // 2})
        post_root, success, gas_used, logs_hash, load_gas, execute_gas, commit_gas = m
        what = f"{p.kind} (block {p.block_number} tx {p.index})"
        assert post_root == call.post_state_root, what
        if p.last_in_block:
            assert post_root == p.header_state_root, what
        assert success == (p.receipt["status"] == 1), what
        assert gas_used == int(p.witness["gasUsed"], 16) == p.receipt["gasUsed"], what
        assert logs_hash == bytes.fromhex(p.witness["logsHash"][2:]), what
        proven_root, proven_post = proof.functions.proveTransaction(*call.prove_args()).call({"gas": STEP_ANVIL_GAS_LIMIT // 2})
        assert proven_root == post_root and tuple(proven_post[1:]) == (success, gas_used, logs_hash), what
        total = proof.functions.proveTransaction(*call.prove_args()).estimate_gas({"gas": STEP_ANVIL_GAS_LIMIT // 2})
        staged = _prove_staged(step_l1, proof, call)
        rows.append((p.kind, p.receipt["gasUsed"], load_gas, execute_gas, commit_gas, total, staged, len(call.prove_calldata())))
    _print_table(rows)


def _prove_staged(step_l1: Contracts, proof: Contract, call: StepCall) -> tuple[int, int, int]:
    """Load, execute and commit as three L1 transactions; the root recorded must be the chain's.
    The L1 gas of each transaction."""
    load = proof.functions.loadWitness(*call.load_args())
    pre = load.call()
    load_receipt = step_l1.ok(1, load)
    execute = proof.functions.executeTransaction(*call.execute_args(pre))
    post = execute.call()
    execute_receipt = step_l1.ok(1, execute)
    commit = proof.functions.commitTransaction(*call.commit_args(post))
    commit_receipt = step_l1.ok(1, commit)
    step_id = proof.functions.stepId(call.pre_state_root, call.transaction_hash, call.context).call()
    assert proof.functions.postStateRoot(step_id).call() == call.post_state_root
    return load_receipt["gasUsed"], execute_receipt["gasUsed"], commit_receipt["gasUsed"]


def _print_table(rows: list[tuple[Any, ...]]) -> None:
    print(f"\n{'transaction':32} {'L2 gas':>9} {'load':>10} {'execute':>10} {'commit':>10} {'one call':>11} {'fits':>5}"
          f" {'staged: load':>13} {'execute':>10} {'commit':>10} {'calldata B':>11}")
    for kind, l2_gas, load, execute, commit, total, (s_load, s_exec, s_commit), size in rows:
        fits = "yes" if total <= EIP_7825_TX_GAS_CAP else "no"
        print(f"{kind:32} {l2_gas:>9,} {load:>10,} {execute:>10,} {commit:>10,} {total:>11,} {fits:>5}"
              f" {s_load:>13,} {s_exec:>10,} {s_commit:>10,} {size:>11,}")


# --- bad input ----------------------------------------------------------------------------------


def _pick(proven: list[ProvenTx], kind: str) -> ProvenTx:
    (p,) = [p for p in proven if p.kind == kind]
    return p


def _probe_account(call: StepCall) -> int:
    """Index of the Probe's account witness in the slot-clearing call (the one with code and slots)."""
    (index,) = [i for i, (_, code, slots) in enumerate(call.accounts) if code and slots]
    return index


def _with_account(call: StepCall, index: int, account: tuple[str, bytes, tuple[bytes, ...]]) -> StepCall:
    accounts = list(call.accounts)
    accounts[index] = account
    return replace(call, accounts=tuple(accounts))


def test_a_forged_proof_node_is_refused(proven: list[ProvenTx], proof: Contract) -> None:
    call = _pick(proven, "Probe.set(0): a slot cleared").call
    # Forge the node holding the Probe's account: change one byte of it. Its parent names it by
    # hash, so the forged node is never found under that hash.
    nodes = list(call.trie_nodes)
    probe_address = bytes.fromhex(call.accounts[_probe_account(call)][0][2:])
    target = _leaf_of(call, keccak(probe_address))
    forged = bytearray(nodes[target])
    forged[-1] ^= 1
    nodes[target] = bytes(forged)
    bad = replace(call, trie_nodes=tuple(nodes))
    assert revert_of(proof.functions.proveTransaction(*bad.prove_args())) == ("MissingTrieNode", (keccak(call.trie_nodes[target]),))
    assert revert_of(proof.functions.loadWitness(*bad.load_args()))[0] == "MissingTrieNode"


def _leaf_of(call: StepCall, key: bytes) -> int:
    """Index of the witness node that a walk to `key` in the state trie reads last."""
    by_hash = {keccak(n): n for n in call.trie_nodes}
    read: list[bytes] = []

    class Recording(dict):
        def __getitem__(self, h: bytes) -> bytes:
            read.append(h)
            return by_hash[h]

    HexaryTrie(Recording(), call.pre_state_root).get(key)
    return call.trie_nodes.index(by_hash[read[-1]])


def test_a_missing_slot_is_refused(proven: list[ProvenTx], proof: Contract) -> None:
    call = _pick(proven, "Probe.set(0): a slot cleared").call
    i = _probe_account(call)
    address, code, slots = call.accounts[i]
    bad = _with_account(call, i, (address, code, slots[1:]))
    assert revert_of(proof.functions.proveTransaction(*bad.prove_args())) == ("MissingSlotWitness", (address, slots[0]))


def test_an_extra_slot_is_refused(proven: list[ProvenTx], proof: Contract) -> None:
    call = _pick(proven, "Probe.set(0): a slot cleared").call
    i = _probe_account(call)
    address, code, slots = call.accounts[i]
    extra = _absent_slot_provable(call, address)
    bad = _with_account(call, i, (address, code, tuple(sorted((*slots, extra)))))
    assert revert_of(proof.functions.proveTransaction(*bad.prove_args())) == ("ExtraSlotWitness", (address, extra))


def _absent_slot_provable(call: StepCall, address: str) -> bytes:
    """A slot the Probe does not hold whose absence the witness's nodes already prove (so load
    passes and the interpreter is the one to refuse it)."""
    by_hash = {keccak(n): n for n in call.trie_nodes}
    account = HexaryTrie(by_hash, call.pre_state_root).get(keccak(bytes.fromhex(address[2:])))
    import rlp

    storage_root = rlp.decode(account)[2]
    for n in range(1000, 2000):
        slot = n.to_bytes(32, "big")
        try:
            if HexaryTrie(by_hash, storage_root).get(keccak(slot)) == b"":
                return slot
        except PyTrieMissingNode:
            continue
    raise AssertionError("no absent slot provable from the witness")


def test_a_wrong_code_is_refused(proven: list[ProvenTx], proof: Contract) -> None:
    call = _pick(proven, "Probe.set(0): a slot cleared").call
    i = _probe_account(call)
    address, code, slots = call.accounts[i]
    wrong = code[:-1] + bytes([code[-1] ^ 1])
    bad = _with_account(call, i, (address, wrong, slots))
    assert revert_of(proof.functions.proveTransaction(*bad.prove_args())) == ("WrongCodeHash", (address, keccak(code), keccak(wrong)))


def test_a_witness_for_another_pre_state_root_is_refused(proven: list[ProvenTx], proof: Contract) -> None:
    call = _pick(proven, "Probe.set(0): a slot cleared").call
    other_root = _pick(proven, "HKD transfer (0x02)").call.pre_state_root
    bad = replace(call, pre_state_root=other_root)
    assert revert_of(proof.functions.proveTransaction(*bad.prove_args())) == ("WitnessForAnotherRoot", (other_root,))
    assert revert_of(proof.functions.loadWitness(*bad.load_args())) == ("WitnessForAnotherRoot", (other_root,))


def test_a_transaction_that_is_not_the_one_claimed_is_refused(proven: list[ProvenTx], proof: Contract) -> None:
    call = _pick(proven, "Probe.set(0): a slot cleared").call
    other = _pick(proven, "Probe.set: 2 new slots, a log").call
    # The claimed hash is the slot-clearing call's, the transaction sent is another one.
    bad = replace(call, transaction=other.transaction)
    args = list(bad.prove_args())
    args[4] = call.transaction_hash
    assert revert_of(proof.functions.proveTransaction(*args)) == (
        "TransactionNotClaimed", (call.transaction_hash, other.transaction_hash))


def test_stages_accept_only_what_the_stage_before_proved(proven: list[ProvenTx], proof: Contract, step_l1: Contracts) -> None:
    call = _pick(proven, "HKD transfer (legacy)").call
    snapshot = step_l1.anvil.rpc("evm_snapshot")
    try:
        # A fresh deployment: the differential test already proved this step on `proof`.
        proof = step_l1.deploy("OneStepProofHarness", proof.functions.step().call(), caps_abi(DEVNET_PROOF_COST_LIMITS))
        pre = proof.functions.loadWitness(*call.load_args()).call()
        # Not loaded on L1 yet (the call above changed nothing): execute refuses the PreState.
        assert revert_of(proof.functions.executeTransaction(*call.execute_args(pre)))[0] == "PreStateNotLoaded"
        step_l1.ok(1, proof.functions.loadWitness(*call.load_args()))
        # A PreState with one balance raised was not proven.
        forged_pre = (pre[0], [(*a[:3], a[3] + 1, *a[4:]) for a in pre[1]])
        assert revert_of(proof.functions.executeTransaction(*call.execute_args(forged_pre)))[0] == "PreStateNotLoaded"
        post = proof.functions.executeTransaction(*call.execute_args(pre)).call()
        step_l1.ok(1, proof.functions.executeTransaction(*call.execute_args(pre)))
        # A PostState the execution did not produce (gas used changed) is not committed.
        forged_post = (post[0], post[1], post[2] + 1, post[3])
        assert revert_of(proof.functions.commitTransaction(*call.commit_args(forged_post)))[0] == "PostStateNotExecuted"
        step_id = proof.functions.stepId(call.pre_state_root, call.transaction_hash, call.context).call()
        assert proof.functions.postStateRoot(step_id).call() == bytes(32)
    finally:
        step_l1.anvil.rpc("evm_revert", [snapshot])
