"""Device-attested asset data (issue 18, part 2) on the L2 node from the devnet genesis: devices
registered with proof of possession, device-signed reserve readings as EAS-shaped attestations,
and the reserve guard Compliance consults on every mint. Each refusal names its error and
leaves the registry and the token as they were; readings are signed with the SDK (rwa/devices.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from genesis.predeploys import DEVICE_REGISTRY, MULTICALL3
from genesis.preinstalls import load_preinstall
from rwa.devices import (
    OUTPUT_SCHEMA,
    RESERVE_SCHEMA,
    EpochLeaf,
    EpochTree,
    Reading,
    reading_uid,
    reserve_reading,
    sign_reading,
    sign_registration,
)
from tests.rwa.rwa_chain import AGRICULTURAL, GREEN_BOND, HKD, PRECIOUS_METAL, WAREHOUSE_RECEIPT, YEAR, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

RESERVE = 1_000  # token base units the vault's device attests
EPOCH_BOND = 100 * HKD  # DeviceRegistry.EPOCH_BOND_WEI


@dataclass
class Vault:
    registry: Contract
    token: Contract
    issuer: str
    operator: str
    device: LocalAccount
    holder: str
    chain_id: int

    def reading(self, reserve: int, sequence: int, *, time: int, valid_for_s: int = 3_600) -> tuple[Reading, bytes]:
        reading = reserve_reading(self.device, self.token.address, reserve, sequence=sequence, time=time, valid_for_s=valid_for_s)
        return reading, sign_reading(self.device, reading, self.chain_id)

    def state(self) -> tuple[int, int, bytes, tuple]:
        """Everything a refusal must leave as it was: supply, holder's balance, the standing
        reserve uid and the device's record."""
        return (
            self.token.functions.totalSupply().call(),
            self.token.functions.balanceOf(self.holder).call(),
            self.registry.functions.latestReserveUid(self.token.address).call(),
            tuple(self.registry.functions.device(self.device.address).call()),
        )


def _vault(chain: Chain, rwa: RWASystem, label: str, asset_class: int = WAREHOUSE_RECEIPT, *, enable_guard: bool = True) -> Vault:
    registry = chain.at("DeviceRegistry", "0x" + DEVICE_REGISTRY.hex())
    issuer = chain.new_address(f"{label} issuer", fund_wei=10**21)
    operator = chain.new_address(f"{label} operator", fund_wei=10**21)
    holder = chain.new_address(f"{label} holder", fund_wei=10**21)  # also challenges epochs
    rwa.register([operator, holder])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name=f"{label} receipt", symbol="WHR", asset_class=asset_class, decimals=0)
    device = chain.new_account(f"{label} device", fund_wei=0)
    chain_id = chain.w3.eth.chain_id
    chain.send(registry.functions.setOperatorApproved(token.address, operator, True), issuer)
    proof = sign_registration(device, operator, token.address, chain_id)
    chain.send(registry.functions.registerDevice(device.address, token.address, proof), operator)
    if enable_guard:
        chain.send(registry.functions.enableReserveGuard(token.address), issuer)
    return Vault(registry, token, issuer, operator, device, holder, chain_id)


def _attest(chain: Chain, vault: Vault, reserve: int, sequence: int, **kw: int) -> bytes:
    reading, signature = vault.reading(reserve, sequence, time=chain.now(), **kw)
    receipt = chain.send(vault.registry.functions.attest(reading.as_tuple(), signature), vault.operator)
    (attested,) = events(vault.registry, "Attested", receipt)
    return attested["uid"]


def test_attested_reserve_gates_mints(chain: Chain, rwa: RWASystem) -> None:
    vault = _vault(chain, rwa, "gate")
    t = vault.token.functions
    # No reserve attested yet: no mint.
    assert chain.expect_revert(t.mint(vault.holder, 1), vault.issuer).name == "NoAttestedReserve"
    uid = _attest(chain, vault, RESERVE, 1)
    stored = vault.registry.functions.getAttestation(uid).call()
    assert tuple(stored[1:4]) == (RESERVE_SCHEMA, vault.device.address, vault.token.address)  # schema, attester, recipient
    assert abi_decode(["uint256"], stored[9]) == (RESERVE,)
    assert vault.registry.functions.attestedReserve(vault.token.address).call()[0] == RESERVE
    chain.send(t.mint(vault.holder, 600), vault.issuer)  # within the reserve
    before = vault.state()
    revert = chain.expect_revert(t.mint(vault.holder, 401), vault.issuer)
    assert (revert.name, revert.args) == ("ReserveExceeded", (vault.token.address, 1_001, RESERVE))
    assert vault.state() == before
    chain.send(t.mint(vault.holder, 400), vault.issuer)  # exactly up to it
    assert t.totalSupply().call() == RESERVE


def test_the_reserve_is_the_sum_of_the_devices_that_count(chain: Chain, rwa: RWASystem) -> None:
    """Two bays of one warehouse, each with its scale: the reserve is 600 + 500; when one scale's
    reading lapses only the other's counts, and a revoked scale adds nothing."""
    vault = _vault(chain, rwa, "two bays")
    registry, t = vault.registry.functions, vault.token.functions
    bay2 = chain.new_account("two bays second scale", fund_wei=0)
    chain.send(registry.registerDevice(bay2.address, vault.token.address, sign_registration(bay2, vault.operator, vault.token.address, vault.chain_id)), vault.operator)
    assert registry.devicesOf(vault.token.address).call() == [vault.device.address, bay2.address]
    _attest(chain, vault, 600, 1, valid_for_s=3_600)
    second = reserve_reading(bay2, vault.token.address, 500, sequence=1, time=chain.now(), valid_for_s=4)
    chain.send(registry.attest(second.as_tuple(), sign_reading(bay2, second, vault.chain_id)), vault.operator)
    reserve, expires = registry.attestedReserve(vault.token.address).call()
    assert (reserve, expires) == (1_100, second.expiration_time)  # the earliest expiry among the counted
    chain.send(t.mint(vault.holder, 1_100), vault.issuer)
    assert t.totalSupply().call() == 1_100
    chain.advance(6)  # bay 2's reading lapses: 600 count, the supply is already past them
    assert registry.attestedReserve(vault.token.address).call()[0] == 600
    before = vault.state()
    revert = chain.expect_revert(t.mint(vault.holder, 1), vault.issuer)
    assert (revert.name, revert.args) == ("ReserveExceeded", (vault.token.address, 1_101, 600))
    assert vault.state() == before
    # Bay 2 reads again (more stock), bay 1's scale is revoked: only bay 2's 800 count.
    fresh = reserve_reading(bay2, vault.token.address, 1_200, sequence=2, time=chain.now(), valid_for_s=3_600)
    chain.send(registry.attest(fresh.as_tuple(), sign_reading(bay2, fresh, vault.chain_id)), vault.operator)
    assert registry.attestedReserve(vault.token.address).call()[0] == 1_800
    chain.send(registry.revokeDevice(vault.device.address), vault.issuer)
    assert registry.attestedReserve(vault.token.address).call()[0] == 1_200
    chain.send(t.mint(vault.holder, 100), vault.issuer)
    revert = chain.expect_revert(t.mint(vault.holder, 1), vault.issuer)
    assert (revert.name, revert.args) == ("ReserveExceeded", (vault.token.address, 1_201, 1_200))
    # The device cap holds the guard's loop within the L2's proof-cost caps.
    assert registry.MAX_DEVICES_PER_ASSET().call() == 32


@pytest.mark.parametrize("asset_class", [WAREHOUSE_RECEIPT, PRECIOUS_METAL], ids=["warehouse-receipt", "precious-metal"])
def test_the_guard_is_always_on_for_receipts_and_metal(chain: Chain, rwa: RWASystem, asset_class: int) -> None:
    """No `enableReserveGuard` needed (nor possible to skip) for a warehouse receipt or a metal
    claim: without an attested reserve nothing is minted; another class mints until its owner opts in."""
    vault = _vault(chain, rwa, f"mandatory {asset_class}", asset_class, enable_guard=False)
    registry, t = vault.registry.functions, vault.token.functions
    assert registry.reserveGuardEnabled(vault.token.address).call() is True  # by the AssetFactory, at creation
    # Only the factory may turn a guard on without being the asset's owner.
    crop = rwa.create_asset(issuer=vault.issuer, agents=[vault.issuer], name="unguarded crop", symbol="UGC", asset_class=AGRICULTURAL, decimals=0)
    revert = chain.expect_revert(registry.enableReserveGuardAtCreation(crop.address), vault.issuer)
    assert (revert.name, revert.args) == ("NotAssetFactory", (vault.issuer,))
    assert registry.reserveGuardEnabled(crop.address).call() is False
    before = vault.state()
    revert = chain.expect_revert(t.mint(vault.holder, 1), vault.issuer)
    assert (revert.name, revert.args) == ("NoAttestedReserve", (vault.token.address,))
    assert vault.state() == before
    _attest(chain, vault, 50, 1)
    chain.send(t.mint(vault.holder, 50), vault.issuer)
    assert chain.expect_revert(t.mint(vault.holder, 1), vault.issuer).name == "ReserveExceeded"
    assert t.totalSupply().call() == 50
    chain.send(crop.functions.mint(vault.holder, 10**6), vault.issuer)


def test_a_forged_reading_is_refused(chain: Chain, rwa: RWASystem) -> None:
    vault = _vault(chain, rwa, "forged")
    impostor = chain.new_account("impostor device", fund_wei=0)
    reading, _ = vault.reading(10**9, 1, time=chain.now())
    forged = sign_reading(impostor, reading, vault.chain_id)
    before = vault.state()
    revert = chain.expect_revert(vault.registry.functions.attest(reading.as_tuple(), forged), vault.operator)
    assert (revert.name, revert.args) == ("ForgedDeviceSignature", (vault.device.address, impostor.address))
    assert vault.state() == before
    # A registration signed by another key than the device's is refused too.
    other = chain.new_account("unregistered device", fund_wei=0)
    bad_proof = sign_registration(impostor, vault.operator, vault.token.address, vault.chain_id)
    revert = chain.expect_revert(vault.registry.functions.registerDevice(other.address, vault.token.address, bad_proof), vault.operator)
    assert revert.name == "ForgedDeviceSignature"
    assert vault.registry.functions.device(other.address).call()[1] == "0x" + "0" * 40


def test_a_replayed_reading_is_refused(chain: Chain, rwa: RWASystem) -> None:
    vault = _vault(chain, rwa, "replay")
    reading, signature = vault.reading(RESERVE, 5, time=chain.now())
    chain.send(vault.registry.functions.attest(reading.as_tuple(), signature), vault.operator)
    before = vault.state()
    revert = chain.expect_revert(vault.registry.functions.attest(reading.as_tuple(), signature), vault.operator)
    assert (revert.name, revert.args) == ("ReplayedReading", (vault.device.address, 5, 5))
    older, older_signature = vault.reading(10**9, 4, time=chain.now())  # a lower number, another value
    assert chain.expect_revert(vault.registry.functions.attest(older.as_tuple(), older_signature), vault.operator).name == "ReplayedReading"
    assert vault.state() == before


def test_a_device_of_another_asset_is_refused(chain: Chain, rwa: RWASystem) -> None:
    vault = _vault(chain, rwa, "bound")
    other = _vault(chain, rwa, "other vault", PRECIOUS_METAL)
    # The vault's device signs a reserve for the other asset: it is not bound to it.
    reading = reserve_reading(vault.device, other.token.address, 10**9, sequence=1, time=chain.now(), valid_for_s=3_600)
    signature = sign_reading(vault.device, reading, vault.chain_id)
    before, other_before = vault.state(), other.state()
    revert = chain.expect_revert(vault.registry.functions.attest(reading.as_tuple(), signature), vault.operator)
    assert (revert.name, revert.args) == ("DeviceOfAnotherAsset", (vault.device.address, vault.token.address, other.token.address))
    assert (vault.state(), other.state()) == (before, other_before)
    assert chain.expect_revert(other.token.functions.mint(other.holder, 1), other.issuer).name == "NoAttestedReserve"


def test_a_revoked_device_attests_nothing_and_its_reserve_stops_counting(chain: Chain, rwa: RWASystem) -> None:
    vault = _vault(chain, rwa, "revoked")
    _attest(chain, vault, RESERVE, 1)
    stranger = chain.new_address("revoke stranger", fund_wei=10**21)
    assert chain.expect_revert(vault.registry.functions.revokeDevice(vault.device.address), stranger).name == "NotDeviceOperator"
    chain.send(vault.registry.functions.revokeDevice(vault.device.address), vault.operator)
    before = vault.state()
    reading, signature = vault.reading(RESERVE, 2, time=chain.now())
    revert = chain.expect_revert(vault.registry.functions.attest(reading.as_tuple(), signature), vault.operator)
    assert (revert.name, revert.args) == ("DeviceIsRevoked", (vault.device.address,))
    revert = chain.expect_revert(vault.token.functions.mint(vault.holder, 1), vault.issuer)
    assert revert.name == "DeviceIsRevoked"
    assert vault.state() == before


def test_a_stale_attestation_is_refused(chain: Chain, rwa: RWASystem) -> None:
    vault = _vault(chain, rwa, "stale")
    # A reading already expired when it arrives.
    now = chain.now()
    expired, signature = vault.reading(RESERVE, 1, time=now - 100, valid_for_s=50)
    before = vault.state()
    revert = chain.expect_revert(vault.registry.functions.attest(expired.as_tuple(), signature), vault.operator)
    assert revert.name == "StaleAttestation"
    assert vault.state() == before
    # A standing reserve that expires stops gating mints open: they are refused.
    _attest(chain, vault, RESERVE, 2, valid_for_s=3)
    chain.send(vault.token.functions.mint(vault.holder, 10), vault.issuer)
    chain.advance(5)
    before = vault.state()
    revert = chain.expect_revert(vault.token.functions.mint(vault.holder, 10), vault.issuer)
    assert revert.name == "StaleAttestation"
    assert vault.state() == before
    # A fresh reading with the next sequence number restores issuance.
    _attest(chain, vault, RESERVE, 3)
    chain.send(vault.token.functions.mint(vault.holder, 10), vault.issuer)
    assert vault.token.functions.totalSupply().call() == 20


def test_a_revoked_attestation_stops_counting(chain: Chain, rwa: RWASystem) -> None:
    vault = _vault(chain, rwa, "revoked attestation")
    uid = _attest(chain, vault, RESERVE, 1)
    chain.send(vault.registry.functions.revoke(uid), vault.issuer)
    assert vault.registry.functions.getAttestation(uid).call()[6] > 0  # revocationTime
    before = vault.state()
    assert chain.expect_revert(vault.token.functions.mint(vault.holder, 1), vault.issuer).name == "AttestationRevoked"
    assert vault.state() == before


def test_registration_needs_an_approved_kyc_operator(chain: Chain, rwa: RWASystem) -> None:
    vault = _vault(chain, rwa, "operators")
    device = chain.new_account("second device", fund_wei=0)
    unapproved = chain.new_address("unapproved operator", fund_wei=10**21)
    rwa.register([unapproved])
    proof = sign_registration(device, unapproved, vault.token.address, vault.chain_id)
    call = vault.registry.functions.registerDevice(device.address, vault.token.address, proof)
    assert chain.expect_revert(call, unapproved).name == "OperatorNotApproved"
    unverified = chain.new_address("unverified operator", fund_wei=10**21)
    chain.send(vault.registry.functions.setOperatorApproved(vault.token.address, unverified, True), vault.issuer)
    proof = sign_registration(device, unverified, vault.token.address, vault.chain_id)
    call = vault.registry.functions.registerDevice(device.address, vault.token.address, proof)
    assert chain.expect_revert(call, unverified).name == "OperatorNotVerified"
    # A proof signed for one operator does not register the device for another.
    chain.send(vault.registry.functions.setOperatorApproved(vault.token.address, unapproved, True), vault.issuer)
    stolen = sign_registration(device, vault.operator, vault.token.address, vault.chain_id)
    call = vault.registry.functions.registerDevice(device.address, vault.token.address, stolen)
    assert chain.expect_revert(call, unapproved).name == "ForgedDeviceSignature"
    assert vault.registry.functions.device(device.address).call()[1] == "0x" + "0" * 40


# --- epochs of high-rate readings --------------------------------------------------------------


@dataclass
class EpochSetup:
    vault: Vault
    second: LocalAccount  # another device of the vault
    aggregator: str
    readings: list[tuple[Reading, bytes]]  # every device-signed reading of the epoch
    start: int
    end: int


def _epoch_setup(chain: Chain, rwa: RWASystem, label: str) -> EpochSetup:
    vault = _vault(chain, rwa, label)
    second = chain.new_account(f"{label} second device", fund_wei=0)
    proof = sign_registration(second, vault.operator, vault.token.address, vault.chain_id)
    chain.send(vault.registry.functions.registerDevice(second.address, vault.token.address, proof), vault.operator)
    aggregator = chain.new_address(f"{label} aggregator", fund_wei=10**21)
    rwa.register([aggregator])
    chain.send(vault.registry.functions.setAggregatorApproved(vault.token.address, aggregator, True), vault.issuer)
    start = chain.now() - 60
    readings = []
    for device in (vault.device, second):
        for sequence in (1, 2, 3):
            reading = reserve_reading(device, vault.token.address, 900 + sequence, sequence=sequence, time=start + 10 * sequence, valid_for_s=3_600)
            readings.append((reading, sign_reading(device, reading, vault.chain_id)))
    return EpochSetup(vault, second, aggregator, readings, start, chain.now())


def _leaf(reading: Reading, chain_id: int) -> EpochLeaf:
    return EpochLeaf(reading.device, reading.sequence, reading_uid(reading, chain_id))


def _post(chain: Chain, s: EpochSetup, epoch: int, leaves: list[EpochLeaf]) -> EpochTree:
    tree = EpochTree(leaves)
    call = s.vault.registry.functions.postEpoch(s.vault.token.address, epoch, s.start, s.end, len(tree.leaves), tree.root)
    chain.send(call, s.aggregator, value=EPOCH_BOND)
    return tree


def test_python_epoch_tree_matches_the_contract(chain: Chain, rwa: RWASystem) -> None:
    s = _epoch_setup(chain, rwa, "tree")
    for n in (1, 2, 3, 5, 6):
        tree = EpochTree([_leaf(r, s.vault.chain_id) for r, _ in s.readings[:n]])
        on_chain = s.vault.registry.functions.epochLeafRoot([leaf.hash() for leaf in tree.leaves]).call()
        assert on_chain == tree.root, n
    reading, _ = s.readings[0]
    assert reading_uid(reading, s.vault.chain_id) == s.vault.registry.functions.readingDigest(reading.as_tuple()).call()


def test_a_contradicted_epoch_is_voided_in_time(chain: Chain, rwa: RWASystem) -> None:
    s = _epoch_setup(chain, rwa, "contradicted")
    registry, asset, chain_id = s.vault.registry.functions, s.vault.token.address, s.vault.chain_id
    # The aggregator commits device 1's second reading with another value than the device signed.
    lied = reserve_reading(s.vault.device, asset, 5_000, sequence=2, time=s.start + 20, valid_for_s=3_600)
    leaves = [_leaf(r, chain_id) for r, _ in s.readings if r.sequence != 2 or r.device != s.vault.device.address]
    tree = _post(chain, s, 1, [*leaves, _leaf(lied, chain_id)])
    honest, signature = next((r, sig) for r, sig in s.readings if r.device == s.vault.device.address and r.sequence == 2)
    index = next(i for i, leaf in enumerate(tree.leaves) if leaf.device == honest.device and leaf.sequence == 2)
    # A leaf that agrees with the reading it is shown against proves nothing.
    agreeing, agreeing_sig = s.readings[0]
    agreeing_index = next(i for i, leaf in enumerate(tree.leaves) if leaf.uid == reading_uid(agreeing, chain_id))
    call = registry.challengeContradiction(asset, 1, agreeing.as_tuple(), agreeing_sig, tree.proof(agreeing_index))
    assert chain.expect_revert(call, s.vault.holder).name == "EpochNotContradicted"
    # A forged reading (not the device's signature) proves nothing either.
    impostor = chain.new_account("epoch impostor", fund_wei=0)
    forged = sign_reading(impostor, honest, chain_id)
    call = registry.challengeContradiction(asset, 1, honest.as_tuple(), forged, tree.proof(index))
    assert chain.expect_revert(call, s.vault.holder).name == "ForgedDeviceSignature"
    assert registry.getEpoch(asset, 1).call()[6] is False
    assert registry.epochBond(asset, 1).call() == EPOCH_BOND
    held = chain.balance(s.vault.registry.address)
    receipt = chain.send(registry.challengeContradiction(asset, 1, honest.as_tuple(), signature, tree.proof(index)), s.vault.holder)
    (voided,) = events(s.vault.registry, "EpochChallenged", receipt)
    assert voided["readingUid"] == reading_uid(honest, chain_id)
    assert registry.getEpoch(asset, 1).call()[6] is True
    assert registry.epochFinal(asset, 1).call() is False
    # The aggregator is slashed: its bond goes to the challenger, its licence for the asset is withdrawn.
    (slashed,) = events(s.vault.registry, "AggregatorSlashed", receipt)
    assert (slashed["aggregator"], slashed["challenger"], slashed["bondWei"]) == (s.aggregator, s.vault.holder, EPOCH_BOND)
    assert chain.balance(s.vault.registry.address) == held - EPOCH_BOND
    assert registry.epochBond(asset, 1).call() == 0
    assert registry.isAggregatorApproved(asset, s.aggregator).call() is False
    tree2 = EpochTree([_leaf(r, chain_id) for r, _ in s.readings])
    call = registry.postEpoch(asset, 2, s.start, s.end, len(tree2.leaves), tree2.root)
    assert chain.expect_revert(call, s.aggregator, value=EPOCH_BOND).name == "AggregatorNotApproved"
    assert chain.expect_revert(registry.releaseEpochBond(asset, 1), s.aggregator).name == "EpochNotFinal"
    assert chain.balance(s.vault.registry.address) == held - EPOCH_BOND


def test_a_reading_left_out_voids_the_epoch(chain: Chain, rwa: RWASystem) -> None:
    s = _epoch_setup(chain, rwa, "missing")
    registry, asset, chain_id = s.vault.registry.functions, s.vault.token.address, s.vault.chain_id
    left_out, signature = s.readings[4]  # the second device's sequence 2
    tree = _post(chain, s, 7, [_leaf(r, chain_id) for r, _ in s.readings if r is not left_out])
    below = next(i for i, leaf in enumerate(tree.leaves) if leaf.device == left_out.device and leaf.sequence == 1)
    # The first and the last leaf bracket the reading too, but are not adjacent: no proof of absence.
    call = registry.challengeMissing(asset, 7, left_out.as_tuple(), signature, True, tree.proof(0), True, tree.proof(len(tree.leaves) - 1))
    assert chain.expect_revert(call, s.vault.holder).name == "EpochNotContradicted"
    assert registry.getEpoch(asset, 7).call()[6] is False
    call = registry.challengeMissing(asset, 7, left_out.as_tuple(), signature, True, tree.proof(below), True, tree.proof(below + 1))
    chain.send(call, s.vault.holder)
    assert registry.getEpoch(asset, 7).call()[6] is True
    revert = chain.expect_revert(call, s.vault.holder)
    assert revert.name == "EpochAlreadyChallenged"


def test_a_faithful_epoch_stands_and_a_late_challenge_is_refused(chain: Chain, rwa: RWASystem) -> None:
    s = _epoch_setup(chain, rwa, "faithful")
    registry, asset, chain_id = s.vault.registry.functions, s.vault.token.address, s.vault.chain_id
    tree = _post(chain, s, 2, [_leaf(r, chain_id) for r, _ in s.readings])
    index = 2  # a leaf with neighbours on both sides
    reading, signature = next((r, sig) for r, sig in s.readings if reading_uid(r, chain_id) == tree.leaves[index].uid)
    call = registry.challengeContradiction(asset, 2, reading.as_tuple(), signature, tree.proof(index))
    assert chain.expect_revert(call, s.vault.holder).name == "EpochNotContradicted"
    call = registry.challengeMissing(asset, 2, reading.as_tuple(), signature, True, tree.proof(index - 1), True, tree.proof(index + 1))
    assert chain.expect_revert(call, s.vault.holder).name == "EpochNotContradicted"
    # A reading outside the epoch's time range is no evidence about it.
    outside = reserve_reading(s.vault.device, asset, 1, sequence=9, time=s.end, valid_for_s=3_600)
    call = registry.challengeMissing(asset, 2, outside.as_tuple(), sign_reading(s.vault.device, outside, chain_id), True, tree.proof(len(tree.leaves) - 1), False, tree.proof(0))
    assert chain.expect_revert(call, s.vault.holder).name == "ReadingOutsideEpoch"
    assert chain.expect_revert(registry.postEpoch(asset, 2, s.start, s.end, 1, tree.root), s.aggregator, value=EPOCH_BOND).name == "EpochAlreadyPosted"
    assert chain.expect_revert(registry.postEpoch(asset, 3, s.start, s.end, 1, tree.root), s.vault.holder, value=EPOCH_BOND).name == "AggregatorNotApproved"
    # An epoch without its bond is refused, nothing posted.
    call = registry.postEpoch(asset, 4, s.start, s.end, len(tree.leaves), tree.root)
    revert = chain.expect_revert(call, s.aggregator, value=EPOCH_BOND - 1)
    assert (revert.name, revert.args) == ("EpochBondRequired", (EPOCH_BOND, EPOCH_BOND - 1))
    assert registry.getEpoch(asset, 4).call()[4] == 0  # postedAt
    held = chain.balance(s.vault.registry.address)
    revert = chain.expect_revert(registry.releaseEpochBond(asset, 2), s.vault.holder)
    assert (revert.name, revert.args) == ("EpochNotFinal", (asset, 2))
    assert (chain.balance(s.vault.registry.address), registry.epochBond(asset, 2).call()) == (held, EPOCH_BOND)
    window = registry.EPOCH_CHALLENGE_WINDOW_S().call()
    chain.advance(window + 1)
    assert registry.epochFinal(asset, 2).call() is True
    # Final: anyone releases the bond, to the aggregator, once.
    receipt = chain.send(registry.releaseEpochBond(asset, 2), s.vault.holder)
    (released,) = events(s.vault.registry, "EpochBondReleased", receipt)
    assert (released["aggregator"], released["bondWei"]) == (s.aggregator, EPOCH_BOND)
    assert chain.balance(s.vault.registry.address) == held - EPOCH_BOND
    assert chain.expect_revert(registry.releaseEpochBond(asset, 2), s.vault.holder).name == "NoEpochBond"
    # Any challenge is refused once the window closed (checked before the evidence).
    call = registry.challengeContradiction(asset, 2, reading.as_tuple(), signature, tree.proof(index))
    assert chain.expect_revert(call, s.vault.holder).name == "ChallengeWindowClosed"
    assert registry.getEpoch(asset, 2).call()[6] is False


# --- KPI-linked coupon ---------------------------------------------------------------------------


def test_kpi_linked_coupon_steps_with_attested_output(chain: Chain, rwa: RWASystem) -> None:
    """A solar bond: 4.05% semi-annual, +25 bp while attested output misses 1,000 MWh, -10 bp
    while it meets it; each coupon computed here from the terms and compared with the contract's."""
    registry = chain.at("DeviceRegistry", "0x" + DEVICE_REGISTRY.hex())
    issuer = chain.new_address("kpi issuer", fund_wei=10**21)
    operator = chain.new_address("kpi operator", fund_wei=10**21)
    holder = chain.new_address("kpi holder")
    rwa.register([operator, holder])
    now = chain.now()
    bond = rwa.create_asset(issuer=issuer, agents=[issuer], name="Solar Green Bond", symbol="SGB", asset_class=GREEN_BOND,
                            bond=(HKD, 40_500, 2, now + YEAR, [now + YEAR // 2, now + YEAR]))
    supply = 1_000_000 * 10**18
    chain.send(bond.functions.mint(holder, supply), issuer)
    actions = rwa.actions.functions

    def expected(rate_ppm: int) -> int:  # floor(supply * face * rate / (1e6 * couponsPerYear * 10**decimals))
        return supply * HKD * rate_ppm // (10**6 * 2 * 10**18)

    assert actions.couponDue(bond.address).call() == expected(40_500)  # no KPI: the plain rate
    chain.send(registry.functions.setKpi(bond.address, 1_000, 2_500, 1_000), issuer)
    assert chain.expect_revert(registry.functions.setKpi(bond.address, 1, 0, 0), issuer).name == "KpiAlreadySet"
    assert actions.couponDue(bond.address).call() == expected(40_500 + 2_500)  # no output attested: a miss
    device = chain.new_account("solar meter", fund_wei=0)
    chain_id = chain.w3.eth.chain_id
    chain.send(registry.functions.setOperatorApproved(bond.address, operator, True), issuer)
    chain.send(registry.functions.registerDevice(device.address, bond.address, sign_registration(device, operator, bond.address, chain_id)), operator)

    def attest_output(mwh: int, sequence: int, valid_for_s: int = 3_600) -> None:
        t = chain.now()
        reading = Reading(device.address, bond.address, OUTPUT_SCHEMA, sequence, t, t + valid_for_s, bytes(32), abi_encode(["uint256"], [mwh]))
        chain.send(registry.functions.attest(reading.as_tuple(), sign_reading(device, reading, chain_id)), operator)

    attest_output(1_200, 1)
    assert registry.functions.couponStepPpm(bond.address).call() == -1_000
    assert actions.couponDue(bond.address).call() == expected(40_500 - 1_000)
    attest_output(800, 2, valid_for_s=3)
    assert actions.couponDue(bond.address).call() == expected(40_500 + 2_500)
    attest_output(1_000, 3, valid_for_s=3)  # exactly on target meets it
    assert actions.couponDue(bond.address).call() == expected(40_500 - 1_000)
    chain.advance(5)  # the reading expired: missing data counts as a miss
    assert actions.couponDue(bond.address).call() == expected(40_500 + 2_500)


def test_a_batch_mint_sums_the_reserve_once_and_still_stops_at_it(chain: Chain, rwa: RWASystem) -> None:
    """The guard caches the attested reserve for the rest of the transaction (transient), so a
    batch mint checks every holder's mint against the same reserve as the supply grows: one past
    it refuses the whole batch, nothing minted."""
    vault = _vault(chain, rwa, "batch")
    _attest(chain, vault, RESERVE, 1)
    t = vault.token.functions
    before = vault.state()
    revert = chain.expect_revert(t.batchMint([vault.holder, vault.holder], [600, 401]), vault.issuer)
    assert (revert.name, revert.args) == ("ReserveExceeded", (vault.token.address, 1_001, RESERVE))
    assert vault.state() == before
    chain.send(t.batchMint([vault.holder, vault.holder], [600, 400]), vault.issuer)
    assert t.totalSupply().call() == RESERVE


def test_a_reading_in_the_same_transaction_replaces_the_cached_reserve(chain: Chain, rwa: RWASystem) -> None:
    """Multicall3 (a supply agent of the asset) mints, relays a new reading, and mints again in one
    transaction: the second mint sees the new reserve (attest clears the transaction's cache; with
    the first reserve cached it would be refused)."""
    vault = _vault(chain, rwa, "cache")
    _attest(chain, vault, RESERVE, 1)
    multicall = chain.w3.eth.contract(address=chain.w3.to_checksum_address("0x" + MULTICALL3.hex()), abi=load_preinstall("Multicall3").abi)
    chain.send(chain.at("RWATokenExtension", vault.token.address).functions.setAgentRoles(multicall.address, 1), vault.issuer)  # SUPPLY
    reading, signature = vault.reading(2 * RESERVE, 2, time=chain.now())
    mint = lambda units: vault.token.encode_abi("mint", [vault.holder, units])  # noqa: E731
    calls = [(vault.token.address, False, mint(600)),
             (vault.registry.address, False, vault.registry.encode_abi("attest", [reading.as_tuple(), signature])),
             (vault.token.address, False, mint(1_400))]
    chain.send(multicall.functions.aggregate3(calls), vault.holder)
    assert vault.token.functions.totalSupply().call() == 2 * RESERVE


def test_a_reserve_reading_out_of_range_is_refused(chain: Chain, rwa: RWASystem) -> None:
    """The guard keeps each device's reserve in 128 bits: a larger reading is refused, nothing stored."""
    vault = _vault(chain, rwa, "range")
    reading, signature = vault.reading(2**128, 1, time=chain.now())
    before = vault.state()
    revert = chain.expect_revert(vault.registry.functions.attest(reading.as_tuple(), signature), vault.operator)
    assert (revert.name, revert.args) == ("ReserveOutOfRange", (2**128,))
    assert vault.state() == before
    reading, signature = vault.reading(2**128 - 1, 1, time=chain.now())
    chain.send(vault.registry.functions.attest(reading.as_tuple(), signature), vault.operator)
    assert vault.registry.functions.attestedReserve(vault.token.address).call()[0] == 2**128 - 1
