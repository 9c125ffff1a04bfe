// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {RWAOwnable, AssetInfo, AssetClass, BondTerms, AgentRoles} from "./RWACommon.sol";
import {RWAToken, TokenConfig} from "./RWAToken.sol";

interface IReserveGuardAtCreation {
    function enableReserveGuardAtCreation(address asset) external;
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
    error InvalidIdentifier(string identifier);
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

    function createAsset(AssetParams calldata p) external returns (address token) {
        if (!isDeployer[msg.sender]) revert NotDeployer(msg.sender);
        bytes memory identifier = bytes(p.info.identifier);
        if (identifier.length == 0 || identifier.length > 32) revert InvalidIdentifier(p.info.identifier);
        bytes32 salt = keccak256(identifier);
        address existing = _assetByIdentifier[salt];
        if (existing != address(0)) revert AssetExists(p.info.identifier, existing);
        if (p.decimals > MAX_DECIMALS) revert InvalidDecimals(p.decimals, MAX_DECIMALS);
        if (p.bond.faceValuePerTokenWei != 0) {
            if (p.bond.maturity <= block.timestamp) revert InvalidBondTerms("maturity not in the future");
            if (p.bond.couponRatePpm != 0 && p.bond.couponsPerYear == 0) revert InvalidBondTerms("couponsPerYear is 0");
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

    function assetByIdentifier(string calldata identifier) external view returns (address) {
        return _assetByIdentifier[keccak256(bytes(identifier))];
    }

    function predictAssetAddress(string calldata identifier) external view returns (address) {
        return Clones.predictDeterministicAddress(tokenImplementation, keccak256(bytes(identifier)));
    }

    function assetCount() external view returns (uint256) {
        return assets.length;
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
