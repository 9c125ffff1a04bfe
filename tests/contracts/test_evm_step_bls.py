"""The BLS12-381 precompiles (0x0b-0x11, EIP-2537) in the step against py-evm's LantauVM
(docs/fault-proofs.md, "Exclusions"): the step prices each call as the L2 does (EVMPrecompiles,
the MSM discount tables included) and takes the result from L1's own precompile (anvil, Prague).
Each input is a real point (the generators, from py_ecc, encoded by py-evm's own encoders), sent
directly (the gas used shows the price) and through a contract that stores a hash of the output
(the result must be py-evm's); wrong lengths and a point off the curve fail in both, all gas gone."""

from __future__ import annotations

from typing import Any

import pytest
from eth.precompiles.bls12_381.bls12_381_g1 import g1_optimized_3d_to_bytes
from eth.precompiles.bls12_381.bls12_381_g2 import g2_optimized_3d_to_bytes
from py_ecc.optimized_bls12_381 import G1, G2

from tests.contracts.step_diff import anvil_options, compare, harness  # noqa: F401 (fixtures)
from tests.contracts.test_evm_step import CONTRACT, CTX, asm, base_pre, push, signed

G1_POINT = g1_optimized_3d_to_bytes(G1)  # 128 bytes
G2_POINT = g2_optimized_3d_to_bytes(G2)  # 256 bytes
SCALAR = (0xBEEF).to_bytes(32, "big")
FP = (5).to_bytes(64, "big")  # a field element below p, 64-byte padded


def _g1_msm(k: int) -> bytes:
    return (G1_POINT + SCALAR) * k


INPUTS = {
    "G1ADD": (0x0B, G1_POINT * 2),
    "G1MSM k=1": (0x0C, _g1_msm(1)),
    "G1MSM k=3": (0x0C, _g1_msm(3)),
    "G2ADD": (0x0D, G2_POINT * 2),
    "G2MSM k=2": (0x0E, (G2_POINT + SCALAR) * 2),
    "PAIRING k=1": (0x0F, G1_POINT + G2_POINT),
    "MAP_FP_TO_G1": (0x10, FP),
    "MAP_FP2_TO_G2": (0x11, FP * 2),
    "G1ADD, wrong length": (0x0B, G1_POINT * 2 + b"\x00"),
    "G1MSM, empty": (0x0C, b""),
    "G1ADD, point off the curve": (0x0B, G1_POINT[:-1] + bytes([G1_POINT[-1] ^ 1]) + G1_POINT),
}


@pytest.mark.parametrize("name", list(INPUTS))
def test_bls_precompile_called_directly(harness: Any, name: str) -> None:  # noqa: F811
    address, data = INPUTS[name]
    raw = signed(to=address.to_bytes(20, "big"), data=data, gas=400_000)
    assert compare(harness, base_pre(), raw, CTX)[0] == []


def test_bls_precompile_outputs_through_a_contract(harness: Any) -> None:  # noqa: F811
    """A contract copies its calldata to memory, calls the precompile with it and stores the call's
    success and keccak256 of the output: the outputs must be py-evm's."""
    for name in ("G1ADD", "G1MSM k=3", "G2ADD", "PAIRING k=1", "MAP_FP_TO_G1", "MAP_FP2_TO_G2"):
        address, data = INPUTS[name]
        code = asm(
            0x36, push(0), push(0), 0x37,  # calldatacopy(0, 0, calldatasize)
            # success = staticcall(gas, address, 0, calldatasize, 0, 0)
            push(0), push(0), 0x36, push(0), push(address), 0x5A, 0xFA, push(1), 0x55,
            0x3D, push(0), push(0), 0x3E,  # returndatacopy(0, 0, returndatasize)
            0x3D, push(0), 0x20, push(2), 0x55,  # sstore(2, keccak256(0, returndatasize))
        )
        assert compare(harness, base_pre(code), signed(to=CONTRACT, data=data, gas=600_000), CTX)[0] == [], name
