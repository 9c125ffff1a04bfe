// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IRWAToken, IIdentityRegistry} from "./RWACommon.sol";
import {DeviceRegistry} from "./DeviceRegistry.sol";
import {SettlementEngine} from "./SettlementEngine.sol";
import {CallAuction} from "./CallAuction.sol";

/// @title AgentWallet
/// @notice An AI agent's wallet: a KYC'd sub-account of one investor (the principal) that an agent
/// key trades from within the principal's limits, each trade citing the device attestation it
/// acted on, so the audit trail runs data -> decision -> trade.
///
/// Sub-account: the principal deploys the wallet (`msg.sender`) naming the agent's key and the
/// limits; a KYC agent registers the wallet in the asset's identity registry under the
/// principal's investor id (`registerIdentityWithInvestorId`), so it counts as the same investor
/// for every per-investor limit. A trade is refused while the wallet is not verified or belongs
/// to another investor (`NotPrincipalsSubAccount`).
///
/// Trades: the agent calls `trade(t, counterpartySignature, attestationUid)` with a
/// `SettlementEngine.Trade` in which the wallet is the buyer or the seller, paid in native HKD,
/// signed by the counterparty; the wallet submits it to the engine as its own party (no signature
/// of its own needed), so every leg goes through the engine's and the token's checks. Before
/// that it checks the cited attestation in the DeviceRegistry predeploy: it exists, is about the
/// traded asset (its recipient), is unrevoked, from an unrevoked device, unexpired, and was read
/// at most `maxReadingAgeS` ago (an agent must not act on old data); and the principal's limits:
/// HKD notional per trade (`maxTradeWei`) and per UTC day (`dailyLimitWei`, buys and sells
/// counted alike). `AgentTraded(tradeId, attestationUid, ...)` records the citation.
///
/// Auction orders: the agent places an alliance-market order for the wallet
/// (`placeAuctionOrder(order, attestationUid)`, the wallet as the order's trader) under the same
/// checks (sub-account, usable attestation) and limits, its notional being `amount * limitPrice /
/// 10**decimals`; the wallet then answers ERC-1271 `isValidSignature` for that order's id (its
/// EIP-712 digest, which `CallAuction` checks as the order's signature), and for nothing else, so
/// an order beyond the limits cannot be placed and one never placed is refused by the auction.
/// While the agent is paused the wallet answers no for every order. A buy deposits its notional
/// plus the highest venue fee into the wallet's auction escrow; a sell approves the auction for
/// its amount.
///
/// Cash: a buy pays from the wallet's HKD escrow in the engine, topped up from the wallet's own
/// native balance; a sale's proceeds land in that escrow. The principal alone withdraws cash and
/// assets, changes the limits and pauses the agent.
contract AgentWallet is IERC1271 {
    using SafeERC20 for IERC20;

    /// @notice The SettlementEngine and DeviceRegistry predeploys (genesis/predeploys.py).
    SettlementEngine public constant ENGINE = SettlementEngine(payable(0x4200000000000000000000000000000000000804));
    DeviceRegistry public constant DEVICES = DeviceRegistry(0x4200000000000000000000000000000000000809);
    /// @notice The CallAuction predeploy (genesis/predeploys.py).
    CallAuction public constant AUCTION = CallAuction(payable(0x4200000000000000000000000000000000000808));
    /// @notice VenueRegistry.MAX_FEE_BPS: a buy's escrow covers the highest venue fee.
    uint256 public constant MAX_VENUE_FEE_BPS = 100;

    address public immutable principal;
    address public immutable agent;
    uint256 public maxTradeWei;
    uint256 public dailyLimitWei;
    uint64 public maxReadingAgeS;
    bool public paused;
    /// @notice HKD notional the agent traded on a UTC day (`block.timestamp / 1 days`).
    mapping(uint256 day => uint256 amountWei) public tradedOnDay;
    uint256 public tradeCount;
    /// @notice Auction orders (by `CallAuction.orderId`) the agent placed within the limits.
    mapping(bytes32 orderId => bool) public placedOrder;

    event LimitsSet(uint256 maxTradeWei, uint256 dailyLimitWei, uint64 maxReadingAgeS);
    event Paused(bool paused);
    event AuctionOrderPlaced(
        bytes32 indexed orderId,
        bytes32 indexed attestationUid,
        address indexed asset,
        uint64 auctionId,
        uint8 side,
        uint256 amount,
        uint256 limitPrice,
        uint256 notionalWei
    );
    event AgentTraded(
        bytes32 indexed tradeId,
        bytes32 indexed attestationUid,
        address indexed asset,
        bool buy,
        uint256 assetAmount,
        uint256 payWei,
        address counterparty
    );

    error NotPrincipal(address caller);
    error NotAgent(address caller);
    error AgentIsPaused();
    error NotWalletTrade(bytes32 tradeId);
    error NotWalletOrder(bytes32 orderId);
    /// @notice Agents trade against native HKD only (their limits are in HKD).
    error UnsupportedPayToken(address payToken);
    error NotPrincipalsSubAccount(address wallet, address principal);
    error TradeLimitExceeded(uint256 payWei, uint256 maxTradeWei);
    error DailyLimitExceeded(uint256 day, uint256 tradedAfterWei, uint256 dailyLimitWei);
    error UnknownAttestationRef(bytes32 uid);
    error AttestationOfAnotherAsset(bytes32 uid, address recipient, address asset);
    error AttestationRefRevoked(bytes32 uid, uint64 revocationTime);
    error AttestationRefDeviceRevoked(bytes32 uid, address device);
    error StaleAttestationRef(bytes32 uid, uint64 expirationTime, uint256 nowTimestamp);
    /// @notice The cited reading is older than the principal lets the agent act on.
    error AttestationRefTooOld(bytes32 uid, uint64 time, uint64 maxReadingAgeS);
    /// @notice The wallet's escrow and HKD together do not pay for the buy.
    error InsufficientHKD(uint256 availableWei, uint256 requiredWei);
    error NativeTransferFailed(address to, uint256 amountWei);

    modifier onlyPrincipal() {
        if (msg.sender != principal) revert NotPrincipal(msg.sender);
        _;
    }

    constructor(address agentKey, uint256 maxTradeWei_, uint256 dailyLimitWei_, uint64 maxReadingAgeS_) {
        principal = msg.sender;
        agent = agentKey;
        _setLimits(maxTradeWei_, dailyLimitWei_, maxReadingAgeS_);
    }

    receive() external payable {}

    // --- the principal -------------------------------------------------------------------------

    function setLimits(uint256 maxTradeWei_, uint256 dailyLimitWei_, uint64 maxReadingAgeS_) external onlyPrincipal {
        _setLimits(maxTradeWei_, dailyLimitWei_, maxReadingAgeS_);
    }

    function setPaused(bool paused_) external onlyPrincipal {
        paused = paused_;
        emit Paused(paused_);
    }

    /// @notice Pays native HKD held by the wallet, or (`fromEscrow`) its engine escrow, to the principal.
    function withdraw(uint256 amountWei, bool fromEscrow) external onlyPrincipal {
        if (fromEscrow) {
            ENGINE.withdrawTo(payable(principal), amountWei);
            return;
        }
        (bool ok,) = payable(principal).call{value: amountWei}("");
        if (!ok) revert NativeTransferFailed(principal, amountWei);
    }

    /// @notice Pays HKD from the wallet's auction escrow to the principal.
    function withdrawAuctionEscrow(uint256 amountWei) external onlyPrincipal {
        AUCTION.withdraw(amountWei);
        (bool ok,) = payable(principal).call{value: amountWei}("");
        if (!ok) revert NativeTransferFailed(principal, amountWei);
    }

    /// @notice Moves an asset out of the wallet (through the token's compliance, as any transfer).
    function transferAsset(address asset, address to, uint256 amount) external onlyPrincipal {
        IERC20(asset).safeTransfer(to, amount);
    }

    // --- the agent -----------------------------------------------------------------------------

    /// @notice Settles `t` (the wallet buys or sells) citing `attestationUid`; returns the trade id.
    function trade(SettlementEngine.Trade calldata t, bytes calldata counterpartySignature, bytes32 attestationUid)
        external
        returns (bytes32 id)
    {
        if (msg.sender != agent) revert NotAgent(msg.sender);
        if (paused) revert AgentIsPaused();
        id = ENGINE.tradeId(t);
        bool buy = t.buyer == address(this);
        if (!buy && t.seller != address(this)) revert NotWalletTrade(id);
        if (t.payToken != address(0)) revert UnsupportedPayToken(t.payToken);
        _requireSubAccount(t.asset);
        requireUsableAttestation(attestationUid, t.asset);
        _spend(t.payAmount);
        if (buy) {
            uint256 escrow = ENGINE.escrowOf(address(this));
            uint256 topUp = escrow >= t.payAmount ? 0 : t.payAmount - escrow;
            if (topUp > address(this).balance) revert InsufficientHKD(escrow + address(this).balance, t.payAmount);
            ENGINE.settle{value: topUp}(t, counterpartySignature, "");
        } else {
            IERC20(t.asset).forceApprove(address(ENGINE), t.assetAmount);
            ENGINE.settle(t, "", counterpartySignature);
        }
        emit AgentTraded(id, attestationUid, t.asset, buy, t.assetAmount, t.payAmount, buy ? t.seller : t.buyer);
    }

    /// @notice Places `order` (the wallet trades) in its auction, citing `attestationUid`, within
    /// the limits (see the contract notes); returns the order's id, which the wallet then signs
    /// by ERC-1271. The order still goes into its venue's book and is committed as any other.
    function placeAuctionOrder(CallAuction.Order calldata order, bytes32 attestationUid) external returns (bytes32 id) {
        if (msg.sender != agent) revert NotAgent(msg.sender);
        if (paused) revert AgentIsPaused();
        id = AUCTION.orderId(order);
        if (order.trader != address(this)) revert NotWalletOrder(id);
        _requireSubAccount(order.asset);
        requireUsableAttestation(attestationUid, order.asset);
        uint256 notional = order.amount * order.limitPrice / 10 ** IERC20Metadata(order.asset).decimals();
        _spend(notional);
        placedOrder[id] = true;
        if (order.side == AUCTION.BUY()) {
            uint256 due = notional + notional * MAX_VENUE_FEE_BPS / 10_000;
            if (due > address(this).balance) revert InsufficientHKD(address(this).balance, due);
            AUCTION.deposit{value: due}();
        } else {
            uint256 allowed = IERC20(order.asset).allowance(address(this), address(AUCTION));
            IERC20(order.asset).forceApprove(address(AUCTION), allowed + order.amount);
        }
        emit AuctionOrderPlaced(
            id, attestationUid, order.asset, order.auctionId, order.side, order.amount, order.limitPrice, notional
        );
    }

    /// @notice ERC-1271: valid for the auction orders the agent placed (`placeAuctionOrder`)
    /// while the agent is not paused; the signature bytes are not read.
    function isValidSignature(bytes32 hash, bytes calldata) external view returns (bytes4) {
        return placedOrder[hash] && !paused ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }

    /// @notice Reverts with the reason `uid` may not back a trade of `asset` now (see the notes).
    function requireUsableAttestation(bytes32 uid, address asset) public view {
        DeviceRegistry.Attestation memory a = DEVICES.getAttestation(uid);
        if (a.uid == bytes32(0)) revert UnknownAttestationRef(uid);
        if (a.recipient != asset) revert AttestationOfAnotherAsset(uid, a.recipient, asset);
        if (a.revocationTime != 0) revert AttestationRefRevoked(uid, a.revocationTime);
        if (DEVICES.device(a.attester).revoked) revert AttestationRefDeviceRevoked(uid, a.attester);
        if (a.expirationTime <= block.timestamp) revert StaleAttestationRef(uid, a.expirationTime, block.timestamp);
        if (a.time + maxReadingAgeS < block.timestamp) revert AttestationRefTooOld(uid, a.time, maxReadingAgeS);
    }

    function _requireSubAccount(address asset) private view {
        IIdentityRegistry registry = IRWAToken(asset).identityRegistry();
        if (!registry.isVerified(address(this)) || registry.investorIdOf(address(this)) != registry.investorIdOf(principal)) {
            revert NotPrincipalsSubAccount(address(this), principal);
        }
    }

    /// @dev Counts `amountWei` of notional against the per-trade and the day's limits.
    function _spend(uint256 amountWei) private {
        if (amountWei > maxTradeWei) revert TradeLimitExceeded(amountWei, maxTradeWei);
        uint256 day = block.timestamp / 1 days;
        uint256 tradedAfter = tradedOnDay[day] + amountWei;
        if (tradedAfter > dailyLimitWei) revert DailyLimitExceeded(day, tradedAfter, dailyLimitWei);
        tradedOnDay[day] = tradedAfter;
        tradeCount += 1;
    }

    function _setLimits(uint256 maxTradeWei_, uint256 dailyLimitWei_, uint64 maxReadingAgeS_) private {
        (maxTradeWei, dailyLimitWei, maxReadingAgeS) = (maxTradeWei_, dailyLimitWei_, maxReadingAgeS_);
        emit LimitsSet(maxTradeWei_, dailyLimitWei_, maxReadingAgeS_);
    }
}
