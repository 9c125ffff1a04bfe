// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICompliance, IIdentityRegistry, IRWAToken, TransferCodes} from "./RWACommon.sol";

interface IReserveGuard {
    function checkIssuance(address asset, uint256 amount) external; // caches the reserve per transaction
}

/// @title Compliance
/// @notice Per-asset transfer rules, one shared contract for every asset. Each rule is
/// independent and off when zero/false, so an asset composes any subset:
///   - allowed jurisdictions (receiver's ISO 3166 country must be on the asset's list),
///   - professional investors only (receiver must be an SFO professional investor),
///   - maximum number of holders (investors, see below),
///   - maximum balance per investor (over all the investor's wallets),
///   - lock-up until a date (no investor-to-investor transfer before it; issuance is allowed),
///   - daily transfer limit per sending investor (UTC day = block.timestamp / 1 days),
///   - per-holder lock-ups (`setHolderLockup`: this wallet sends nothing before its date, e.g. an
///     anchor investor's or a founder's allocation), read only by assets that set one.
/// Limits count investors, not wallets: the token says which investor a wallet belongs to and what
/// each holds over all its wallets (`RWAToken.investorBalances`, from the registry's salted
/// investor ids), so a second wallet on another platform does not double a cap; moving between
/// two wallets of one investor neither adds a holder nor counts against its maximum.
/// Rules are set by the asset's owner (issuer) only: an agent's key, which moves tokens every
/// day, cannot also loosen the rules they are checked against. Issuance and forced transfers
/// (`from == 0`) are checked against the receiver rules only (jurisdiction, category, holders,
/// balance).
///
/// Venue filtering (as Polymesh's): the issuer also lists the alliance venues (`VenueRegistry`
/// operators) whose books may trade the asset in a `CallAuction` (`setVenuesAllowed`,
/// `isVenueAllowed`); none by default.
///
/// The `CallAuction` is a custodian, not an investor: while an auction settles it holds the sold
/// shares for their buyers. So it is no holder (`maxHolders` counts the investors besides it), has
/// no maximum balance, and its pay-outs and refunds count against no daily limit; the investors on
/// either side are checked as in any transfer (a seller's sale into custody counts against its
/// daily limit, a buyer's pay-out against its maximum balance and the holder cap).
///
/// Predeploy: stateless until assets configure it. Place the runtime code at the genesis address;
/// nothing to initialize and no storage to set.
contract Compliance is ICompliance {
    /// @notice The DeviceRegistry predeploy (genesis/predeploys.py), whose reserve guard every
    /// mint consults (`checkAndRecordTransfer` with `from == 0`; forced transfers do not mint).
    address public constant DEVICE_REGISTRY = 0x4200000000000000000000000000000000000809;
    /// @notice The CallAuction predeploy (genesis/predeploys.py): a custodian, not an investor
    /// (see the notes above).
    address public constant CALL_AUCTION = 0x4200000000000000000000000000000000000808;

    /// @notice The rules an issuer sets (`setRules`) and reads (`rules`).
    struct RulesInput {
        uint64 lockupUntil; // unix seconds; 0 = no lock-up
        uint32 maxHolders; // 0 = unlimited
        bool countryRestricted; // true = only `isCountryAllowed` receivers
        bool professionalOnly;
        uint128 maxBalance; // token units; 0 = unlimited
        uint128 dailyLimit; // token units per sender per UTC day; 0 = unlimited
    }

    /// @dev As stored: two slots per asset. `holderLockups` sits in the first slot's free bytes
    /// (zero in records written before it existed), so assets without per-holder lock-ups pay no
    /// extra read.
    struct Rules {
        uint64 lockupUntil;
        uint32 maxHolders;
        bool countryRestricted;
        bool professionalOnly;
        bool holderLockups; // some holder of the asset has a lock-up date
        uint128 maxBalance;
        uint128 dailyLimit;
    }

    struct DailyVolume {
        uint64 day;
        uint192 amount;
    }

    mapping(address asset => Rules) private _rules;
    mapping(address asset => mapping(uint16 country => bool)) public isCountryAllowed;
    mapping(address asset => mapping(bytes32 investorId => DailyVolume)) private _daily;
    /// @notice Until when (unix seconds) `holder` may send nothing of `asset`.
    mapping(address asset => mapping(address holder => uint64)) public holderLockupUntil;
    mapping(address asset => mapping(address venue => bool)) public isVenueAllowed;

    event RulesSet(
        address indexed asset,
        uint64 lockupUntil,
        uint32 maxHolders,
        bool countryRestricted,
        bool professionalOnly,
        uint128 maxBalance,
        uint128 dailyLimit,
        address indexed by
    );
    event HolderLockupSet(address indexed asset, address indexed holder, uint64 lockedUntil);
    event CountryAllowed(address indexed asset, uint16 indexed country, bool allowed, address indexed by);
    event VenueAllowed(address indexed asset, address indexed venue, bool allowed, address indexed by);

    event DailyVolumeReleased(address indexed asset, bytes32 indexed investorId, uint256 amount, uint64 day);

    /// @notice Only the `CallAuction` gives back daily volume.
    error NotCallAuction(address caller);
    /// @notice Only the asset's owner (issuer) changes its rules.
    error NotAssetOwner(address asset, address caller);

    modifier onlyAssetOwner(address asset) {
        if (msg.sender != IRWAToken(asset).owner()) revert NotAssetOwner(asset, msg.sender);
        _;
    }

    // --- configuration (issuer of the asset) ---------------------------------------------------

    function setRules(address asset, RulesInput calldata newRules) external onlyAssetOwner(asset) {
        _rules[asset] = Rules(
            newRules.lockupUntil,
            newRules.maxHolders,
            newRules.countryRestricted,
            newRules.professionalOnly,
            _rules[asset].holderLockups,
            newRules.maxBalance,
            newRules.dailyLimit
        );
        emit RulesSet(
            asset,
            newRules.lockupUntil,
            newRules.maxHolders,
            newRules.countryRestricted,
            newRules.professionalOnly,
            newRules.maxBalance,
            newRules.dailyLimit,
            msg.sender
        );
    }

    /// @notice Locks `holder`'s balance of `asset` until `lockedUntil` (0 or a past date: none).
    function setHolderLockup(address asset, address holder, uint64 lockedUntil) external onlyAssetOwner(asset) {
        holderLockupUntil[asset][holder] = lockedUntil;
        _rules[asset].holderLockups = true;
        emit HolderLockupSet(asset, holder, lockedUntil);
    }

    function setCountriesAllowed(address asset, uint16[] calldata countries, bool allowed)
        external
        onlyAssetOwner(asset)
    {
        for (uint256 i; i < countries.length; ++i) {
            isCountryAllowed[asset][countries[i]] = allowed;
            emit CountryAllowed(asset, countries[i], allowed, msg.sender);
        }
    }

    function setVenuesAllowed(address asset, address[] calldata venues, bool allowed) external onlyAssetOwner(asset) {
        for (uint256 i; i < venues.length; ++i) {
            isVenueAllowed[asset][venues[i]] = allowed;
            emit VenueAllowed(asset, venues[i], allowed, msg.sender);
        }
    }

    // --- checks --------------------------------------------------------------------------------

    /// @notice Whether the rules of `asset` allow moving `amount` from `from` (0 = issuance) to
    /// `to`, with a reason code (see `TransferCodes`, 0 = allowed) and its text.
    function canTransfer(address asset, address from, address to, uint256 amount)
        external
        view
        returns (uint8 code, string memory reason)
    {
        code = _check(asset, _rules[asset], from, to, amount);
        reason = TransferCodes.text(code);
    }

    /// @notice Called by the asset itself (msg.sender) before it moves tokens: checks the rules and,
    /// when allowed, records the sender's daily volume. Returns the reason code; the token reverts
    /// when it is not zero, which also undoes the recording.
    function checkAndRecordTransfer(address from, address to, uint256 amount) external returns (uint8 code) {
        Rules memory r = _rules[msg.sender];
        code = _check(msg.sender, r, from, to, amount);
        // Issuance of an asset whose devices attest its reserve (DeviceRegistry.checkIssuance
        // reverts with the reason; a chain without the predeploy has no guard).
        if (from == address(0) && code == TransferCodes.OK && DEVICE_REGISTRY.code.length != 0) {
            IReserveGuard(DEVICE_REGISTRY).checkIssuance(msg.sender, amount);
        }
        if (code == TransferCodes.OK && r.dailyLimit != 0 && from != address(0) && from != CALL_AUCTION) {
            uint64 today = uint64(block.timestamp / 1 days);
            DailyVolume storage volume = _daily[msg.sender][IRWAToken(msg.sender).investorOf(from)];
            uint256 used = volume.day == today ? volume.amount : 0;
            volume.day = today;
            volume.amount = uint192(used + amount); // <= dailyLimit < 2**128, checked in _check
        }
    }

    /// @notice Called by the `CallAuction` when a cancelled auction refunds `seller` the `amount`
    /// it sold into custody on UTC day `saleDay`: that sale counted against the seller's daily
    /// volume, the refund gives it back (on that day only; a later day's volume starts afresh).
    function releaseDailyVolume(address asset, address seller, uint256 amount, uint64 saleDay) external {
        if (msg.sender != CALL_AUCTION) revert NotCallAuction(msg.sender);
        bytes32 investorId = IRWAToken(asset).investorOf(seller);
        DailyVolume storage volume = _daily[asset][investorId];
        if (volume.day != saleDay || block.timestamp / 1 days != saleDay) return;
        uint192 used = volume.amount;
        volume.amount = amount >= used ? 0 : used - uint192(amount);
        emit DailyVolumeReleased(asset, investorId, amount, saleDay);
    }

    /// @notice The text of a `TransferCodes` reason code (the tokens ask here rather than each
    /// carrying the table).
    function reasonText(uint8 code) external pure returns (string memory) {
        return TransferCodes.text(code);
    }

    function rules(address asset) external view returns (RulesInput memory) {
        Rules memory r = _rules[asset];
        return RulesInput(r.lockupUntil, r.maxHolders, r.countryRestricted, r.professionalOnly, r.maxBalance, r.dailyLimit);
    }

    /// @notice Amount the investor of wallet `investor` has sent today of `asset`, from all its
    /// wallets (counts only while a daily limit is set).
    function dailyVolume(address asset, address investor) external view returns (uint256) {
        DailyVolume memory volume = _daily[asset][IRWAToken(asset).investorOf(investor)];
        return volume.day == block.timestamp / 1 days ? volume.amount : 0;
    }

    function _check(address asset, Rules memory r, address from, address to, uint256 amount)
        private
        view
        returns (uint8)
    {
        if (r.countryRestricted || r.professionalOnly) {
            IIdentityRegistry registry = IRWAToken(asset).identityRegistry();
            if (r.countryRestricted && !isCountryAllowed[asset][registry.investorCountry(to)]) {
                return TransferCodes.COUNTRY_NOT_ALLOWED;
            }
            if (r.professionalOnly && !registry.isProfessional(to)) return TransferCodes.NOT_PROFESSIONAL;
        }
        if (r.maxHolders != 0 || r.maxBalance != 0) {
            IRWAToken token = IRWAToken(asset);
            (uint256 fromHolding, uint256 toHolding, bool sameInvestor) = token.investorBalances(from, to);
            if (!sameInvestor && to != CALL_AUCTION) {
                if (r.maxBalance != 0 && toHolding + amount > r.maxBalance) return TransferCodes.MAX_BALANCE;
                if (r.maxHolders != 0 && toHolding == 0 && amount != 0) {
                    // A new holder, unless the sending investor leaves (moving all it holds); the
                    // auction's custody is no investor: not counted, and its leaving frees no place.
                    bool senderLeaves = from != address(0) && from != CALL_AUCTION && fromHolding == amount;
                    uint256 holders = token.holderCount();
                    if (holders != 0 && token.balanceOf(CALL_AUCTION) != 0) holders -= 1;
                    if (!senderLeaves && holders >= r.maxHolders) return TransferCodes.MAX_HOLDERS;
                }
            }
        }
        if (from != address(0)) {
            if (block.timestamp < r.lockupUntil) return TransferCodes.LOCKED_UP;
            if (r.holderLockups && block.timestamp < holderLockupUntil[asset][from]) return TransferCodes.LOCKED_UP;
            if (r.dailyLimit != 0 && from != CALL_AUCTION) {
                DailyVolume memory volume = _daily[asset][IRWAToken(asset).investorOf(from)];
                uint256 used = volume.day == block.timestamp / 1 days ? volume.amount : 0;
                if (used + amount > r.dailyLimit) return TransferCodes.DAILY_LIMIT;
            }
        }
        return TransferCodes.OK;
    }
}
