// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

// Shared types, interfaces and bases of the RWA settlement layer (L2 predeploys).
//
// Every contract of the layer must work when its *runtime* code is placed at a fixed address
// in the L2 genesis, without running a constructor. Hence: no `immutable`s, no constructor
// state, EIP-712 domain separators computed per call (chain id and address are read live), and
// state that an owner needs set by a one-shot `initialize` (OpenZeppelin `Initializable`, whose
// flag lives in the ERC-7201 slot `INITIALIZABLE_SLOT` below) or written by the genesis builder.

/// @dev ERC-7201 slot of OpenZeppelin 5 `Initializable` (`_initialized` is the low uint64 of it).
/// The genesis builder writes 1 here when it sets a predeploy's state itself (so `initialize` can
/// no longer be called), or `type(uint64).max` to lock an implementation contract for good.
bytes32 constant INITIALIZABLE_SLOT = 0xf0c57e16840df040f15088dc2f81fe391c3923bec73e23a9662efc9c229c6a00;

/// @notice Investor category. Hong Kong's Securities and Futures Ordinance (SFO, Cap. 571),
/// Schedule 1 Part 1, defines "professional investor": paragraphs (a)-(i) are institutions
/// (banks, licensed corporations, insurers, schemes, governments...) -> `Institutional`; the
/// Securities and Futures (Professional Investor) Rules (Cap. 571D) add individuals with a
/// portfolio of at least HK$8 million and corporations with HK$40 million -> `Professional`.
/// Both count as professional investors for a professional-investors-only asset.
enum InvestorCategory {
    None, // not registered
    Retail,
    Professional,
    Institutional
}

/// @notice Classes of real-world asset the layer issues.
enum AssetClass {
    GreenBond,
    Agricultural,
    LogisticsWarehouseReceipt,
    AIComputeRevenue,
    PreciousMetal,
    HongKongStock
}

/// @notice Descriptive metadata of an asset. `identifier` is an ISIN (e.g. "HK0000000001") or an
/// HKEX stock code (e.g. "0700"); `currency` is an ISO 4217 code ("HKD"); `documentHash` is the
/// keccak256 (or sha256) of the offering circular / prospectus / warehouse receipt.
struct AssetInfo {
    AssetClass assetClass;
    string identifier;
    string issuerName;
    string currency;
    bytes32 documentHash;
}

/// @notice Terms of a debt instrument; all zero for equity and receipts.
/// `faceValuePerTokenWei`: currency (HKD, 18 decimals) repaid at maturity per whole token
/// (10**decimals units). `couponRatePpm`: annual rate in parts per million (4.05% = 40_500).
/// `couponsPerYear`: payments per year (1 annual, 2 semi-annual). Times are unix seconds.
struct BondTerms {
    uint256 faceValuePerTokenWei;
    uint32 couponRatePpm;
    uint8 couponsPerYear;
    uint64 maturity;
    uint64[] couponDates;
}

interface IIdentityRegistry {
    function isVerified(address investor) external view returns (bool);
    function areVerified(address a, address b) external view returns (bool aVerified, bool bVerified);
    function verifiedAgent(address investor) external view returns (address);
    function verifiedAgents(address a, address b) external view returns (address aAgent, address bAgent);
    function investorIdOf(address wallet) external view returns (bytes32);
    function recoveredWallet(address lostWallet) external view returns (address);
    function cashWallet(address holder) external view returns (address payee, address agent);
    function investorCountry(address investor) external view returns (uint16);
    function isProfessional(address investor) external view returns (bool);
}

/// @notice What an agent of an RWAToken may do, one bit each (as T-REX v4's AgentRoles). The
/// issuer (owner) grants them per agent (`RWAToken.setAgentRoles`). `OVERRIDE` is the explicit
/// power to force a transfer past the asset's compliance rules; nobody has it by default.
library AgentRoles {
    uint8 internal constant SUPPLY = 1; // mint, burn
    uint8 internal constant FREEZE = 2; // freeze addresses and tokens, pause
    uint8 internal constant TRANSFER = 4; // forced transfer within the asset's rules
    uint8 internal constant RECOVERY = 8; // move a lost wallet's tokens to its recovered wallet
    uint8 internal constant CORPORATE = 16; // record dates, splits, documents, distributions
    uint8 internal constant OVERRIDE = 32; // forced transfer to a receiver the rules forbid
    uint8 internal constant OPERATIONS = SUPPLY | FREEZE | TRANSFER | RECOVERY | CORPORATE;
    uint8 internal constant ALL = OPERATIONS | OVERRIDE;

    function name(uint8 role) internal pure returns (string memory) {
        if (role == SUPPLY) return "supply (mint, burn)";
        if (role == FREEZE) return "freeze (freeze, pause)";
        if (role == TRANSFER) return "transfer manager (forced transfer)";
        if (role == RECOVERY) return "recovery";
        if (role == CORPORATE) return "corporate actions (record dates, splits, documents)";
        if (role == OVERRIDE) return "compliance override";
        return "agent";
    }
}

interface ICompliance {
    function canTransfer(address asset, address from, address to, uint256 amount)
        external
        view
        returns (uint8 code, string memory reason);
    function checkAndRecordTransfer(address from, address to, uint256 amount) external returns (uint8 code);
    function reasonText(uint8 code) external pure returns (string memory);
}

/// @notice ERC-1643 (document management, from ERC-1400): named documents with a URI and a hash.
interface IERC1643 {
    event DocumentUpdated(bytes32 indexed name, string uri, bytes32 documentHash);
    event DocumentRemoved(bytes32 indexed name, string uri, bytes32 documentHash);

    function getDocument(bytes32 name) external view returns (string memory uri, bytes32 documentHash, uint256 lastModified);
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash) external;
    function removeDocument(bytes32 name) external;
    function getAllDocuments() external view returns (bytes32[] memory);
}

interface IRWAToken {
    function owner() external view returns (address);
    function isAgent(address account) external view returns (bool);
    function agentRoles(address account) external view returns (uint8);
    function investorOf(address wallet) external view returns (bytes32);
    function investorBalances(address from, address to)
        external
        view
        returns (uint256 fromInvestorBalance, uint256 toInvestorBalance, bool sameInvestor);
    function cashRecipient(address holder) external view returns (address payee, uint8 code);
    function identityRegistry() external view returns (IIdentityRegistry);
    function holderCount() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function totalSupply() external view returns (uint256);
    function decimals() external view returns (uint8);
    function balanceOfAt(address account, uint48 timepoint) external view returns (uint256);
    function totalSupplyAt(uint48 timepoint) external view returns (uint256);
    function frozenTokens(address account) external view returns (uint256);
    function isFrozen(address account) external view returns (bool);
    function bondTerms() external view returns (BondTerms memory);
    function burn(address from, uint256 amount) external;
    function scheduleSplit(uint256 ratio, uint48 effectiveTime) external;
    function scheduleConsolidation(uint256 ratio, uint48 effectiveTime) external;
    function burnFraction(address holder) external returns (uint256 fineUnits, uint256 unitSize);
    function multiplierAt(uint48 timepoint) external view returns (uint256);
    function divisorAt(uint48 timepoint) external view returns (uint256);
    function scheduleRecordTime(uint48 recordTime) external;
    function unscheduleRecordTime(uint48 recordTime) external;
}

/// @notice Reason codes of `canTransfer`, shared by RWAToken (1-15) and Compliance (16-31), and
/// the text a person reads in `TransferNotCompliant(code, reason)`.
library TransferCodes {
    uint8 internal constant OK = 0;
    uint8 internal constant PAUSED = 1;
    uint8 internal constant SENDER_FROZEN = 2;
    uint8 internal constant RECEIVER_FROZEN = 3;
    uint8 internal constant INSUFFICIENT_BALANCE = 4;
    uint8 internal constant BALANCE_FROZEN = 5;
    uint8 internal constant SENDER_NOT_VERIFIED = 6;
    uint8 internal constant RECEIVER_NOT_VERIFIED = 7;
    uint8 internal constant INVALID_RECEIVER = 8;
    uint8 internal constant SENDER_KYC_NOT_TRUSTED = 9;
    uint8 internal constant RECEIVER_KYC_NOT_TRUSTED = 10;
    uint8 internal constant COUNTRY_NOT_ALLOWED = 16;
    uint8 internal constant NOT_PROFESSIONAL = 17;
    uint8 internal constant MAX_HOLDERS = 18;
    uint8 internal constant MAX_BALANCE = 19;
    uint8 internal constant LOCKED_UP = 20;
    uint8 internal constant DAILY_LIMIT = 21;

    function text(uint8 code) internal pure returns (string memory) {
        if (code == OK) return "transfer allowed";
        if (code == PAUSED) return "token is paused";
        if (code == SENDER_FROZEN) return "sender address frozen";
        if (code == RECEIVER_FROZEN) return "receiver address frozen";
        if (code == INSUFFICIENT_BALANCE) return "insufficient balance";
        if (code == BALANCE_FROZEN) return "amount exceeds unfrozen balance";
        if (code == SENDER_NOT_VERIFIED) return "sender not KYC verified";
        if (code == RECEIVER_NOT_VERIFIED) return "receiver not KYC verified";
        if (code == INVALID_RECEIVER) return "invalid receiver";
        if (code == SENDER_KYC_NOT_TRUSTED) return "sender's KYC provider not trusted by this asset";
        if (code == RECEIVER_KYC_NOT_TRUSTED) return "receiver's KYC provider not trusted by this asset";
        if (code == COUNTRY_NOT_ALLOWED) return "receiver jurisdiction not allowed";
        if (code == NOT_PROFESSIONAL) return "receiver not a professional investor";
        if (code == MAX_HOLDERS) return "maximum number of holders reached";
        if (code == MAX_BALANCE) return "receiver balance would exceed the maximum per investor";
        if (code == LOCKED_UP) return "tokens are locked up";
        if (code == DAILY_LIMIT) return "daily transfer limit exceeded";
        return "transfer not compliant";
    }
}

/// @notice Two-step single-owner access, set by an initializer rather than a constructor.
/// Storage: `owner` is slot 0 and `pendingOwner` slot 1 of every contract that lists this base
/// first (the artifacts' `storageLayout` is the authority; tests check it).
abstract contract RWAOwnable is Initializable {
    address public owner;
    address public pendingOwner;

    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner(address caller);
    error NotPendingOwner(address caller);
    error ZeroAddress(string what);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(owner, newOwner);
    }

    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    function _initOwner(address initialOwner) internal {
        if (initialOwner == address(0)) revert ZeroAddress("owner");
        owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }
}

/// @notice EIP-712 domain `{name, version: "1", chainId, verifyingContract}` computed on every
/// call: no cached separator and no immutables, so it is right at a genesis address and after a
/// chain-id change alike. Exposes EIP-5267 `eip712Domain()` for wallets and SDKs.
abstract contract EIP712Dynamic {
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant VERSION_HASH = keccak256("1");

    function _eip712Name() internal pure virtual returns (string memory);

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(_eip712Name())), VERSION_HASH, block.chainid, address(this))
        );
    }

    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", _eip712Name(), "1", block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    function _hashTypedData(bytes32 structHash) internal view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(DOMAIN_SEPARATOR(), structHash);
    }
}
