// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {
    RWAOwnable,
    IIdentityRegistry,
    ICompliance,
    TransferCodes,
    AssetInfo,
    BondTerms,
    AgentRoles
} from "./RWACommon.sol";

/// @dev The one predeploy every RWAToken delegates its less frequent functions to
/// (`genesis/predeploys.py` RWA_TOKEN_EXTENSION).
address constant RWA_TOKEN_EXTENSION = 0x420000000000000000000000000000000000080a;
/// @dev The CorporateActions predeploy (`genesis/predeploys.py` CORPORATE_ACTIONS): the only
/// caller that may withdraw a record time.
address constant CORPORATE_ACTIONS = 0x4200000000000000000000000000000000000805;

/// @title RWATokenBase
/// @notice The state, events, errors and internal rules of an RWA asset, shared by the two
/// contracts that run on it: `RWAToken` (the asset's address delegates to it: ERC-20, the
/// checked transfer, mint, burn, freeze, pause, snapshots) and `RWATokenExtension` (the asset's
/// `fallback` delegates to it: administration, batches, forced transfer, recovery, splits,
/// documents, ERC-7943 and ERC-2612). Both run in the asset's storage, so both must have exactly
/// this layout: state is declared here only, and only appended (docs/rwa-upgrades.md;
/// tests/rwa/test_rwa_storage_layout.py checks the two layouts are equal).
abstract contract RWATokenBase is RWAOwnable, IERC20Metadata, IERC20Errors, IERC6372 {
    using Checkpoints for Checkpoints.Trace208;

    /// @dev A current balance (or the supply) in fine units at `updatedAt` (see `_unitAt`).
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

    enum HoldStatus {
        None,
        Active,
        Executed,
        Released
    }

    /// @dev A hold: `amount` (in fine units at `since`) of `holder`'s tokens
    /// reserved until `expiry`, which only `notary` may move, and only to `recipient`.
    struct Hold {
        address holder;
        uint48 expiry;
        HoldStatus status;
        address notary;
        address recipient;
        uint48 since;
        uint208 amount;
    }

    struct FrozenTokens {
        uint48 since; // clock() when written, to apply later splits
        uint208 amount; // fine units at `since`
    }

    /// @dev Which scheduled record times have passed, in one slot read by every transfer.
    struct RecordClock {
        uint48 lastPassed; // latest record time < block.timestamp as of the last write, 0 = none
        uint48 next; // earliest record time not yet passed, 0 = none scheduled
        uint32 head; // index in `_recordTimes` of `next`
    }

    uint256 public constant MAX_SPLIT_RATIO = 1000;
    /// @dev A `_splits` checkpoint packs the cumulative forward multiplier (low 104 bits) and the
    /// cumulative consolidation divisor (high 104 bits, 0 meaning 1).
    uint256 internal constant DIVISOR_SHIFT = 104;
    uint256 internal constant MULTIPLIER_MASK = (1 << 104) - 1;
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
    mapping(address => FrozenTokens) internal _frozen;
    mapping(address => Balance) internal _balances;
    mapping(address => Checkpoints.Trace208) internal _history; // updatedAt -> balance, see above
    Balance internal _supply;
    Checkpoints.Trace208 internal _supplyHistory;
    RecordClock internal _recordClock;
    uint48[] internal _recordTimes; // ascending; [0, head) passed, [head, length) pending
    mapping(uint48 => bool) public isRecordTime;
    Checkpoints.Trace208 internal _splits; // effective time -> packed (multiplier, divisor)
    mapping(address => mapping(address => uint256)) public allowance;
    AssetInfo internal _info;
    BondTerms internal _bond;
    mapping(address => bool) public isTrustedKycAgent;
    mapping(address wallet => bytes32) internal _holderInvestor; // 0: the wallet is its own investor
    mapping(bytes32 investorId => Balance) internal _investorBalances; // multi-wallet investors only
    uint256 public maxSupply; // 0: no cap
    mapping(bytes32 name => Document) internal _documents;
    bytes32[] internal _documentNames;
    /// @notice ERC-2612: the next `permit` nonce of each owner.
    mapping(address owner => uint256) public nonces;
    /// @dev `_frozen` holds what an account cannot move: the agents' freeze plus its active holds;
    /// `_held` is the holds' part (so a transfer reads one slot for both).
    mapping(address => FrozenTokens) internal _held;
    mapping(bytes32 holdId => Hold) internal _holds;

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
    /// @notice A reverse split: from `effectiveTime` one unit is worth `ratio` of the old units.
    event ConsolidationScheduled(uint256 ratio, uint48 effectiveTime, uint256 cumulativeDivisor, address indexed agent);
    /// @notice The fraction of a unit `holder` kept after a consolidation was burnt (and paid in cash,
    /// see CorporateActions); `fineUnits` of `unitSize` make one unit.
    event FractionBurned(address indexed holder, uint256 fineUnits, uint256 unitSize);
    event SplitCancelled(uint48 effectiveTime, address indexed agent);
    event RecordTimeScheduled(uint48 recordTime, address indexed agent);
    event TokenInformationUpdated(string name, string symbol);
    event MaxSupplySet(uint256 maxSupply);
    /// @notice ERC-7943: the frozen amount of `account` is now `amount` (any change: a partial
    /// freeze, an unfreeze, `setFrozenTokens`, or tokens released by a burn or forced transfer).
    event Frozen(address indexed account, uint256 amount);

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
    /// @notice A burn, forced transfer or recovery would take tokens under an active hold
    /// (`held` of them): the hold's notary executes or releases it first.
    error TokensOnHold(address account, uint256 held);

    modifier onlyRole(uint8 role) {
        _requireRole(msg.sender, role);
        _;
    }

    modifier onlyOwnerOrRole(uint8 role) {
        if (msg.sender != owner) _requireRole(msg.sender, role);
        _;
    }


    function totalSupply() public view returns (uint256) {
        return _fine(_supply) / _unit();
    }

    function balanceOf(address account) public view returns (uint256) {
        return _fine(_balances[account]) / _unit();
    }

    function clock() public view returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice Cumulative split multiplier in force at `timepoint` (1 before any split).
    function multiplierAt(uint48 timepoint) public view returns (uint256) {
        uint256 m = uint256(_splits.upperLookupRecent(timepoint)) & MULTIPLIER_MASK;
        return m == 0 ? 1 : m;
    }

    /// @notice Cumulative consolidation divisor in force at `timepoint` (1 before any consolidation):
    /// how many fine units make one unit of the asset then.
    function divisorAt(uint48 timepoint) public view returns (uint256) {
        uint256 d = uint256(_splits.upperLookupRecent(timepoint)) >> DIVISOR_SHIFT;
        return d == 0 ? 1 : d;
    }

    /// @notice What `account` kept after a consolidation that makes no whole unit, in fine units
    /// (`divisorAt(clock())` of them make one unit); burnt against cash by `burnFraction`.
    function fractionOf(address account) public view returns (uint256 fineUnits) {
        return _fine(_balances[account]) % _unit();
    }

    /// @notice Tokens of `account` that cannot move (partial freeze), split-adjusted; a fraction
    /// of a unit left frozen by a consolidation counts as a whole unit.
    function frozenTokens(address account) public view returns (uint256) {
        return _ceilUnits(_splitAdjusted(_frozen[account]) - _splitAdjusted(_held[account]));
    }

    /// @notice Tokens of `account` reserved by active holds, split-adjusted (rounded up).
    function heldBalanceOf(address account) public view returns (uint256) {
        return _ceilUnits(_splitAdjusted(_held[account]));
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

    function transfer(address to, uint256 amount) external returns (bool) {
        _transferChecked(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spendAllowance(from, amount);
        _transferChecked(from, to, amount);
        return true;
    }

    /// @dev The caller spends `amount` of `from`'s allowance to it (an unlimited one stays).
    function _spendAllowance(address from, uint256 amount) internal {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert ERC20InsufficientAllowance(msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
        }
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(spender);
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=timestamp";
    }

    function _transferChecked(address from, address to, uint256 amount) internal {
        uint256 unit = _unit();
        uint256 fromFine = _fine(_balances[from]);
        uint8 code = _tokenChecks(from, to, amount, fromFine, unit);
        if (code == TransferCodes.OK) code = compliance.checkAndRecordTransfer(from, to, amount);
        if (code != TransferCodes.OK) revert TransferNotCompliant(code, _reason(code));
        _move(from, to, amount * unit, amount, fromFine);
    }

    // --- internals ---

    function _burn(address from, uint256 amount) internal {
        uint256 balance = balanceOf(from);
        if (amount > balance) revert ERC20InsufficientBalance(from, balance, amount);
        uint256 unit = _unit();
        _releaseFrozen(from, amount * unit);
        _burnFine(from, amount * unit);
        emit IERC20.Transfer(from, address(0), amount);
    }

    /// @dev Takes `fineAmount` (not more than the balance) from `from` and from the supply.
    function _burnFine(address from, uint256 fineAmount) internal {
        uint256 fromFine = _fine(_balances[from]);
        uint48 lastRecord = _advanceRecordClock();
        _write(_balances[from], _history[from], fromFine - fineAmount, lastRecord);
        _write(_supply, _supplyHistory, _fine(_supply) - fineAmount, lastRecord);
        if (fineAmount != 0 && _debitInvestor(from, fromFine, fineAmount)) holderCount -= 1;
    }

    /// @dev The batch forms of mint, burn and partial freeze: `op(accounts[i], amounts[i])` for each i.
    function _forEachAmount(
        address[] calldata accounts,
        uint256[] calldata amounts,
        function(address, uint256) internal op
    ) internal {
        if (accounts.length != amounts.length) revert LengthMismatch(accounts.length, amounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            op(accounts[i], amounts[i]);
        }
    }

    function _setAddressFrozen(address account, bool frozen) internal {
        isFrozen[account] = frozen;
        emit AddressFrozen(account, frozen, msg.sender);
    }

    function _freezePartial(address account, uint256 amount) internal {
        uint256 balance = balanceOf(account);
        uint256 frozenAfter = frozenTokens(account) + amount;
        if (frozenAfter > balance) revert FreezeExceedsBalance(account, balance, frozenAfter);
        _setFrozen(account, frozenAfter);
        emit TokensFrozen(account, amount);
    }

    /// @dev `fromFine`: the sender's balance in fine units, `unit` fine units to a unit.
    function _tokenChecks(address from, address to, uint256 amount, uint256 fromFine, uint256 unit)
        internal
        view
        returns (uint8)
    {
        if (to == address(0)) return TransferCodes.INVALID_RECEIVER;
        if (paused) return TransferCodes.PAUSED;
        if (isFrozen[from]) return TransferCodes.SENDER_FROZEN;
        if (isFrozen[to]) return TransferCodes.RECEIVER_FROZEN;
        if (fromFine / unit < amount) return TransferCodes.INSUFFICIENT_BALANCE;
        if (_unfrozen(from, fromFine) / unit < amount) return TransferCodes.BALANCE_FROZEN;
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
    function _receiverCode(address to) internal view returns (uint8) {
        if (to == address(0)) return TransferCodes.INVALID_RECEIVER;
        address agent = identityRegistry.verifiedAgent(to);
        if (agent == address(0)) return TransferCodes.RECEIVER_NOT_VERIFIED;
        if (trustedKycAgentCount != 0 && !isTrustedKycAgent[agent]) return TransferCodes.RECEIVER_KYC_NOT_TRUSTED;
        return TransferCodes.OK;
    }

    function _mint(address to, uint256 amount) internal {
        uint256 supplyAfter = totalSupply() + amount;
        if (maxSupply != 0 && supplyAfter > maxSupply) revert SupplyCapExceeded(maxSupply, supplyAfter);
        uint8 code = isFrozen[to] ? TransferCodes.RECEIVER_FROZEN : _receiverCode(to);
        if (code == TransferCodes.OK) code = compliance.checkAndRecordTransfer(address(0), to, amount);
        if (code != TransferCodes.OK) revert TransferNotCompliant(code, _reason(code));
        uint256 fineAmount = amount * _unit();
        uint256 toFine = _fine(_balances[to]);
        uint48 lastRecord = _advanceRecordClock();
        _write(_balances[to], _history[to], toFine + fineAmount, lastRecord);
        _write(_supply, _supplyHistory, _fine(_supply) + fineAmount, lastRecord);
        if (amount != 0 && _creditInvestor(to, toFine, fineAmount)) holderCount += 1;
        emit IERC20.Transfer(address(0), to, amount);
    }

    /// @dev Moves `fineAmount` fine units (`amount` units, the figure the event shows) of the
    /// `fromFine` that `from` holds.
    function _move(address from, address to, uint256 fineAmount, uint256 amount, uint256 fromFine) internal {
        if (from != to) {
            uint256 toFine = _fine(_balances[to]);
            uint48 lastRecord = _advanceRecordClock();
            _write(_balances[from], _history[from], fromFine - fineAmount, lastRecord);
            _write(_balances[to], _history[to], toFine + fineAmount, lastRecord);
            if (fineAmount != 0) {
                if (_debitInvestor(from, fromFine, fineAmount)) holderCount -= 1;
                if (_creditInvestor(to, toFine, fineAmount)) holderCount += 1;
            }
        }
        emit IERC20.Transfer(from, to, amount);
    }

    /// @dev Fine units of `fine` that `account` may move: the frozen amount may exceed the balance
    /// (ERC-7943 `setFrozenTokens` freezes future receipts too), so this saturates at 0.
    function _unfrozen(address account, uint256 fine) internal view returns (uint256) {
        uint256 blocked = _blockedFine(account);
        return fine > blocked ? fine - blocked : 0;
    }

    /// @dev Frozen plus held fine units of `account` (one slot), split-adjusted.
    function _blockedFine(address account) internal view returns (uint256) {
        return _splitAdjusted(_frozen[account]);
    }

    /// @dev A stored amount in fine units now.
    function _splitAdjusted(FrozenTokens storage stored) internal view returns (uint256) {
        FrozenTokens memory f = stored;
        return f.amount == 0 ? 0 : f.amount * _growth(f.since, clock());
    }

    /// @dev Before an agent takes `fineAmount` of `account` (burn, forced transfer): frozen tokens
    /// are released as needed, held ones never.
    function _releaseFrozen(address account, uint256 fineAmount) internal {
        uint256 fine = _fine(_balances[account]);
        uint256 held = _splitAdjusted(_held[account]);
        if (fineAmount > fine - held) revert TokensOnHold(account, _ceilUnits(held));
        uint256 frozen = _blockedFine(account) - held;
        uint256 free = fine - held > frozen ? fine - held - frozen : 0;
        if (fineAmount > free) {
            uint256 released = fineAmount - free;
            _setFrozenFine(account, frozen - released);
            emit TokensUnfrozen(account, _ceilUnits(released));
        }
    }

    function _requireEligibleReceiver(address to) internal view {
        uint8 code = _receiverCode(to);
        if (code != TransferCodes.OK) revert TransferNotCompliant(code, _reason(code));
    }

    function _reason(uint8 code) internal view returns (string memory) {
        return compliance.reasonText(code);
    }

    function _requireRole(address account, uint8 role) internal view {
        uint8 roles = agentRoles[account];
        if (roles & role == 0) {
            if (roles == 0) revert NotAgent(account);
            revert MissingAgentRole(account, role, AgentRoles.name(role));
        }
    }

    function _addAgent(address agent, uint8 roles) internal {
        if (agent == address(0)) revert ZeroAddress("agent");
        if (agentRoles[agent] != 0) revert AgentAlreadySet(agent, true);
        if (roles == 0 || roles & ~AgentRoles.ALL != 0) revert InvalidAgentRoles(roles);
        agentRoles[agent] = roles;
        emit AgentAdded(agent);
        emit AgentRolesSet(agent, roles);
    }

    function _selfInvestor(address wallet) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(wallet)));
    }

    function _investorBalance(address wallet, bytes32 investor) internal view returns (uint256) {
        return investor == _selfInvestor(wallet) ? balanceOf(wallet) : _fine(_investorBalances[investor]) / _unit();
    }

    /// @dev Adds `amount` fine units (> 0) to the investor of `to`, pinning `to` to its investor
    /// when it starts to hold; returns whether the investor held nothing before.
    function _creditInvestor(address to, uint256 toBalance, uint256 amount) internal returns (bool newInvestor) {
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
        uint256 before = _fine(total);
        total.value = SafeCast.toUint208(before + amount);
        total.updatedAt = clock();
        return before == 0;
    }

    /// @dev Takes `amount` fine units (> 0) from the investor of `from`; returns whether it now
    /// holds nothing (not even a fraction).
    function _debitInvestor(address from, uint256 fromBalance, uint256 amount) internal returns (bool investorLeft) {
        bytes32 investor = _holderInvestor[from];
        if (investor == bytes32(0)) return fromBalance == amount;
        if (fromBalance == amount) delete _holderInvestor[from];
        Balance storage total = _investorBalances[investor];
        uint256 after_ = _fine(total) - amount;
        total.value = SafeCast.toUint208(after_);
        total.updatedAt = clock();
        return after_ == 0;
    }

    /// @dev Sets the agents' frozen amount of `account` to `amount` units (its holds stay blocked
    /// on top).
    function _setFrozen(address account, uint256 amount) internal {
        _setFrozenFine(account, amount * _unit());
    }

    function _setFrozenFine(address account, uint256 fineAmount) internal {
        _frozen[account] = FrozenTokens(clock(), SafeCast.toUint208(fineAmount + _splitAdjusted(_held[account])));
        emit Frozen(account, _ceilUnits(fineAmount));
    }

    /// @dev Stores a new current value (fine units). When a record time has passed since the value was last
    /// written, the old value is what that record time saw: keep it in the history first (unless
    /// it is a zero with no history before it, which a lookup answers as 0 anyway).
    function _write(Balance storage current, Checkpoints.Trace208 storage history, uint256 value, uint48 lastRecord)
        internal
    {
        Balance memory old = current;
        if (lastRecord != 0 && lastRecord >= old.updatedAt && (old.value != 0 || history.length() != 0)) {
            history.push(old.updatedAt, old.value);
        }
        current.value = SafeCast.toUint208(value);
        current.updatedAt = clock();
    }

    /// @dev Moves record times that have passed behind `head`; returns the latest one (0: none).
    function _advanceRecordClock() internal returns (uint48) {
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

    /// @dev Current value in fine units, split-adjusted.
    function _fine(Balance storage current) internal view returns (uint256) {
        Balance memory b = current;
        return b.value == 0 ? 0 : b.value * _growth(b.updatedAt, clock());
    }

    /// @dev Fine units per unit now: the consolidation divisor in force (1 without any).
    function _unit() internal view returns (uint256) {
        if (_splits.length() == 0) return 1;
        return divisorAt(clock());
    }

    function _ceilUnits(uint256 fineAmount) internal view returns (uint256) {
        uint256 unit = _unit();
        return (fineAmount + unit - 1) / unit;
    }

    /// @dev Units at the end of record time `timepoint` (whole units then: fractions left by a
    /// consolidation are not counted).
    function _unitsAt(Balance storage current, Checkpoints.Trace208 storage history, uint48 timepoint)
        internal
        view
        returns (uint256)
    {
        uint256 fine = _valueAt(current, history, timepoint);
        return _splits.length() == 0 ? fine : fine / divisorAt(timepoint);
    }

    /// @dev Value in fine units at the end of record time `timepoint`, split-adjusted to that time:
    /// the current value if it was written by then, else the history entry in force at `timepoint`.
    function _valueAt(Balance storage current, Checkpoints.Trace208 storage history, uint48 timepoint)
        internal
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
    function _growth(uint48 from, uint48 to) internal view returns (uint256) {
        if (_splits.length() == 0) return 1;
        return multiplierAt(to) / multiplierAt(from);
    }

    function _requirePastRecordTime(uint48 timepoint) internal view {
        if (!isRecordTime[timepoint]) revert NotARecordTime(timepoint);
        if (timepoint >= clock()) revert FutureLookup(timepoint, clock());
    }
}
