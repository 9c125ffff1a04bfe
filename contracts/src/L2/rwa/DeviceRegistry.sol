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
/// asset's token base units (a warehouse's stock, a vault's metal); the asset's latest one
/// stands. Once the asset owner turns the guard on (`enableReserveGuard`, for good), Compliance
/// asks `checkIssuance` on every mint, which refuses a supply past the standing reserve, or when
/// it is missing, expired, revoked or its device revoked (as Chainlink Proof of Reserve gates
/// mints).
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

    bytes32 public constant REGISTRATION_TYPEHASH =
        keccak256("DeviceRegistration(address device,address operator,address asset)");
    bytes32 public constant READING_TYPEHASH = keccak256(
        "Reading(address device,address asset,bytes32 schema,uint64 sequence,uint64 time,uint64 expirationTime,bytes32 refUID,bytes data)"
    );
    /// @notice Schema of a reserve reading: `abi.encode(uint256 reserve)` in token base units.
    bytes32 public constant RESERVE_SCHEMA = keccak256("uint256 reserve");

    mapping(address device => Device) private _devices;
    mapping(bytes32 uid => Attestation) private _attestations;
    mapping(address asset => mapping(address operator => bool)) public isOperatorApproved;
    /// @notice The uid of the asset's standing reserve attestation (0 = none yet).
    mapping(address asset => bytes32) public latestReserveUid;
    mapping(address asset => bool) public reserveGuardEnabled;

    event OperatorApproved(address indexed asset, address indexed operator, bool approved);
    event DeviceRegistered(address indexed device, address indexed asset, address indexed operator);
    event DeviceRevoked(address indexed device, address indexed asset, address by);
    event Attested(address indexed recipient, address indexed attester, bytes32 uid, bytes32 indexed schema, uint64 sequence);
    event Revoked(address indexed recipient, address indexed attester, bytes32 uid, bytes32 indexed schema);
    event ReserveGuardEnabled(address indexed asset);

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
        _requireSigner(device, registrationDigest(device, msg.sender, asset), signature);
        _devices[device] = Device(msg.sender, asset, uint64(block.timestamp), 0, false);
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
        emit DeviceRevoked(device, d.asset, msg.sender);
    }

    function device(address deviceKey) external view returns (Device memory) {
        return _devices[deviceKey];
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
            abi.decode(reading.data, (uint256)); // a reserve reading must carry a reserve
            latestReserveUid[reading.asset] = uid;
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

    /// @notice The standing attested reserve of `asset` and until when it holds; reverts with
    /// the reason when there is none that counts.
    function attestedReserve(address asset) public view returns (uint256 reserve, uint64 expirationTime) {
        bytes32 uid = latestReserveUid[asset];
        if (uid == bytes32(0)) revert NoAttestedReserve(asset);
        Attestation storage a = _attestations[uid];
        if (a.revocationTime != 0) revert AttestationRevoked(uid, a.revocationTime);
        if (_devices[a.attester].revoked) revert DeviceIsRevoked(a.attester);
        if (a.expirationTime <= block.timestamp) revert StaleAttestation(uid, a.expirationTime, uint64(block.timestamp));
        return (abi.decode(a.data, (uint256)), a.expirationTime);
    }

    /// @notice Called by Compliance on every mint of `asset` (before the supply grows by
    /// `amount`): nothing when the guard is off, else reverts unless the supply after the mint
    /// is within the attested reserve.
    function checkIssuance(address asset, uint256 amount) external view {
        if (!reserveGuardEnabled[asset]) return;
        (uint256 reserve,) = attestedReserve(asset);
        uint256 supplyAfter = IRWAToken(asset).totalSupply() + amount;
        if (supplyAfter > reserve) revert ReserveExceeded(asset, supplyAfter, reserve);
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
