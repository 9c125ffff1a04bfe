// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {
    RWAOwnable,
    IIdentityRegistry,
    ICompliance,
    TransferCodes,
    AssetInfo,
    BondTerms,
    AgentRoles,
    IERC1643
} from "./RWACommon.sol";

/// @notice Everything `RWAToken.initialize` needs; built by the AssetFactory.
struct TokenConfig {
    string name;
    string symbol;
    uint8 decimals;
    address issuer; // becomes the token's owner
    address identityRegistry;
    address compliance;
    address[] agents; // agents of the asset
    uint8[] agentRoles; // their `AgentRoles` bits, one per agent
    AssetInfo info;
    BondTerms bond;
}

/// @title RWAToken
/// @notice One permissioned asset (ERC-3643 in spirit): an ERC-20 whose every transfer is
/// checked against the IdentityRegistry (sender and receiver KYC verified) and the per-asset
/// Compliance rules, and reverts with `TransferNotCompliant(code, reason)` - a reason a person
/// can read, e.g. "receiver not KYC verified". Agents mint, burn, freeze an address or part of a
/// balance, force a transfer, recover a lost wallet and pause, each power a separate role
/// (`AgentRoles`) the issuer grants per agent.
///
/// Shared registry, chosen providers: the IdentityRegistry serves every platform of the chain;
/// once the issuer names trusted KYC agents (`setTrustedKycAgent`), only investors whose record
/// one of them keeps may hold or receive the asset.
///
/// Investors, not wallets: each holding wallet is pinned to the investor the registry says it
/// belongs to (`IdentityRegistry.investorIdOf`) when it starts to hold, and the asset keeps each
/// multi-wallet investor's total (`investorBalances`); `holderCount` counts investors. Compliance
/// limits (maximum balance, holders, daily volume) use these totals.
///
/// Record-date snapshots, ERC20Snapshot-style. An agent (CorporateActions, when it announces a
/// distribution) schedules a record time R (unix seconds, not in the past) with
/// `scheduleRecordTime(R)`; once R has passed, `balanceOfAt(account, R)` and `totalSupplyAt(R)`
/// return the values at the end of second R, in O(log n), without looping over holders. Each
/// account keeps its current balance in one slot {balance, updatedAt}; only the first write to an
/// account after a record time has passed appends the old {updatedAt, balance} to the account's
/// history (OpenZeppelin `Checkpoints.Trace208`). A transfer therefore costs no history write
/// unless a record date passed since the account last moved. Times that were never scheduled
/// cannot be looked up (`NotARecordTime`): their history is not kept.
///
/// Stock splits are O(1) and exact: `scheduleSplit(ratio, effectiveTime)` appends the cumulative
/// multiplier to a split history. A stored value (balance, history entry, frozen amount, supply)
/// written at time k is worth
/// `value * cum(t) / cum(k)` at time t, where `cum` is the product of the integer ratios of all
/// splits effective at or before that time; `cum(k)` divides `cum(t)`, so the result is an exact
/// integer. A split must take effect strictly in the future, so no value in the current block is
/// ambiguous. Only forward splits (ratio >= 2) exist: a consolidation cannot be exact for every
/// balance. Balances change at the effective time without `Transfer` events (as in any
/// rebasing token); allowances, compliance limits and daily volumes are not scaled.
///
/// Deployment: instances are EIP-1167 clones made by the AssetFactory and set up by
/// `initialize(TokenConfig)`. The implementation itself is a predeploy: place its runtime code at
/// the genesis address and write `type(uint64).max` to the OpenZeppelin `Initializable` slot
/// (`INITIALIZABLE_SLOT` in RWACommon.sol) so nobody can initialize the implementation (a
/// normally deployed implementation does this in its constructor).
contract RWAToken is RWAOwnable, IERC20Metadata, IERC20Errors, IERC6372, IERC165, IERC1643 {
    using Checkpoints for Checkpoints.Trace208;

    /// @dev A current balance (or the supply) in units of the split multiplier at `updatedAt`.
    struct Balance {
        uint208 value;
        uint48 updatedAt;
    }

    /// @dev An ERC-1643 document; `position` is its index in `_documentNames` plus one.
    struct Document {
        string uri;
        bytes32 documentHash;
        uint64 lastModified;
        uint32 position;
    }

    struct FrozenTokens {
        uint48 since; // clock() when written, to apply later splits
        uint208 amount;
    }

    /// @dev Which scheduled record times have passed, in one slot read by every transfer.
    struct RecordClock {
        uint48 lastPassed; // latest record time < block.timestamp as of the last write, 0 = none
        uint48 next; // earliest record time not yet passed, 0 = none scheduled
        uint32 head; // index in `_recordTimes` of `next`
    }

    uint256 public constant MAX_SPLIT_RATIO = 1000;
    /// @notice Record times scheduled and not yet passed, at most (each costs a transfer a step).
    uint256 public constant MAX_PENDING_RECORD_TIMES = 16;

    // Hot-path state first: registry, decimals, paused and the trusted-provider count share a slot.
    IIdentityRegistry public identityRegistry;
    uint8 public decimals;
    bool public paused;
    uint32 public trustedKycAgentCount; // 0: every registry agent's records are accepted
    ICompliance public compliance;
    uint256 public holderCount; // investors holding a non-zero balance
    string public name;
    string public symbol;
    mapping(address => uint8) public agentRoles;
    mapping(address => bool) public isFrozen;
    mapping(address => FrozenTokens) private _frozen;
    mapping(address => Balance) private _balances;
    mapping(address => Checkpoints.Trace208) private _history; // updatedAt -> balance, see above
    Balance private _supply;
    Checkpoints.Trace208 private _supplyHistory;
    RecordClock private _recordClock;
    uint48[] private _recordTimes; // ascending; [0, head) passed, [head, length) pending
    mapping(uint48 => bool) public isRecordTime;
    Checkpoints.Trace208 private _splits; // effective time -> cumulative multiplier
    mapping(address => mapping(address => uint256)) public allowance;
    AssetInfo private _info;
    BondTerms private _bond;
    mapping(address => bool) public isTrustedKycAgent;
    mapping(address wallet => bytes32) private _holderInvestor; // 0: the wallet is its own investor
    mapping(bytes32 investorId => Balance) private _investorBalances; // multi-wallet investors only
    uint256 public maxSupply; // 0: no cap
    mapping(bytes32 name => Document) private _documents;
    bytes32[] private _documentNames;

    event AgentAdded(address indexed agent);
    event AgentRemoved(address indexed agent);
    event AgentRolesSet(address indexed agent, uint8 roles);
    event TrustedKycAgentSet(address indexed kycAgent, bool trusted);
    event IdentityRegistrySet(address indexed identityRegistry);
    event ComplianceSet(address indexed compliance);
    event AddressFrozen(address indexed account, bool indexed frozen, address indexed agent);
    event TokensFrozen(address indexed account, uint256 amount);
    event TokensUnfrozen(address indexed account, uint256 amount);
    /// @notice `legalReference` names the order or instruction (court order number, regulator
    /// direction, error ticket); `rulesOverridden` is true when the receiver failed the asset's
    /// compliance rules and an agent with the `OVERRIDE` role moved the tokens anyway.
    event ForcedTransfer(
        address indexed from,
        address indexed to,
        uint256 amount,
        address indexed agent,
        string legalReference,
        bool rulesOverridden
    );
    event RecoverySuccess(address indexed lostWallet, address indexed newWallet, uint256 amount, address indexed agent);
    event Paused(address indexed agent);
    event Unpaused(address indexed agent);
    event SplitScheduled(uint256 ratio, uint48 effectiveTime, uint256 cumulativeMultiplier, address indexed agent);
    event SplitCancelled(uint48 effectiveTime, address indexed agent);
    event RecordTimeScheduled(uint48 recordTime, address indexed agent);
    event TokenInformationUpdated(string name, string symbol);
    event MaxSupplySet(uint256 maxSupply);

    /// @notice A transfer that identity, freeze, pause or compliance forbids. `code` is one of
    /// `TransferCodes`; `reason` is its text, e.g. "receiver not KYC verified".
    error TransferNotCompliant(uint8 code, string reason);
    error NotAgent(address caller);
    error NotOwnerOrAgent(address caller);
    /// @notice The caller lacks the agent role the function needs (`role` names it).
    error MissingAgentRole(address caller, uint8 roleBit, string role);
    error InvalidAgentRoles(uint8 roles);
    error TrustedKycAgentAlreadySet(address kycAgent, bool trusted);
    /// @notice A forced transfer must name its legal basis.
    error LegalReferenceRequired();
    /// @notice Token recovery follows the registry's: `recoverIdentity(lost, new)` comes first.
    error RecoveryNotInRegistry(address lostWallet, address newWallet, address registryRecoveredTo);
    error AgentAlreadySet(address agent, bool isAgent);
    error PausedState(bool paused);
    error FreezeExceedsBalance(address account, uint256 balance, uint256 frozenAfter);
    error UnfreezeExceedsFrozen(address account, uint256 frozen, uint256 requested);
    error NothingToRecover(address lostWallet);
    error FutureLookup(uint48 timepoint, uint48 clock);
    error NotARecordTime(uint48 timepoint);
    error RecordTimeInPast(uint48 recordTime, uint48 clock);
    error InvalidSplitRatio(uint256 ratio);
    error SplitNotInFuture(uint48 effectiveTime, uint48 notBefore);
    error NoScheduledSplit();
    /// @notice A split would multiply what a bond's redemption owes: refused on debt instruments.
    error SplitOnBond(uint256 faceValuePerTokenWei);
    error TooManyPendingRecordTimes(uint256 maxPending);
    /// @notice A mint beyond the asset's supply cap (`maxSupply`).
    error SupplyCapExceeded(uint256 maxSupply, uint256 supplyAfter);
    error InvalidMaxSupply(uint256 maxSupply, uint256 supply);
    error DocumentNotFound(bytes32 name);
    error InvalidDocument(bytes32 name);
    error LengthMismatch(uint256 accounts, uint256 amounts);

    modifier onlyRole(uint8 role) {
        _requireRole(msg.sender, role);
        _;
    }

    modifier onlyOwnerOrRole(uint8 role) {
        if (msg.sender != owner) _requireRole(msg.sender, role);
        _;
    }

    constructor() {
        _disableInitializers();
    }

    function initialize(TokenConfig calldata cfg) external initializer {
        _initOwner(cfg.issuer);
        if (cfg.identityRegistry == address(0)) revert ZeroAddress("identityRegistry");
        if (cfg.compliance == address(0)) revert ZeroAddress("compliance");
        name = cfg.name;
        symbol = cfg.symbol;
        decimals = cfg.decimals;
        identityRegistry = IIdentityRegistry(cfg.identityRegistry);
        compliance = ICompliance(cfg.compliance);
        emit IdentityRegistrySet(cfg.identityRegistry);
        emit ComplianceSet(cfg.compliance);
        if (cfg.agentRoles.length != cfg.agents.length) revert LengthMismatch(cfg.agents.length, cfg.agentRoles.length);
        for (uint256 i; i < cfg.agents.length; ++i) {
            _addAgent(cfg.agents[i], cfg.agentRoles[i]);
        }
        _info = cfg.info;
        _bond = cfg.bond;
    }

    // --- ERC-20 --------------------------------------------------------------------------------

    function totalSupply() public view returns (uint256) {
        return _current(_supply);
    }

    function balanceOf(address account) public view returns (uint256) {
        return _current(_balances[account]);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _transferChecked(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert ERC20InsufficientAllowance(msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
        }
        _transferChecked(from, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(spender);
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    // --- compliance view -----------------------------------------------------------------------

    /// @notice Whether `transfer(to, amount)` by `from` would pass right now: a reason code
    /// (`TransferCodes`, 0 = allowed) and the text a transfer would revert with.
    function canTransfer(address from, address to, uint256 amount)
        external
        view
        returns (uint8 code, string memory reason)
    {
        code = _tokenChecks(from, to, amount, balanceOf(from));
        if (code == TransferCodes.OK) (code,) = compliance.canTransfer(address(this), from, to, amount);
        reason = _reason(code);
    }

    // --- snapshots (ERC-6372 clock: timestamps) ----------------------------------------------

    function clock() public view returns (uint48) {
        return uint48(block.timestamp);
    }

    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=timestamp";
    }

    /// @notice Balance of `account` at the end of record time `timepoint` (scheduled and passed).
    function balanceOfAt(address account, uint48 timepoint) external view returns (uint256) {
        _requirePastRecordTime(timepoint);
        return _valueAt(_balances[account], _history[account], timepoint);
    }

    function totalSupplyAt(uint48 timepoint) external view returns (uint256) {
        _requirePastRecordTime(timepoint);
        return _valueAt(_supply, _supplyHistory, timepoint);
    }

    /// @notice Every record time ever scheduled, ascending.
    function recordTimes() external view returns (uint48[] memory) {
        return _recordTimes;
    }

    /// @notice Cumulative split multiplier in force at `timepoint` (1 before any split).
    function multiplierAt(uint48 timepoint) public view returns (uint256) {
        uint208 m = _splits.upperLookupRecent(timepoint);
        return m == 0 ? 1 : m;
    }

    function splitCount() external view returns (uint256) {
        return _splits.length();
    }

    /// @notice How many splits have taken effect (0 before the first). A trade binds it when
    /// signed, so a trade signed before a split never settles after it at the old unit count.
    function splitEpoch() external view returns (uint256 epoch) {
        epoch = _splits.length();
        while (epoch != 0 && _splits.at(uint32(epoch - 1))._key > clock()) epoch -= 1;
    }

    // --- agent powers --------------------------------------------------------------------------

    function mint(address to, uint256 amount) external onlyRole(AgentRoles.SUPPLY) {
        _mint(to, amount);
    }

    function batchMint(address[] calldata to, uint256[] calldata amounts) external onlyRole(AgentRoles.SUPPLY) {
        if (to.length != amounts.length) revert LengthMismatch(to.length, amounts.length);
        for (uint256 i; i < to.length; ++i) {
            _mint(to[i], amounts[i]);
        }
    }

    /// @notice Burns `amount` of `from` (redemption, cancellation); frozen tokens are released
    /// first when the unfrozen balance is not enough.
    function burn(address from, uint256 amount) external onlyRole(AgentRoles.SUPPLY) {
        _burn(from, amount);
    }

    function batchBurn(address[] calldata from, uint256[] calldata amounts) external onlyRole(AgentRoles.SUPPLY) {
        if (from.length != amounts.length) revert LengthMismatch(from.length, amounts.length);
        for (uint256 i; i < from.length; ++i) {
            _burn(from[i], amounts[i]);
        }
    }

    function setAddressFrozen(address account, bool frozen) external onlyRole(AgentRoles.FREEZE) {
        _setAddressFrozen(account, frozen);
    }

    function batchSetAddressFrozen(address[] calldata accounts, bool[] calldata frozen)
        external
        onlyRole(AgentRoles.FREEZE)
    {
        if (accounts.length != frozen.length) revert LengthMismatch(accounts.length, frozen.length);
        for (uint256 i; i < accounts.length; ++i) {
            _setAddressFrozen(accounts[i], frozen[i]);
        }
    }

    function freezePartialTokens(address account, uint256 amount) external onlyRole(AgentRoles.FREEZE) {
        _freezePartial(account, amount);
    }

    function batchFreezePartialTokens(address[] calldata accounts, uint256[] calldata amounts)
        external
        onlyRole(AgentRoles.FREEZE)
    {
        if (accounts.length != amounts.length) revert LengthMismatch(accounts.length, amounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            _freezePartial(accounts[i], amounts[i]);
        }
    }

    function _burn(address from, uint256 amount) private {
        uint256 balance = balanceOf(from);
        if (amount > balance) revert ERC20InsufficientBalance(from, balance, amount);
        _releaseFrozen(from, balance, amount);
        uint48 lastRecord = _advanceRecordClock();
        _write(_balances[from], _history[from], balance - amount, lastRecord);
        _write(_supply, _supplyHistory, totalSupply() - amount, lastRecord);
        if (amount != 0 && _debitInvestor(from, balance, amount)) holderCount -= 1;
        emit Transfer(from, address(0), amount);
    }

    function _setAddressFrozen(address account, bool frozen) private {
        isFrozen[account] = frozen;
        emit AddressFrozen(account, frozen, msg.sender);
    }

    function _freezePartial(address account, uint256 amount) private {
        uint256 balance = balanceOf(account);
        uint256 frozenAfter = frozenTokens(account) + amount;
        if (frozenAfter > balance) revert FreezeExceedsBalance(account, balance, frozenAfter);
        _setFrozen(account, frozenAfter);
        emit TokensFrozen(account, amount);
    }

    function unfreezePartialTokens(address account, uint256 amount) external onlyRole(AgentRoles.FREEZE) {
        uint256 frozen = frozenTokens(account);
        if (amount > frozen) revert UnfreezeExceedsFrozen(account, frozen, amount);
        _setFrozen(account, frozen - amount);
        emit TokensUnfrozen(account, amount);
    }

    /// @notice Moves tokens without the holder's consent (court order, error correction), stating
    /// its legal basis (`legalReference`, in the event). Ignores pause, the sender's freeze, lock-up
    /// and daily limits; the receiver must be KYC verified by a provider the asset trusts and must
    /// pass the asset's receiver rules (jurisdiction, category, holders, maximum balance) unless the
    /// caller also holds the `OVERRIDE` role. Frozen tokens of `from` are released as needed.
    function forcedTransfer(address from, address to, uint256 amount, string calldata legalReference)
        external
        onlyRole(AgentRoles.TRANSFER)
        returns (bool)
    {
        _forcedTransfer(from, to, amount, legalReference);
        return true;
    }

    /// @notice Several forced transfers under one legal reference (one order, many accounts).
    function batchForcedTransfer(
        address[] calldata from,
        address[] calldata to,
        uint256[] calldata amounts,
        string calldata legalReference
    ) external onlyRole(AgentRoles.TRANSFER) {
        if (from.length != to.length) revert LengthMismatch(from.length, to.length);
        if (from.length != amounts.length) revert LengthMismatch(from.length, amounts.length);
        for (uint256 i; i < from.length; ++i) {
            _forcedTransfer(from[i], to[i], amounts[i], legalReference);
        }
    }

    function _forcedTransfer(address from, address to, uint256 amount, string calldata legalReference) private {
        if (bytes(legalReference).length == 0) revert LegalReferenceRequired();
        _requireEligibleReceiver(to);
        (uint8 code,) = compliance.canTransfer(address(this), address(0), to, amount);
        bool overridden = code != TransferCodes.OK;
        if (overridden && agentRoles[msg.sender] & AgentRoles.OVERRIDE == 0) {
            revert TransferNotCompliant(code, _reason(code));
        }
        uint256 balance = balanceOf(from);
        if (amount > balance) revert ERC20InsufficientBalance(from, balance, amount);
        _releaseFrozen(from, balance, amount);
        _move(from, to, amount, balance);
        emit ForcedTransfer(from, to, amount, msg.sender, legalReference, overridden);
    }

    /// @notice Recovers a lost wallet after the registry did (`IdentityRegistry.recoverIdentity`
    /// moved the record to `newWallet`): moves its whole balance, its frozen part and its address
    /// freeze to `newWallet`, which must be verified by a provider the asset trusts.
    function recoveryAddress(address lostWallet, address newWallet)
        external
        onlyRole(AgentRoles.RECOVERY)
        returns (bool)
    {
        address recoveredTo = identityRegistry.recoveredWallet(lostWallet);
        if (recoveredTo != newWallet) revert RecoveryNotInRegistry(lostWallet, newWallet, recoveredTo);
        _requireEligibleReceiver(newWallet);
        uint256 balance = balanceOf(lostWallet);
        if (balance == 0) revert NothingToRecover(lostWallet);
        uint256 frozen = frozenTokens(lostWallet);
        _move(lostWallet, newWallet, balance, balance);
        if (frozen != 0) {
            _setFrozen(lostWallet, 0);
            emit TokensUnfrozen(lostWallet, frozen);
            _setFrozen(newWallet, frozenTokens(newWallet) + frozen);
            emit TokensFrozen(newWallet, frozen);
        }
        if (isFrozen[lostWallet]) {
            isFrozen[newWallet] = true;
            emit AddressFrozen(newWallet, true, msg.sender);
        }
        emit RecoverySuccess(lostWallet, newWallet, balance, msg.sender);
        return true;
    }

    function pause() external onlyRole(AgentRoles.FREEZE) {
        if (paused) revert PausedState(true);
        paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyRole(AgentRoles.FREEZE) {
        if (!paused) revert PausedState(false);
        paused = false;
        emit Unpaused(msg.sender);
    }

    /// @notice Schedules a forward split: from `effectiveTime` (strictly in the future, after any
    /// split already scheduled) every balance, frozen amount and the supply are `ratio` times
    /// larger, exactly. 1-for-10 is `ratio = 10`.
    function scheduleSplit(uint256 ratio, uint48 effectiveTime) external onlyRole(AgentRoles.CORPORATE) {
        if (ratio < 2 || ratio > MAX_SPLIT_RATIO) revert InvalidSplitRatio(ratio);
        if (_bond.faceValuePerTokenWei != 0) revert SplitOnBond(_bond.faceValuePerTokenWei);
        (bool exists, uint48 lastTime, uint208 lastMultiplier) = _splits.latestCheckpoint();
        uint48 notBefore = exists && lastTime > clock() ? lastTime : clock();
        if (effectiveTime <= notBefore) revert SplitNotInFuture(effectiveTime, notBefore + 1);
        uint256 cumulative = (exists ? uint256(lastMultiplier) : 1) * ratio;
        // The supply must still fit a checkpoint after the split (later mints are checked on write).
        SafeCast.toUint208(totalSupply() * (cumulative / multiplierAt(clock())));
        _splits.push(effectiveTime, SafeCast.toUint208(cumulative));
        emit SplitScheduled(ratio, effectiveTime, cumulative, msg.sender);
    }

    /// @notice Makes `recordTime` (now or later) a record time: from when it has passed,
    /// `balanceOfAt(account, recordTime)` and `totalSupplyAt(recordTime)` answer. Idempotent.
    function scheduleRecordTime(uint48 recordTime) external onlyRole(AgentRoles.CORPORATE) {
        if (recordTime < clock()) revert RecordTimeInPast(recordTime, clock());
        if (isRecordTime[recordTime]) return;
        _advanceRecordClock();
        RecordClock memory c = _recordClock;
        if (_recordTimes.length - c.head >= MAX_PENDING_RECORD_TIMES) {
            revert TooManyPendingRecordTimes(MAX_PENDING_RECORD_TIMES);
        }
        isRecordTime[recordTime] = true;
        // Insert in order among the pending times (all >= now, so at or after `head`).
        _recordTimes.push(recordTime);
        uint256 i = _recordTimes.length - 1;
        while (i > c.head && _recordTimes[i - 1] > recordTime) {
            _recordTimes[i] = _recordTimes[i - 1];
            i -= 1;
        }
        _recordTimes[i] = recordTime;
        c.next = _recordTimes[c.head];
        _recordClock = c;
        emit RecordTimeScheduled(recordTime, msg.sender);
    }

    /// @notice Withdraws the last scheduled split while it is not yet effective.
    function cancelScheduledSplit() external onlyRole(AgentRoles.CORPORATE) {
        (bool exists, uint48 lastTime,) = _splits.latestCheckpoint();
        if (!exists || lastTime <= clock()) revert NoScheduledSplit();
        _splits._checkpoints.pop();
        emit SplitCancelled(lastTime, msg.sender);
    }

    // --- owner (issuer) ------------------------------------------------------------------------

    /// @notice Adds an agent with the operational roles (`AgentRoles.OPERATIONS`: supply, freeze,
    /// transfer manager, recovery, corporate actions); `setAgentRoles` narrows or widens them.
    function addAgent(address agent) external onlyOwner {
        _addAgent(agent, AgentRoles.OPERATIONS);
    }

    function removeAgent(address agent) external onlyOwner {
        if (agentRoles[agent] == 0) revert AgentAlreadySet(agent, false);
        agentRoles[agent] = 0;
        emit AgentRolesSet(agent, 0);
        emit AgentRemoved(agent);
    }

    /// @notice Sets exactly which `AgentRoles` bits `agent` holds (0 removes it as an agent).
    function setAgentRoles(address agent, uint8 roles) external onlyOwner {
        if (roles & ~AgentRoles.ALL != 0) revert InvalidAgentRoles(roles);
        if (agentRoles[agent] == 0 && roles != 0) emit AgentAdded(agent);
        if (agentRoles[agent] != 0 && roles == 0) emit AgentRemoved(agent);
        agentRoles[agent] = roles;
        emit AgentRolesSet(agent, roles);
    }

    /// @notice Trusts (or stops trusting) the records of registry agent `kycAgent` for this asset.
    /// While at least one is trusted, every holder and receiver must be verified by one of them.
    function setTrustedKycAgent(address kycAgent, bool trusted) external onlyOwner {
        if (kycAgent == address(0)) revert ZeroAddress("kycAgent");
        if (isTrustedKycAgent[kycAgent] == trusted) revert TrustedKycAgentAlreadySet(kycAgent, trusted);
        isTrustedKycAgent[kycAgent] = trusted;
        if (trusted) trustedKycAgentCount += 1;
        else trustedKycAgentCount -= 1;
        emit TrustedKycAgentSet(kycAgent, trusted);
    }

    function setIdentityRegistry(address registry) external onlyOwner {
        if (registry == address(0)) revert ZeroAddress("identityRegistry");
        identityRegistry = IIdentityRegistry(registry);
        emit IdentityRegistrySet(registry);
    }

    function setCompliance(address newCompliance) external onlyOwner {
        if (newCompliance == address(0)) revert ZeroAddress("compliance");
        compliance = ICompliance(newCompliance);
        emit ComplianceSet(newCompliance);
    }

    function setName(string calldata newName) external onlyOwner {
        name = newName;
        _tokenInformationUpdated();
    }

    function setSymbol(string calldata newSymbol) external onlyOwner {
        symbol = newSymbol;
        _tokenInformationUpdated();
    }

    function _tokenInformationUpdated() private {
        emit TokenInformationUpdated(name, symbol);
    }

    /// @notice Caps the supply (0: no cap); not below today's supply. Splits scale balances, not the cap.
    function setMaxSupply(uint256 newMaxSupply) external onlyOwner {
        uint256 supply = totalSupply();
        if (newMaxSupply != 0 && newMaxSupply < supply) revert InvalidMaxSupply(newMaxSupply, supply);
        maxSupply = newMaxSupply;
        emit MaxSupplySet(newMaxSupply);
    }

    // --- documents (ERC-1643) ------------------------------------------------------------------

    /// @notice Adds or replaces document `docName` (e.g. "prospectus", "warehouse-receipt").
    function setDocument(bytes32 docName, string calldata uri, bytes32 documentHash)
        external
        onlyOwnerOrRole(AgentRoles.CORPORATE)
    {
        if (docName == bytes32(0) || bytes(uri).length == 0) revert InvalidDocument(docName);
        Document storage d = _documents[docName];
        if (d.position == 0) {
            _documentNames.push(docName);
            d.position = uint32(_documentNames.length);
        }
        d.uri = uri;
        d.documentHash = documentHash;
        d.lastModified = uint64(block.timestamp);
        emit DocumentUpdated(docName, uri, documentHash);
    }

    function removeDocument(bytes32 docName) external onlyOwnerOrRole(AgentRoles.CORPORATE) {
        Document memory d = _documents[docName];
        if (d.position == 0) revert DocumentNotFound(docName);
        bytes32 last = _documentNames[_documentNames.length - 1];
        _documentNames[d.position - 1] = last;
        _documents[last].position = d.position;
        _documentNames.pop();
        delete _documents[docName];
        emit DocumentRemoved(docName, d.uri, d.documentHash);
    }

    function getDocument(bytes32 docName) external view returns (string memory, bytes32, uint256) {
        Document storage d = _documents[docName];
        if (d.position == 0) revert DocumentNotFound(docName);
        return (d.uri, d.documentHash, d.lastModified);
    }

    function getAllDocuments() external view returns (bytes32[] memory) {
        return _documentNames;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC20).interfaceId
            || interfaceId == type(IERC20Metadata).interfaceId || interfaceId == type(IERC1643).interfaceId
            || interfaceId == type(IERC6372).interfaceId;
    }


    // --- metadata ------------------------------------------------------------------------------

    function isAgent(address account) external view returns (bool) {
        return agentRoles[account] != 0;
    }

    /// @notice The investor `wallet` belongs to: the one it was pinned to while it holds, else the
    /// registry's answer (`IdentityRegistry.investorIdOf`).
    function investorOf(address wallet) public view returns (bytes32) {
        if (_balances[wallet].value != 0) {
            bytes32 pinned = _holderInvestor[wallet];
            return pinned != bytes32(0) ? pinned : _selfInvestor(wallet);
        }
        return identityRegistry.investorIdOf(wallet);
    }

    /// @notice What the investors of `from` and `to` hold over all their wallets, and whether they
    /// are the same investor (the inputs of Compliance's per-investor limits).
    function investorBalances(address from, address to)
        external
        view
        returns (uint256 fromInvestorBalance, uint256 toInvestorBalance, bool sameInvestor)
    {
        bytes32 toInvestor = investorOf(to);
        toInvestorBalance = _investorBalance(to, toInvestor);
        if (from != address(0)) {
            bytes32 fromInvestor = investorOf(from);
            fromInvestorBalance = _investorBalance(from, fromInvestor);
            sameInvestor = fromInvestor == toInvestor;
        }
    }

    /// @notice Where cash due to `holder` (a coupon, a dividend, a redemption) goes and whether it
    /// may go now: the wallet the registry recovered `holder` to, else `holder`
    /// (`IdentityRegistry.cashWallet`); `code` is 0 when that wallet is not frozen and is verified
    /// by a provider the asset trusts, else the `TransferCodes` reason it is not.
    function cashRecipient(address holder) external view returns (address payee, uint8 code) {
        address agent;
        (payee, agent) = identityRegistry.cashWallet(holder);
        if (isFrozen[payee]) code = TransferCodes.RECEIVER_FROZEN;
        else if (agent == address(0)) code = TransferCodes.RECEIVER_NOT_VERIFIED;
        else if (trustedKycAgentCount != 0 && !isTrustedKycAgent[agent]) code = TransferCodes.RECEIVER_KYC_NOT_TRUSTED;
    }

    function assetInfo() external view returns (AssetInfo memory) {
        return _info;
    }

    function bondTerms() external view returns (BondTerms memory) {
        return _bond;
    }

    /// @notice Tokens of `account` that cannot move (partial freeze), split-adjusted.
    function frozenTokens(address account) public view returns (uint256) {
        FrozenTokens memory f = _frozen[account];
        return f.amount == 0 ? 0 : f.amount * _growth(f.since, clock());
    }

    // --- internals -----------------------------------------------------------------------------

    function _transferChecked(address from, address to, uint256 amount) private {
        uint256 fromBalance = balanceOf(from);
        uint8 code = _tokenChecks(from, to, amount, fromBalance);
        if (code == TransferCodes.OK) code = compliance.checkAndRecordTransfer(from, to, amount);
        if (code != TransferCodes.OK) revert TransferNotCompliant(code, _reason(code));
        _move(from, to, amount, fromBalance);
    }

    function _tokenChecks(address from, address to, uint256 amount, uint256 fromBalance)
        private
        view
        returns (uint8)
    {
        if (to == address(0)) return TransferCodes.INVALID_RECEIVER;
        if (paused) return TransferCodes.PAUSED;
        if (isFrozen[from]) return TransferCodes.SENDER_FROZEN;
        if (isFrozen[to]) return TransferCodes.RECEIVER_FROZEN;
        if (fromBalance < amount) return TransferCodes.INSUFFICIENT_BALANCE;
        if (fromBalance - frozenTokens(from) < amount) return TransferCodes.BALANCE_FROZEN;
        (address fromAgent, address toAgent) = identityRegistry.verifiedAgents(from, to);
        if (fromAgent == address(0)) return TransferCodes.SENDER_NOT_VERIFIED;
        if (toAgent == address(0)) return TransferCodes.RECEIVER_NOT_VERIFIED;
        if (trustedKycAgentCount != 0) {
            if (!isTrustedKycAgent[fromAgent]) return TransferCodes.SENDER_KYC_NOT_TRUSTED;
            if (!isTrustedKycAgent[toAgent]) return TransferCodes.RECEIVER_KYC_NOT_TRUSTED;
        }
        return TransferCodes.OK;
    }

    /// @dev Whether `to` may receive: a real address verified by a provider the asset trusts.
    function _receiverCode(address to) private view returns (uint8) {
        if (to == address(0)) return TransferCodes.INVALID_RECEIVER;
        address agent = identityRegistry.verifiedAgent(to);
        if (agent == address(0)) return TransferCodes.RECEIVER_NOT_VERIFIED;
        if (trustedKycAgentCount != 0 && !isTrustedKycAgent[agent]) return TransferCodes.RECEIVER_KYC_NOT_TRUSTED;
        return TransferCodes.OK;
    }

    function _mint(address to, uint256 amount) private {
        uint256 supplyAfter = totalSupply() + amount;
        if (maxSupply != 0 && supplyAfter > maxSupply) revert SupplyCapExceeded(maxSupply, supplyAfter);
        uint8 code = isFrozen[to] ? TransferCodes.RECEIVER_FROZEN : _receiverCode(to);
        if (code == TransferCodes.OK) code = compliance.checkAndRecordTransfer(address(0), to, amount);
        if (code != TransferCodes.OK) revert TransferNotCompliant(code, _reason(code));
        uint256 toBalance = balanceOf(to);
        uint48 lastRecord = _advanceRecordClock();
        _write(_balances[to], _history[to], toBalance + amount, lastRecord);
        _write(_supply, _supplyHistory, totalSupply() + amount, lastRecord);
        if (amount != 0 && _creditInvestor(to, toBalance, amount)) holderCount += 1;
        emit Transfer(address(0), to, amount);
    }

    function _move(address from, address to, uint256 amount, uint256 fromBalance) private {
        if (from != to) {
            uint256 toBalance = balanceOf(to);
            uint48 lastRecord = _advanceRecordClock();
            _write(_balances[from], _history[from], fromBalance - amount, lastRecord);
            _write(_balances[to], _history[to], toBalance + amount, lastRecord);
            if (amount != 0) {
                if (_debitInvestor(from, fromBalance, amount)) holderCount -= 1;
                if (_creditInvestor(to, toBalance, amount)) holderCount += 1;
            }
        }
        emit Transfer(from, to, amount);
    }

    function _releaseFrozen(address account, uint256 balance, uint256 amount) private {
        uint256 frozen = frozenTokens(account);
        uint256 free = balance - frozen;
        if (amount > free) {
            uint256 released = amount - free;
            _setFrozen(account, frozen - released);
            emit TokensUnfrozen(account, released);
        }
    }

    function _requireEligibleReceiver(address to) private view {
        uint8 code = _receiverCode(to);
        if (code != TransferCodes.OK) revert TransferNotCompliant(code, _reason(code));
    }

    function _reason(uint8 code) private view returns (string memory) {
        return compliance.reasonText(code);
    }

    function _requireRole(address account, uint8 role) private view {
        uint8 roles = agentRoles[account];
        if (roles & role == 0) {
            if (roles == 0) revert NotAgent(account);
            revert MissingAgentRole(account, role, AgentRoles.name(role));
        }
    }

    function _addAgent(address agent, uint8 roles) private {
        if (agent == address(0)) revert ZeroAddress("agent");
        if (agentRoles[agent] != 0) revert AgentAlreadySet(agent, true);
        if (roles == 0 || roles & ~AgentRoles.ALL != 0) revert InvalidAgentRoles(roles);
        agentRoles[agent] = roles;
        emit AgentAdded(agent);
        emit AgentRolesSet(agent, roles);
    }

    function _selfInvestor(address wallet) private pure returns (bytes32) {
        return bytes32(uint256(uint160(wallet)));
    }

    function _investorBalance(address wallet, bytes32 investor) private view returns (uint256) {
        return investor == _selfInvestor(wallet) ? balanceOf(wallet) : _current(_investorBalances[investor]);
    }

    /// @dev Adds `amount` (> 0) to the investor of `to`, pinning `to` to its investor when it
    /// starts to hold; returns whether the investor held nothing before.
    function _creditInvestor(address to, uint256 toBalance, uint256 amount) private returns (bool newInvestor) {
        bytes32 investor;
        if (toBalance == 0) {
            investor = identityRegistry.investorIdOf(to);
            if (investor == _selfInvestor(to)) return true;
            _holderInvestor[to] = investor;
        } else {
            investor = _holderInvestor[to];
            if (investor == bytes32(0)) return false;
        }
        Balance storage total = _investorBalances[investor];
        uint256 before = _current(total);
        total.value = SafeCast.toUint208(before + amount);
        total.updatedAt = clock();
        return before == 0;
    }

    /// @dev Takes `amount` (> 0) from the investor of `from`; returns whether it now holds nothing.
    function _debitInvestor(address from, uint256 fromBalance, uint256 amount) private returns (bool investorLeft) {
        bytes32 investor = _holderInvestor[from];
        if (investor == bytes32(0)) return fromBalance == amount;
        if (fromBalance == amount) delete _holderInvestor[from];
        Balance storage total = _investorBalances[investor];
        uint256 after_ = _current(total) - amount;
        total.value = SafeCast.toUint208(after_);
        total.updatedAt = clock();
        return after_ == 0;
    }

    function _setFrozen(address account, uint256 amount) private {
        _frozen[account] = FrozenTokens(clock(), SafeCast.toUint208(amount));
    }

    /// @dev Stores a new current value. When a record time has passed since the value was last
    /// written, the old value is what that record time saw: keep it in the history first (unless
    /// it is a zero with no history before it, which a lookup answers as 0 anyway).
    function _write(Balance storage current, Checkpoints.Trace208 storage history, uint256 value, uint48 lastRecord)
        private
    {
        Balance memory old = current;
        if (lastRecord != 0 && lastRecord >= old.updatedAt && (old.value != 0 || history.length() != 0)) {
            history.push(old.updatedAt, old.value);
        }
        current.value = SafeCast.toUint208(value);
        current.updatedAt = clock();
    }

    /// @dev Moves record times that have passed behind `head`; returns the latest one (0: none).
    function _advanceRecordClock() private returns (uint48) {
        RecordClock memory c = _recordClock;
        if (c.next == 0 || c.next >= clock()) return c.lastPassed;
        uint256 n = _recordTimes.length;
        uint256 head = c.head;
        while (head < n && _recordTimes[head] < clock()) {
            c.lastPassed = _recordTimes[head];
            head += 1;
        }
        c.head = uint32(head);
        c.next = head < n ? _recordTimes[head] : 0;
        _recordClock = c;
        return c.lastPassed;
    }

    /// @dev Current value, split-adjusted.
    function _current(Balance storage current) private view returns (uint256) {
        Balance memory b = current;
        return b.value == 0 ? 0 : b.value * _growth(b.updatedAt, clock());
    }

    /// @dev Value at the end of record time `timepoint`, split-adjusted to that time: the current
    /// value if it was written by then, else the history entry in force at `timepoint`.
    function _valueAt(Balance storage current, Checkpoints.Trace208 storage history, uint48 timepoint)
        private
        view
        returns (uint256)
    {
        Balance memory b = current;
        if (b.updatedAt <= timepoint) return b.value * _growth(b.updatedAt, timepoint);
        uint256 n = history.length();
        // Binary search for the first entry written after `timepoint`; the one before it holds.
        uint256 low = 0;
        uint256 high = n;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (history.at(uint32(mid))._key > timepoint) high = mid;
            else low = mid + 1;
        }
        if (low == 0) return 0;
        Checkpoints.Checkpoint208 memory c = history.at(uint32(low - 1));
        return c._value * _growth(c._key, timepoint);
    }

    /// @dev cum(to) / cum(from): how many times larger a value written at `from` is at `to`.
    function _growth(uint48 from, uint48 to) private view returns (uint256) {
        if (_splits.length() == 0) return 1;
        return multiplierAt(to) / multiplierAt(from);
    }

    function _requirePastRecordTime(uint48 timepoint) private view {
        if (!isRecordTime[timepoint]) revert NotARecordTime(timepoint);
        if (timepoint >= clock()) revert FutureLookup(timepoint, clock());
    }
}
