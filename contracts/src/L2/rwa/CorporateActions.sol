// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IRWAToken, BondTerms, AgentRoles, TransferCodes} from "./RWACommon.sol";

interface IKpiSource {
    function couponStepPpm(address asset) external view returns (int256);
}

interface ISettlementWindows {
    function settlingUntil(address asset) external view returns (uint64);
}

interface IReferencePrice {
    function latestPrice(address asset) external view returns (uint256 price, uint64 updatedAt);
}

/// @title CorporateActions
/// @notice Coupons, dividends and revenue shares paid in native HKD from a record-date snapshot;
/// redemption of bonds at maturity; stock splits.
///
/// Distributions. The issuer (the token's owner) or one of its agents announces a distribution
/// with `msg.value` = the whole amount, a record time (now or later: it is scheduled on the token
/// as a snapshot), a pay time and a claim deadline. The snapshot is the token's balances at the
/// end of the record second (`RWAToken.balanceOfAt`), so nothing loops over holders and a
/// transfer after the record time does not change who is paid. From the pay time each holder at
/// the record time either claims (pull) or is paid by anyone pushing a chunk of addresses
/// (`pushPayments`).
///
/// Rounding rule: a dividend or revenue share is a pot: holder h with record balance b_h of record
/// supply S receives
///     floor(amount * b_h / S)
/// (full 512-bit precision, `Math.mulDiv`). The sum of the floors is at most `amount` and falls
/// short of it by less than the number of holders. A coupon is not a pot but the bond's rate:
/// holder h receives `couponAmount(token, b_h)` = floor(b_h * face * rate / (10**6 * couponsPerYear
/// * 10**decimals)), fixed by its record-date units whatever the supply did since the
/// announcement; it is funded with at least `couponDue` at announcement and topped up
/// (`topUpDistribution`) when the record supply grew. A coupon is paid on the bond's schedule:
/// its pay time is one of the terms' `couponDates`, each date at most one coupon
/// (`couponOfDate`; cancelling the coupon frees its date). A date that passed without a coupon
/// announced cannot be paid as a coupon any more (the record time may not be in the past). The claim period is at least
/// `MIN_CLAIM_PERIOD`, and the issuer may cancel (full refund) until the record time. The remainder - that rounding dust plus
/// anything unclaimed - goes to the issuer recorded at announcement when the distribution is
/// closed: as soon as every record-date unit has been paid, or by anyone after the claim
/// deadline. Nothing is ever lost: `paid + remainder == amount`. A push payment that the holder's
/// address refuses (a contract without `receive`) is credited to `owedWei` and withdrawable.
///
/// Cash respects freezes and KYC. Every payment (distribution or redemption) goes to the holder's
/// `RWAToken.cashRecipient`: the wallet the registry recovered it to, if any (a lost wallet's
/// coupon reaches its owner's new wallet), and only while that wallet is not frozen and is KYC
/// verified by a provider the asset trusts. Otherwise a claim or a redemption reverts
/// (`PaymentWithheld`, `RedemptionWithheld`) and a push holds the entitlement in `heldWei`
/// (`PaymentHeld`): it counts as paid for the distribution (closing does not sweep it to the
/// issuer) and anyone releases it to the holder's recipient once that one may receive
/// (`releaseHeld`), even after the distribution closed.
///
/// Redemption. The issuer funds the bond's face value (`fundRedemption`, see `redemptionDue`).
/// From maturity a holder redeems its unfrozen balance (`redeem`), or the issuer pushes a chunk of
/// holders (`redeemFor`): the tokens are burned and floor(units * faceValuePerTokenWei /
/// 10**decimals) HKD is paid. When the supply reaches zero the surplus returns to the issuer.
///
/// Splits. `announceStockSplit` schedules a forward split on the token (O(1) and exact, see
/// RWAToken), so a 1-for-10 split is `ratio = 10`.
///
/// Consolidations. `announceConsolidation(token, ratio, effectiveTime)` schedules a reverse split
/// (10-into-1 is `ratio = 10`; refused on a bond, `SplitOnBond`, as a split is) and fixes the cash
/// price of the fractions it will leave: the PriceFeed reference price of the asset at
/// announcement (HKD wei per whole pre-consolidation token; a stale or missing price refuses the
/// announcement). Fractions are cashed out, not rounded away: a holder keeps its fraction (less than
/// one new unit, in the token's fine units) until anyone calls `cashOutFractions(token, holders)`
/// from the effective time, which burns each listed holder's fraction on the token and pays
/// floor(fraction value at the fixed price) in HKD to its cash recipient, from a fund the issuer
/// provides (`msg.value` of the announcement and `fundFractionCashOut`). Why cash rather than a
/// residual account: the holder, not the issuer, owns the fraction, and paying it at a published
/// reference price is what a market does with odd lots after a share consolidation; a residual
/// account would hand the issuer the holders' value. A holder whose cash is withheld (frozen, KYC
/// lapsed) or whose fraction is frozen or held keeps the fraction until it can be paid. The issuer
/// takes back what the fund did not pay with `closeFractionCashOut`; units and cash are conserved:
/// fine supply falls by exactly the fractions burnt, the fund by exactly what was paid. This contract is made an agent of every token by
/// the AssetFactory (roles supply and corporate actions), which is what lets it burn at redemption
/// and schedule splits. Its functions for the issuer accept the token's owner or an agent with the
/// corporate-actions role (`AgentRoles.CORPORATE`).
///
/// Predeploy: no owner and no state to initialize. Place the runtime code at the genesis address
/// (and give the AssetFactory this address as `corporateActions`).
contract CorporateActions is ReentrancyGuardTransient {
    /// @notice The DeviceRegistry predeploy (genesis/predeploys.py): a KPI-linked bond's coupon
    /// rate is `couponRatePpm` plus its `couponStepPpm` (attested output against a target), fixed
    /// when the coupon is announced; floored at zero. A chain without the predeploy has no steps.
    address public constant DEVICE_REGISTRY = 0x4200000000000000000000000000000000000809;

    enum DistributionKind {
        Coupon,
        Dividend,
        RevenueShare
    }

    struct Distribution {
        address token;
        uint48 recordTime;
        DistributionKind kind;
        bool closed;
        bool supplyKnown;
        address issuer; // receives the remainder
        uint64 payTime;
        uint64 claimDeadline;
        uint256 amountWei;
        uint256 supplyAtRecord;
        uint256 paidWei;
        uint256 paidUnits;
        // A coupon's rate, fixed at announcement: holder gets units * couponNumerator / couponDenominator.
        uint256 couponNumerator;
        uint256 couponDenominator;
    }

    struct Redemption {
        uint256 fundedWei;
        uint256 paidWei;
        uint256 redeemedUnits;
    }

    /// @notice Gas forwarded with a pushed payment; a holder that needs more claims instead.
    uint256 public constant PUSH_GAS = 50_000;
    /// @notice Shortest time holders have to claim before the remainder may go back to the issuer.
    uint64 public constant MIN_CLAIM_PERIOD = 30 days;

    uint256 public distributionCount;
    mapping(uint256 id => Distribution) private _distributions;
    mapping(uint256 id => mapping(address holder => bool)) public isPaid;
    mapping(address token => Redemption) private _redemptions;
    mapping(address account => uint256) public owedWei;
    /// @notice Entitlements held back from a holder that could not receive cash (see notes).
    mapping(uint256 id => mapping(address holder => uint256)) public heldWei;

    /// @notice A consolidation's fraction cash-out: the price fixed at announcement and its fund.
    struct FractionCashOut {
        address issuer;
        uint48 effectiveTime;
        uint256 priceWeiPerToken; // PriceFeed reference per whole pre-consolidation token
        uint256 fineUnitsPerToken; // fine units in one whole pre-consolidation token then
        uint256 multiplierThen; // the token's split multiplier then (later splits grow fine units)
        uint256 fundedWei;
        uint256 paidWei;
    }

    /// @notice The PriceFeed predeploy (genesis/predeploys.py): the reference price of fractions.
    address public constant PRICE_FEED = 0x4200000000000000000000000000000000000806;
    /// @notice The CallAuction predeploy (genesis/predeploys.py): no record time inside its
    /// settlement windows (`settlingUntil`).
    address public constant CALL_AUCTION = 0x4200000000000000000000000000000000000808;
    mapping(address token => FractionCashOut) private _fractionCashOuts;
    /// @notice The coupon announced for each of a bond's coupon dates (0: none, or cancelled).
    mapping(address token => mapping(uint64 couponDate => uint256 id)) public couponOfDate;
    /// @notice Distributions announced and not cancelled at each record time of a token: the last
    /// one cancelled withdraws the record time from the token (`RWAToken.unscheduleRecordTime`).
    mapping(address token => mapping(uint48 recordTime => uint256 count)) public distributionsAt;

    event DistributionAnnounced(
        uint256 indexed id,
        address indexed token,
        DistributionKind kind,
        uint48 recordTime,
        uint64 payTime,
        uint64 claimDeadline,
        uint256 amountWei,
        address indexed issuer
    );
    event DistributionPaid(uint256 indexed id, address indexed holder, uint256 units, uint256 amountWei, bool pushed);
    event PaymentDeferred(uint256 indexed id, address indexed holder, uint256 amountWei);
    event DistributionClosed(uint256 indexed id, uint256 paidWei, uint256 remainderWei, address indexed issuer);
    event RedemptionFunded(address indexed token, address indexed by, uint256 amountWei, uint256 fundedWei);
    event Redeemed(address indexed token, address indexed holder, uint256 units, uint256 amountWei, bool pushed);
    event RedemptionClosed(address indexed token, uint256 surplusWei, address indexed issuer);
    event StockSplitAnnounced(address indexed token, uint256 ratio, uint48 effectiveTime, address indexed by);
    event OwedWithdrawn(address indexed account, uint256 amountWei);
    event ConsolidationAnnounced(
        address indexed token, uint256 ratio, uint48 effectiveTime, uint256 priceWeiPerToken, address indexed by
    );
    event FractionCashOutFunded(address indexed token, uint256 amountWei, uint256 fundedWei);
    event FractionCashedOut(address indexed token, address indexed holder, address payee, uint256 fineUnits, uint256 amountWei);
    event FractionCashOutClosed(address indexed token, uint256 refundWei, address indexed issuer);
    event DistributionCancelled(uint256 indexed id, uint256 refundWei, address indexed issuer);
    event DistributionToppedUp(uint256 indexed id, uint256 amountWei, uint256 totalWei);
    event PaymentHeld(uint256 indexed id, address indexed holder, uint256 amountWei, string reason);
    event HeldReleased(uint256 indexed id, address indexed holder, address indexed payee, uint256 amountWei);
    /// @notice Cash due to a lost wallet went to the wallet the registry recovered it to.
    event PaidToRecoveredWallet(uint256 indexed id, address indexed lostWallet, address indexed payee);

    error NotIssuerOrAgent(address token, address caller);
    error NotABond(address token);
    error ZeroAmount();
    error InvalidSchedule(uint48 recordTime, uint64 payTime, uint64 claimDeadline);
    /// @notice The claim deadline must leave holders `MIN_CLAIM_PERIOD` after the pay time.
    error ClaimPeriodTooShort(uint64 payTime, uint64 claimDeadline, uint64 earliestDeadline);
    /// @notice A distribution is cancelled only before its record time.
    error RecordTimePassed(uint256 id, uint48 recordTime, uint256 nowTimestamp);
    /// @notice A coupon is funded with at least the coupon on today's supply (`couponDue`).
    error CouponUnderfunded(address token, uint256 fundedWei, uint256 requiredWei);
    /// @notice A coupon is paid on one of the bond's coupon dates (`BondTerms.couponDates`): its
    /// pay time must be one.
    error NotACouponDate(address token, uint64 payTime);
    /// @notice Coupon `id` is already announced for this coupon date (one coupon per date).
    error CouponDateTaken(address token, uint64 couponDate, uint256 id);
    error UnknownDistribution(uint256 id);
    /// @notice The record time falls inside a `CallAuction` settlement window of the token: the
    /// shares in its custody would be snapshot as the auction's, which cannot pass a payment on.
    error RecordTimeInSettlementWindow(address token, uint48 recordTime, uint64 settlingUntil);
    error DistributionIsClosed(uint256 id);
    error NotPayableYet(uint256 id, uint64 payTime, uint256 nowTimestamp);
    error AlreadyPaid(uint256 id, address holder);
    error NothingToClaim(uint256 id, address holder);
    error CannotCloseYet(uint256 id, uint256 unpaidUnits, uint64 claimDeadline);
    error DistributionOverpaid(uint256 id, uint256 leftWei, uint256 requiredWei);
    error NotMatured(address token, uint64 maturity, uint256 nowTimestamp);
    /// @notice The holder's cash recipient may not receive now (frozen, KYC deleted or expired,
    /// provider not trusted); the entitlement stays claimable.
    error PaymentWithheld(uint256 id, address holder, address payee, string reason);
    error RedemptionWithheld(address token, address holder, address payee, string reason);
    error NothingHeld(uint256 id, address holder);
    error NothingToRedeem(address token, address holder);
    error RedemptionUnderfunded(address token, uint256 availableWei, uint256 requiredWei);
    error SupplyOutstanding(address token, uint256 supply);
    error NativeTransferFailed(address to, uint256 amountWei);
    /// @notice A consolidation is announced while an earlier one's fraction fund is still open.
    error FractionCashOutOpen(address token, uint48 effectiveTime);
    /// @notice The PriceFeed has no fresh price for the asset (none, or older than its maximum age):
    /// the fractions of a consolidation need a reference price.
    error NoReferencePrice(address token);
    error NoFractionCashOut(address token);
    error ConsolidationNotEffective(address token, uint48 effectiveTime, uint256 nowTimestamp);
    /// @notice The fraction fund cannot pay this holder: the issuer funds more first.
    error FractionFundShort(address token, uint256 availableWei, uint256 requiredWei);

    modifier onlyIssuerOrAgent(address token) {
        _requireIssuerOrAgent(token);
        _;
    }

    function _requireOutsideSettlement(address token, uint48 recordTime) private view {
        if (CALL_AUCTION.code.length == 0) return; // a chain without the market predeploy
        uint64 until = ISettlementWindows(CALL_AUCTION).settlingUntil(token);
        if (recordTime <= until) revert RecordTimeInSettlementWindow(token, recordTime, until);
    }

    function _requireIssuerOrAgent(address token) private view {
        if (
            msg.sender != IRWAToken(token).owner()
                && IRWAToken(token).agentRoles(msg.sender) & AgentRoles.CORPORATE == 0
        ) {
            revert NotIssuerOrAgent(token, msg.sender);
        }
    }

    // --- distributions ---------------------------------------------------------------------------

    /// @notice Announces and funds a distribution of `msg.value` HKD to the holders of `token` at
    /// the end of second `recordTime` (not in the past), payable from `payTime` (> recordTime),
    /// closable by anyone after `claimDeadline` (>= payTime). A coupon needs a bond (see
    /// `couponDue`) and is paid on one of its coupon dates: `payTime` must be a date of
    /// `BondTerms.couponDates` for which no other coupon is announced (`NotACouponDate`,
    /// `CouponDateTaken`).
    function announceDistribution(
        address token,
        DistributionKind kind,
        uint48 recordTime,
        uint64 payTime,
        uint64 claimDeadline
    ) external payable onlyIssuerOrAgent(token) returns (uint256 id) {
        if (msg.value == 0) revert ZeroAmount();
        if (payTime <= recordTime || claimDeadline < payTime) {
            revert InvalidSchedule(recordTime, payTime, claimDeadline);
        }
        if (claimDeadline < payTime + MIN_CLAIM_PERIOD) {
            revert ClaimPeriodTooShort(payTime, claimDeadline, payTime + MIN_CLAIM_PERIOD);
        }
        IRWAToken(token).scheduleRecordTime(recordTime); // reverts RecordTimeInPast
        _requireOutsideSettlement(token, recordTime);
        id = ++distributionCount;
        Distribution storage d = _distributions[id];
        if (kind == DistributionKind.Coupon) {
            BondTerms memory bond = IRWAToken(token).bondTerms();
            (uint256 numerator, uint256 denominator) = _couponRate(token, bond); // reverts NotABond
            _takeCouponDate(token, bond.couponDates, payTime, id);
            uint256 due = Math.mulDiv(IRWAToken(token).totalSupply(), numerator, denominator);
            if (msg.value < due) revert CouponUnderfunded(token, msg.value, due);
            d.couponNumerator = numerator;
            d.couponDenominator = denominator;
        }
        distributionsAt[token][recordTime] += 1;
        d.token = token;
        d.recordTime = recordTime;
        d.kind = kind;
        d.issuer = IRWAToken(token).owner();
        d.payTime = payTime;
        d.claimDeadline = claimDeadline;
        d.amountWei = msg.value;
        emit DistributionAnnounced(id, token, kind, recordTime, payTime, claimDeadline, msg.value, d.issuer);
    }

    /// @notice Withdraws a distribution before its record time and refunds the issuer recorded at
    /// announcement the whole amount; the token's record time goes too when no other distribution
    /// is recorded at it.
    function cancelDistribution(uint256 id) external nonReentrant returns (uint256 refundWei) {
        Distribution storage d = _open(id);
        _requireIssuerOrAgent(d.token);
        if (block.timestamp >= d.recordTime) revert RecordTimePassed(id, d.recordTime, block.timestamp);
        d.closed = true;
        if (d.kind == DistributionKind.Coupon) delete couponOfDate[d.token][d.payTime];
        // No distribution left at this record time: withdraw it, so market clearings it held back resume.
        if (--distributionsAt[d.token][d.recordTime] == 0) IRWAToken(d.token).unscheduleRecordTime(d.recordTime);
        refundWei = d.amountWei;
        emit DistributionCancelled(id, refundWei, d.issuer);
        _sendOrOwe(d.issuer, refundWei, gasleft());
    }

    /// @notice Adds `msg.value` to an open distribution (a coupon whose record supply grew).
    function topUpDistribution(uint256 id) external payable {
        Distribution storage d = _open(id);
        if (msg.value == 0) revert ZeroAmount();
        d.amountWei += msg.value;
        emit DistributionToppedUp(id, msg.value, d.amountWei);
    }

    /// @notice Pull: the caller receives its entitlement.
    function claim(uint256 id) external nonReentrant returns (uint256 amountWei) {
        return _pay(id, _open(id), msg.sender, false);
    }

    /// @notice Push: pays every listed holder not yet paid (holders with nothing due and holders
    /// already paid are skipped), so a long holder list is paid in chunks across transactions.
    function pushPayments(uint256 id, address[] calldata holders) external nonReentrant returns (uint256 totalWei) {
        Distribution storage d = _open(id);
        for (uint256 i; i < holders.length; ++i) {
            totalWei += _pay(id, d, holders[i], true);
        }
    }

    /// @notice Sends the remainder (rounding dust and unclaimed amounts) to the issuer and ends the
    /// distribution: allowed once every record-date unit is paid, or after the claim deadline.
    function closeDistribution(uint256 id) external nonReentrant returns (uint256 remainderWei) {
        Distribution storage d = _open(id);
        uint256 supply = _supplyAtRecord(d);
        if (d.paidUnits < supply && block.timestamp <= d.claimDeadline) {
            revert CannotCloseYet(id, supply - d.paidUnits, d.claimDeadline);
        }
        d.closed = true;
        remainderWei = d.amountWei - d.paidWei;
        emit DistributionClosed(id, d.paidWei, remainderWei, d.issuer);
        _sendOrOwe(d.issuer, remainderWei, gasleft());
    }

    /// @notice Pays an entitlement held back from `holder` (see the contract notes) to its cash
    /// recipient, once that one may receive; anyone may call it, also after the distribution closed.
    function releaseHeld(uint256 id, address holder) external nonReentrant returns (uint256 amountWei) {
        amountWei = heldWei[id][holder];
        if (amountWei == 0) revert NothingHeld(id, holder);
        (address payee, uint8 code) = IRWAToken(_distributions[id].token).cashRecipient(holder);
        if (code != TransferCodes.OK) revert PaymentWithheld(id, holder, payee, TransferCodes.text(code));
        heldWei[id][holder] = 0;
        emit HeldReleased(id, holder, payee, amountWei);
        _sendOrOwe(payee, amountWei, PUSH_GAS);
    }

    /// @notice What `holder` receives from distribution `id` under the rounding rule (0 after it
    /// has been paid). The record time must have passed.
    function entitlement(uint256 id, address holder) external view returns (uint256) {
        Distribution storage d = _distributions[id];
        if (d.token == address(0)) revert UnknownDistribution(id);
        if (isPaid[id][holder] || d.closed) return 0;
        uint256 units = IRWAToken(d.token).balanceOfAt(holder, d.recordTime);
        if (d.kind == DistributionKind.Coupon) return Math.mulDiv(units, d.couponNumerator, d.couponDenominator);
        uint256 supply = d.supplyKnown ? d.supplyAtRecord : IRWAToken(d.token).totalSupplyAt(d.recordTime);
        if (supply == 0) return 0;
        return Math.mulDiv(d.amountWei, units, supply);
    }

    function distribution(uint256 id) external view returns (Distribution memory) {
        return _distributions[id];
    }

    // --- coupons ---------------------------------------------------------------------------------

    /// @notice One coupon period of `token` on `supplyUnits`:
    /// floor(supplyUnits * faceValuePerTokenWei * rate / (10**6 * couponsPerYear * 10**decimals)), rate =
    /// couponRatePpm plus the KPI step (`DEVICE_REGISTRY`), at least 0.
    function couponAmount(address token, uint256 supplyUnits) public view returns (uint256) {
        (uint256 numerator, uint256 denominator) = _couponRate(token, IRWAToken(token).bondTerms());
        return Math.mulDiv(supplyUnits, numerator, denominator);
    }

    /// @dev Binds coupon `id` to `payTime`, which must be one of the bond's coupon dates not taken
    /// by another coupon (a cancelled one gives its date back).
    function _takeCouponDate(address token, uint64[] memory couponDates, uint64 payTime, uint256 id) private {
        for (uint256 i; i < couponDates.length; ++i) {
            if (couponDates[i] == payTime) {
                uint256 taken = couponOfDate[token][payTime];
                if (taken != 0) revert CouponDateTaken(token, payTime, taken);
                couponOfDate[token][payTime] = id;
                return;
            }
        }
        revert NotACouponDate(token, payTime);
    }

    /// @dev A coupon per unit as a fraction: face * rate / (10**6 * couponsPerYear * 10**decimals).
    function _couponRate(address token, BondTerms memory bond) private view returns (uint256 numerator, uint256 denominator) {
        if (bond.faceValuePerTokenWei == 0 || bond.couponsPerYear == 0) revert NotABond(token);
        int256 rate = int256(uint256(bond.couponRatePpm));
        if (DEVICE_REGISTRY.code.length != 0) rate += IKpiSource(DEVICE_REGISTRY).couponStepPpm(token);
        numerator = rate > 0 ? bond.faceValuePerTokenWei * uint256(rate) : 0;
        denominator = 1e6 * uint256(bond.couponsPerYear) * 10 ** IRWAToken(token).decimals();
    }

    /// @notice The coupon on today's supply (to fund a coupon whose record time is still ahead).
    function couponDue(address token) external view returns (uint256) {
        return couponAmount(token, IRWAToken(token).totalSupply());
    }

    // --- redemption ------------------------------------------------------------------------------

    /// @notice Face value of the whole outstanding supply, rounded up: what `fundRedemption` needs.
    function redemptionDue(address token) public view returns (uint256) {
        BondTerms memory bond = IRWAToken(token).bondTerms();
        if (bond.faceValuePerTokenWei == 0) revert NotABond(token);
        return Math.mulDiv(
            IRWAToken(token).totalSupply(),
            bond.faceValuePerTokenWei,
            10 ** IRWAToken(token).decimals(),
            Math.Rounding.Ceil
        );
    }

    function fundRedemption(address token) external payable onlyIssuerOrAgent(token) {
        if (msg.value == 0) revert ZeroAmount();
        if (IRWAToken(token).bondTerms().faceValuePerTokenWei == 0) revert NotABond(token);
        Redemption storage r = _redemptions[token];
        r.fundedWei += msg.value;
        emit RedemptionFunded(token, msg.sender, msg.value, r.fundedWei);
    }

    /// @notice From maturity: burns the caller's unfrozen balance and pays its face value.
    function redeem(address token) external nonReentrant returns (uint256 amountWei) {
        BondTerms memory bond = _matured(token);
        return _redeem(token, bond, msg.sender, false);
    }

    /// @notice From maturity, the issuer or an agent redeems a chunk of holders; holders whose cash is withheld
    /// and empty balances are skipped.
    function redeemFor(address token, address[] calldata holders)
        external
        nonReentrant
        onlyIssuerOrAgent(token)
        returns (uint256 totalWei)
    {
        BondTerms memory bond = _matured(token);
        for (uint256 i; i < holders.length; ++i) {
            totalWei += _redeem(token, bond, holders[i], true);
        }
    }

    /// @notice Once every token is redeemed, returns the surplus of the redemption fund to the issuer.
    function closeRedemption(address token) external nonReentrant returns (uint256 surplusWei) {
        uint256 supply = IRWAToken(token).totalSupply();
        if (supply != 0) revert SupplyOutstanding(token, supply);
        Redemption storage r = _redemptions[token];
        surplusWei = r.fundedWei - r.paidWei;
        r.fundedWei = r.paidWei;
        address issuer = IRWAToken(token).owner();
        emit RedemptionClosed(token, surplusWei, issuer);
        _sendOrOwe(issuer, surplusWei, gasleft());
    }

    function redemption(address token) external view returns (Redemption memory) {
        return _redemptions[token];
    }

    // --- splits ----------------------------------------------------------------------------------

    /// @notice Schedules a forward stock split on `token`: 1-for-10 is `ratio = 10`, effective from
    /// `effectiveTime` (strictly in the future).
    function announceStockSplit(address token, uint256 ratio, uint48 effectiveTime)
        external
        onlyIssuerOrAgent(token)
    {
        IRWAToken(token).scheduleSplit(ratio, effectiveTime);
        emit StockSplitAnnounced(token, ratio, effectiveTime, msg.sender);
    }

    // --- consolidations ---------------------------------------------------------------------------

    /// @notice Schedules a consolidation on `token` (`ratio` units into one from `effectiveTime`)
    /// and fixes its fractions' cash price at the PriceFeed reference; `msg.value` funds the
    /// cash-out (see the contract notes).
    function announceConsolidation(address token, uint256 ratio, uint48 effectiveTime)
        external
        payable
        onlyIssuerOrAgent(token)
    {
        FractionCashOut storage c = _fractionCashOuts[token];
        if (c.issuer != address(0)) revert FractionCashOutOpen(token, c.effectiveTime);
        uint256 price;
        try IReferencePrice(PRICE_FEED).latestPrice(token) returns (uint256 latest, uint64) {
            price = latest;
        } catch {
            revert NoReferencePrice(token);
        }
        IRWAToken t = IRWAToken(token);
        uint48 latest = type(uint48).max; // the scale in force just before this consolidation
        uint256 fineUnitsPerToken = 10 ** t.decimals() * t.divisorAt(latest);
        uint256 multiplierThen = t.multiplierAt(latest);
        t.scheduleConsolidation(ratio, effectiveTime); // reverts SplitOnBond, InvalidSplitRatio, ...
        _fractionCashOuts[token] =
            FractionCashOut(t.owner(), effectiveTime, price, fineUnitsPerToken, multiplierThen, msg.value, 0);
        emit ConsolidationAnnounced(token, ratio, effectiveTime, price, msg.sender);
        if (msg.value != 0) emit FractionCashOutFunded(token, msg.value, msg.value);
    }

    function fundFractionCashOut(address token) external payable {
        FractionCashOut storage c = _openCashOut(token);
        if (msg.value == 0) revert ZeroAmount();
        c.fundedWei += msg.value;
        emit FractionCashOutFunded(token, msg.value, c.fundedWei);
    }

    /// @notice From the effective time, anyone burns the listed holders' fractions and pays them
    /// at the fixed price; holders with no fraction, a withheld cash recipient, or a frozen or held
    /// fraction are skipped.
    function cashOutFractions(address token, address[] calldata holders) external nonReentrant returns (uint256 totalWei) {
        FractionCashOut storage c = _openCashOut(token);
        if (block.timestamp < c.effectiveTime) revert ConsolidationNotEffective(token, c.effectiveTime, block.timestamp);
        IRWAToken t = IRWAToken(token);
        uint256 growth = t.multiplierAt(uint48(block.timestamp)) / c.multiplierThen;
        for (uint256 i; i < holders.length; ++i) {
            (address payee, uint8 code) = t.cashRecipient(holders[i]);
            if (code != TransferCodes.OK) continue;
            (uint256 fineUnits,) = t.burnFraction(holders[i]);
            if (fineUnits == 0) continue;
            uint256 amountWei = Math.mulDiv(fineUnits, c.priceWeiPerToken, c.fineUnitsPerToken * growth);
            if (c.paidWei + amountWei > c.fundedWei) {
                revert FractionFundShort(token, c.fundedWei - c.paidWei, amountWei);
            }
            c.paidWei += amountWei;
            totalWei += amountWei;
            emit FractionCashedOut(token, holders[i], payee, fineUnits, amountWei);
            _sendOrOwe(payee, amountWei, PUSH_GAS);
        }
    }

    /// @notice The issuer (or an agent) ends the cash-out and the issuer takes back what the fund
    /// did not pay; a later consolidation may then be announced.
    function closeFractionCashOut(address token) external nonReentrant onlyIssuerOrAgent(token) returns (uint256 refundWei) {
        FractionCashOut memory c = _openCashOut(token);
        if (block.timestamp < c.effectiveTime) revert ConsolidationNotEffective(token, c.effectiveTime, block.timestamp);
        delete _fractionCashOuts[token];
        refundWei = c.fundedWei - c.paidWei;
        emit FractionCashOutClosed(token, refundWei, c.issuer);
        _sendOrOwe(c.issuer, refundWei, gasleft());
    }

    function fractionCashOut(address token) external view returns (FractionCashOut memory) {
        return _fractionCashOuts[token];
    }

    function _openCashOut(address token) private view returns (FractionCashOut storage c) {
        c = _fractionCashOuts[token];
        if (c.issuer == address(0)) revert NoFractionCashOut(token);
    }

    // --- owed ------------------------------------------------------------------------------------

    function withdrawOwed() external nonReentrant returns (uint256 amountWei) {
        amountWei = owedWei[msg.sender];
        owedWei[msg.sender] = 0;
        emit OwedWithdrawn(msg.sender, amountWei);
        (bool ok,) = msg.sender.call{value: amountWei}("");
        if (!ok) revert NativeTransferFailed(msg.sender, amountWei);
    }

    // --- internals -------------------------------------------------------------------------------

    function _open(uint256 id) private view returns (Distribution storage d) {
        d = _distributions[id];
        if (d.token == address(0)) revert UnknownDistribution(id);
        if (d.closed) revert DistributionIsClosed(id);
    }

    function _pay(uint256 id, Distribution storage d, address holder, bool pushed) private returns (uint256 amountWei) {
        if (block.timestamp < d.payTime) revert NotPayableYet(id, d.payTime, block.timestamp);
        if (isPaid[id][holder]) {
            if (pushed) return 0;
            revert AlreadyPaid(id, holder);
        }
        uint256 units = IRWAToken(d.token).balanceOfAt(holder, d.recordTime);
        if (units == 0) {
            if (pushed) return 0;
            revert NothingToClaim(id, holder);
        }
        amountWei = d.kind == DistributionKind.Coupon
            ? Math.mulDiv(units, d.couponNumerator, d.couponDenominator)
            : Math.mulDiv(d.amountWei, units, _supplyAtRecord(d));
        // Holds for a real RWAToken; stops a token that lies about balances from paying out of
        // other distributions' funds.
        if (d.paidWei + amountWei > d.amountWei) revert DistributionOverpaid(id, d.amountWei - d.paidWei, amountWei);
        (address payee, uint8 code) = IRWAToken(d.token).cashRecipient(holder);
        if (code != TransferCodes.OK && !pushed) {
            revert PaymentWithheld(id, holder, payee, TransferCodes.text(code));
        }
        isPaid[id][holder] = true;
        d.paidWei += amountWei;
        d.paidUnits += units;
        if (code != TransferCodes.OK) {
            heldWei[id][holder] = amountWei;
            emit PaymentHeld(id, holder, amountWei, TransferCodes.text(code));
            return 0;
        }
        emit DistributionPaid(id, holder, units, amountWei, pushed);
        if (payee != holder) emit PaidToRecoveredWallet(id, holder, payee);
        if (pushed) {
            if (!_sendOrOwe(payee, amountWei, PUSH_GAS)) emit PaymentDeferred(id, holder, amountWei);
        } else {
            (bool ok,) = payee.call{value: amountWei}("");
            if (!ok) revert NativeTransferFailed(payee, amountWei);
        }
    }

    function _supplyAtRecord(Distribution storage d) private returns (uint256 supply) {
        if (d.supplyKnown) return d.supplyAtRecord;
        supply = IRWAToken(d.token).totalSupplyAt(d.recordTime); // reverts until the record time has passed
        d.supplyAtRecord = supply;
        d.supplyKnown = true;
    }

    function _matured(address token) private view returns (BondTerms memory bond) {
        bond = IRWAToken(token).bondTerms();
        if (bond.faceValuePerTokenWei == 0) revert NotABond(token);
        if (block.timestamp < bond.maturity) revert NotMatured(token, bond.maturity, block.timestamp);
    }

    function _redeem(address token, BondTerms memory bond, address holder, bool pushed)
        private
        returns (uint256 amountWei)
    {
        IRWAToken t = IRWAToken(token);
        (address payee, uint8 code) = t.cashRecipient(holder);
        if (code != TransferCodes.OK) {
            if (pushed) return 0;
            revert RedemptionWithheld(token, holder, payee, TransferCodes.text(code));
        }
        uint256 units = t.balanceOf(holder) - t.frozenTokens(holder);
        if (units == 0) {
            if (pushed) return 0;
            revert NothingToRedeem(token, holder);
        }
        amountWei = Math.mulDiv(units, bond.faceValuePerTokenWei, 10 ** t.decimals());
        Redemption storage r = _redemptions[token];
        if (r.paidWei + amountWei > r.fundedWei) {
            revert RedemptionUnderfunded(token, r.fundedWei - r.paidWei, amountWei);
        }
        r.paidWei += amountWei;
        r.redeemedUnits += units;
        t.burn(holder, units);
        emit Redeemed(token, holder, units, amountWei, pushed);
        if (pushed) {
            _sendOrOwe(payee, amountWei, PUSH_GAS);
        } else {
            (bool ok,) = payee.call{value: amountWei}("");
            if (!ok) revert NativeTransferFailed(payee, amountWei);
        }
    }

    /// @dev Sends native HKD with `gasLimit`; on refusal credits `owedWei` instead. Returns whether sent.
    function _sendOrOwe(address to, uint256 amountWei, uint256 gasLimit) private returns (bool sent) {
        if (amountWei == 0) return true;
        (sent,) = to.call{value: amountWei, gas: gasLimit}("");
        if (!sent) owedWei[to] += amountWei;
    }
}
