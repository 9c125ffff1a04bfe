"""`AnalyzedCodeStream.is_valid_opcode` against py-evm's `CodeStream` walk, on every position
of random code (PUSH-heavy, truncated PUSH data at the end) and of real contracts; and
`push_values` against what py-evm's PUSH reads at every PUSH that is an instruction."""

from __future__ import annotations

import random

import pytest
from eth.vm.code_stream import CodeStream
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis.artifacts import load_artifact
from node.code_stream import AnalyzedCodeStream, push_data_map, push_values


def _differences(code: bytes) -> list[int]:
    """The positions (past the end too) where our jump-target answer differs from py-evm's, or
    where `push_values` differs from the int of what py-evm's PUSH reads (`CodeStream.read`,
    zero-padded past the end as `push_XX` pads) at a PUSH that is an instruction."""
    ours, stock = AnalyzedCodeStream(code), CodeStream(code)
    differences = [p for p in range(len(code) + 40) if ours.is_valid_opcode(p) != stock.is_valid_opcode(p)]
    values = push_values(code)
    assert len(values) == len(code)
    for position, opcode in enumerate(code):
        is_push = 0x5F <= opcode <= 0x7F and stock.is_valid_opcode(position)
        if not is_push:
            if values[position] is not None:
                differences.append(position)
            continue
        size = opcode - 0x5F
        stock.program_counter = position + 1
        read = stock.read(size).ljust(size, b"\x00")
        if values[position] != int.from_bytes(read, "big"):
            differences.append(position)
    return differences


@pytest.mark.parametrize("seed", range(20))
def test_push_heavy_random_code_matches_py_evm(seed: int) -> None:
    rng = random.Random(seed)
    # Mostly PUSHn (0x60-0x7f) and JUMPDEST (0x5b), so data covers data and pushes hide pushes.
    alphabet = list(range(0x5F, 0x80)) + [0x5B] * 8 + [0x00, 0x56, 0x57]
    assert _differences(bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_code_matches_py_evm(code: bytes) -> None:
    assert _differences(code) == []


def test_truncated_push_at_the_end_and_empty_code() -> None:
    assert _differences(b"\x5b\x7f" + b"\x5b" * 10) == []  # PUSH32 with 10 of its 32 bytes
    assert _differences(b"") == []
    assert push_data_map(b"\x61\x5b\x5b\x5b") == b"\x00\x01\x01\x00"
    assert push_values(b"\x5f\x61\x5b\x5b\x62\x01") == (0, 0x5B5B, None, None, 0x010000, None)


@pytest.mark.parametrize("name", ["AssetFactory", "BatchInbox", "Compliance"])
def test_real_contracts_match_py_evm(name: str) -> None:
    artifact = load_artifact(name)
    assert _differences(artifact.deployed_bytecode) == []
    assert _differences(artifact.bytecode) == []
