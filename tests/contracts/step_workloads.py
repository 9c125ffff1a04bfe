"""The project's own transactions through EVMStep vs the L2 (issue 14, item 4, second bullet).

On the devnet genesis with the RWA predeploys (bench/proof_costs.py's set-up: 100 KYC'd traders,
three assets, escrow and approvals) each workload is one transaction in a block of its own, built
by `Chain.build_block` under the devnet's proof-cost caps; `prover.witness.transaction_witness`
re-executes it and records what py-evm reads, which is the step's flat pre-state. The step's
PostState must reproduce the witness's success, gas used and logs hash, and its AccountDiffs
applied to the witnessed pre-state must give every witnessed account and slot as the chain's
state after the block holds it.

Workloads: bench/proof_costs.py's (L1-info system deposit, deposits minting and calling a
contract, HKD transfer, RWA transfer, DvP settle and settleBatch of 25, price update, withdrawal,
coupon announce and a push chunk of 100, createAsset, RWAToken deployment) plus a reverting
deposit, an ERC-20 (TestERC20) deployment and transfer, an RWA transfer out of gas, a bond's
redemption after maturity, and a DvP settleBatch of 45 that passes the opcode cap.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from eth._utils.address import generate_contract_address
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_typing import Address, Hash32
from eth_utils import keccak, to_canonical_address

import bench.proof_costs as pc
from bench.rwa_mix import ENGINE, HKD, TOKEN, Actors, Bench, Signer, _account, _contract, _hex, bench_genesis, set_up
from genesis.artifacts import load_artifact
from genesis.config import GenesisAccount
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import CORPORATE_ACTIONS, SETTLEMENT_ENGINE
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS, ProofCostLimits
from node.chain import Chain
from rwa.trade import Trade, sign_trade
from rwa.types import NATIVE_HKD
from node.vm import LantauTransactionBuilder
from prover.witness import TransactionWitness, transaction_witness

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")


@dataclass(frozen=True)
class Workload:
    name: str
    block_number: int
    index: int  # the transaction's index in its block (the last one)


class _RecordingRun(pc._Run):
    """bench/proof_costs.py's runner, remembering where each workload landed."""

    placed: list[Workload]

    def one(self, name: str, raw: bytes | None = None, *, forced: Sequence[Any] = (), seconds: int = 1) -> None:
        super().one(name, raw, forced=forced, seconds=seconds)
        head = self.bench.chain.head
        count = len(self.bench.chain.raw_transactions(head.hash))
        self.placed.append(Workload(name, head.block_number, count - 1))


def _extra_workloads(run: _RecordingRun, assets: list[str], chain_id: int) -> None:
    owner, traders = run.actors.owner, run.actors.traders
    user = Address(to_canonical_address(traders[2].address))
    run.one("deposit: reverting call (mint kept)", forced=[LantauTransactionBuilder.new_deposit_transaction(
        source_hash=Hash32(keccak(b"reverting deposit")), from_=user, to=SETTLEMENT_ENGINE,
        mint=5 * HKD, value=0, gas=200_000, data=b"\xde\xad\xbe\xef")])
    erc20 = load_artifact("TestERC20")
    ctor = bytes(erc20.bytecode) + abi_encode(["string", "string", "uint8"], ["Test", "TST", 6])
    run.one("ERC-20 deployment (TestERC20)", run.sign(owner, "", ctor, gas=3_000_000))
    token = _hex(generate_contract_address(Address(to_canonical_address(owner.address)), run.signer.nonces[owner.address] - 1))
    run.one("ERC-20 mint", run.sign(owner, token, _contract("TestERC20").encode_abi("mint", [owner.address, 10**12]), gas=200_000))
    run.one("ERC-20 transfer", run.sign(owner, token, _contract("TestERC20").encode_abi("transfer", [traders[3].address, 10**6]), gas=200_000))
    run.one("RWA transfer out of gas", run.sign(traders[4], assets[1], TOKEN.encode_abi("transfer", [traders[5].address, 1]), gas=30_000))
    actions = _hex(CORPORATE_ACTIONS)
    run.one("bond fundRedemption", run.sign(owner, actions, pc.ACTIONS.encode_abi("fundRedemption", [assets[0]]), value=10**26, gas=300_000))
    run.one("bond redeem after maturity", run.sign(traders[6], actions, pc.ACTIONS.encode_abi("redeem", [assets[0]]), gas=1_000_000),
            seconds=366 * 86_400)
    engine = _hex(SETTLEMENT_ENGINE)
    trades, seller_sigs, buyer_sigs = [], [], []
    for i in range(45):
        seller, buyer = traders[(2 * i) % len(traders)], traders[(2 * i + 1) % len(traders)]
        trade = Trade(seller.address, buyer.address, assets[1 + i % 2], 1, NATIVE_HKD, HKD // 10, 2**60, 90_000 + i)
        trades.append(trade.as_tuple())
        seller_sigs.append(sign_trade(trade, seller.key, chain_id, engine))
        buyer_sigs.append(sign_trade(trade, buyer.key, chain_id, engine))
    data = ENGINE.encode_abi("settleBatch", [trades, seller_sigs, buyer_sigs, False])
    run.one("DvP settleBatch of 45: past the opcode cap", run.sign(run.actors.venues[1], engine, data, gas=25_000_000))


def build_workloads(tmp: Path, limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS,
                    only: Callable[[str], bool] | None = None) -> tuple[Chain, list[Workload]]:
    """A chain holding every workload (the caller closes it)."""
    owner = Account.from_key(dev_accounts()[0].private_key)
    actors = Actors(owner, tuple(_account(f"trader {i}") for i in range(pc.TRADERS)),
                    tuple(_account(f"venue {i}") for i in range(5)), tuple(_account(f"reporter {i}") for i in range(4)))
    genesis = bench_genesis([owner, *actors.traders, *actors.venues, *actors.reporters], block_size=200)
    genesis = genesis.with_accounts({Address(to_canonical_address(owner.address)): GenesisAccount(balance=10**27)})
    chain = Chain.open(tmp, genesis, proof_cost_limits=limits)
    bench = Bench(chain, genesis)
    signer = Signer(genesis.chain_id)
    assets = set_up(bench, signer, actors)
    run = _RecordingRun(bench, signer, actors, [])
    run.placed = []
    pc._workloads(run, assets, genesis.chain_id)
    _extra_workloads(run, assets, genesis.chain_id)
    return chain, run.placed


def expected_accounts(chain: Chain, witness: TransactionWitness) -> dict[bytes, tuple[bool, int, int, bytes, dict[int, int]]]:
    """Every witnessed account and slot after the transaction (the last of its block)."""
    state = chain.state_at(chain.header_by_number(witness.block_number))
    out = {}
    for a in witness.accounts:
        exists = state.account_exists(a.address)
        out[bytes(a.address)] = (exists, state.get_nonce(a.address) if exists else 0, state.get_balance(a.address) if exists else 0,
                                 bytes(state.get_code_hash(a.address)) if exists else b"",
                                 {s.key: state.get_storage(a.address, s.key) for s in a.slots})
    return out


def step_accounts(witness: TransactionWitness, diffs: Any) -> dict[bytes, tuple[bool, int, int, bytes, dict[int, int]]]:
    """The witnessed pre-state with the step's AccountDiffs applied."""
    by_address = {bytes.fromhex(d[0][2:]): d for d in diffs}
    out = {}
    for a in witness.accounts:
        d = by_address.get(bytes(a.address))
        if d is None:
            out[bytes(a.address)] = (a.exists, a.nonce, a.balance, bytes(a.code_hash) if a.exists else b"",
                                     {s.key: s.value for s in a.slots})
            continue
        _, deleted, storage_reset, nonce, balance, code_hash, changed = d
        if deleted:
            out[bytes(a.address)] = (False, 0, 0, b"", {s.key: 0 for s in a.slots})
            continue
        storage = {} if storage_reset else {s.key: s.value for s in a.slots}
        for key, value in changed:
            storage[int.from_bytes(key, "big")] = int.from_bytes(value, "big")
        out[bytes(a.address)] = (True, nonce, balance, bytes(code_hash), {s.key: storage.get(s.key, 0) for s in a.slots})
    return out


@dataclass
class StepResult:
    workload: Workload
    witness: TransactionWitness
    problems: list[str]
    l1_gas: int


def run_workload(harness: Any, chain: Chain, workload: Workload, limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS) -> StepResult:
    from tests.contracts.step_diff import measure_step

    witness = transaction_witness(chain, workload.block_number, workload.index, with_trie_nodes=False)
    pre = (witness.pre_state_root, [a.abi_tuple() for a in witness.accounts])
    error, post, l1_gas = measure_step(harness, pre, witness.transaction, witness.context.abi_tuple(), limits)
    if error is not None:
        return StepResult(workload, witness, [f"step reverted {error}"], 0)
    diffs, success, gas_used, logs = post
    problems = []
    if success != witness.success:
        problems.append(f"success: step {success}, L2 {witness.success}")
    if gas_used != witness.gas_used:
        problems.append(f"gasUsed: step {gas_used}, L2 {witness.gas_used}")
    if bytes(logs) != bytes(witness.logs_hash):
        problems.append("logs hash differs")
    got, want = step_accounts(witness, diffs), expected_accounts(chain, witness)
    for address, value in want.items():
        if got[address] != value and (value[0] or got[address][0]):
            problems.append(f"0x{address.hex()}: step {got[address]}, L2 {value}")
    return StepResult(workload, witness, problems, l1_gas)


def run_all(harness: Any, limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS) -> Iterator[StepResult]:
    with tempfile.TemporaryDirectory() as tmp:
        chain, workloads = build_workloads(Path(tmp), limits)
        try:
            for workload in workloads:
                yield run_workload(harness, chain, workload, limits)
        finally:
            chain.close()


#: An odd multiplier: h <- h * A (mod 2**256) keeps every word odd and its high bytes scrambled.
_SCRAMBLE = 0x9E3779B97F4A7C15F39CC0605CEDC8341082276BF3A27251F86C6A11D0C18E95
_FILL_UNROLL = 32  # words stored per loop iteration


#: EIP-170: the largest code a contract may have.
_MAX_CODE_BYTES = 24_576


def cap_corner_init_code(memory_bytes: int, slots: int, seed: bytes = b"cap corner", callees: Sequence[bytes] = ()) -> bytes:
    """Init code of a creation transaction at the proof-cost caps' corner: it calls each of
    `callees` (loading their code), fills memory, word by word from 0 to `memory_bytes` (a multiple
    of 1,024), with pseudo-random words (h <- h * A, each stored at MSIZE: 5 instructions a word,
    h first keccak(seed)), then writes the last h into slots 1..`slots`, and deploys nothing. Its
    paused machines hold up to `memory_bytes` of words with no zero byte to leave out
    (docs/fault-proofs.md, "Packed machines")."""
    assert memory_bytes % (32 * _FILL_UNROLL) == 0 and 0 < slots < 2**16
    code = b""
    for callee in callees:  # CALL(gas, callee, 0, 0, 0, 0, 0), result dropped
        code += bytes([0x5F] * 5) + bytes([0x73]) + callee + bytes([0x5A, 0xF1, 0x50])
    code += bytes([0x7F]) + _SCRAMBLE.to_bytes(32, "big") + bytes([0x7F]) + keccak(seed)  # A, h
    loop = len(code)
    code += bytes([0x5B]) + bytes([0x81, 0x02, 0x80, 0x59, 0x52]) * _FILL_UNROLL  # JUMPDEST, (DUP2 MUL DUP1 MSIZE MSTORE) x U
    code += bytes([0x62]) + memory_bytes.to_bytes(3, "big") + bytes([0x59, 0x10, 0x61]) + loop.to_bytes(2, "big") + bytes([0x57])
    for slot in range(1, slots + 1):  # DUP1 PUSH2 slot SSTORE
        code += bytes([0x80, 0x61]) + slot.to_bytes(2, "big") + bytes([0x55])
    return code + bytes([0x00])


def _deploy_code(runtime: bytes) -> bytes:
    """Init code returning `runtime` (CODECOPY of its own tail)."""
    head_len = 14
    return (bytes([0x61]) + len(runtime).to_bytes(2, "big") + bytes([0x61]) + head_len.to_bytes(2, "big")
            + bytes([0x5F, 0x39, 0x61]) + len(runtime).to_bytes(2, "big") + bytes([0x5F, 0xF3]) + runtime)


def build_cap_corner(tmp: Path, memory_bytes: int, slots: int, seed: bytes = b"cap corner", code_bytes: int = 0,
                     limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS) -> tuple[Chain, Workload]:
    """A chain whose head block holds one `cap_corner_init_code` creation transaction (the caller
    closes the chain); it must succeed under `limits`. With `code_bytes`, it first calls contracts
    deployed before it, holding that many bytes of code with its own init code (STOP, then JUMPDESTs: a jump-destination map
    with no zero to leave out)."""
    owner = Account.from_key(dev_accounts()[0].private_key)
    genesis = bench_genesis([owner], block_size=200)
    chain = Chain.open(tmp, genesis, proof_cost_limits=limits)
    signer = Signer(genesis.chain_id)
    run = _RecordingRun(Bench(chain, genesis), signer, None, [])  # type: ignore[arg-type]
    run.placed = []
    callees: list[bytes] = []
    count = -(-code_bytes // _MAX_CODE_BYTES)
    callee_bytes = code_bytes - len(cap_corner_init_code(memory_bytes, slots, seed, [bytes(20)] * count))  # init code counts too
    for start in range(0, max(callee_bytes, 0), _MAX_CODE_BYTES):
        size = min(_MAX_CODE_BYTES, callee_bytes - start)
        run.one(f"callee {start}", run.sign(owner, "", _deploy_code(b"\x00" + b"\x5b" * (size - 1)), gas=8_000_000))
        callees.append(generate_contract_address(Address(to_canonical_address(owner.address)), signer.nonces[owner.address] - 1))
    name = f"cap corner: {memory_bytes:,} B of pseudo-random memory, {slots} slots" + (f", {code_bytes:,} B of code" if code_bytes else "")
    run.one(name, run.sign(owner, "", cap_corner_init_code(memory_bytes, slots, seed, callees), gas=30_000_000))
    if not all(result.success for result in run.results):
        chain.close()
        raise AssertionError(f"{name}: failed on the L2 ({run.results})")
    return chain, run.placed[-1]
