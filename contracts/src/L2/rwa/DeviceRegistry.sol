// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IRWAToken, EIP712Dynamic} from "./RWACommon.sol";

/// @title DeviceRegistry
/// @notice Devices that sign an asset's data themselves (DePIN), their attestations, and the
/// reserve guard that reads them.
///
/// Devices: the asset's owner (issuer) approves operators (`setOperatorApproved`); an approved
/// operator verified in the asset's identity registry (KYC'd) registers a device key for the
/// asset with proof of possession: the device key signs the EIP-712 `DeviceRegistration(device,
/// operator, asset)` under this contract's domain (name "Lantau DeviceRegistry", version "1",
/// chain id, this address), as IoTeX's ioID binds a device. The operator or the asset owner
/// revokes a device for good.
///
/// Attestations have the shape of EAS's (schema, attester = the device, recipient = the asset,
/// time, expiration time, revocation time, reference uid, data). Anyone may relay one: the device
/// signs the EIP-712 `Reading(device, asset, schema, sequence, time, expirationTime, refUID,
/// data)`, and each device's sequence numbers strictly increase (a reading with a number not
/// above the device's last is a replay). The uid is the reading's EIP-712 digest.
///
/// Reserve: a reading of schema `RESERVE_SCHEMA` carries `abi.encode(uint256 reserve)` in the
/// asset's token base units (what one device measures: a warehouse bay's stock, a vault's metal);
/// each device's latest reading stands, and the asset's attested reserve is the sum over its
/// devices (at most `MAX_DEVICES_PER_ASSET`) of the standing readings that count: unexpired,
/// unrevoked, from an unrevoked device. A device whose reading lapses adds nothing until it
/// reads again (the guard errs low). Compliance asks `checkIssuance` on every mint, which
/// refuses a supply past the attested reserve, or when no device's reading counts (with the
/// last device's reason: missing, expired, revoked, device revoked), as Chainlink Proof of
/// Reserve gates mints. The guard is always on for warehouse receipts and precious-metal claims
/// (their tokens are claims on attested stock, the issuer cannot opt out: the AssetFactory turns
/// it on as it creates them, `enableReserveGuardAtCreation`); the owner of any other asset may
/// turn it on, for good (`enableReserveGuard`). Mints read the flag, one slot. Each device's
/// standing reserve reading is mirrored in one packed slot (reserve, expiry, revoked), so the
/// sum reads one slot a device, and a transaction sums it once per asset (a transient cache that
/// attest, revoke and revokeDevice clear), so a batch mint checks each holder's mint against it
/// without summing again: batch mints keep within the L2's proof-cost caps.
///
/// KPI-linked coupon (as ATS's KPI-linked rates): the owner of a bond sets, once, a target for
/// its devices' output readings (`OUTPUT_SCHEMA`, `abi.encode(uint256 output)`, e.g. a solar
/// plant's MWh) and the coupon steps (`setKpi`); `couponStepPpm` is -stepDown while the latest
/// unexpired, unrevoked output reading meets the target and +stepUp otherwise (a miss, or no
/// valid reading: missing data counts as a miss). CorporateActions adds it to the coupon rate
/// when it computes a coupon (fixed at announcement).
///
/// Epochs: high-rate readings are not attested one by one; an aggregator the asset owner licenses
/// (`setAggregatorApproved`, and KYC'd) posts per epoch the Merkle root of the epoch's
/// device-signed readings (`postEpoch`). A leaf is `keccak256(abi.encode(device, sequence,
/// uid))` with `uid` the reading's EIP-712 digest; leaves are sorted by (device, sequence),
/// strictly increasing, and padded with zero leaves to a power of two (position-indexed tree,
/// `epochLeafRoot`). Within `EPOCH_CHALLENGE_WINDOW_S` of the post, anyone holding a
/// device-signed reading of the epoch's time range proves the epoch wrong: a leaf with the same
/// device and sequence and another uid (`challengeContradiction`), or two adjacent leaves (or the
/// first or last) whose keys leave the reading out (`challengeMissing`). A challenged epoch is
/// void for good; one unchallenged past the window is final (`epochFinal`).
///
/// Aggregator slashing: `postEpoch` takes a bond of `EPOCH_BOND_WEI` native HKD. A successful
/// challenge pays the bond to the challenger and withdraws the aggregator's licence for the
/// asset (the owner may grant it again); once the epoch is final the aggregator takes its bond
/// back (`releaseEpochBond`).
///
/// Predeploy: no owner and nothing to initialize; place the runtime code at the genesis address.
contract DeviceRegistry is EIP712Dynamic {
    struct Device {
        address operator;
        address asset;
        uint64 registeredAt;
        uint64 lastSequence;
        bool revoked;
    }

    /// @notice A device-signed reading as the device signs it.
    struct Reading {
        address device;
        address asset;
        bytes32 schema;
        uint64 sequence;
        uint64 time;
        uint64 expirationTime;
        bytes32 refUID;
        bytes data;
    }

    /// @notice An attestation as stored (EAS's fields plus the device's sequence number).
    struct Attestation {
        bytes32 uid;
        bytes32 schema;
        address attester;
        address recipient;
        uint64 time;
        uint64 expirationTime;
        uint64 revocationTime;
        uint64 sequence;
        bytes32 refUID;
        bytes data;
    }

    /// @notice An aggregator's epoch of readings.
    struct Epoch {
        bytes32 root;
        address aggregator;
        uint64 start; // readings with start <= time < end belong to the epoch
        uint64 end;
        uint64 postedAt;
        uint32 count; // leaves before padding
        bool challenged;
    }

    /// @notice A leaf of an epoch tree and its position proof (siblings from the leaf up).
    struct LeafProof {
        address device;
        uint64 sequence;
        bytes32 uid;
        uint256 index;
        bytes32[] siblings;
    }

    uint64 public constant EPOCH_CHALLENGE_WINDOW_S = 600;
    /// @notice The AssetFactory predeploy (genesis/predeploys.py).
    address public constant ASSET_FACTORY = 0x4200000000000000000000000000000000000803;
    /// @notice The bond an aggregator posts with each epoch (native HKD, 18 decimals).
    uint256 public constant EPOCH_BOND_WEI = 100 ether;
    /// @notice Devices one asset may have: the reserve guard sums them on every mint, within the
    /// L2's per-transaction proof-cost caps.
    uint256 public constant MAX_DEVICES_PER_ASSET = 32;

    bytes32 public constant REGISTRATION_TYPEHASH =
        keccak256("DeviceRegistration(address device,address operator,address asset)");
    bytes32 public constant READING_TYPEHASH = keccak256(
        "Reading(address device,address asset,bytes32 schema,uint64 sequence,uint64 time,uint64 expirationTime,bytes32 refUID,bytes data)"
    );
    /// @notice Schema of a reserve reading: `abi.encode(uint256 reserve)` in token base units.
    bytes32 public constant RESERVE_SCHEMA = keccak256("uint256 reserve");
    /// @notice Schema of an output reading (the KPI): `abi.encode(uint256 output)`.
    bytes32 public constant OUTPUT_SCHEMA = keccak256("uint256 output");

    /// @dev A device's standing reserve reading, packed (see `_standingReserve`).
    struct StandingReserve {
        uint128 reserve;
        uint64 expirationTime; // 0: no reserve reading yet
        bool revoked; // the reading, or its device, is revoked
    }

    /// @dev Transient: `attestedReserve(asset) + 1` as this transaction's first guarded mint of
    /// `asset` computed it (0: not yet), so a batch mint sums the devices once, not per holder.
    /// Whatever changes a reserve (attest, revoke, revokeDevice) clears it.
    bytes32 private constant RESERVE_CACHE = keccak256("lantau.DeviceRegistry.reserveCache");

    /// @notice A bond's KPI: output target and coupon steps (parts per million a year).
    struct Kpi {
        uint128 target;
        uint32 stepUpPpm;
        uint32 stepDownPpm;
        bool set;
    }

    mapping(address device => Device) private _devices;
    mapping(bytes32 uid => Attestation) private _attestations;
    mapping(address asset => mapping(address operator => bool)) public isOperatorApproved;
    /// @notice The uid of the asset's standing reserve attestation (0 = none yet).
    mapping(address asset => bytes32) public latestReserveUid;
    mapping(address asset => bool) public reserveGuardEnabled;
    mapping(address asset => mapping(address aggregator => bool)) public isAggregatorApproved;
    mapping(address asset => mapping(uint64 epoch => Epoch)) private _epochs;
    mapping(address asset => Kpi) public kpiOf;
    /// @notice The uid of the asset's latest output attestation (0 = none yet).
    mapping(address asset => bytes32) public latestOutputUid;
    mapping(address asset => address[]) private _assetDevices;
    /// @notice The uid of the device's standing reserve attestation (0 = none yet).
    mapping(address device => bytes32) public latestReserveUidOf;
    /// @notice The bond still held for an epoch (0 once paid out or released).
    mapping(address asset => mapping(uint64 epoch => uint256 amountWei)) public epochBond;
    /// @dev Each device's standing reserve reading in one slot (what the guard sums), `revoked`
    /// once the reading or the device is revoked: one cold read a device instead of six.
    mapping(address device => StandingReserve) private _standingReserve;

    event OperatorApproved(address indexed asset, address indexed operator, bool approved);
    event DeviceRegistered(address indexed device, address indexed asset, address indexed operator);
    event DeviceRevoked(address indexed device, address indexed asset, address by);
    event Attested(address indexed recipient, address indexed attester, bytes32 uid, bytes32 indexed schema, uint64 sequence);
    event Revoked(address indexed recipient, address indexed attester, bytes32 uid, bytes32 indexed schema);
    event ReserveGuardEnabled(address indexed asset);
    event KpiSet(address indexed asset, uint128 target, uint32 stepUpPpm, uint32 stepDownPpm);
    event AggregatorApproved(address indexed asset, address indexed aggregator, bool approved);
    event EpochPosted(address indexed asset, uint64 indexed epoch, bytes32 root, uint32 count, address indexed aggregator);
    event EpochChallenged(address indexed asset, uint64 indexed epoch, address indexed challenger, bytes32 readingUid);
    event AggregatorSlashed(address indexed asset, uint64 indexed epoch, address indexed aggregator, address challenger, uint256 bondWei);
    event EpochBondReleased(address indexed asset, uint64 indexed epoch, address indexed aggregator, uint256 bondWei);

    error NotAssetOwner(address asset, address caller);
    error OperatorNotApproved(address asset, address operator);
    error OperatorNotVerified(address operator);
    error DeviceAlreadyRegistered(address device);
    /// @notice The signature is not the device key's (registration or reading).
    error ForgedDeviceSignature(address device, address signer);
    error UnknownDevice(address device);
    error DeviceIsRevoked(address device);
    error DeviceOfAnotherAsset(address device, address boundAsset, address asset);
    error NotDeviceOperator(address device, address caller);
    /// @notice The reading's sequence number is not above the device's last one.
    error ReplayedReading(address device, uint64 sequence, uint64 lastSequence);
    error ReadingFromFuture(uint64 time, uint64 now_);
    /// @notice The attestation's expiration time has passed (or is not after its time).
    error StaleAttestation(bytes32 uid, uint64 expirationTime, uint64 now_);
    error UnknownAttestation(bytes32 uid);
    error AttestationRevoked(bytes32 uid, uint64 revocationTime);
    error NoAttestedReserve(address asset);
    /// @notice A mint would take the supply past the attested reserve.
    error ReserveExceeded(address asset, uint256 supplyAfter, uint256 reserve);
    error KpiAlreadySet(address asset);
    error AggregatorNotApproved(address asset, address aggregator);
    error EpochAlreadyPosted(address asset, uint64 epoch);
    error InvalidEpoch(uint64 start, uint64 end, uint32 count);
    error UnknownEpoch(address asset, uint64 epoch);
    error EpochAlreadyChallenged(address asset, uint64 epoch);
    error ChallengeWindowClosed(address asset, uint64 epoch, uint64 closedAt);
    error ReadingOutsideEpoch(uint64 time, uint64 start, uint64 end);
    error InvalidLeafProof(uint256 index);
    /// @notice The proven leaves agree with the reading: nothing to challenge.
    error EpochNotContradicted(address asset, uint64 epoch, bytes32 readingUid);
    error TooManyDevices(address asset, uint256 maxDevices);
    error NotAssetFactory(address caller);
    error EpochBondRequired(uint256 requiredWei, uint256 sentWei);
    error EpochNotFinal(address asset, uint64 epoch);
    error NoEpochBond(address asset, uint64 epoch);
    error NativeTransferFailed(address to, uint256 amountWei);
    /// @notice A reserve reading above 2**128 - 1 base units (no real stock is that large).
    error ReserveOutOfRange(uint256 reserve);

    modifier onlyAssetOwner(address asset) {
        if (msg.sender != IRWAToken(asset).owner()) revert NotAssetOwner(asset, msg.sender);
        _;
    }

    // --- operators and devices -----------------------------------------------------------------

    function setOperatorApproved(address asset, address operator, bool approved) external onlyAssetOwner(asset) {
        isOperatorApproved[asset][operator] = approved;
        emit OperatorApproved(asset, operator, approved);
    }

    /// @notice Registers `device` for `asset`; `signature` is the device key's over
    /// `registrationDigest(device, msg.sender, asset)` (proof of possession).
    function registerDevice(address device, address asset, bytes calldata signature) external {
        if (!isOperatorApproved[asset][msg.sender]) revert OperatorNotApproved(asset, msg.sender);
        if (!IRWAToken(asset).identityRegistry().isVerified(msg.sender)) revert OperatorNotVerified(msg.sender);
        if (_devices[device].asset != address(0)) revert DeviceAlreadyRegistered(device);
        if (_assetDevices[asset].length >= MAX_DEVICES_PER_ASSET) revert TooManyDevices(asset, MAX_DEVICES_PER_ASSET);
        _requireSigner(device, registrationDigest(device, msg.sender, asset), signature);
        _devices[device] = Device(msg.sender, asset, uint64(block.timestamp), 0, false);
        _assetDevices[asset].push(device);
        emit DeviceRegistered(device, asset, msg.sender);
    }

    /// @notice Revokes `device` for good (its operator or the asset's owner): it attests no more
    /// and its standing reserve no longer counts.
    function revokeDevice(address device) external {
        Device storage d = _requireDevice(device);
        if (msg.sender != d.operator && msg.sender != IRWAToken(d.asset).owner()) {
            revert NotDeviceOperator(device, msg.sender);
        }
        d.revoked = true;
        _standingReserve[device].revoked = true;
        _forgetReserve(d.asset);
        emit DeviceRevoked(device, d.asset, msg.sender);
    }

    function device(address deviceKey) external view returns (Device memory) {
        return _devices[deviceKey];
    }

    /// @notice Every device registered for `asset`, revoked ones included, in registration order.
    function devicesOf(address asset) external view returns (address[] memory) {
        return _assetDevices[asset];
    }

    // --- attestations --------------------------------------------------------------------------

    /// @notice Records a device-signed reading as an attestation; returns its uid.
    function attest(Reading calldata reading, bytes calldata signature) external returns (bytes32 uid) {
        Device storage d = _requireDevice(reading.device);
        uid = readingDigest(reading);
        _requireSigner(reading.device, uid, signature);
        if (d.revoked) revert DeviceIsRevoked(reading.device);
        if (d.asset != reading.asset) revert DeviceOfAnotherAsset(reading.device, d.asset, reading.asset);
        if (reading.sequence <= d.lastSequence) revert ReplayedReading(reading.device, reading.sequence, d.lastSequence);
        if (reading.time > block.timestamp) revert ReadingFromFuture(reading.time, uint64(block.timestamp));
        if (reading.expirationTime <= block.timestamp || reading.expirationTime <= reading.time) {
            revert StaleAttestation(uid, reading.expirationTime, uint64(block.timestamp));
        }
        d.lastSequence = reading.sequence;
        _attestations[uid] = Attestation(
            uid,
            reading.schema,
            reading.device,
            reading.asset,
            reading.time,
            reading.expirationTime,
            0,
            reading.sequence,
            reading.refUID,
            reading.data
        );
        if (reading.schema == RESERVE_SCHEMA) {
            uint256 reserve = abi.decode(reading.data, (uint256)); // a reserve reading must carry a reserve
            if (reserve > type(uint128).max) revert ReserveOutOfRange(reserve);
            latestReserveUid[reading.asset] = uid;
            latestReserveUidOf[reading.device] = uid;
            _standingReserve[reading.device] = StandingReserve(uint128(reserve), reading.expirationTime, false);
            _forgetReserve(reading.asset);
        } else if (reading.schema == OUTPUT_SCHEMA) {
            abi.decode(reading.data, (uint256)); // an output reading must carry an output
            latestOutputUid[reading.asset] = uid;
        }
        emit Attested(reading.asset, reading.device, uid, reading.schema, reading.sequence);
    }

    /// @notice Revokes an attestation (the device's operator or the asset's owner), as EAS's revoke.
    function revoke(bytes32 uid) external {
        Attestation storage a = _attestations[uid];
        if (a.uid == bytes32(0)) revert UnknownAttestation(uid);
        if (a.revocationTime != 0) revert AttestationRevoked(uid, a.revocationTime);
        if (msg.sender != _devices[a.attester].operator && msg.sender != IRWAToken(a.recipient).owner()) {
            revert NotDeviceOperator(a.attester, msg.sender);
        }
        a.revocationTime = uint64(block.timestamp);
        if (latestReserveUidOf[a.attester] == uid) {
            _standingReserve[a.attester].revoked = true;
            _forgetReserve(a.recipient);
        }
        emit Revoked(a.recipient, a.attester, uid, a.schema);
    }

    function getAttestation(bytes32 uid) external view returns (Attestation memory) {
        return _attestations[uid];
    }

    // --- reserve guard -------------------------------------------------------------------------

    /// @notice Turns the reserve guard of `asset` on, for good (its owner).
    function enableReserveGuard(address asset) external onlyAssetOwner(asset) {
        reserveGuardEnabled[asset] = true;
        emit ReserveGuardEnabled(asset);
    }

    /// @notice The AssetFactory turns the guard on for a warehouse receipt or precious-metal
    /// claim as it creates it, before anything can be minted.
    function enableReserveGuardAtCreation(address asset) external {
        if (msg.sender != ASSET_FACTORY) revert NotAssetFactory(msg.sender);
        reserveGuardEnabled[asset] = true;
        emit ReserveGuardEnabled(asset);
    }

    /// @notice The attested reserve of `asset` (the sum of its devices' standing readings that
    /// count) and until when it holds (the earliest expiry among them); reverts with the reason
    /// of the last device whose reading does not count when none does.
    function attestedReserve(address asset) public view returns (uint256 reserve, uint64 expirationTime) {
        address[] storage devices = _assetDevices[asset];
        bool counted;
        expirationTime = type(uint64).max;
        for (uint256 i; i < devices.length; ++i) {
            StandingReserve memory standing = _standingReserve[devices[i]];
            if (standing.revoked || standing.expirationTime <= block.timestamp) continue; // also: none yet (0)
            reserve += standing.reserve;
            if (standing.expirationTime < expirationTime) expirationTime = standing.expirationTime;
            counted = true;
        }
        if (!counted) _revertNoReserve(asset);
    }

    /// @dev Why no device's reading counts: the last such device's reason (the slow path, only
    /// when refusing).
    function _revertNoReserve(address asset) private view {
        address[] storage devices = _assetDevices[asset];
        bytes memory refusal = abi.encodeWithSelector(NoAttestedReserve.selector, asset);
        for (uint256 i; i < devices.length; ++i) {
            bytes32 uid = latestReserveUidOf[devices[i]];
            if (uid == bytes32(0)) continue;
            Attestation storage a = _attestations[uid];
            if (a.revocationTime != 0) {
                refusal = abi.encodeWithSelector(AttestationRevoked.selector, uid, a.revocationTime);
            } else if (_devices[a.attester].revoked) {
                refusal = abi.encodeWithSelector(DeviceIsRevoked.selector, a.attester);
            } else {
                refusal = abi.encodeWithSelector(StaleAttestation.selector, uid, a.expirationTime, uint64(block.timestamp));
            }
        }
        assembly ("memory-safe") {
            revert(add(refusal, 0x20), mload(refusal))
        }
    }

    /// @notice Called by Compliance on every mint of `asset` (before the supply grows by
    /// `amount`): nothing when the guard is off, else reverts unless the supply after the mint
    /// is within the attested reserve. The reserve is summed once a transaction (`RESERVE_CACHE`).
    function checkIssuance(address asset, uint256 amount) external {
        if (!reserveGuardEnabled[asset]) return;
        bytes32 slot = keccak256(abi.encode(RESERVE_CACHE, asset));
        uint256 cached;
        assembly ("memory-safe") {
            cached := tload(slot)
        }
        uint256 reserve;
        if (cached != 0) {
            reserve = cached - 1;
        } else {
            (reserve,) = attestedReserve(asset);
            assembly ("memory-safe") {
                tstore(slot, add(reserve, 1)) // reserve < 2**133: no wrap
            }
        }
        uint256 supplyAfter = IRWAToken(asset).totalSupply() + amount;
        if (supplyAfter > reserve) revert ReserveExceeded(asset, supplyAfter, reserve);
    }

    function _forgetReserve(address asset) private {
        bytes32 slot = keccak256(abi.encode(RESERVE_CACHE, asset));
        assembly ("memory-safe") {
            tstore(slot, 0)
        }
    }

    // --- KPI-linked coupon -----------------------------------------------------------------------

    /// @notice Sets `asset`'s KPI once (its owner): the output target and the coupon steps.
    function setKpi(address asset, uint128 target, uint32 stepUpPpm, uint32 stepDownPpm) external onlyAssetOwner(asset) {
        if (kpiOf[asset].set) revert KpiAlreadySet(asset);
        kpiOf[asset] = Kpi(target, stepUpPpm, stepDownPpm, true);
        emit KpiSet(asset, target, stepUpPpm, stepDownPpm);
    }

    /// @notice The coupon step of `asset` now, in ppm a year (0 without a KPI).
    function couponStepPpm(address asset) external view returns (int256) {
        Kpi memory kpi = kpiOf[asset];
        if (!kpi.set) return 0;
        Attestation storage a = _attestations[latestOutputUid[asset]];
        bool valid = a.uid != bytes32(0) && a.revocationTime == 0 && !_devices[a.attester].revoked
            && a.expirationTime > block.timestamp;
        if (valid && abi.decode(a.data, (uint256)) >= kpi.target) return -int256(uint256(kpi.stepDownPpm));
        return int256(uint256(kpi.stepUpPpm));
    }

    // --- epochs ----------------------------------------------------------------------------------

    function setAggregatorApproved(address asset, address aggregator, bool approved) external onlyAssetOwner(asset) {
        isAggregatorApproved[asset][aggregator] = approved;
        emit AggregatorApproved(asset, aggregator, approved);
    }

    /// @notice Posts the root of `asset`'s epoch `epoch`: `count` readings with start <= time < end.
    function postEpoch(address asset, uint64 epoch, uint64 start, uint64 end, uint32 count, bytes32 root) external payable {
        if (!isAggregatorApproved[asset][msg.sender]) revert AggregatorNotApproved(asset, msg.sender);
        if (!IRWAToken(asset).identityRegistry().isVerified(msg.sender)) revert OperatorNotVerified(msg.sender);
        if (_epochs[asset][epoch].postedAt != 0) revert EpochAlreadyPosted(asset, epoch);
        if (end <= start || end > block.timestamp || count == 0) revert InvalidEpoch(start, end, count);
        if (msg.value != EPOCH_BOND_WEI) revert EpochBondRequired(EPOCH_BOND_WEI, msg.value);
        _epochs[asset][epoch] = Epoch(root, msg.sender, start, end, uint64(block.timestamp), count, false);
        epochBond[asset][epoch] = msg.value;
        emit EpochPosted(asset, epoch, root, count, msg.sender);
    }

    /// @notice Pays a final epoch's bond back to its aggregator (anyone may call).
    function releaseEpochBond(address asset, uint64 epoch) external {
        Epoch storage e = _epochs[asset][epoch];
        if (e.postedAt == 0) revert UnknownEpoch(asset, epoch);
        if (e.challenged || block.timestamp < e.postedAt + EPOCH_CHALLENGE_WINDOW_S) revert EpochNotFinal(asset, epoch);
        uint256 bond = epochBond[asset][epoch];
        if (bond == 0) revert NoEpochBond(asset, epoch);
        epochBond[asset][epoch] = 0;
        emit EpochBondReleased(asset, epoch, e.aggregator, bond);
        _pay(e.aggregator, bond);
    }

    function getEpoch(address asset, uint64 epoch) external view returns (Epoch memory) {
        return _epochs[asset][epoch];
    }

    /// @notice Whether the epoch stands for good: posted, unchallenged, its window over.
    function epochFinal(address asset, uint64 epoch) external view returns (bool) {
        Epoch storage e = _epochs[asset][epoch];
        return e.postedAt != 0 && !e.challenged && block.timestamp >= e.postedAt + EPOCH_CHALLENGE_WINDOW_S;
    }

    /// @notice Voids the epoch with a device-signed reading whose device and sequence sit in the
    /// tree (`leaf`) with another uid.
    function challengeContradiction(
        address asset,
        uint64 epoch,
        Reading calldata reading,
        bytes calldata signature,
        LeafProof calldata leaf
    ) external {
        Epoch storage e = _openEpoch(asset, epoch);
        bytes32 uid = _epochReading(asset, e, reading, signature);
        _requireLeaf(e, leaf);
        if (leaf.device != reading.device || leaf.sequence != reading.sequence || leaf.uid == uid) {
            revert EpochNotContradicted(asset, epoch, uid);
        }
        _void(asset, epoch, e, uid);
    }

    /// @notice Voids the epoch with a device-signed reading of its time range that the tree leaves
    /// out: `below` and `above` are adjacent leaves whose keys bracket the reading's (without
    /// `hasBelow`, `above` is the first leaf; without `hasAbove`, `below` is the last).
    function challengeMissing(
        address asset,
        uint64 epoch,
        Reading calldata reading,
        bytes calldata signature,
        bool hasBelow,
        LeafProof calldata below,
        bool hasAbove,
        LeafProof calldata above
    ) external {
        Epoch storage e = _openEpoch(asset, epoch);
        bytes32 uid = _epochReading(asset, e, reading, signature);
        uint256 key = _key(reading.device, reading.sequence);
        bool left = hasBelow ? _key(below.device, below.sequence) < key : above.index == 0;
        bool right = hasAbove ? key < _key(above.device, above.sequence) : below.index == e.count - 1;
        if (hasBelow) _requireLeaf(e, below);
        if (hasAbove) _requireLeaf(e, above);
        bool adjacent = !(hasBelow && hasAbove) || above.index == below.index + 1;
        if (!(hasBelow || hasAbove) || !left || !right || !adjacent) revert EpochNotContradicted(asset, epoch, uid);
        _void(asset, epoch, e, uid);
    }

    /// @notice The root of a tree over `leaves` as `postEpoch` expects it (zero-padded to a power
    /// of two); for aggregators and tests.
    function epochLeafRoot(bytes32[] memory leaves) external pure returns (bytes32) {
        uint256 size = 1;
        while (size < leaves.length) size <<= 1;
        bytes32[] memory level = new bytes32[](size);
        for (uint256 i; i < leaves.length; ++i) level[i] = leaves[i];
        for (; size > 1; size >>= 1) {
            for (uint256 i; i < size / 2; ++i) level[i] = keccak256(abi.encode(level[2 * i], level[2 * i + 1]));
        }
        return level[0];
    }

    function epochLeaf(address deviceKey, uint64 sequence, bytes32 uid) public pure returns (bytes32) {
        return keccak256(abi.encode(deviceKey, sequence, uid));
    }

    function _openEpoch(address asset, uint64 epoch) private view returns (Epoch storage e) {
        e = _epochs[asset][epoch];
        if (e.postedAt == 0) revert UnknownEpoch(asset, epoch);
        if (e.challenged) revert EpochAlreadyChallenged(asset, epoch);
        uint64 closedAt = e.postedAt + EPOCH_CHALLENGE_WINDOW_S;
        if (block.timestamp >= closedAt) revert ChallengeWindowClosed(asset, epoch, closedAt);
    }

    function _epochReading(address asset, Epoch storage e, Reading calldata reading, bytes calldata signature)
        private
        view
        returns (bytes32 uid)
    {
        Device storage d = _requireDevice(reading.device);
        uid = readingDigest(reading);
        _requireSigner(reading.device, uid, signature);
        if (d.asset != asset || reading.asset != asset) revert DeviceOfAnotherAsset(reading.device, d.asset, reading.asset);
        if (reading.time < e.start || reading.time >= e.end) revert ReadingOutsideEpoch(reading.time, e.start, e.end);
    }

    function _requireLeaf(Epoch storage e, LeafProof calldata leaf) private view {
        uint256 size = 1;
        uint256 depth;
        while (size < e.count) (size, depth) = (size << 1, depth + 1);
        if (leaf.index >= e.count || leaf.siblings.length != depth) revert InvalidLeafProof(leaf.index);
        bytes32 node = epochLeaf(leaf.device, leaf.sequence, leaf.uid);
        uint256 index = leaf.index;
        for (uint256 i; i < depth; ++i) {
            node = index & 1 == 0
                ? keccak256(abi.encode(node, leaf.siblings[i]))
                : keccak256(abi.encode(leaf.siblings[i], node));
            index >>= 1;
        }
        if (node != e.root) revert InvalidLeafProof(leaf.index);
    }

    /// @dev Voids the epoch and slashes its aggregator: bond to the challenger, licence withdrawn.
    function _void(address asset, uint64 epoch, Epoch storage e, bytes32 uid) private {
        e.challenged = true;
        uint256 bond = epochBond[asset][epoch];
        epochBond[asset][epoch] = 0;
        isAggregatorApproved[asset][e.aggregator] = false;
        emit EpochChallenged(asset, epoch, msg.sender, uid);
        emit AggregatorApproved(asset, e.aggregator, false);
        emit AggregatorSlashed(asset, epoch, e.aggregator, msg.sender, bond);
        _pay(msg.sender, bond);
    }

    function _pay(address to, uint256 amountWei) private {
        if (amountWei == 0) return;
        (bool ok,) = payable(to).call{value: amountWei}("");
        if (!ok) revert NativeTransferFailed(to, amountWei);
    }

    function _key(address deviceKey, uint64 sequence) private pure returns (uint256) {
        return uint256(uint160(deviceKey)) << 64 | sequence;
    }

    // --- digests -------------------------------------------------------------------------------

    function registrationDigest(address deviceKey, address operator, address asset) public view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(REGISTRATION_TYPEHASH, deviceKey, operator, asset)));
    }

    function readingDigest(Reading calldata r) public view returns (bytes32) {
        return _hashTypedData(
            keccak256(
                abi.encode(
                    READING_TYPEHASH,
                    r.device,
                    r.asset,
                    r.schema,
                    r.sequence,
                    r.time,
                    r.expirationTime,
                    r.refUID,
                    keccak256(r.data)
                )
            )
        );
    }

    function _eip712Name() internal pure override returns (string memory) {
        return "Lantau DeviceRegistry";
    }

    function _requireDevice(address deviceKey) private view returns (Device storage d) {
        d = _devices[deviceKey];
        if (d.asset == address(0)) revert UnknownDevice(deviceKey);
    }

    function _requireSigner(address deviceKey, bytes32 digest, bytes calldata signature) private pure {
        (address signer,,) = ECDSA.tryRecover(digest, signature);
        if (signer != deviceKey) revert ForgedDeviceSignature(deviceKey, signer);
    }
}
