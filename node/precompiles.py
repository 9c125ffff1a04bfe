"""The L2's precompiles: Prague's (py-evm), with MODEXP (0x05) as the EIPs define it.

py-evm's MODEXP answers 0 when the base is empty (`eth.precompiles.modexp._modexp` returns 0
for a base length of 0), where EIP-198 reads an empty base as 0, so `0^0 mod m` is 1 for m > 1
(ethereum/execution-specs, `precompiled_contracts/modexp.py`). Lantau follows the EIPs: the L1
step calls L1's own MODEXP and gets L1's answer (docs/fault-proofs.md).
"""

from __future__ import annotations

from eth.abc import ComputationAPI
from eth.precompiles.modexp import extract_lengths
from eth.vm.forks.berlin.computation import _compute_modexp_gas_fee_eip_2565
from eth.vm.forks.prague.computation import PragueComputation
from eth_utils import big_endian_to_int

MODEXP_ADDRESS = b"\x00" * 19 + b"\x05"


def _read(data: bytes, start: int, length: int) -> int:
    """`length` bytes of `data` from `start`, zero-padded past its end, as an integer."""
    return big_endian_to_int(data[start:start + length].ljust(length, b"\x00")) if length else 0


def modexp(computation: ComputationAPI) -> ComputationAPI:
    """EIP-198 with EIP-2565's price: `base ** exponent % modulus` as `modulus_length` bytes."""
    data = computation.msg.data_as_bytes
    computation.consume_gas(_compute_modexp_gas_fee_eip_2565(data), reason="MODEXP Precompile")
    base_length, exponent_length, modulus_length = extract_lengths(data)
    if base_length == 0 and modulus_length == 0:
        computation.output = b""
        return computation
    base = _read(data, 96, base_length)
    exponent = _read(data, 96 + base_length, exponent_length)
    modulus = _read(data, 96 + base_length + exponent_length, modulus_length)
    result = 0 if modulus == 0 else pow(base, exponent, modulus)
    computation.output = result.to_bytes(modulus_length, "big")
    return computation


LANTAU_PRECOMPILES = {**PragueComputation.get_precompiles(), MODEXP_ADDRESS: modexp}
