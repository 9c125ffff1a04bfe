"""Deposit transactions (0x7E): OP Stack encoding and the L2 execution rules of `node/vm.py`."""

from __future__ import annotations

import rlp
from eth_utils import keccak, to_canonical_address

from genesis.config import GenesisAccount, GenesisConfig
from genesis.predeploys import BASE_FEE_VAULT, SEQUENCER_FEE_VAULT
from node.chain import BlockAttributes, Chain
from node.deposit_tx import DEPOSIT_TX_TYPE, l1_info_source_hash, user_deposit_source_hash
from node.vm import LantauTransactionBuilder, LantauVM

REVERTER = to_canonical_address("0x" + "5e" * 20)  # code: PUSH1 0 PUSH1 0 REVERT
DEPOSITOR = to_canonical_address("0x" + "d0" * 20)
GENESIS = GenesisConfig.load().with_accounts({REVERTER: GenesisAccount(code=bytes.fromhex("60006000fd"))})


def deposit(*, to: bytes, mint: int, value: int = 0, gas: int = 100_000, log_index: int = 0, data: bytes = b""):
    return LantauTransactionBuilder.new_deposit_transaction(
        source_hash=user_deposit_source_hash(b"\x11" * 32, log_index), from_=DEPOSITOR, to=to,
        mint=mint, value=value, gas=gas, data=data,
    )


def build(chain: Chain, *deposits):
    head = chain.head
    return chain.build_block(
        head,
        BlockAttributes(timestamp=head.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT, prev_randao=b"\x00" * 32,
                        gas_limit=head.gas_limit, forced_transactions=tuple(deposits)),
    )


def test_encoding_is_the_op_stack_layout() -> None:
    """0x7E || rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data]), built by hand here."""
    tx = deposit(to=REVERTER, mint=7, value=3, gas=50_000, data=b"\xca\xfe")
    by_hand = bytes([0x7E]) + rlp.encode([tx.source_hash, DEPOSITOR, REVERTER, 7, 3, 50_000, b"", b"\xca\xfe"])
    assert tx.encode() == by_hand
    assert tx.hash == keccak(by_hand)
    decoded = LantauVM.get_transaction_builder().decode(by_hand)
    assert decoded == tx and decoded.type_id == DEPOSIT_TX_TYPE and decoded.mint == 7


def test_source_hash_domains() -> None:
    block_hash = bytes(range(32))
    # a user deposit by its position in its L1 block, in Lantau's domain 256 (OP's 0 is by log index)
    assert user_deposit_source_hash(block_hash, 5) == keccak((256).to_bytes(32, "big") + keccak(block_hash + (5).to_bytes(32, "big")))
    assert user_deposit_source_hash(block_hash, 5) != keccak(bytes(32) + keccak(block_hash + (5).to_bytes(32, "big")))
    assert l1_info_source_hash(block_hash, 5) == keccak((1).to_bytes(32, "big") + keccak(block_hash + (5).to_bytes(32, "big")))
    assert user_deposit_source_hash(block_hash, 5) != l1_info_source_hash(block_hash, 5)


def test_mint_lands_even_when_the_call_reverts() -> None:
    chain = Chain.open(None, GENESIS)
    built = build(chain, deposit(to=REVERTER, mint=100 * 10**18, value=10**18))
    state = chain.state_at(built.header)
    receipt = built.receipts[0]
    assert receipt.state_root == b""  # status 0: the call failed
    assert state.get_balance(DEPOSITOR) == 100 * 10**18  # minted, and the value did not move
    assert state.get_balance(REVERTER) == 0
    assert state.get_nonce(DEPOSITOR) == 1


def test_deposits_pay_no_fees_and_record_their_nonce() -> None:
    chain = Chain.open(None, GENESIS)
    alice = to_canonical_address("0x" + "a1" * 20)
    before = chain.state_at(chain.head)
    vaults_before = before.get_balance(BASE_FEE_VAULT) + before.get_balance(SEQUENCER_FEE_VAULT)
    built = build(chain, deposit(to=alice, mint=5, value=5), deposit(to=alice, mint=2, value=1, log_index=1))
    state = chain.state_at(built.header)
    assert state.get_balance(alice) == 6 and state.get_balance(DEPOSITOR) == 1
    assert state.get_balance(BASE_FEE_VAULT) + state.get_balance(SEQUENCER_FEE_VAULT) == vaults_before
    stored = chain.receipts(built.header.hash)
    assert [r.encode()[0] for r in stored] == [DEPOSIT_TX_TYPE, DEPOSIT_TX_TYPE]
    assert [rlp.decode(r.encode()[1:])[4] for r in stored] == [b"", b"\x01"]  # depositNonce 0, 1
    assert [rlp.decode(r.encode()[1:])[5] for r in stored] == [b"\x01", b"\x01"]  # receipt version 1
