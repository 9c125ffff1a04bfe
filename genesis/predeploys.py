"""Addresses of the L2 predeploys: the one place they are written down.

The system addresses follow the OP Stack's (0x4200…), so tooling that knows OP chains finds
the same contracts at the same places. Lantau's own predeploys (the RWA settlement layer)
live in the 0x4200…0800 range.
"""

from __future__ import annotations

from typing import Final

from eth_typing import Address
from eth_utils import to_canonical_address


def _address(hex_address: str) -> Address:
    return Address(to_canonical_address(hex_address))


# OP Stack system predeploys
SEQUENCER_FEE_VAULT: Final = _address("0x4200000000000000000000000000000000000011")
L1_BLOCK: Final = _address("0x4200000000000000000000000000000000000015")
L2_TO_L1_MESSAGE_PASSER: Final = _address("0x4200000000000000000000000000000000000016")
BASE_FEE_VAULT: Final = _address("0x4200000000000000000000000000000000000019")

# The depositor account that sends the L1-info system deposit (OP Stack's)
L1_INFO_DEPOSITOR: Final = _address("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001")

#: Predeploy address -> contract name in `contracts/artifacts`. The genesis generator
#: (`python -m genesis.generate`) puts each one's deployed code into the devnet genesis alloc.
PREDEPLOY_CONTRACTS: Final[dict[Address, str]] = {
    L1_BLOCK: "L1Block",
}
