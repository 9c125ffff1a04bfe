"""Addresses of the L2 predeploys: the one place they are written down.

The system addresses follow the OP Stack's (0x4200…), so tooling that knows OP chains finds
the same contracts at the same places. Lantau's own predeploys (the RWA settlement layer)
live in the 0x4200…0800 range:

| address                                      | contract                          |
|----------------------------------------------|-----------------------------------|
| 0x4200000000000000000000000000000000000800   | IdentityRegistry                  |
| 0x4200000000000000000000000000000000000801   | Compliance                        |
| 0x4200000000000000000000000000000000000802   | RWAToken (implementation, locked) |
| 0x4200000000000000000000000000000000000803   | AssetFactory                      |
| 0x4200000000000000000000000000000000000804   | SettlementEngine                  |
| 0x4200000000000000000000000000000000000805   | CorporateActions                  |
| 0x4200000000000000000000000000000000000806   | PriceFeed                         |
| 0x4200000000000000000000000000000000000807   | VenueRegistry                     |
| 0x4200000000000000000000000000000000000808   | CallAuction                       |
| 0x4200000000000000000000000000000000000809   | DeviceRegistry                    |
| 0x420000000000000000000000000000000000080a   | RWATokenExtension (every asset's fallback) |

Preinstalls (`genesis.preinstalls`): contracts every OP Stack toolchain finds at the address they
have on Ethereum, with the runtime code they have there:

| address                                      | contract                                     |
|----------------------------------------------|----------------------------------------------|
| 0x4e59b44847b379578588920cA78FbF26c0B4956C   | DeterministicDeploymentProxy (CREATE2 deployer) |
| 0xcA11bde05977b3631167028862bE2a173976CA11   | Multicall3                                   |

A predeploy's runtime code is placed at its address with no constructor run. The RWA
contracts that need an owner get their state written straight into storage by the genesis
generator (`rwa_predeploy_storage`), at the slots their NatSpec documents, and their
OpenZeppelin `Initializable` flag set, so there is no first-block `initialize` that anyone
could race. Slots are named by state variable here; the generator resolves them against the
compiler's storage layout in the committed artifacts.
"""

from __future__ import annotations

from typing import Final, Mapping

from eth_typing import Address
from eth_utils import keccak, to_canonical_address


def _address(hex_address: str) -> Address:
    return Address(to_canonical_address(hex_address))


# OP Stack system predeploys
SEQUENCER_FEE_VAULT: Final = _address("0x4200000000000000000000000000000000000011")
L1_BLOCK: Final = _address("0x4200000000000000000000000000000000000015")
L2_TO_L1_MESSAGE_PASSER: Final = _address("0x4200000000000000000000000000000000000016")
BASE_FEE_VAULT: Final = _address("0x4200000000000000000000000000000000000019")

# The depositor account that sends the L1-info system deposit (OP Stack's)
L1_INFO_DEPOSITOR: Final = _address("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001")

# Lantau's RWA settlement layer (contracts/src/L2/rwa)
IDENTITY_REGISTRY: Final = _address("0x4200000000000000000000000000000000000800")
COMPLIANCE: Final = _address("0x4200000000000000000000000000000000000801")
RWA_TOKEN_IMPLEMENTATION: Final = _address("0x4200000000000000000000000000000000000802")
ASSET_FACTORY: Final = _address("0x4200000000000000000000000000000000000803")
SETTLEMENT_ENGINE: Final = _address("0x4200000000000000000000000000000000000804")
CORPORATE_ACTIONS: Final = _address("0x4200000000000000000000000000000000000805")
PRICE_FEED: Final = _address("0x4200000000000000000000000000000000000806")
VENUE_REGISTRY: Final = _address("0x4200000000000000000000000000000000000807")
CALL_AUCTION: Final = _address("0x4200000000000000000000000000000000000808")
# Device-attested asset data and the reserve guard (Compliance names this address too)
DEVICE_REGISTRY: Final = _address("0x4200000000000000000000000000000000000809")
# What every asset runs through its fallback (RWA_TOKEN_EXTENSION in RWATokenBase.sol)
RWA_TOKEN_EXTENSION: Final = _address("0x420000000000000000000000000000000000080a")

# Preinstalls: the addresses they have on Ethereum and on every OP Stack chain
CREATE2_DEPLOYER: Final = _address("0x4e59b44847b379578588920cA78FbF26c0B4956C")
MULTICALL3: Final = _address("0xcA11bde05977b3631167028862bE2a173976CA11")

#: Preinstall address -> name in `genesis/preinstalls.json`. Each gets nonce 1, as a contract
#: created on Ethereum has (EIP-161), and so as OP's L2 genesis writes them.
PREINSTALL_CONTRACTS: Final[dict[Address, str]] = {
    CREATE2_DEPLOYER: "DeterministicDeploymentProxy",
    MULTICALL3: "Multicall3",
}
PREINSTALL_NONCE: Final = 1

#: Predeploy address -> contract name in `contracts/artifacts`. The genesis generator
#: (`python -m genesis.generate`) puts each one's deployed code into the devnet genesis alloc.
PREDEPLOY_CONTRACTS: Final[dict[Address, str]] = {
    L1_BLOCK: "L1Block",
    L2_TO_L1_MESSAGE_PASSER: "L2ToL1MessagePasser",
    IDENTITY_REGISTRY: "IdentityRegistry",
    COMPLIANCE: "Compliance",
    RWA_TOKEN_IMPLEMENTATION: "RWAToken",
    ASSET_FACTORY: "AssetFactory",
    SETTLEMENT_ENGINE: "SettlementEngine",
    CORPORATE_ACTIONS: "CorporateActions",
    PRICE_FEED: "PriceFeed",
    VENUE_REGISTRY: "VenueRegistry",
    CALL_AUCTION: "CallAuction",
    DEVICE_REGISTRY: "DeviceRegistry",
    RWA_TOKEN_EXTENSION: "RWATokenExtension",
}

#: The RWA predeploys by contract name (what the SDK and the tests look them up by).
RWA_PREDEPLOYS: Final[dict[str, Address]] = {
    "IdentityRegistry": IDENTITY_REGISTRY,
    "Compliance": COMPLIANCE,
    "RWAToken": RWA_TOKEN_IMPLEMENTATION,
    "AssetFactory": ASSET_FACTORY,
    "SettlementEngine": SETTLEMENT_ENGINE,
    "CorporateActions": CORPORATE_ACTIONS,
    "PriceFeed": PRICE_FEED,
    "VenueRegistry": VENUE_REGISTRY,
    "CallAuction": CALL_AUCTION,
    "DeviceRegistry": DEVICE_REGISTRY,
    "RWATokenExtension": RWA_TOKEN_EXTENSION,
}


def erc7201_slot(namespace: str) -> int:
    """ERC-7201 storage location: keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~0xff."""
    inner = int.from_bytes(keccak(text=namespace), "big") - 1
    return int.from_bytes(keccak(inner.to_bytes(32, "big")), "big") & ~0xFF


#: OpenZeppelin 5 `Initializable` (`INITIALIZABLE_SLOT` in RWACommon.sol); `_initialized` is its
#: low uint64. 1 = initialized once (by genesis); 2**64 - 1 = locked for good (implementations).
INITIALIZABLE_SLOT: Final = erc7201_slot("openzeppelin.storage.Initializable")
INITIALIZED_BY_GENESIS: Final = 1
INITIALIZERS_DISABLED: Final = 2**64 - 1

#: PriceFeed's default maximum age of a price (seconds): one day, the rhythm of a NAV or of a
#: closing price; `latestPrice` reverts StalePrice beyond it (per asset adjustable by the owner).
PRICE_FEED_DEFAULT_MAX_AGE_S: Final = 86_400

#: CallAuction's circuit breaker: a clearing price at most 10% (1,000 bps) from the asset's
#: PriceFeed price (the owner, the alliance, changes it with `setBand`).
CALL_AUCTION_DEFAULT_BAND_BPS: Final = 1_000

#: A storage key: a state variable's name (resolved in the artifact's storage layout; it must
#: start its slot, so its value is written right-aligned) or a raw slot number.
StorageKey = str | int


def passer_predeploy_storage(l1_portal: Address, l1_hkd_token: Address, max_gas_limit: int) -> dict[Address, Mapping[StorageKey, int]]:
    """The storage the genesis writes into `L2ToL1MessagePasser`: the L1 portal and HKD token it
    refuses as withdrawal targets, and the largest gas limit an L1 block can pay for
    (`genesis.l1_addresses.max_withdrawal_gas_limit`). Its slots 0 and 1 (the records the L1
    proof reads, and the nonce) start empty."""
    return {
        L2_TO_L1_MESSAGE_PASSER: {
            "l1Portal": int.from_bytes(l1_portal, "big"),
            "l1HkdToken": int.from_bytes(l1_hkd_token, "big"),
            "maxGasLimit": max_gas_limit,
        }
    }


def rwa_predeploy_storage(owner: Address) -> dict[Address, Mapping[StorageKey, int]]:
    """The storage the genesis writes into each RWA predeploy, with `owner` as the platform
    owner (registry operator, factory owner, price-feed owner, settlement-engine owner, who
    freezes escrow, alliance owner of the venue registry and the call auction). Compliance and
    CorporateActions have no owner and nothing to set."""
    as_word = lambda address: int.from_bytes(address, "big")  # noqa: E731 - right-aligned address
    return {
        IDENTITY_REGISTRY: {"owner": as_word(owner), INITIALIZABLE_SLOT: INITIALIZED_BY_GENESIS},
        RWA_TOKEN_IMPLEMENTATION: {INITIALIZABLE_SLOT: INITIALIZERS_DISABLED},
        RWA_TOKEN_EXTENSION: {INITIALIZABLE_SLOT: INITIALIZERS_DISABLED},
        ASSET_FACTORY: {
            "owner": as_word(owner),
            "tokenImplementation": as_word(RWA_TOKEN_IMPLEMENTATION),
            "identityRegistry": as_word(IDENTITY_REGISTRY),
            "compliance": as_word(COMPLIANCE),
            "corporateActions": as_word(CORPORATE_ACTIONS),
            INITIALIZABLE_SLOT: INITIALIZED_BY_GENESIS,
        },
        SETTLEMENT_ENGINE: {"owner": as_word(owner), INITIALIZABLE_SLOT: INITIALIZED_BY_GENESIS},
        PRICE_FEED: {
            "owner": as_word(owner),
            "defaultMaxAge": PRICE_FEED_DEFAULT_MAX_AGE_S,
            INITIALIZABLE_SLOT: INITIALIZED_BY_GENESIS,
        },
        VENUE_REGISTRY: {"owner": as_word(owner), INITIALIZABLE_SLOT: INITIALIZED_BY_GENESIS},
        CALL_AUCTION: {
            "owner": as_word(owner),
            "venueRegistry": as_word(VENUE_REGISTRY),
            "priceFeed": as_word(PRICE_FEED),
            "compliance": as_word(COMPLIANCE),
            "bandBps": CALL_AUCTION_DEFAULT_BAND_BPS,
            INITIALIZABLE_SLOT: INITIALIZED_BY_GENESIS,
        },
    }
