"""Device-attested asset data over an `RWAClient` (the `DeviceRegistry` predeploy): approve
operators and aggregators, register devices, relay device-signed readings, post epochs, read an
asset's attested reserve and latest readings. What `lantau rwa reserve` and `lantau device
simulate` use; the signing itself is in rwa/devices.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.contract import Contract

from genesis.predeploys import DEVICE_REGISTRY
from rwa.client import Call, RWAClient
from rwa.contracts import contract_at
from rwa.devices import RESERVE_SCHEMA, EpochLeaf, EpochTree, Reading, reading_uid, sign_reading, sign_registration


@dataclass(frozen=True, slots=True)
class AttestedReading:
    uid: bytes
    device: str
    sequence: int
    time: int
    expiration_time: int
    revoked: bool
    reserve: int | None  # for a reserve reading


@dataclass(frozen=True, slots=True)
class ReserveView:
    guard_enabled: bool
    reserve: int | None  # None: no attested reserve counts now (see `refusal`)
    expiration_time: int | None
    refusal: str | None  # the registry's error when none counts
    total_supply: int


class DeviceNetwork:
    def __init__(self, client: RWAClient) -> None:
        self.client = client
        self.registry: Contract = contract_at(client.w3, "DeviceRegistry", "0x" + DEVICE_REGISTRY.hex())

    # --- set-up ---------------------------------------------------------------------------------

    def approve_operator(self, asset: str, operator: str, approved: bool = True) -> dict[str, Any]:
        return self.client.transact(self.registry.functions.setOperatorApproved(asset, to_checksum_address(operator), approved))

    def approve_aggregator(self, asset: str, aggregator: str, approved: bool = True) -> dict[str, Any]:
        return self.client.transact(self.registry.functions.setAggregatorApproved(asset, to_checksum_address(aggregator), approved))

    def enable_reserve_guard(self, asset: str) -> dict[str, Any]:
        return self.client.transact(self.registry.functions.enableReserveGuard(asset))

    def register_device(self, asset: str, device: LocalAccount) -> dict[str, Any]:
        """Registers `device` for `asset` with the signer as operator (the device signs its proof)."""
        proof = sign_registration(device, self.client.address, asset, self.client.chain_id, self.registry.address)
        return self.client.transact(self.registry.functions.registerDevice(device.address, asset, proof))

    def device_asset(self, device: str) -> str | None:
        operator, asset, *_ = self.registry.functions.device(to_checksum_address(device)).call()
        return None if int(asset, 16) == 0 else asset

    def last_sequence(self, device: str) -> int:
        return int(self.registry.functions.device(to_checksum_address(device)).call()[3])

    # --- readings and epochs --------------------------------------------------------------------

    def attest(self, device: LocalAccount, reading: Reading) -> dict[str, Any]:
        signature = sign_reading(device, reading, self.client.chain_id, self.registry.address)
        return self.client.transact(self.registry.functions.attest(reading.as_tuple(), signature))

    def attest_all(self, signed: list[tuple[LocalAccount, Reading]]) -> list[dict[str, Any]]:
        """Relays readings of distinct devices back to back (one block's worth), then waits."""
        calls = [Call(self.registry.functions.attest(reading.as_tuple(), sign_reading(device, reading, self.client.chain_id, self.registry.address)))
                 for device, reading in signed]
        return self.client.transact_all(calls)

    def post_epoch(self, asset: str, epoch: int, start: int, end: int, readings: list[Reading]) -> tuple[EpochTree, dict[str, Any]]:
        tree = EpochTree([EpochLeaf(r.device, r.sequence, reading_uid(r, self.client.chain_id, self.registry.address)) for r in readings])
        call = self.registry.functions.postEpoch(asset, epoch, start, end, len(tree.leaves), tree.root)
        bond_wei = int(self.registry.functions.EPOCH_BOND_WEI().call())  # slashed if the epoch is proven wrong
        return tree, self.client.transact(call, value_wei=bond_wei)

    def release_epoch_bond(self, asset: str, epoch: int) -> dict[str, Any]:
        """Pays a final epoch's bond back to its aggregator."""
        return self.client.transact(self.registry.functions.releaseEpochBond(to_checksum_address(asset), epoch))

    # --- views ----------------------------------------------------------------------------------

    def reserve(self, asset: str) -> ReserveView:
        asset = to_checksum_address(asset)
        guard = bool(self.registry.functions.reserveGuardEnabled(asset).call())
        supply = int(self.client.token(asset).functions.totalSupply().call())
        revert = self.client.call_revert(self.registry.functions.attestedReserve(asset))
        if revert is not None:
            return ReserveView(guard, None, None, revert.name, supply)
        reserve, expiration = self.registry.functions.attestedReserve(asset).call()
        return ReserveView(guard, int(reserve), int(expiration), None, supply)

    def latest_readings(self, asset: str, limit: int = 10) -> list[AttestedReading]:
        """The asset's last `limit` attestations (from the `Attested` events), newest first."""
        logs = self.registry.events.Attested().get_logs(from_block=0, argument_filters={"recipient": to_checksum_address(asset)})
        rows = []
        for log in list(logs)[-limit:][::-1]:
            a = self.registry.functions.getAttestation(log["args"]["uid"]).call()
            uid, schema, attester, _recipient, time, expiration, revocation, sequence, _ref, data = a
            reserve = int(abi_decode(["uint256"], data)[0]) if bytes(schema) == RESERVE_SCHEMA else None
            rows.append(AttestedReading(bytes(uid), attester, int(sequence), int(time), int(expiration), revocation != 0, reserve))
        return rows
