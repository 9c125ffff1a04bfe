"""Device-attested asset data, the device side: what a device key signs for the `DeviceRegistry`
predeploy (genesis/predeploys.py), with eth-account.

- Registration (proof of possession): the device key signs the EIP-712
  `DeviceRegistration(device, operator, asset)` under the registry's domain (name "Lantau
  DeviceRegistry", version "1", the chain id, the registry's address), so a signature binds one
  operator, one asset, one chain and one registry.
- Readings: the device signs the EIP-712 `Reading(device, asset, schema, sequence, time,
  expirationTime, refUID, data)`; sequence numbers strictly increase per device (the registry
  refuses a replay). A reserve reading (`RESERVE_SCHEMA`) carries `abi.encode(uint256 reserve)`
  in the asset's token base units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from genesis.predeploys import DEVICE_REGISTRY
from rwa.eip712 import domain, sign_typed, typed_digest
from rwa.types import AssetClass

DOMAIN_NAME = "Lantau DeviceRegistry"
RESERVE_SCHEMA = keccak(text="uint256 reserve")
#: A KPI output reading (`DeviceRegistry.OUTPUT_SCHEMA`): `abi.encode(uint256 output)`.
OUTPUT_SCHEMA = keccak(text="uint256 output")
#: Classes whose mints the reserve guard holds from creation (AssetFactory turns it on): their
#: tokens are claims on stock that devices attest.
RESERVE_BACKED: tuple[AssetClass, ...] = (AssetClass.LOGISTICS_WAREHOUSE_RECEIPT, AssetClass.PRECIOUS_METAL)

_REGISTRATION_FIELDS = [
    {"name": "device", "type": "address"},
    {"name": "operator", "type": "address"},
    {"name": "asset", "type": "address"},
]
_READING_FIELDS = [
    {"name": "device", "type": "address"},
    {"name": "asset", "type": "address"},
    {"name": "schema", "type": "bytes32"},
    {"name": "sequence", "type": "uint64"},
    {"name": "time", "type": "uint64"},
    {"name": "expirationTime", "type": "uint64"},
    {"name": "refUID", "type": "bytes32"},
    {"name": "data", "type": "bytes"},
]


@dataclass(frozen=True, slots=True)
class Reading:
    """A device-signed reading; `as_tuple` is the `DeviceRegistry.Reading` calldata."""

    device: str
    asset: str
    schema: bytes
    sequence: int
    time: int
    expiration_time: int
    ref_uid: bytes
    data: bytes

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.device,
            self.asset,
            self.schema,
            self.sequence,
            self.time,
            self.expiration_time,
            self.ref_uid,
            self.data,
        )

    def message(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "asset": self.asset,
            "schema": self.schema,
            "sequence": self.sequence,
            "time": self.time,
            "expirationTime": self.expiration_time,
            "refUID": self.ref_uid,
            "data": self.data,
        }


def registry_domain(chain_id: int, registry: str | None = None) -> dict[str, Any]:
    return domain(DOMAIN_NAME, chain_id, registry or "0x" + DEVICE_REGISTRY.hex())


def _sign(device: LocalAccount, domain_data: dict[str, Any], primary: str, fields: list[dict[str, str]], message: dict[str, Any]) -> bytes:
    return bytes(sign_typed(device.key, domain_data, {primary: fields}, message).signature)


def sign_registration(device: LocalAccount, operator: str, asset: str, chain_id: int, registry: str | None = None) -> bytes:
    """The device key's proof of possession for `DeviceRegistry.registerDevice`."""
    message = {"device": device.address, "operator": to_checksum_address(operator), "asset": to_checksum_address(asset)}
    return _sign(device, registry_domain(chain_id, registry), "DeviceRegistration", _REGISTRATION_FIELDS, message)


def simulated_device(asset: str, number: int) -> LocalAccount:
    """The key of simulated device `number` of `asset` (`lantau device simulate`, the devnet
    sample): keccak("lantau-device-sim/<asset>/<n>"), public on purpose so a rerun continues the
    same devices' sequences; never use it for a real device."""
    return Account.from_key(keccak(text=f"lantau-device-sim/{asset.lower()}/{number}"))


def reserve_reading(
    device: LocalAccount, asset: str, reserve: int, *, sequence: int, time: int, valid_for_s: int, ref_uid: bytes = bytes(32)
) -> Reading:
    """A reserve reading (`reserve` in token base units) valid `valid_for_s` seconds from `time`."""
    return Reading(
        device.address,
        to_checksum_address(asset),
        RESERVE_SCHEMA,
        sequence,
        time,
        time + valid_for_s,
        ref_uid,
        abi_encode(["uint256"], [reserve]),
    )


def sign_reading(device: LocalAccount, reading: Reading, chain_id: int, registry: str | None = None) -> bytes:
    """The device's signature of `reading` for `DeviceRegistry.attest`."""
    return _sign(device, registry_domain(chain_id, registry), "Reading", _READING_FIELDS, reading.message())


def reading_uid(reading: Reading, chain_id: int, registry: str | None = None) -> bytes:
    """The reading's EIP-712 digest: its attestation uid and what an epoch leaf commits."""
    return typed_digest(registry_domain(chain_id, registry), {"Reading": _READING_FIELDS}, reading.message())


@dataclass(frozen=True, slots=True)
class EpochLeaf:
    device: str
    sequence: int
    uid: bytes

    def key(self) -> tuple[int, int]:
        return (int(self.device, 16), self.sequence)

    def hash(self) -> bytes:
        return keccak(abi_encode(["address", "uint64", "bytes32"], [self.device, self.sequence, self.uid]))


class EpochTree:
    """An aggregator's epoch: leaves sorted by (device, sequence), zero-padded to a power of two,
    each level `keccak256(abi.encode(left, right))` (`DeviceRegistry.epochLeafRoot`)."""

    def __init__(self, leaves: list[EpochLeaf]) -> None:
        if not leaves:
            raise ValueError("an epoch needs at least one reading")
        self.leaves = sorted(leaves, key=EpochLeaf.key)
        size = 1
        while size < len(self.leaves):
            size <<= 1
        level = [leaf.hash() for leaf in self.leaves] + [bytes(32)] * (size - len(self.leaves))
        self.levels = [level]
        while len(level) > 1:
            level = [keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
            self.levels.append(level)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, index: int) -> tuple[str, int, bytes, int, list[bytes]]:
        """`DeviceRegistry.LeafProof` of the leaf at `index` (in sorted order)."""
        siblings, position = [], index
        for level in self.levels[:-1]:
            siblings.append(level[position ^ 1])
            position >>= 1
        leaf = self.leaves[index]
        return (leaf.device, leaf.sequence, leaf.uid, index, siblings)
