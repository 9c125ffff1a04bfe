"""The lies of fault injection (prover/faults.py) over a fixed trace, the forged withdrawal's
proof, the refusal to inject anywhere but a devnet, and the player's choice of the input leaf
(prover/dispute_player.py) against a lie about a block's transactions."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import rlp
import pytest
from eth_typing import Hash32
from eth_utils import keccak, to_canonical_address
from trie import HexaryTrie

from bridge.l1_contract_clients import NO_ADDRESS, Claim, GameInfo
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.l1_block_ref import L1BlockRef
from node.l1_info import l1_info_deposit
from node.output_root import output_root
from node.vm import LantauTransactionBuilder
from prover.block_accumulator import Acc
from prover.dispute_block import DisputeBlock
from prover.dispute_player import InputStep, responses
from prover.faults import (
    FORGED_AMOUNT_WEI, HEADER_FIELD, FaultInjectionRefused, FaultKind, LyingTrace, check_devnet, forged_deposit,
    forged_header, forged_withdrawal, unbatched_transaction,
)

ROOTS = tuple(Hash32(bytes([i]) * 32) for i in (1, 2, 3))
BLOCK = DisputeBlock(number=8, output_root=output_root(ROOTS[-1], Hash32(b"\x0a" * 32), Hash32(b"\x0b" * 32)),
                     state_root=ROOTS[-1], withdrawal_storage_root=Hash32(b"\x0a" * 32), block_hash=Hash32(b"\x0b" * 32),
                     state_roots=ROOTS, tx_hashes=(), timestamp=1_700_000_000,
                     header=rlp.encode([b"\x0c" * 32] * 10 + [b"\x01\x00"] * 11), passer_proof=(),
                     accumulators=tuple(Acc(r, 21_000 * (i + 1), b"\x0d" * 32, b"\x0e" * 32, b"\x00" * 256).encode()
                                        for i, r in enumerate(ROOTS)))
OTHER = DisputeBlock(**{**{f: getattr(BLOCK, f) for f in BLOCK.__slots__}, "number": 7, "output_root": Hash32(b"\x07" * 32)})


class FixedTrace:
    """Blocks 7 and 8; block 8 has three transactions."""

    def safe_l2_number(self) -> int:
        return 8

    def block(self, number: int) -> DisputeBlock:
        return {7: OTHER, 8: BLOCK}[number]

    def output_root(self, number: int) -> bytes:
        return bytes(self.block(number).output_root)

    def state_roots(self, number: int) -> tuple[bytes, ...]:
        return tuple(self.block(number).state_roots)

    def claims(self, number: int) -> tuple[bytes, ...]:
        return self.block(number).claims()

    def transaction_step(self, number: int, index: int):  # noqa: ANN201 (not used by the lies)
        raise AssertionError("no step here")


@pytest.mark.parametrize("kind, lied_roots", [(FaultKind.STATE_ROOT, {2}), (FaultKind.TX_RESULT, {0, 1, 2}),
                                              (FaultKind.BLOCK_HASH, set()), (FaultKind.MESSAGE_PASSER_ROOT, set()),
                                              *((kind, set()) for kind in HEADER_FIELD)])
def test_each_lie_changes_exactly_what_it_names(kind: FaultKind, lied_roots: set[int]) -> None:
    liar = LyingTrace(FixedTrace(), kind, 8, forged_target="0x" + "55" * 20)
    roots = liar.state_roots(8)
    assert {k for k in range(3) if roots[k] != ROOTS[k]} == lied_roots
    # the claims below the split are the accs with those roots: they differ exactly where the roots do
    claims = liar.claims(8)
    assert {k for k in range(3) if claims[k] != BLOCK.claims()[k]} == lied_roots
    assert all(Acc(bytes(roots[k]), *_rest(BLOCK.accs()[k])).claim() == claims[k] for k in range(3))
    assert liar.output_root(8) != BLOCK.output_root
    assert liar.output_root(7) == OTHER.output_root and liar.state_roots(7) == ROOTS  # other blocks are true
    if kind in (FaultKind.STATE_ROOT, FaultKind.TX_RESULT):  # the output follows the lying state root
        assert liar.output_root(8) == output_root(Hash32(roots[-1]), BLOCK.withdrawal_storage_root, BLOCK.block_hash)
    if kind is FaultKind.MESSAGE_PASSER_ROOT:
        forged = forged_withdrawal("0x" + "55" * 20)
        assert liar.output_root(8) == output_root(BLOCK.state_root, forged.storage_root, BLOCK.block_hash)
    if kind in HEADER_FIELD:  # the block hash of the header with that one field changed
        forged_hash = keccak(forged_header(BLOCK.header, HEADER_FIELD[kind]))
        assert liar.output_root(8) == output_root(BLOCK.state_root, BLOCK.withdrawal_storage_root, Hash32(forged_hash))


@pytest.mark.parametrize("field", [4, 5, 10, 11, 15])
def test_a_forged_header_changes_only_its_field(field: int) -> None:
    fields, forged = rlp.decode(BLOCK.header), rlp.decode(forged_header(BLOCK.header, field))
    assert [i for i in range(21) if fields[i] != forged[i]] == [field]
    if len(fields[field]) != 32:  # a number grows by one
        assert int.from_bytes(forged[field], "big") == int.from_bytes(fields[field], "big") + 1


def test_the_dishonest_trace_makes_up_every_output_and_keeps_every_state_root() -> None:
    liar = LyingTrace(FixedTrace(), None, None)
    assert liar.output_root(7) != OTHER.output_root and liar.output_root(8) != BLOCK.output_root
    assert liar.state_roots(8) == ROOTS


def test_the_forged_withdrawal_is_proven_by_its_storage_root() -> None:
    forged = forged_withdrawal("0x" + "55" * 20, value_wei=10**21)
    value = HexaryTrie.get_from_proof(forged.storage_root, keccak(forged.withdrawal.storage_slot),
                                      [rlp.decode(node) for node in forged.storage_proof])
    assert value == rlp.encode(1)  # sentMessages[hash] = true
    assert forged.withdrawal.value == 10**21 and forged.withdrawal.target == forged.withdrawal.sender


def test_fault_injection_is_refused_outside_a_devnet() -> None:
    check_devnet(900)
    with pytest.raises(FaultInjectionRefused, match="chain 1"):
        check_devnet(1)


# --- input faults ---------------------------------------------------------------------------------

TXS = tuple(Hash32(bytes([0x20 + i]) * 32) for i in range(3))
BUSY = DisputeBlock(**{**{f: getattr(BLOCK, f) for f in BLOCK.__slots__}, "tx_hashes": TXS})
TARGET = "0x" + "55" * 20


class BusyTrace(FixedTrace):
    """Blocks 1 to 8; block 8 has three transactions."""

    def block(self, number: int) -> DisputeBlock:
        return BUSY if number == 8 else OTHER


def test_a_forged_deposit_follows_the_l1_info_deposit_and_its_withdrawal_is_in_the_output() -> None:
    """The lie names four transactions: the forged deposit at index 1 (after the L1-info deposit),
    the block's own timestamp, the state roots true before it and made up from it on, and an output whose
    message passer holds the forged withdrawal of the minted HKD."""
    liar = LyingTrace(BusyTrace(), FaultKind.FORGED_DEPOSIT, 8, forged_target=TARGET)
    lie = liar.block(8)
    raw = forged_deposit(TARGET)
    assert lie.tx_hashes == (TXS[0], keccak(raw), TXS[1], TXS[2])
    assert lie.timestamp == BUSY.timestamp
    roots = liar.state_roots(8)
    assert len(roots) == 4 and roots[0] == ROOTS[0] and not set(roots[1:]) & set(ROOTS)
    forged = forged_withdrawal(TARGET)
    assert liar.output_root(8) == output_root(Hash32(roots[-1]), forged.storage_root, lie.block_hash) != BUSY.output_root
    assert lie.block_hash != BUSY.block_hash
    assert liar.block(7) == OTHER and liar.output_root(7) == OTHER.output_root  # other blocks are true
    # the forged deposit: type 0x7E, from the target to the message passer, minting what it withdraws
    tx = LantauTransactionBuilder.decode(raw)
    assert raw[0] == 0x7E and tx.sender == to_canonical_address(TARGET) and tx.to == L2_TO_L1_MESSAGE_PASSER
    assert tx.mint == tx.value == FORGED_AMOUNT_WEI


def test_an_unbatched_transaction_is_appended_and_the_withdrawals_stay_true() -> None:
    liar = LyingTrace(BusyTrace(), FaultKind.UNBATCHED_TX, 8, chain_id=4852)
    lie = liar.block(8)
    raw = unbatched_transaction(4852)
    assert lie.tx_hashes == (*TXS, keccak(raw)) and lie.timestamp == BUSY.timestamp
    roots = liar.state_roots(8)
    assert roots[:3] == ROOTS and len(roots) == 4 and roots[3] not in ROOTS
    assert liar.output_root(8) == output_root(Hash32(roots[3]), BUSY.withdrawal_storage_root, lie.block_hash)
    tx = LantauTransactionBuilder.decode(raw)
    assert tx.chain_id == 4852 and tx.nonce == 2**32 and tx.sender == to_canonical_address(dev_accounts()[9].address)


def test_an_l1_info_lie_names_a_made_up_hash_for_transaction_0() -> None:
    """Transaction 0 is a hash no L1-info deposit has (no bytes behind it), every other transaction
    and the timestamp the node's, every state root made up from transaction 0 on."""
    liar = LyingTrace(BusyTrace(), FaultKind.L1_INFO, 8)
    lie = liar.block(8)
    assert lie.tx_hashes[1:] == TXS[1:] and lie.tx_hashes[0] not in TXS and lie.timestamp == BUSY.timestamp
    roots = liar.state_roots(8)
    assert len(roots) == 3 and not set(roots) & set(ROOTS)
    assert liar.output_root(8) == output_root(Hash32(roots[-1]), BUSY.withdrawal_storage_root, lie.block_hash) != BUSY.output_root
    assert liar.block(7) == OTHER and liar.output_root(7) == OTHER.output_root


class DepositTrace(BusyTrace):
    """Block 8's transaction 1 is a deposit (type 0x7E); blocks 1 to 7 have only transaction 0."""

    def block(self, number: int) -> DisputeBlock:
        return BUSY if number == 8 else dataclasses.replace(OTHER, number=number, tx_hashes=TXS[:1],
                                                             state_roots=ROOTS[:1])

    def transaction_step(self, number: int, index: int):  # noqa: ANN201 (only the raw transaction is read)
        assert (number, index) == (8, 1)
        return SimpleNamespace(transaction=b"\x7e" + b"\x01" * 40)


def test_a_dropped_deposit_leaves_out_transaction_1_of_the_last_block_with_a_deposit() -> None:
    liar = LyingTrace(DepositTrace(), FaultKind.DROPPED_DEPOSIT, 8, span=8)
    assert liar.input_lie_block() == 8
    lie = liar.block(8)
    assert lie.tx_hashes == (TXS[0], TXS[2]) and lie.timestamp == BUSY.timestamp
    roots = liar.state_roots(8)
    assert roots[0] == ROOTS[0] and len(roots) == 2 and roots[1] not in ROOTS
    assert liar.output_root(8) == output_root(Hash32(roots[1]), BUSY.withdrawal_storage_root, lie.block_hash)
    assert liar.block(7).tx_hashes == TXS[:1] and liar.output_root(7) == OTHER.output_root  # before it: true
    with pytest.raises(FaultInjectionRefused, match="no deposit to drop in L2 blocks 1 to 7"):
        LyingTrace(DepositTrace(), FaultKind.DROPPED_DEPOSIT, 7, span=7).output_root(7)


#: Block 7's L1-info deposit: origin L1 block 20, its third L2 block (sequence number 2).
ORIGIN_20 = L1BlockRef(number=20, hash=Hash32(b"\x20" * 32), parent_hash=Hash32(b"\x19" * 32), timestamp=1_700_000_040,
                       base_fee=7)


class ForcedTrace(BusyTrace):
    """Block 8 is deposit-only (every transaction type 0x7E), as derivation forces it; block 7 is
    on L1 origin 20 and holds a sequenced transaction."""

    def block(self, number: int) -> DisputeBlock:
        return BUSY if number == 8 else dataclasses.replace(OTHER, tx_hashes=TXS)

    def transaction_step(self, number: int, index: int):  # noqa: ANN201 (only the raw transaction is read)
        if (number, index) == (7, 0):
            return SimpleNamespace(transaction=bytes(l1_info_deposit(ORIGIN_20, 2).encode()))
        return SimpleNamespace(transaction=(b"\x7e" if number == 8 else b"\x02") + bytes([index]) * 40)


def test_a_skipped_forced_inclusion_keeps_the_old_origin_and_sequences_a_transaction() -> None:
    """Forced block 8 (origin 21, its deposits) becomes the block the sequencer would have built:
    origin 20 with sequence number 3, no deposits, a sequenced transfer; every state root made up."""
    liar = LyingTrace(ForcedTrace(), FaultKind.SKIPPED_FORCED_INCLUSION, 8, chain_id=4852)
    lie = liar.block(8)
    stay = l1_info_deposit(ORIGIN_20, 3)
    assert lie.tx_hashes == (keccak(bytes(stay.encode())), keccak(unbatched_transaction(4852)))
    assert lie.timestamp == BUSY.timestamp
    roots = liar.state_roots(8)
    assert len(roots) == 2 and not set(roots) & set(ROOTS)
    assert liar.output_root(8) == output_root(Hash32(roots[1]), BUSY.withdrawal_storage_root, lie.block_hash)
    # a block with a sequenced transaction was not forced: refused by name, nothing made up
    refused = LyingTrace(ForcedTrace(), FaultKind.SKIPPED_FORCED_INCLUSION, 7, chain_id=4852)
    with pytest.raises(FaultInjectionRefused, match="L2 block 7 is not a deposit-only block"):
        refused.output_root(7)
    assert refused.block(8) == BUSY and refused.output_root(8) == BUSY.output_root  # every other block true


SPLIT, TX_DEPTH = 3, 2  # outputs every 8 blocks (1..8); a block's trace of 4; leaves at depth 6
INFO = GameInfo("0x" + "00" * 20, 0, b"\x99" * 32, 8, b"\x00" * 32, 0, SPLIT, SPLIT + 1 + TX_DEPTH, 1 << TX_DEPTH, 60, 15, 20)


def _claim(index: int, parent: int, position: int, value: bytes) -> Claim:
    return Claim(index, parent, NO_ADDRESS, "0x" + "11" * 20, 0, value, position, 0, 0)


def test_the_player_counters_a_block_claim_naming_other_transactions_by_the_input_leaf() -> None:
    """A challenger (claims at odd depths) facing the proposer's claim that opens block 8's subgame
    (depth 4, position 30) steps on its inputs when the named transactions or the named timestamp
    are not its own block's, and otherwise (or once L1 refused that step) attacks under it; once
    the input leaf countered the claim, it plays nothing under it."""
    honest = BusyTrace()
    true = OTHER.output_root
    claims = (_claim(0, 2**32 - 1, 1, INFO.root_claim), _claim(1, 0, 2, true), _claim(2, 1, 6, true),
              _claim(3, 2, 14, true), _claim(4, 3, 30, b"\x97" * 32))
    lying = (TXS + (keccak(b"extra"),), BUSY.timestamp)
    actions = responses(INFO, claims, honest, {4: lying})
    assert actions == [InputStep(claims[4], 8, lying)]
    another_time = (TXS, BUSY.timestamp + 1)  # the same transactions at another timestamp
    assert responses(INFO, claims, honest, {4: another_time}) == [InputStep(claims[4], 8, another_time)]
    bisect = responses(INFO, claims, honest, {4: (TXS, BUSY.timestamp)})  # the same inputs: bisect
    assert [(type(a).__name__, a.parent.index, a.is_attack) for a in bisect] == [("Move", 4, True)]
    assert responses(INFO, claims, honest, {4: lying}, {4}) == bisect  # L1 refused the input step: bisect
    assert responses(INFO, claims, honest) == bisect  # no inputs known: as before
    # countered by the input leaf: nothing is owed under it, not even against the liar's moves there
    under = (*claims, _claim(5, 4, 60, b"\x96" * 32), _claim(6, 5, 120, b"\x95" * 32))
    assert responses(INFO, under, honest, {4: lying}, frozenset(), {4}) == []


def _rest(acc: Acc) -> tuple[object, ...]:
    return acc.cumulative_gas_used, acc.transactions_root, acc.receipts_root, acc.logs_bloom
