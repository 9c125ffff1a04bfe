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
contract IdentityRegistry is RWAOwnable, IIdentityRegistry {
    /// @dev One storage slot per investor: 2 + 1 + 8 + 20 bytes.
    struct Identity {
        uint16 country;
        InvestorCategory category;
        uint64 kycExpiry; // unix seconds; verified while block.timestamp < kycExpiry
        address agent; // the agent that registered or last updated the record
    }

    mapping(address => bool) public isAgent;
    mapping(address => Identity) private _identities;
    uint256 public investorCount;

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

    error NotAgent(address caller);
    error AgentAlreadySet(address agent, bool isAgent);
    error AlreadyRegistered(address investor);
    error NotRegistered(address investor);
    error InvalidCountry(uint16 country);
    error InvalidCategory(InvestorCategory category);
    error KycExpiryNotInFuture(uint64 kycExpiry, uint256 nowTimestamp);
    error LengthMismatch(uint256 investors, uint256 other);

    modifier onlyAgent() {
        if (!isAgent[msg.sender]) revert NotAgent(msg.sender);
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

    /// @notice Changes a record, e.g. a renewed KYC (new expiry) or a re-classification.
    function updateIdentity(address investor, uint16 country, InvestorCategory category, uint64 kycExpiry)
        external
        onlyAgent
    {
        if (_identities[investor].category == InvestorCategory.None) revert NotRegistered(investor);
        _validate(country, category, kycExpiry);
        _identities[investor] = Identity(country, category, kycExpiry, msg.sender);
        emit IdentityUpdated(investor, country, category, kycExpiry, msg.sender);
    }

    function deleteIdentity(address investor) external onlyAgent {
        if (_identities[investor].category == InvestorCategory.None) revert NotRegistered(investor);
        delete _identities[investor];
        investorCount -= 1;
        emit IdentityRemoved(investor, msg.sender);
    }

    /// @notice Moves an investor's record to a new wallet (lost keys). Pair with
    /// `RWAToken.recoveryAddress(lost, new)` on each asset the investor holds.
    function recoverIdentity(address lostWallet, address newWallet) external onlyAgent {
        Identity memory id = _identities[lostWallet];
        if (id.category == InvestorCategory.None) revert NotRegistered(lostWallet);
        if (newWallet == address(0)) revert ZeroAddress("newWallet");
        if (_identities[newWallet].category != InvestorCategory.None) revert AlreadyRegistered(newWallet);
        delete _identities[lostWallet];
        id.agent = msg.sender;
        _identities[newWallet] = id;
        emit IdentityRemoved(lostWallet, msg.sender);
        emit IdentityRegistered(newWallet, id.country, id.category, id.kycExpiry, msg.sender);
        emit IdentityRecovered(lostWallet, newWallet, msg.sender);
    }

    // --- views ---------------------------------------------------------------------------------

    function isVerified(address investor) public view returns (bool) {
        Identity storage id = _identities[investor];
        return id.category != InvestorCategory.None && block.timestamp < id.kycExpiry;
    }

    /// @notice Both parties of a transfer in one call (the token's hot path).
    function areVerified(address a, address b) external view returns (bool aVerified, bool bVerified) {
        return (isVerified(a), isVerified(b));
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

    function _validate(uint16 country, InvestorCategory category, uint64 expiry) private view {
        // ISO 3166-1 numeric codes are 001..999.
        if (country == 0 || country > 999) revert InvalidCountry(country);
        if (category == InvestorCategory.None) revert InvalidCategory(category);
        if (expiry <= block.timestamp) revert KycExpiryNotInFuture(expiry, block.timestamp);
    }
}
