// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {AssetInfo, BondTerms, AgentRoles, TransferCodes, IIdentityRegistry, ICompliance} from "./RWACommon.sol";
import {RWATokenBase, RWA_TOKEN_EXTENSION, CORPORATE_ACTIONS} from "./RWATokenBase.sol";

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
/// A record time is withdrawn only by CorporateActions (`unscheduleRecordTime`), when it cancels
/// the last distribution recorded at it, so a market clearing that a pending record time holds
/// back (CallAuction refuses a settlement window spanning one) resumes at once.
///
/// Holds: a holder reserves part of its free balance for a notary (a venue, a settlement agent)
/// until an expiry (`createHold`); the tokens stay in its balance and snapshots but cannot move,
/// be burnt, force-transferred or recovered away (`TokensOnHold`) until the notary executes the
/// hold to the recipient named in it, as a checked transfer by the holder (`executeHold`), or it
/// is released (`releaseHold`: the notary any time, anyone after expiry). The held amount shares
/// the slot a transfer already reads for frozen tokens; `frozenTokens` reports the agents' part.
/// Hold ids are namespaced by their creator: a hold made with id `userHoldId` is kept under
/// `holdIdOf(creator, userHoldId)` (the creator is the holder for `createHold`, the spender and
/// notary for `createHoldFrom`), so nobody can occupy the id of another's hold: a holder who
/// copies a pending trade's id from its signed terms takes only its own id, and the settlement
/// engine's affirm (hold id = the trade id, in the engine's namespace) still goes through.
///
/// Stock splits are O(1) and exact: `scheduleSplit(ratio, effectiveTime)` appends the cumulative
/// multiplier to a split history. A stored value (balance, history entry, frozen amount, supply)
/// written at time k is worth
/// `value * cum(t) / cum(k)` at time t, where `cum` is the product of the integer ratios of all
/// splits effective at or before that time; `cum(k)` divides `cum(t)`, so the result is an exact
/// integer. A split must take effect strictly in the future, so no value in the current block is
/// ambiguous. Balances change at the effective time without `Transfer` events (as in any
/// rebasing token); allowances, compliance limits and daily volumes are not scaled.
///
/// Consolidations (reverse splits, `scheduleConsolidation(ratio, effectiveTime)`: 10-into-1 is
/// `ratio = 10`) cannot be exact for every balance, so values are stored in *fine units*: a
/// consolidation does not touch stored values but multiplies how many fine units make one unit
/// (`divisorAt`, packed beside the forward multiplier in the same split history). A balance is
/// `floor(fine / divisor)` units; what is left over (`fractionOf`, less than one unit) stays the
/// holder's, is never lost and cannot move, until it is burnt against cash at the reference price
/// (`burnFraction`, called by CorporateActions' `cashOutFractions`, see there). Fine units are
/// conserved exactly (the fine supply is the sum of the fine balances); `totalSupply` is the fine
/// supply in whole units, so it exceeds the sum of the balances by the outstanding fractions until
/// they are cashed out. Frozen and held amounts are kept in fine units too and read rounded up.
///
/// Two contracts, one storage: this one holds the hot paths (ERC-20, the checked transfer, mint,
/// burn, freeze, pause, snapshots, the views Compliance and CorporateActions call); every other
/// function (administration, batch forms, forced transfer, recovery, splits, documents, ERC-165,
/// ERC-7943, ERC-2612 permit) is in `RWATokenExtension`, a predeploy this contract's `fallback`
/// delegates to, so it runs on the asset's own storage with the caller as `msg.sender`
/// (`RWATokenBase` declares the shared state). The SDK joins the two ABIs (`rwa.contracts`).
///
/// Deployment: instances are EIP-1167 clones made by the AssetFactory and set up by
/// `initialize(TokenConfig)`. The implementation itself is a predeploy: place its runtime code at
/// the genesis address and write `type(uint64).max` to the OpenZeppelin `Initializable` slot
/// (`INITIALIZABLE_SLOT` in RWACommon.sol) so nobody can initialize the implementation (a
/// normally deployed implementation does this in its constructor).
contract RWAToken is RWATokenBase {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice `holdId` is the namespaced id (`holdIdOf(creator, userHoldId)`).
    event HoldCreated(
        bytes32 indexed holdId,
        address indexed holder,
        address indexed notary,
        address recipient,
        uint256 amount,
        uint48 expiry
    );
    event HoldExecuted(bytes32 indexed holdId, address indexed notary, uint256 amount);
    event HoldReleased(bytes32 indexed holdId, address indexed by, uint256 amount);
    event RecordTimeUnscheduled(uint48 recordTime, address indexed by);

    /// @notice ERC-7943: `amount` is more than the `unfrozen` part of the balance of `account`.
    error ERC7943InsufficientUnfrozenBalance(address account, uint256 amount, uint256 unfrozen);
    /// @notice The creator already used this id (`holdId` is the namespaced id).
    error HoldExists(bytes32 holdId);
    /// @notice A hold needs a notary, a recipient, an amount and an expiry in the future.
    error InvalidHold(bytes32 holdId);
    /// @notice The hold is not active (`status`: 0 none, 2 executed, 3 released).
    error HoldNotActive(bytes32 holdId, uint8 status);
    error NotHoldNotary(bytes32 holdId, address caller);
    error HoldExpired(bytes32 holdId, uint48 expiry);
    /// @notice Before its expiry only the notary releases a hold.
    error HoldNotExpired(bytes32 holdId, uint48 expiry);
    /// @notice Only CorporateActions withdraws a record time (its distributions rely on them).
    error NotCorporateActions(address caller);
    /// @notice `recordTime` is not a scheduled record time still to come.
    error RecordTimeNotPending(uint48 recordTime);

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

    /// @notice Balance of `account` at the end of record time `timepoint` (scheduled and passed).
    function balanceOfAt(address account, uint48 timepoint) external view returns (uint256) {
        _requirePastRecordTime(timepoint);
        return _unitsAt(_balances[account], _history[account], timepoint);
    }

    function totalSupplyAt(uint48 timepoint) external view returns (uint256) {
        _requirePastRecordTime(timepoint);
        return _unitsAt(_supply, _supplyHistory, timepoint);
    }

    /// @notice How many splits have taken effect (0 before the first). A trade binds it when
    /// signed, so a trade signed before a split never settles after it at the old unit count.
    function splitEpoch() external view returns (uint256 epoch) {
        epoch = _splits.length();
        while (epoch != 0 && _splits.at(uint32(epoch - 1))._key > clock()) epoch -= 1;
    }

    function mint(address to, uint256 amount) external onlyRole(AgentRoles.SUPPLY) {
        _mint(to, amount);
    }

    /// @dev Here rather than in the extension: issuance mints to many holders at once, and every
    /// call level costs `eth_estimateGas` more probes of the whole batch.
    function batchMint(address[] calldata to, uint256[] calldata amounts) external onlyRole(AgentRoles.SUPPLY) {
        _forEachAmount(to, amounts, _mint);
    }

    /// @notice Burns `amount` of `from` (redemption, cancellation); frozen tokens are released
    /// first when the unfrozen balance is not enough.
    function burn(address from, uint256 amount) external onlyRole(AgentRoles.SUPPLY) {
        _burn(from, amount);
    }

    /// @notice Burns what `holder` keeps below one unit after a consolidation and returns it in
    /// fine units (`fineUnits` of `unitSize` make one unit) for the caller to pay; 0 when there is
    /// none or when it is frozen or held (it stays until released).
    function burnFraction(address holder)
        external
        onlyRole(AgentRoles.SUPPLY)
        returns (uint256 fineUnits, uint256 unitSize)
    {
        unitSize = _unit();
        uint256 fine = _fine(_balances[holder]);
        fineUnits = fine % unitSize;
        if (fineUnits == 0 || isFrozen[holder] || fine - fineUnits < _blockedFine(holder)) return (0, unitSize);
        _burnFine(holder, fineUnits);
        emit FractionBurned(holder, fineUnits, unitSize);
    }

    function setAddressFrozen(address account, bool frozen) external onlyRole(AgentRoles.FREEZE) {
        _setAddressFrozen(account, frozen);
    }

    function freezePartialTokens(address account, uint256 amount) external onlyRole(AgentRoles.FREEZE) {
        _freezePartial(account, amount);
    }

    function unfreezePartialTokens(address account, uint256 amount) external onlyRole(AgentRoles.FREEZE) {
        uint256 frozen = frozenTokens(account);
        if (amount > frozen) revert UnfreezeExceedsFrozen(account, frozen, amount);
        _setFrozen(account, frozen - amount);
        emit TokensUnfrozen(account, amount);
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

    /// @notice Withdraws `recordTime`, scheduled and still to come (CorporateActions only, when it
    /// cancels the last distribution recorded at it): `isRecordTime` and `recordTimes` forget it.
    function unscheduleRecordTime(uint48 recordTime) external {
        if (msg.sender != CORPORATE_ACTIONS) revert NotCorporateActions(msg.sender);
        _advanceRecordClock();
        if (!isRecordTime[recordTime] || recordTime < clock()) revert RecordTimeNotPending(recordTime);
        RecordClock memory c = _recordClock;
        // Pending times are [head, length), ascending, and `recordTime` (not passed) is among them.
        uint256 last = _recordTimes.length - 1;
        uint256 i = c.head;
        while (_recordTimes[i] != recordTime) i += 1;
        for (; i < last; ++i) {
            _recordTimes[i] = _recordTimes[i + 1];
        }
        _recordTimes.pop();
        isRecordTime[recordTime] = false;
        c.next = c.head < last ? _recordTimes[c.head] : 0;
        _recordClock = c;
        emit RecordTimeUnscheduled(recordTime, msg.sender);
    }

    // --- holds -----------------------------------------------------------------------------------

    /// @notice The id under which the hold `creator` made with its own id `userHoldId` is kept.
    function holdIdOf(address creator, bytes32 userHoldId) public pure returns (bytes32) {
        return keccak256(abi.encode(creator, userHoldId));
    }

    /// @notice Reserves `amount` of the caller's free tokens until `expiry`: they stay in the
    /// caller's balance (and its record-date snapshots) but cannot move, except by `notary`
    /// executing the hold, which transfers them to `recipient` through the asset's checks. A
    /// counterparty, venue or escrow agent can so rely on the tokens being there at settlement.
    /// Returns the hold's id, `holdIdOf(msg.sender, userHoldId)`.
    function createHold(bytes32 userHoldId, address notary, address recipient, uint256 amount, uint48 expiry)
        external
        returns (bytes32 holdId)
    {
        return _createHold(holdIdOf(msg.sender, userHoldId), msg.sender, notary, recipient, amount, expiry);
    }

    /// @notice A spender creates a hold on `holder`'s tokens with itself as notary, spending
    /// `amount` of the holder's allowance to it as `transferFrom` would (the hold is a transfer the
    /// spender may make later): a settlement engine so locks a trade's asset leg in the same
    /// transaction that affirms it. Returns the hold's id, `holdIdOf(msg.sender, userHoldId)`.
    function createHoldFrom(address holder, bytes32 userHoldId, address recipient, uint256 amount, uint48 expiry)
        external
        returns (bytes32 holdId)
    {
        _spendAllowance(holder, amount);
        return _createHold(holdIdOf(msg.sender, userHoldId), holder, msg.sender, recipient, amount, expiry);
    }

    function _createHold(bytes32 holdId, address holder, address notary, address recipient, uint256 amount, uint48 expiry)
        private
        returns (bytes32)
    {
        if (_holds[holdId].status != HoldStatus.None) revert HoldExists(holdId);
        if (notary == address(0) || recipient == address(0) || amount == 0 || expiry <= clock()) {
            revert InvalidHold(holdId);
        }
        uint256 free = _unfrozen(holder, _fine(_balances[holder])) / _unit();
        if (amount > free) revert ERC7943InsufficientUnfrozenBalance(holder, amount, free);
        uint256 fineAmount = amount * _unit();
        _holds[holdId] = Hold(holder, expiry, HoldStatus.Active, notary, recipient, clock(), SafeCast.toUint208(fineAmount));
        _addHeld(holder, fineAmount, true);
        emit HoldCreated(holdId, holder, notary, recipient, amount, expiry);
        return holdId;
    }

    /// @notice The notary moves the held tokens to the hold's recipient (before expiry), as a
    /// transfer by the holder: identity, freeze, pause and compliance apply.
    function executeHold(bytes32 holdId) external returns (bool) {
        Hold storage h = _activeHold(holdId);
        if (msg.sender != h.notary) revert NotHoldNotary(holdId, msg.sender);
        if (clock() > h.expiry) revert HoldExpired(holdId, h.expiry);
        uint256 fineAmount = h.amount * _growth(h.since, clock());
        h.status = HoldStatus.Executed;
        _addHeld(h.holder, fineAmount, false);
        // Whole units move; a fraction a consolidation left in the hold stays with the holder.
        uint256 amount = fineAmount / _unit();
        _transferChecked(h.holder, h.recipient, amount);
        emit HoldExecuted(holdId, msg.sender, amount);
        return true;
    }

    /// @notice Frees the held tokens: the notary at any time, anyone once the hold has expired.
    function releaseHold(bytes32 holdId) external returns (bool) {
        Hold storage h = _activeHold(holdId);
        if (msg.sender != h.notary && clock() <= h.expiry) revert HoldNotExpired(holdId, h.expiry);
        uint256 fineAmount = h.amount * _growth(h.since, clock());
        h.status = HoldStatus.Released;
        _addHeld(h.holder, fineAmount, false);
        emit HoldReleased(holdId, msg.sender, fineAmount / _unit());
        return true;
    }

    /// @notice A hold's parties, its amount (split-adjusted), expiry and status, by its namespaced id.
    function holdOf(bytes32 holdId)
        external
        view
        returns (address holder, address notary, address recipient, uint256 amount, uint48 expiry, HoldStatus status)
    {
        Hold memory h = _holds[holdId];
        return (h.holder, h.notary, h.recipient, h.amount * _growth(h.since, clock()) / _unit(), h.expiry, h.status);
    }

    function _activeHold(bytes32 holdId) private view returns (Hold storage h) {
        h = _holds[holdId];
        if (h.status != HoldStatus.Active) revert HoldNotActive(holdId, uint8(h.status));
    }

    /// @dev Adds (or removes) `amount` fine units to both the holds' part and the blocked total of
    /// `holder`.
    function _addHeld(address holder, uint256 amount, bool add) private {
        uint256 held = _splitAdjusted(_held[holder]);
        uint256 blocked = _blockedFine(holder);
        _held[holder] = FrozenTokens(clock(), SafeCast.toUint208(add ? held + amount : held - amount));
        _frozen[holder] = FrozenTokens(clock(), SafeCast.toUint208(add ? blocked + amount : blocked - amount));
    }

    function isAgent(address account) external view returns (bool) {
        return agentRoles[account] != 0;
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

    /// @notice Every function not defined here runs in `RWATokenExtension`, on this storage.
    fallback() external {
        address extension = RWA_TOKEN_EXTENSION;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), extension, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
