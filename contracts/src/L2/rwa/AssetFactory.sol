// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {RWAOwnable, AssetInfo, AssetClass, BondTerms, AgentRoles} from "./RWACommon.sol";
import {RWAToken, TokenConfig} from "./RWAToken.sol";

interface IReserveGuardAtCreation {
    function enableReserveGuardAtCreation(address asset) external;
}

/// @notice Identifier rules (ISO 6166 ISIN, HKEX stock codes), written once for the factory.
library AssetIdentifiers {
    /// @notice What an identifier is: an ISIN (two letters, nine letters or digits, a check digit
    /// that must match), an HKEX stock code (digits only: 4 or 5 of them, as "0005" or "00700";
    /// shorter forms would let "5" and "0005" name one stock twice), or anything else 1-32 bytes
    /// long (a platform's own reference, e.g. "KCWR-2026-07"). Returns the reason it is refused,
    /// or "" when it is accepted.
    function problem(bytes memory id) internal pure returns (string memory) {
        if (id.length == 0 || id.length > 32) return "1 to 32 bytes";
        if (_allDigits(id)) {
            if (id.length < 4 || id.length > 5) return "an HKEX stock code has 4 or 5 digits";
            return "";
        }
        if (_isinShaped(id) && !_isinCheckDigitValid(id)) return "ISIN check digit does not match";
        return "";
    }

    function _allDigits(bytes memory id) private pure returns (bool) {
        for (uint256 i; i < id.length; ++i) {
            if (id[i] < "0" || id[i] > "9") return false;
        }
        return true;
    }

    /// @dev Twelve upper-case letters or digits starting with two letters (a country code).
    function _isinShaped(bytes memory id) private pure returns (bool) {
        if (id.length != 12) return false;
        for (uint256 i; i < 12; ++i) {
            bytes1 c = id[i];
            bool letter = c >= "A" && c <= "Z";
            if (i < 2 ? !letter : !(letter || (c >= "0" && c <= "9"))) return false;
        }
        return true;
    }

    /// @dev ISO 6166: letters become 10..35, then the Luhn check runs over all the digits.
    function _isinCheckDigitValid(bytes memory id) private pure returns (bool) {
        if (id[11] < "0" || id[11] > "9") return false;
        uint256 sum;
        bool doubled; // Luhn doubles every second digit from the right, the check digit not
        for (uint256 i = 12; i > 0; --i) {
            uint8 c = uint8(id[i - 1]);
            uint256 value = c <= 0x39 ? c - 0x30 : c - 0x41 + 10;
            if (value >= 10) {
                sum += _luhn(value % 10, doubled);
                doubled = !doubled;
                value /= 10;
            }
            sum += _luhn(value, doubled);
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    function _luhn(uint256 digit, bool doubled) private pure returns (uint256) {
        if (!doubled) return digit;
        return digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    }
}

/// @title AssetFactory
/// @notice Creates one RWAToken per asset as an EIP-1167 clone of the RWAToken implementation
/// predeploy, at an address derived from the asset's identifier (ISIN or HKEX code), so the
/// address of "HK0000XXXXXX" is known before issuance (`predictAssetAddress`). Each token is
/// wired to the shared IdentityRegistry and Compliance, and the CorporateActions contract is made
/// one of its agents (it burns at redemption and schedules splits). Only deployers - licensed
/// platforms approved by the factory owner - create assets.
///
/// Predeploy: place the runtime code at the genesis address, then either
///   (a) call `initialize(owner, tokenImplementation, identityRegistry, compliance, corporateActions)`
///       in the first L2 block, or
///   (b) let the genesis builder write storage: slot 0 `owner`, slot 2 `tokenImplementation`,
///       slot 3 `identityRegistry`, slot 4 `compliance`, slot 5 `corporateActions` (addresses,
///       right-aligned) and the `Initializable` slot (`INITIALIZABLE_SLOT`) = 1.
contract AssetFactory is RWAOwnable {
    address public tokenImplementation;
    address public identityRegistry;
    address public compliance;
    address public corporateActions;
    mapping(address => bool) public isDeployer;
    mapping(address => bool) public isAsset;
    mapping(bytes32 identifierHash => address) private _assetByIdentifier;
    address[] public assets;
    /// @notice A listed identifier the factory owner set aside for one deployer (the platform the
    /// issuer mandated), so no other platform can squat it first; zero: not reserved.
    mapping(bytes32 identifierHash => address deployer) private _reservedFor;

    /// @notice What a deployer supplies to issue an asset.
    struct AssetParams {
        string name;
        string symbol;
        uint8 decimals;
        address issuer; // owner of the token: sets agents, registry, compliance
        address[] agents; // agents with the operational roles (`AgentRoles.OPERATIONS`), beside CorporateActions
        AssetInfo info;
        BondTerms bond; // all zero unless the asset is a debt instrument
    }

    event DeployerSet(address indexed deployer, bool allowed);
    event IdentifierReservation(string identifier, address indexed deployer);
    event SystemContractsSet(
        address tokenImplementation, address identityRegistry, address compliance, address corporateActions
    );
    event AssetCreated(
        address indexed token,
        string identifier,
        AssetClass indexed assetClass,
        address indexed issuer,
        string name,
        string symbol
    );

    error NotDeployer(address caller);
    error AssetExists(string identifier, address token);
    /// @notice `why` says which rule: length, an HKEX code's digits, an ISIN's check digit.
    error InvalidIdentifier(string identifier, string why);
    /// @notice The identifier is reserved for another deployer (`reserveIdentifier`).
    error IdentifierReserved(string identifier, address reservedFor);
    error InvalidBondTerms(string why);
    /// @notice More decimals than `MAX_DECIMALS` (10**decimals must leave room in coupon and
    /// redemption arithmetic).
    error InvalidDecimals(uint8 decimals, uint8 maxDecimals);

    uint8 public constant MAX_DECIMALS = 18;
    /// @notice The DeviceRegistry predeploy (genesis/predeploys.py), whose reserve guard holds
    /// warehouse receipts and precious-metal claims from creation.
    address public constant DEVICE_REGISTRY = 0x4200000000000000000000000000000000000809;

    function initialize(
        address initialOwner,
        address tokenImplementation_,
        address identityRegistry_,
        address compliance_,
        address corporateActions_
    ) external initializer {
        _initOwner(initialOwner);
        _setSystemContracts(tokenImplementation_, identityRegistry_, compliance_, corporateActions_);
    }

    function setDeployer(address deployer, bool allowed) external onlyOwner {
        if (deployer == address(0)) revert ZeroAddress("deployer");
        isDeployer[deployer] = allowed;
        emit DeployerSet(deployer, allowed);
    }

    /// @notice Points new assets at new system contracts; existing tokens keep theirs (their
    /// issuer can change registry and compliance on the token).
    function setSystemContracts(
        address tokenImplementation_,
        address identityRegistry_,
        address compliance_,
        address corporateActions_
    ) external onlyOwner {
        _setSystemContracts(tokenImplementation_, identityRegistry_, compliance_, corporateActions_);
    }

    /// @dev A coupon-paying bond pays on its coupon dates (CorporateActions refuses a coupon on
    /// any other): at least one, strictly ascending, after now and not after maturity.
    function _checkCouponDates(BondTerms calldata bond) private view {
        uint64[] calldata dates = bond.couponDates;
        if (bond.couponRatePpm != 0 && dates.length == 0) revert InvalidBondTerms("a coupon needs coupon dates");
        uint256 previous = block.timestamp;
        for (uint256 i; i < dates.length; ++i) {
            if (dates[i] <= previous) revert InvalidBondTerms("coupon dates must be ascending and in the future");
            previous = dates[i];
        }
        if (previous > bond.maturity) revert InvalidBondTerms("a coupon date after maturity");
    }

    function createAsset(AssetParams calldata p) external returns (address token) {
        if (!isDeployer[msg.sender]) revert NotDeployer(msg.sender);
        bytes32 salt = _availableIdentifier(p.info.identifier);
        address reserved = _reservedFor[salt];
        if (reserved != address(0) && reserved != msg.sender) revert IdentifierReserved(p.info.identifier, reserved);
        if (p.decimals > MAX_DECIMALS) revert InvalidDecimals(p.decimals, MAX_DECIMALS);
        if (p.bond.faceValuePerTokenWei != 0) {
            if (p.bond.maturity <= block.timestamp) revert InvalidBondTerms("maturity not in the future");
            if (p.bond.couponRatePpm != 0 && p.bond.couponsPerYear == 0) revert InvalidBondTerms("couponsPerYear is 0");
            _checkCouponDates(p.bond);
        } else if (p.info.assetClass == AssetClass.GreenBond) {
            revert InvalidBondTerms("a bond needs a face value");
        }

        token = Clones.cloneDeterministic(tokenImplementation, salt);
        uint256 n = p.agents.length;
        address[] memory agents = new address[](n + 1);
        uint8[] memory roles = new uint8[](n + 1);
        for (uint256 i; i < n; ++i) {
            agents[i] = p.agents[i];
            roles[i] = AgentRoles.OPERATIONS;
        }
        // CorporateActions burns at redemption and schedules record dates and splits.
        agents[n] = corporateActions;
        roles[n] = AgentRoles.SUPPLY | AgentRoles.CORPORATE;
        RWAToken(token).initialize(
            TokenConfig({
                name: p.name,
                symbol: p.symbol,
                decimals: p.decimals,
                issuer: p.issuer,
                identityRegistry: identityRegistry,
                compliance: compliance,
                agents: agents,
                agentRoles: roles,
                info: p.info,
                bond: p.bond
            })
        );
        _guardReserve(token, p.info.assetClass);
        _assetByIdentifier[salt] = token;
        isAsset[token] = true;
        assets.push(token);
        emit AssetCreated(token, p.info.identifier, p.info.assetClass, p.issuer, p.name, p.symbol);
    }

    /// @dev Warehouse receipts and precious-metal claims are claims on stock that devices attest:
    /// DeviceRegistry's reserve guard holds their mints from creation, the issuer cannot opt out
    /// (a chain without the predeploy has no guard).
    function _guardReserve(address token, AssetClass assetClass) private {
        bool reserveBacked = assetClass == AssetClass.LogisticsWarehouseReceipt || assetClass == AssetClass.PreciousMetal;
        if (reserveBacked && DEVICE_REGISTRY.code.length != 0) {
            IReserveGuardAtCreation(DEVICE_REGISTRY).enableReserveGuardAtCreation(token);
        }
    }

    /// @notice Sets `identifier` aside for `deployer` (zero releases it); it must be valid and not
    /// yet issued.
    function reserveIdentifier(string calldata identifier, address deployer) external onlyOwner {
        _reservedFor[_availableIdentifier(identifier)] = deployer;
        emit IdentifierReservation(identifier, deployer);
    }

    function reservedFor(string calldata identifier) external view returns (address) {
        return _reservedFor[keccak256(bytes(identifier))];
    }

    /// @notice The reason `identifier` would be refused ("" when valid): the same rule as createAsset.
    function identifierProblem(string calldata identifier) external pure returns (string memory) {
        return AssetIdentifiers.problem(bytes(identifier));
    }

    function assetByIdentifier(string calldata identifier) external view returns (address) {
        return _assetByIdentifier[keccak256(bytes(identifier))];
    }

    function predictAssetAddress(string calldata identifier) external view returns (address) {
        return Clones.predictDeterministicAddress(tokenImplementation, keccak256(bytes(identifier)));
    }

    function assetCount() external view returns (uint256) {
        return assets.length;
    }

    /// @dev The key of a valid identifier no asset has yet.
    function _availableIdentifier(string calldata identifier) private view returns (bytes32 key) {
        string memory problem = AssetIdentifiers.problem(bytes(identifier));
        if (bytes(problem).length != 0) revert InvalidIdentifier(identifier, problem);
        key = keccak256(bytes(identifier));
        address existing = _assetByIdentifier[key];
        if (existing != address(0)) revert AssetExists(identifier, existing);
    }

    function _setSystemContracts(address impl, address registry, address compliance_, address actions) private {
        if (impl == address(0)) revert ZeroAddress("tokenImplementation");
        if (registry == address(0)) revert ZeroAddress("identityRegistry");
        if (compliance_ == address(0)) revert ZeroAddress("compliance");
        if (actions == address(0)) revert ZeroAddress("corporateActions");
        tokenImplementation = impl;
        identityRegistry = registry;
        compliance = compliance_;
        corporateActions = actions;
        emit SystemContractsSet(impl, registry, compliance_, actions);
    }
}
