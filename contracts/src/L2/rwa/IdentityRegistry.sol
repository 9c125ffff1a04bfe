// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RWAOwnable, IIdentityRegistry, InvestorCategory} from "./RWACommon.sol";

/// @title IdentityRegistry
/// @notice Who may hold the layer's permissioned assets. Agents (licensed platforms that did the
/// KYC) register investor wallets with a jurisdiction (ISO 3166-1 numeric, e.g. 344 = Hong Kong),
/// an investor category (retail / professional / institutional, as the SFO defines them, see
/// `InvestorCategory`) and a KYC expiry. The owner (the registry operator) adds and removes agents.
/// `isVerified(wallet)` is true while the wallet is registered and its KYC has not expired.
///
/// Predeploy: place the runtime code at the genesis address, then either
///   (a) call `initialize(owner)` in the first L2 block, or
///   (b) let the genesis builder write storage: slot 0 (`owner`) = owner address and the
///       OpenZeppelin `Initializable` slot (`INITIALIZABLE_SLOT` in RWACommon.sol) = 1.
/// No other state is needed; agents are added by the owner afterwards.
///
/// Several licensed platforms share the registry, so each record belongs to the agent that
/// registered it: only that agent (or the owner) updates, deletes or recovers it
/// (`NotRecordAgent`). Assets choose which agents they trust (`RWAToken.setTrustedKycAgent`,
/// reading `verifiedAgents`), as T-REX assets choose trusted claim issuers. A category upgrade
/// (retail -> professional -> institutional) opens a professional-only asset to the investor, so it
/// is only proposed by `updateIdentity` and takes effect when a second agent confirms it
/// (`confirmCategoryUpgrade`) or, after `CATEGORY_UPGRADE_DELAY`, when anyone applies it.
///
/// An investor may hold several wallets (one per platform): `investorIdOf(wallet)` is a salted
/// commitment the registering agent computes off chain (keccak256 of a salt and the investor's
/// identity document; no personal data on chain), the same for every wallet of one person, so
/// assets count limits per investor, not per wallet. A wallet registered without one is its own
/// investor (`bytes32(uint256(uint160(wallet)))`).
contract IdentityRegistry is RWAOwnable, IIdentityRegistry {
    /// @dev One storage slot per investor: 2 + 1 + 8 + 20 bytes.
    struct Identity {
        uint16 country;
        InvestorCategory category;
        uint64 kycExpiry; // unix seconds; verified while block.timestamp < kycExpiry
        address agent; // the agent that registered or last updated the record
    }

    /// @dev A proposed category upgrade, waiting for a second agent or the delay.
    struct CategoryUpgrade {
        InvestorCategory category;
        uint64 notBefore; // from then anyone may apply it
        address proposer;
    }

    /// @notice How long a category upgrade waits when no second agent confirms it.
    uint64 public constant CATEGORY_UPGRADE_DELAY = 3 days;
    /// @notice Recovery hops `cashWallet` follows (a wallet recovered to one later lost too).
    uint256 public constant MAX_RECOVERY_HOPS = 4;

    mapping(address => bool) public isAgent;
    mapping(address => Identity) private _identities;
    uint256 public investorCount;
    mapping(address => CategoryUpgrade) private _pendingUpgrades;
    mapping(address wallet => bytes32) private _investorIds;
    /// @notice The wallet a lost wallet's record was moved to (`recoverIdentity`); 0 if none.
    mapping(address lostWallet => address) public recoveredWallet;

    event AgentAdded(address indexed agent);
    event AgentRemoved(address indexed agent);
    event IdentityRegistered(
        address indexed investor, uint16 country, InvestorCategory category, uint64 kycExpiry, address indexed agent
    );
    event IdentityUpdated(
        address indexed investor, uint16 country, InvestorCategory category, uint64 kycExpiry, address indexed agent
    );
    event IdentityRemoved(address indexed investor, address indexed agent);
    event IdentityRecovered(address indexed lostWallet, address indexed newWallet, address indexed agent);
    event CategoryUpgradeProposed(
        address indexed investor, InvestorCategory category, uint64 notBefore, address indexed proposer
    );
    event CategoryUpgradeApplied(address indexed investor, InvestorCategory category, address indexed by);
    event InvestorIdSet(address indexed wallet, bytes32 indexed investorId, address indexed agent);

    error NotAgent(address caller);
    error AgentAlreadySet(address agent, bool isAgent);
    error AlreadyRegistered(address investor);
    error NotRegistered(address investor);
    error InvalidCountry(uint16 country);
    error InvalidCategory(InvestorCategory category);
    error KycExpiryNotInFuture(uint64 kycExpiry, uint256 nowTimestamp);
    error LengthMismatch(uint256 investors, uint256 other);
    /// @notice Only the agent that registered a record (or the owner) may change it.
    error NotRecordAgent(address investor, address recordAgent, address caller);
    error NoPendingUpgrade(address investor);
    /// @notice The agent that proposed a category upgrade cannot also confirm it.
    error SecondAgentRequired(address investor, address proposer);
    error UpgradeNotDue(address investor, uint64 notBefore, uint256 nowTimestamp);
    error InvalidInvestorId(bytes32 investorId);

    modifier onlyAgent() {
        if (!isAgent[msg.sender]) revert NotAgent(msg.sender);
        _;
    }

    /// @dev The record's own agent (still an agent) or the owner; the record must exist.
    modifier onlyRecordAgent(address investor) {
        InvestorCategory category = _identities[investor].category;
        if (category == InvestorCategory.None) revert NotRegistered(investor);
        address recordAgent = _identities[investor].agent;
        if (msg.sender != owner && (msg.sender != recordAgent || !isAgent[msg.sender])) {
            revert NotRecordAgent(investor, recordAgent, msg.sender);
        }
        _;
    }

    function initialize(address initialOwner) external initializer {
        _initOwner(initialOwner);
    }

    // --- agents (owner) ---------------------------------------------------------------------

    function addAgent(address agent) external onlyOwner {
        if (agent == address(0)) revert ZeroAddress("agent");
        if (isAgent[agent]) revert AgentAlreadySet(agent, true);
        isAgent[agent] = true;
        emit AgentAdded(agent);
    }

    function removeAgent(address agent) external onlyOwner {
        if (!isAgent[agent]) revert AgentAlreadySet(agent, false);
        isAgent[agent] = false;
        emit AgentRemoved(agent);
    }

    // --- identities (agents) -------------------------------------------------------------------

    function registerIdentity(address investor, uint16 country, InvestorCategory category, uint64 kycExpiry)
        external
        onlyAgent
    {
        _register(investor, country, category, kycExpiry);
    }

    /// @notice Registers many investors in one transaction (onboarding a book of clients).
    function batchRegisterIdentities(
        address[] calldata investors,
        uint16[] calldata countries,
        InvestorCategory[] calldata categories,
        uint64[] calldata kycExpiries
    ) external onlyAgent {
        uint256 n = investors.length;
        if (countries.length != n) revert LengthMismatch(n, countries.length);
        if (categories.length != n) revert LengthMismatch(n, categories.length);
        if (kycExpiries.length != n) revert LengthMismatch(n, kycExpiries.length);
        for (uint256 i; i < n; ++i) {
            _register(investors[i], countries[i], categories[i], kycExpiries[i]);
        }
    }

    /// @notice Registers a wallet of an investor known by `investorId` (see the contract notes), so
    /// the investor's wallets on several platforms count as one for per-investor limits.
    function registerIdentityWithInvestorId(
        address investor,
        uint16 country,
        InvestorCategory category,
        uint64 kycExpiry,
        bytes32 investorId
    ) external onlyAgent {
        if (investorId == bytes32(0)) revert InvalidInvestorId(investorId);
        _register(investor, country, category, kycExpiry);
        _investorIds[investor] = investorId;
        emit InvestorIdSet(investor, investorId, msg.sender);
    }

    /// @notice Changes a record, e.g. a renewed KYC (new expiry) or a re-classification. Only the
    /// record's agent or the owner. A category upgrade is not applied here but proposed (see the
    /// contract notes); a downgrade applies at once and withdraws any pending upgrade.
    function updateIdentity(address investor, uint16 country, InvestorCategory category, uint64 kycExpiry)
        external
        onlyRecordAgent(investor)
    {
        _validate(country, category, kycExpiry);
        Identity storage id = _identities[investor];
        InvestorCategory applied = category;
        if (category > id.category) {
            applied = id.category;
            uint64 notBefore = uint64(block.timestamp) + CATEGORY_UPGRADE_DELAY;
            _pendingUpgrades[investor] = CategoryUpgrade(category, notBefore, msg.sender);
            emit CategoryUpgradeProposed(investor, category, notBefore, msg.sender);
        } else {
            delete _pendingUpgrades[investor];
        }
        id.country = country;
        id.category = applied;
        id.kycExpiry = kycExpiry;
        emit IdentityUpdated(investor, country, applied, kycExpiry, msg.sender);
    }

    /// @notice A second agent (not the proposer; any registry agent, or the owner) confirms a
    /// proposed category upgrade, which applies at once.
    function confirmCategoryUpgrade(address investor) external {
        if (!isAgent[msg.sender] && msg.sender != owner) revert NotAgent(msg.sender);
        CategoryUpgrade memory upgrade = _pendingUpgrade(investor);
        if (msg.sender == upgrade.proposer) revert SecondAgentRequired(investor, upgrade.proposer);
        _applyUpgrade(investor, upgrade);
    }

    /// @notice Anyone applies a proposed category upgrade once `CATEGORY_UPGRADE_DELAY` has passed.
    function applyCategoryUpgrade(address investor) external {
        CategoryUpgrade memory upgrade = _pendingUpgrade(investor);
        if (block.timestamp < upgrade.notBefore) revert UpgradeNotDue(investor, upgrade.notBefore, block.timestamp);
        _applyUpgrade(investor, upgrade);
    }

    function deleteIdentity(address investor) external onlyRecordAgent(investor) {
        delete _identities[investor];
        delete _pendingUpgrades[investor];
        delete _investorIds[investor];
        investorCount -= 1;
        emit IdentityRemoved(investor, msg.sender);
    }

    /// @notice Moves an investor's record (and investor id) to a new wallet (lost keys) and notes
    /// the move in `recoveredWallet`, which `RWAToken.recoveryAddress` requires. Only the record's
    /// agent or the owner; the record keeps its agent.
    function recoverIdentity(address lostWallet, address newWallet) external onlyRecordAgent(lostWallet) {
        Identity memory id = _identities[lostWallet];
        if (newWallet == address(0)) revert ZeroAddress("newWallet");
        if (_identities[newWallet].category != InvestorCategory.None) revert AlreadyRegistered(newWallet);
        delete _identities[lostWallet];
        _identities[newWallet] = id;
        bytes32 investorId = _investorIds[lostWallet];
        if (investorId != bytes32(0)) {
            delete _investorIds[lostWallet];
            _investorIds[newWallet] = investorId;
            emit InvestorIdSet(newWallet, investorId, msg.sender);
        }
        CategoryUpgrade memory upgrade = _pendingUpgrades[lostWallet];
        if (upgrade.proposer != address(0)) {
            delete _pendingUpgrades[lostWallet];
            _pendingUpgrades[newWallet] = upgrade;
        }
        recoveredWallet[lostWallet] = newWallet;
        emit IdentityRemoved(lostWallet, msg.sender);
        emit IdentityRegistered(newWallet, id.country, id.category, id.kycExpiry, id.agent);
        emit IdentityRecovered(lostWallet, newWallet, msg.sender);
    }

    // --- views ---------------------------------------------------------------------------------

    function isVerified(address investor) public view returns (bool) {
        Identity storage id = _identities[investor];
        return id.category != InvestorCategory.None && block.timestamp < id.kycExpiry;
    }

    /// @notice Both parties of a transfer in one call.
    function areVerified(address a, address b) external view returns (bool aVerified, bool bVerified) {
        return (isVerified(a), isVerified(b));
    }

    /// @notice The agent whose record verifies `investor`, or 0 when not verified (an asset checks
    /// it against the KYC providers it trusts).
    function verifiedAgent(address investor) public view returns (address) {
        Identity memory id = _identities[investor];
        return id.category != InvestorCategory.None && block.timestamp < id.kycExpiry ? id.agent : address(0);
    }

    /// @notice `verifiedAgent` of both parties of a transfer in one call (the token's hot path).
    function verifiedAgents(address a, address b) external view returns (address aAgent, address bAgent) {
        return (verifiedAgent(a), verifiedAgent(b));
    }

    /// @notice Where cash due to `holder` goes: the wallet its record was recovered to (followed up
    /// to `MAX_RECOVERY_HOPS`), else `holder`; and that wallet's `verifiedAgent` (0: not verified).
    function cashWallet(address holder) external view returns (address payee, address agent) {
        payee = holder;
        for (uint256 i; i < MAX_RECOVERY_HOPS; ++i) {
            address next = recoveredWallet[payee];
            if (next == address(0)) break;
            payee = next;
        }
        agent = verifiedAgent(payee);
    }

    /// @notice The investor `wallet` belongs to: its registered investor id, else the wallet itself.
    function investorIdOf(address wallet) external view returns (bytes32) {
        bytes32 investorId = _investorIds[wallet];
        return investorId != bytes32(0) ? investorId : bytes32(uint256(uint160(wallet)));
    }

    function pendingCategoryUpgrade(address investor) external view returns (CategoryUpgrade memory) {
        return _pendingUpgrades[investor];
    }

    function identity(address investor) external view returns (Identity memory) {
        return _identities[investor];
    }

    function investorCountry(address investor) external view returns (uint16) {
        return _identities[investor].country;
    }

    function investorCategory(address investor) external view returns (InvestorCategory) {
        return _identities[investor].category;
    }

    function kycExpiryOf(address investor) external view returns (uint64) {
        return _identities[investor].kycExpiry;
    }

    /// @notice True for both SFO categories of professional investor (see `InvestorCategory`).
    function isProfessional(address investor) external view returns (bool) {
        InvestorCategory c = _identities[investor].category;
        return c == InvestorCategory.Professional || c == InvestorCategory.Institutional;
    }

    // --- internals -----------------------------------------------------------------------------

    function _register(address investor, uint16 country, InvestorCategory category, uint64 expiry) private {
        if (investor == address(0)) revert ZeroAddress("investor");
        if (_identities[investor].category != InvestorCategory.None) revert AlreadyRegistered(investor);
        _validate(country, category, expiry);
        _identities[investor] = Identity(country, category, expiry, msg.sender);
        investorCount += 1;
        emit IdentityRegistered(investor, country, category, expiry, msg.sender);
    }

    function _pendingUpgrade(address investor) private view returns (CategoryUpgrade memory upgrade) {
        upgrade = _pendingUpgrades[investor];
        if (upgrade.proposer == address(0)) revert NoPendingUpgrade(investor);
    }

    function _applyUpgrade(address investor, CategoryUpgrade memory upgrade) private {
        delete _pendingUpgrades[investor];
        Identity storage id = _identities[investor];
        id.category = upgrade.category;
        emit CategoryUpgradeApplied(investor, upgrade.category, msg.sender);
        emit IdentityUpdated(investor, id.country, upgrade.category, id.kycExpiry, msg.sender);
    }

    function _validate(uint16 country, InvestorCategory category, uint64 expiry) private view {
        // ISO 3166-1 numeric codes are 001..999.
        if (country == 0 || country > 999) revert InvalidCountry(country);
        if (category == InvestorCategory.None) revert InvalidCategory(category);
        if (expiry <= block.timestamp) revert KycExpiryNotInFuture(expiry, block.timestamp);
    }
}
