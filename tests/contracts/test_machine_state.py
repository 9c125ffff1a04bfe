"""The segment-boundary machine state (docs/fault-proofs.md, "Segmented execution"): Python's
`prover.machine_state` and Solidity's `MachineState` give the same ABI bytes and the same
commitment for random machines (frames with stacks, memory and return data, accounts with slots,
journal entries of every kind, warm and transient sets, logs), and a machine survives the round
trip through Solidity's encoding; a changed word anywhere changes the commitment."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_utils.abi import get_abi_input_types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from genesis.artifacts import load_artifact
from prover.machine_state import (
    MACHINE_ABI,
    Account,
    Counts,
    Frame,
    JournalEntry,
    Machine,
    Slot,
    commitment,
    decode,
    encode,
)
from tests.harness.evm import Contracts

CALL = {"gas": 1_000_000_000}

words = st.binary(min_size=32, max_size=32)
addresses = st.binary(min_size=20, max_size=20)
small = st.integers(min_value=0, max_value=2**64)
u256 = st.integers(min_value=0, max_value=2**256 - 1)
blobs = st.binary(max_size=300)

frames = st.builds(
    Frame, self_address=addresses, caller=addresses, code_address=addresses, value=u256, pc=small, gas=small,
    stack=st.lists(u256, max_size=20).map(tuple), memory=st.binary(max_size=200).map(lambda b: b + b"\0" * (-len(b) % 32)),
    input=blobs, return_data=blobs, init_code=blobs, flags=st.integers(0, 3), depth=st.integers(0, 1024),
    journal_mark=small, out_offset=small, out_length=small, memory_counted=small,
)
slots = st.builds(Slot, key=words, original=words, current=words, flags=st.integers(0, 3))
accounts = st.builds(
    Account, address=addresses, flags=st.integers(0, 127), nonce=small, balance=u256, code_hash=words, code=blobs,
    slots=st.lists(slots, max_size=5).map(tuple), pre_nonce=small, pre_balance=u256, pre_code_hash=words,
    storage_root=words,
)
journal = st.builds(JournalEntry, kind=st.integers(0, 6), index=small, field=small, old=words)
machines = st.builds(
    Machine, step_id=words, pre_state_hash=words, segments=small,
    counts=st.builds(Counts, *[small] * 6), refund=small,
    frames=st.lists(frames, max_size=3).map(tuple), accounts=st.lists(accounts, max_size=4).map(tuple),
    journal=st.lists(journal, max_size=8).map(tuple), warm_accounts=st.lists(addresses, max_size=4).map(tuple),
    warm_slots=st.lists(st.tuples(addresses, words, st.booleans()), max_size=4).map(tuple),
    transient_slots=st.lists(st.tuples(addresses, words, words), max_size=3).map(tuple),
    counted_accounts=st.lists(addresses, max_size=4).map(tuple), logs=st.lists(blobs, max_size=3).map(tuple),
)


@pytest.fixture(scope="module")
def harness(contracts: Contracts) -> Contract:
    return contracts.deploy("MachineStateHarness")


def test_the_python_abi_type_is_the_compiled_struct() -> None:
    (entry,) = [e for e in load_artifact("MachineStateHarness").abi if e.get("name") == "commitment"]
    assert get_abi_input_types(entry) == [MACHINE_ABI]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(machine=machines)
def test_python_and_solidity_encode_and_commit_alike(harness: Contract, machine: Machine) -> None:
    args = machine.abi_tuple()
    solidity_bytes = bytes(harness.functions.encode(args).call(CALL))
    assert solidity_bytes == encode(machine)
    assert bytes(harness.functions.commitment(args).call(CALL)) == commitment(machine)
    assert decode(solidity_bytes) == machine


def test_every_part_is_committed(harness: Contract) -> None:
    frame = Frame(b"\x01" * 20, b"\x02" * 20, b"\x01" * 20, stack=(1, 2, 3), memory=b"\x00" * 64, pc=7, gas=100)
    account = Account(b"\x01" * 20, flags=1, nonce=1, balance=5, code_hash=b"\x11" * 32,
                      slots=(Slot(b"\x00" * 32, b"\x00" * 32, b"\x01".rjust(32, b"\x00"), 1),))
    base = Machine(b"\x0a" * 32, b"\x0b" * 32, frames=(frame,), accounts=(account,),
                   journal=(JournalEntry(1, 0, 0, b"\x00" * 32),), logs=(b"\xc0",))
    changed = [
        replace(base, segments=1),
        replace(base, counts=Counts(opcodes=1)),
        replace(base, frames=(replace(frame, stack=(1, 2, 4)),)),
        replace(base, frames=(replace(frame, memory=b"\x00" * 63 + b"\x01"),)),
        replace(base, frames=(replace(frame, pc=8),)),
        replace(base, accounts=(replace(account, slots=(replace(account.slots[0], current=b"\x02".rjust(32, b"\x00")),)),)),
        replace(base, journal=(JournalEntry(1, 0, 0, b"\x01" * 32),)),
        replace(base, logs=(b"\xc1\x80",)),
    ]
    seen = {commitment(base)}
    for machine in changed:
        seen.add(commitment(machine))
        assert bytes(harness.functions.commitment(machine.abi_tuple()).call(CALL)) == commitment(machine)
    assert len(seen) == len(changed) + 1
