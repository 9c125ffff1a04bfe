"""The proof-cost rule (node/vm.py, docs/fault-proofs.md): a transaction at each cap succeeds,
one past it fails like one out of gas (status 0, whole gas limit used, fee charged, its state
changes undone), and a second chain building the same block gets the same hash.

Each contract starts with `SSTORE(0, 1)` (3 instructions, slot 0, 5 code bytes) so that "undone"
is visible; the arithmetic of each count is in the case's comment, and the replayed counts
(`prover.witness.block_proof_costs`) must equal it exactly.
"""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account
from eth_utils import keccak, to_canonical_address

from genesis.config import GenesisAccount, GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import BASE_FEE_VAULT, SEQUENCER_FEE_VAULT
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS, ProofCostLimits, RollupConfig
from node.chain import BlockAttributes, Chain
from node.deposit_tx import user_deposit_source_hash
from node.vm import LantauTransactionBuilder, LantauVM, ProofCostExceeded
from prover.witness import block_proof_costs

ALICE = dev_accounts()[1]
SENDER = to_canonical_address(ALICE.address)
AT, OVER = to_canonical_address("0x" + "a7" * 20), to_canonical_address("0x" + "0e" * 20)
LOOSE = ProofCostLimits(10**6, 10**6, 10**6, 10**6, 10**6, 10**6)
MARK = bytes.fromhex("6001600055")  # SSTORE(0, 1)
GAS = 300_000
MAX_FEE, TIP = 3 * 10**9, 7


def balances(n: int, *, precompile: bool) -> bytes:
    """BALANCE of n distinct fresh addresses (the last one the ecrecover precompile, 0x01)."""
    addresses = [keccak(i.to_bytes(2, "big"))[:20] for i in range(n)]
    if precompile:
        addresses[-1] = b"\x00" * 19 + b"\x01"
    return b"".join(b"\x73" + a + b"\x31\x50" for a in addresses)


def sloads(n: int) -> bytes:
    return b"".join(b"\x61" + (i + 1).to_bytes(2, "big") + b"\x54\x50" for i in range(n))


def calls(n: int) -> bytes:
    """n CALLs with no value, input or output to an account without code (each enters a frame)."""
    return (b"\x60\x00" * 5 + b"\x73" + b"\xca" * 20 + b"\x5a\xf1\x50") * n  # CALL(gas, 0xca..ca, 0, 0, 0, 0, 0)


def mstore8_at(offset: int) -> bytes:
    return b"\x60\x01\x62" + offset.to_bytes(3, "big") + b"\x53"  # MSTORE8(offset, 1)


# cap -> (limits, code at the cap, code one past it). Counts of a call to the contract: accounts
# = sender + contract + coinbase + what the code touches; opcodes = instructions + the STOP
# dispatched past the end of the code; code bytes = the contract's code.
CASES = {
    # 3 (MARK) + 96 JUMPDEST + STOP = 100
    "opcodes": (dataclasses.replace(LOOSE, max_opcodes=100), MARK + b"\x5b" * 96, MARK + b"\x5b" * 97),
    # 3 + 6 fresh addresses + the precompile = 10
    "accounts": (dataclasses.replace(LOOSE, max_accounts=10), MARK + balances(7, precompile=True),
                 MARK + balances(8, precompile=True)),
    # slot 0 (MARK) + slots 1..7 = 8
    "slots": (dataclasses.replace(LOOSE, max_slots=8), MARK + sloads(7), MARK + sloads(8)),
    # 5 + 295 = 300 bytes
    "code_bytes": (dataclasses.replace(LOOSE, max_code_bytes=300), MARK + b"\x5b" * 295, MARK + b"\x5b" * 296),
    # MSTORE8 at 4095 grows memory to 4096 bytes; at 4096, to 4128
    "memory_bytes": (dataclasses.replace(LOOSE, max_memory_bytes=4096), MARK + mstore8_at(4095), MARK + mstore8_at(4096)),
    # the top frame + 4 calls = 5 frames (a call to an account without code enters one)
    "frames": (dataclasses.replace(LOOSE, max_frames=5), MARK + calls(4), MARK + calls(5)),
}


def genesis_with(at_code: bytes, over_code: bytes) -> GenesisConfig:
    return GenesisConfig.load().with_accounts({AT: GenesisAccount(code=at_code), OVER: GenesisAccount(code=over_code)})


def call(to: bytes, nonce: int):
    signed = Account.sign_transaction(
        {"to": to, "gas": GAS, "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP, "nonce": nonce,
         "chainId": GenesisConfig.load().chain_id, "type": 2, "value": 0, "data": b""}, ALICE.private_key)
    return LantauVM.get_transaction_builder().decode(bytes(signed.raw_transaction))


def attributes(chain: Chain, *deposits) -> BlockAttributes:
    parent = chain.head
    return BlockAttributes(timestamp=parent.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT, prev_randao=b"\x42" * 32,
                           gas_limit=parent.gas_limit, forced_transactions=tuple(deposits))


@pytest.mark.parametrize("cap", list(CASES))
def test_a_transaction_at_the_cap_succeeds_and_one_past_it_fails_as_out_of_gas(cap: str) -> None:
    limits, at_code, over_code = CASES[cap]
    genesis = genesis_with(at_code, over_code)
    chain = Chain.open(None, genesis, proof_cost_limits=limits)
    before = chain.state_at(chain.head)
    sender_before, vault_before = before.get_balance(SENDER), before.get_balance(BASE_FEE_VAULT)
    base_fee = chain.pending_vm(chain.head).get_header().base_fee_per_gas

    built = chain.build_block(chain.head, attributes(chain), [call(AT, 0), call(OVER, 1)])

    at_receipt, over_receipt = built.receipts
    assert at_receipt.state_root == b"\x01"
    assert over_receipt.state_root == b""  # status 0
    over_gas = over_receipt.gas_used - at_receipt.gas_used
    assert over_gas == GAS  # the whole gas limit, as out of gas
    assert over_receipt.logs == ()
    error = built.computations[1].error
    assert isinstance(error, ProofCostExceeded) and error.costs.exceeded == cap

    costs = block_proof_costs(chain, built.header)
    cap_value = getattr(limits, f"max_{cap}")
    assert getattr(costs[0], cap) == cap_value and costs[0].exceeded is None
    step = 32 if cap == "memory_bytes" else 1  # memory grows by words
    assert getattr(costs[1], cap) == cap_value + step and costs[1].exceeded == cap

    state = chain.state_at(built.header)
    assert state.get_storage(AT, 0) == 1  # the transaction at the cap wrote its mark
    assert state.get_storage(OVER, 0) == 0  # the one past it: undone
    assert state.get_nonce(SENDER) == 2
    paid = at_receipt.gas_used * (base_fee + TIP) + over_gas * (base_fee + TIP)
    assert sender_before - state.get_balance(SENDER) == paid  # both fees charged
    assert state.get_balance(BASE_FEE_VAULT) - vault_before == (at_receipt.gas_used + over_gas) * base_fee

    # A verifier with the same rollup config builds the same block.
    verifier = Chain.open(None, genesis, proof_cost_limits=limits)
    again = verifier.build_block(verifier.head, attributes(verifier), [call(AT, 0), call(OVER, 1)])
    assert (again.header.hash, again.header.state_root) == (built.header.hash, built.header.state_root)


@pytest.mark.parametrize("cap", ["opcodes", "frames"])
def test_a_deposit_past_a_cap_fails_with_its_mint_kept(cap: str) -> None:
    limits, at_code, over_code = CASES[cap]
    genesis = genesis_with(at_code, over_code)
    chain = Chain.open(None, genesis, proof_cost_limits=limits)
    depositor = to_canonical_address("0x" + "d1" * 20)
    deposits = [
        LantauTransactionBuilder.new_deposit_transaction(
            source_hash=user_deposit_source_hash(b"\x33" * 32, i), from_=depositor, to=to, mint=10**18, value=0,
            gas=GAS, data=b"")
        for i, to in enumerate((AT, OVER))
    ]
    built = chain.build_block(chain.head, attributes(chain, *deposits))
    at_receipt, over_receipt = built.receipts
    assert at_receipt.state_root == b"\x01" and over_receipt.state_root == b""
    assert over_receipt.gas_used - at_receipt.gas_used == GAS
    assert over_receipt._inner.deposit_nonce == 1
    state = chain.state_at(built.header)
    assert state.get_balance(depositor) == 2 * 10**18  # both mints
    assert state.get_nonce(depositor) == 2
    assert (state.get_storage(AT, 0), state.get_storage(OVER, 0)) == (1, 0)


def test_a_revert_past_a_cap_reports_the_cap_and_burns_all_gas() -> None:
    """A frame that reverts (refunding its gas) in a transaction past a cap: the cap decides."""
    limits = dataclasses.replace(LOOSE, max_opcodes=10)
    reverting = b"\x5b" * 10 + bytes.fromhex("60006000fd")  # 10 JUMPDEST, REVERT(0, 0): 13 instructions
    chain = Chain.open(None, genesis_with(b"", reverting), proof_cost_limits=limits)
    built = chain.build_block(chain.head, attributes(chain), [call(OVER, 0)])
    assert built.receipts[0].gas_used == GAS
    assert isinstance(built.computations[0].error, ProofCostExceeded)


def test_the_caps_are_read_from_the_rollup_config(tmp_path) -> None:
    raw = {"l2_chain_id": 4852, "l1_chain_id": 900, "genesis": "genesis.json", "l1_start_block": 1,
           "batch_inbox": "0x" + "ff" * 20, "batcher_address": "0x" + "11" * 20,
           "contracts": {"LantauPortal": "0x" + "22" * 20}}
    assert RollupConfig.from_json(raw, base_dir=tmp_path).proof_cost_limits == DEVNET_PROOF_COST_LIMITS
    limits = {"max_opcodes": 1, "max_accounts": 2, "max_slots": 3, "max_code_bytes": 4, "max_memory_bytes": 5,
              "max_frames": 6}
    config = RollupConfig.from_json({**raw, "proof_cost_limits": limits}, base_dir=tmp_path)
    assert config.proof_cost_limits == ProofCostLimits(1, 2, 3, 4, 5, 6)
    import json

    assert RollupConfig.from_json(json.loads(config.to_json()), base_dir=tmp_path).proof_cost_limits == config.proof_cost_limits
