// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {RWAOwnable, EIP712Dynamic} from "./RWACommon.sol";

/// @title SettlementEngine
/// @notice Atomic delivery versus payment (DvP), T+0. A trade delivers `assetAmount` of an ERC-20
/// (an RWAToken, or any ERC-20 for an FX leg) from seller to buyer against `payAmount` of either
/// native HKD (`payToken == address(0)`) or an ERC-20 from buyer to seller. Both legs move in one
/// call frame or neither does.
///
/// Bilateral OTC flow: seller and buyer both sign the EIP-712 `Trade` (domain name "Lantau
/// SettlementEngine", version "1"); anyone may submit it. A party that submits its own trade may
/// leave its signature empty. Signatures of contract wallets are checked with ERC-1271. The
/// EIP-712 digest is the trade id: a trade settles at most once, can be cancelled by either party
/// before it settles, and fails after `expiry` (unix seconds, inclusive). A trade also binds the
/// asset's split epoch (`RWAToken.splitEpoch`, 0 for a plain ERC-20) at signing: after a split
/// took effect it is refused (`SplitSinceSigned`), never settled at the pre-split unit count.
///
/// Native HKD: the buyer pre-funds an escrow (`deposit`, or `msg.value` of the settling call,
/// which is credited to the caller's escrow first). The cash leg moves on the escrow ledger: the
/// buyer's escrow is debited and the seller's credited; either withdraws at any time. A batch's
/// many cash legs between the same parties therefore settle as one net change per party (a
/// storage slot already written in the transaction costs 100 gas to write again), and only net
/// amounts ever leave the engine. Asset legs settle gross, each through the token's own
/// compliance check, as a permissioned asset requires. The engine always holds exactly the sum of
/// all escrow balances.
///
/// Batches: `settleBatch(trades, ..., atomic)`. Each trade runs in its own call frame
/// (`executeTrade`, callable only by the engine itself). With `atomic = false` a failing trade is
/// skipped - both its legs untouched - and reported by `TradeFailed(tradeId, index, reason)`;
/// with `atomic = true` the first failure reverts the whole batch with
/// `BatchTradeFailed(index, tradeId, reason)`. A trade that runs out of gas reverts the whole
/// batch (`BatchOutOfGas`) in either mode, so a batch never silently skips trades for want of
/// gas, and `eth_estimateGas` (which looks for the least gas at which the transaction succeeds)
/// returns enough gas to settle every trade that can settle.
///
/// Alliance venues (RFQ): a trade arranged at a licensed venue of the alliance market is signed
/// by both parties as the EIP-712 `VenueTrade(address venue,Trade trade)` (same domain), so the
/// venue is part of what they agreed; only that venue submits it (`settleAtVenue`), and only
/// while it is active in `VenueRegistry` and allowed for the asset by its issuer
/// (`Compliance.isVenueAllowed`). It settles as any trade (same checks, same legs) and is tagged
/// `VenueTradeSettled(tradeId, venue)`; its id is the `VenueTrade` digest, so the signatures of
/// a plain trade never settle it under a venue, nor one venue's under another.
///
/// Affirmation (both legs locked before settlement), one transaction: anyone holding both parties'
/// signatures calls `affirm(trade, ...)`, which locks both legs or neither. The asset leg: a hold on
/// the token (`RWAToken.createHoldFrom(seller, the trade id, recipient = buyer, amount =
/// assetAmount, expiry = the trade's expiry)`, with this engine as notary, spending the seller's
/// allowance to the engine as settling would; the token keeps it under `holdIdOf(engine, trade
/// id)`, an id only the engine can create, so nobody can take it first). The cash leg: native HKD moves from the buyer's
/// escrow into a lock for this trade; an ERC-20 leg (the HKD stablecoin as a token) moves from the
/// buyer into the engine (`transferFrom`, the buyer's allowance), held for this trade. A failing
/// affirm (a signature, the allowance, a frozen or short balance) reverts whole:
/// no hold, no lock. From then neither party can withdraw its leg or cancel the trade: the asset
/// cannot move (the hold) and the cash is not the buyer's. `settleAffirmed(trade)` (anyone, until
/// expiry) executes the hold - a checked transfer, so compliance still applies at settlement - and
/// pays the locked cash to the seller (its escrow for native HKD, its wallet for a token); after
/// expiry `releaseAffirmed(trade)` (anyone) returns the cash to the buyer (escrow or wallet) and
/// releases the hold. An affirmed trade settles only this way (`TradeIsAffirmed` elsewhere). The
/// engine holds exactly the sum of all escrow balances plus all locked native cash legs in HKD,
/// and exactly the locked legs in each token.
///
/// Escrow freezes: the owner (the platform operator, answering to the regulator) freezes an
/// account's HKD escrow (`setEscrowFrozen`): it can neither withdraw nor pay a trade from it until
/// unfrozen (`EscrowFrozen`); credits from its sales still arrive, and stay frozen with the rest.
///
/// Predeploy: place the runtime code at the genesis address, then either
///   (a) call `initialize(owner)` in the first L2 block, or
///   (b) let the genesis builder write storage: slot 0 (`owner`) = owner address and the
///       `Initializable` slot (`INITIALIZABLE_SLOT` in RWACommon.sol) = 1.
/// @dev What `settleAtVenue` asks VenueRegistry (`isActive`) and Compliance (`isVenueAllowed`).
interface IVenues {
    function isActive(address operator) external view returns (bool);
    function isVenueAllowed(address asset, address venue) external view returns (bool);
}

/// @dev The holds of an RWAToken that affirmation uses (ids namespaced by their creator: the
/// engine's hold of a trade is `holdIdOf(engine, tradeId)`, out of any holder's reach).
interface IHoldable {
    function holdOf(bytes32 holdId)
        external
        view
        returns (address holder, address notary, address recipient, uint256 amount, uint48 expiry, uint8 status);
    function createHoldFrom(address holder, bytes32 userHoldId, address recipient, uint256 amount, uint48 expiry)
        external
        returns (bytes32 holdId);
    function executeHold(bytes32 holdId) external returns (bool);
    function releaseHold(bytes32 holdId) external returns (bool);
}

uint8 constant HOLD_ACTIVE = 1; // RWATokenBase.HoldStatus.Active

contract SettlementEngine is RWAOwnable, EIP712Dynamic, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    struct Trade {
        address seller; // delivers the asset
        address buyer; // pays
        address asset; // ERC-20 delivered (an RWAToken, or a currency token for FX)
        uint256 assetAmount;
        address payToken; // address(0): native HKD from the buyer's escrow
        uint256 payAmount;
        uint64 expiry; // last second at which the trade may settle
        uint256 salt; // distinguishes trades with identical terms
        uint256 assetSplitEpoch; // `RWAToken.splitEpoch()` when signed; 0 for a plain ERC-20
    }

    enum TradeStatus {
        None,
        Settled,
        Cancelled,
        Affirmed
    }

    /// @dev A trade's locked legs: the asset's hold and the buyer's cash taken for it (HKD wei, or
    /// the pay token's units).
    struct Affirmation {
        bytes32 holdId;
        uint256 lockedAmount;
    }

    bytes32 public constant TRADE_TYPEHASH = keccak256(
        "Trade(address seller,address buyer,address asset,uint256 assetAmount,"
        "address payToken,uint256 payAmount,uint64 expiry,uint256 salt,uint256 assetSplitEpoch)"
    );
    bytes32 public constant VENUE_TRADE_TYPEHASH = keccak256(
        "VenueTrade(address venue,Trade trade)Trade(address seller,address buyer,address asset,uint256 assetAmount,"
        "address payToken,uint256 payAmount,uint64 expiry,uint256 salt,uint256 assetSplitEpoch)"
    );
    /// @notice The VenueRegistry and Compliance predeploys (genesis/predeploys.py).
    address public constant VENUE_REGISTRY = 0x4200000000000000000000000000000000000807;
    address public constant COMPLIANCE = 0x4200000000000000000000000000000000000801;
    /// @notice Gas a batch keeps back from each trade's call, to report `BatchOutOfGas`.
    uint256 public constant BATCH_GAS_RESERVE = 10_000;

    mapping(bytes32 tradeId => TradeStatus) public tradeStatus;
    mapping(address account => uint256 amountWei) public escrowOf;
    mapping(address account => bool) public isEscrowFrozen;
    mapping(bytes32 tradeId => Affirmation) public affirmationOf;

    event Deposited(address indexed account, uint256 amountWei);
    event Withdrawn(address indexed account, address indexed to, uint256 amountWei);
    event TradeSettled(
        bytes32 indexed tradeId,
        address indexed seller,
        address indexed buyer,
        address asset,
        uint256 assetAmount,
        address payToken,
        uint256 payAmount
    );
    event TradeFailed(bytes32 indexed tradeId, uint256 index, bytes reason);
    event TradeCancelled(bytes32 indexed tradeId, address indexed by);
    event BatchSettled(address indexed submitter, uint256 trades, uint256 settled, bool atomic);
    event EscrowFrozen(address indexed account, bool frozen);
    event VenueTradeSettled(bytes32 indexed tradeId, address indexed venue, address indexed asset);
    event TradeAffirmed(bytes32 indexed tradeId, bytes32 indexed holdId, address payToken, uint256 lockedAmount);
    event AffirmationReleased(bytes32 indexed tradeId, bytes32 indexed holdId, uint256 refundedAmount);

    error InvalidTrade(bytes32 tradeId, string why);
    error TradeExpired(bytes32 tradeId, uint64 expiry, uint256 nowTimestamp);
    error TradeAlreadySettled(bytes32 tradeId);
    error TradeIsCancelled(bytes32 tradeId);
    error InvalidSignature(bytes32 tradeId, address signer);
    error InsufficientEscrow(address account, uint256 availableWei, uint256 requiredWei);
    error NotTradeParty(bytes32 tradeId, address caller);
    error OnlySelf(address caller);
    error LengthMismatch(uint256 trades, uint256 sellerSignatures, uint256 buyerSignatures);
    error BatchTradeFailed(uint256 index, bytes32 tradeId, bytes reason);
    error BatchOutOfGas(uint256 index);
    error InvalidGasCap(uint256 gasPerTrade);
    error NativeTransferFailed(address to, uint256 amountWei);
    error NotActiveVenue(address caller);
    error VenueNotAllowed(address asset, address venue);
    /// @notice The account's HKD escrow is frozen: no withdrawal and no payment from it.
    error EscrowIsFrozen(address account);
    /// @notice The asset split since the trade was signed: its unit count no longer means what the
    /// parties agreed; they sign again at the new epoch.
    error SplitSinceSigned(bytes32 tradeId, uint256 signedEpoch, uint256 currentEpoch);
    /// @notice The trade's legs are locked by affirmation: it settles with `settleAffirmed`, or is
    /// released after expiry with `releaseAffirmed`.
    error TradeIsAffirmed(bytes32 tradeId);
    error TradeNotAffirmed(bytes32 tradeId);
    /// @notice An affirmed trade is released only after its expiry.
    error TradeNotExpired(bytes32 tradeId, uint64 expiry);

    function initialize(address initialOwner) external initializer {
        _initOwner(initialOwner);
    }

    /// @notice Freezes or unfreezes `account`'s HKD escrow (see the contract notes).
    function setEscrowFrozen(address account, bool frozen) external onlyOwner {
        isEscrowFrozen[account] = frozen;
        emit EscrowFrozen(account, frozen);
    }

    receive() external payable {
        _credit(msg.sender, msg.value);
    }

    // --- escrow --------------------------------------------------------------------------------

    function deposit() external payable {
        _credit(msg.sender, msg.value);
    }

    function depositFor(address account) external payable {
        _credit(account, msg.value);
    }

    function withdraw(uint256 amountWei) external nonReentrant {
        _withdraw(payable(msg.sender), amountWei);
    }

    function withdrawTo(address payable to, uint256 amountWei) external nonReentrant {
        _withdraw(to, amountWei);
    }

    // --- settlement ----------------------------------------------------------------------------

    /// @notice The EIP-712 digest both parties sign; also the trade's id.
    function tradeId(Trade calldata t) public view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(TRADE_TYPEHASH, t)));
    }

    /// @notice The EIP-712 digest of `VenueTrade(venue, t)`: what both parties sign for a trade at
    /// `venue`, and its id.
    function venueTradeId(Trade calldata t, address venue) public view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(VENUE_TRADE_TYPEHASH, venue, keccak256(abi.encode(TRADE_TYPEHASH, t)))));
    }

    /// @notice The calling venue settles a trade its two parties signed for it (see the contract
    /// notes); `msg.value` is credited to the venue's escrow first, as in `settle`.
    function settleAtVenue(Trade calldata t, bytes calldata sellerSignature, bytes calldata buyerSignature)
        external
        payable
        nonReentrant
    {
        if (!IVenues(VENUE_REGISTRY).isActive(msg.sender)) revert NotActiveVenue(msg.sender);
        if (!IVenues(COMPLIANCE).isVenueAllowed(t.asset, msg.sender)) revert VenueNotAllowed(t.asset, msg.sender);
        if (msg.value != 0) _credit(msg.sender, msg.value);
        bytes32 id = venueTradeId(t, msg.sender);
        _execute(id, t, sellerSignature, buyerSignature, msg.sender);
        emit VenueTradeSettled(id, msg.sender, t.asset);
    }

    /// @notice Settles one trade; reverts with the failing check's error. `msg.value` is credited
    /// to the caller's escrow first (a buyer settling its own trade pays with it).
    function settle(Trade calldata t, bytes calldata sellerSignature, bytes calldata buyerSignature)
        external
        payable
        nonReentrant
    {
        if (msg.value != 0) _credit(msg.sender, msg.value);
        _execute(tradeId(t), t, sellerSignature, buyerSignature, msg.sender);
    }

    /// @notice Settles many trades in one transaction, each atomically; see the contract notes for
    /// `atomic`. Returns how many settled.
    function settleBatch(
        Trade[] calldata trades,
        bytes[] calldata sellerSignatures,
        bytes[] calldata buyerSignatures,
        bool atomic
    ) external payable nonReentrant returns (uint256 settled) {
        return _settleBatch(trades, sellerSignatures, buyerSignatures, atomic, 0);
    }

    /// @notice A non-atomic batch in which each trade gets at most `gasPerTrade` gas: a trade that
    /// needs more (a griefing leg, e.g. a token whose transfer burns gas) fails alone
    /// (`TradeFailed`) instead of exhausting the batch. The transaction itself must carry enough gas
    /// to give every trade its cap, else `BatchOutOfGas`.
    function settleBatchWithGasCap(
        Trade[] calldata trades,
        bytes[] calldata sellerSignatures,
        bytes[] calldata buyerSignatures,
        uint256 gasPerTrade
    ) external payable nonReentrant returns (uint256 settled) {
        if (gasPerTrade == 0) revert InvalidGasCap(gasPerTrade);
        return _settleBatch(trades, sellerSignatures, buyerSignatures, false, gasPerTrade);
    }

    function _settleBatch(
        Trade[] calldata trades,
        bytes[] calldata sellerSignatures,
        bytes[] calldata buyerSignatures,
        bool atomic,
        uint256 gasPerTrade
    ) private returns (uint256 settled) {
        uint256 n = trades.length;
        if (sellerSignatures.length != n || buyerSignatures.length != n) {
            revert LengthMismatch(n, sellerSignatures.length, buyerSignatures.length);
        }
        if (msg.value != 0) _credit(msg.sender, msg.value);
        for (uint256 i; i < n; ++i) {
            uint256 gasBefore = gasleft();
            // With a cap, the call must really get it (63/64 rule, plus the call's own costs).
            if (gasPerTrade != 0 && gasBefore < gasPerTrade + gasPerTrade / 63 + BATCH_GAS_RESERVE) revert BatchOutOfGas(i);
            // Without one, the trade gets all but a reserve that lets this frame report
            // `BatchOutOfGas` however little gas the trade left.
            if (gasBefore < 2 * BATCH_GAS_RESERVE) revert BatchOutOfGas(i);
            uint256 gasForTrade = gasPerTrade != 0 ? gasPerTrade : gasBefore - BATCH_GAS_RESERVE;
            try this.executeTrade{gas: gasForTrade}(trades[i], sellerSignatures[i], buyerSignatures[i], msg.sender) {
                settled += 1;
            } catch (bytes memory reason) {
                // Out of gas is the transaction's fault, not the trade's: fail the whole batch
                // rather than skip a trade that would settle with more gas (a capped trade that
                // spends its cap is the trade's fault).
                if (gasPerTrade == 0 && reason.length == 0 && gasleft() <= gasForTrade / 64 + BATCH_GAS_RESERVE) {
                    revert BatchOutOfGas(i);
                }
                bytes32 id = tradeId(trades[i]);
                if (atomic) revert BatchTradeFailed(i, id, reason);
                emit TradeFailed(id, i, reason);
            }
        }
        emit BatchSettled(msg.sender, n, settled, atomic);
    }

    /// @notice One trade of a batch in its own call frame, so that its failure undoes exactly its
    /// own legs. Only the engine may call it.
    function executeTrade(
        Trade calldata t,
        bytes calldata sellerSignature,
        bytes calldata buyerSignature,
        address submitter
    ) external {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        _execute(tradeId(t), t, sellerSignature, buyerSignature, submitter);
    }

    /// @notice Locks both legs of a signed trade in one transaction (see the contract notes): a
    /// hold on the seller's asset units (the engine's id = the trade id) and the buyer's cash, from its HKD
    /// escrow or, for an ERC-20 cash leg, its token balance. `msg.value` is credited to the caller's
    /// escrow first.
    function affirm(Trade calldata t, bytes calldata sellerSignature, bytes calldata buyerSignature)
        external
        payable
        nonReentrant
    {
        if (msg.value != 0) _credit(msg.sender, msg.value);
        bytes32 id = tradeId(t);
        _checkTrade(id, t, sellerSignature, buyerSignature, msg.sender);
        tradeStatus[id] = TradeStatus.Affirmed;
        if (t.payToken == address(0)) {
            _debitEscrow(t.buyer, t.payAmount);
        } else {
            IERC20(t.payToken).safeTransferFrom(t.buyer, address(this), t.payAmount);
        }
        uint48 holdExpiry = t.expiry > type(uint48).max ? type(uint48).max : uint48(t.expiry);
        bytes32 holdId = IHoldable(t.asset).createHoldFrom(t.seller, id, t.buyer, t.assetAmount, holdExpiry);
        affirmationOf[id] = Affirmation(holdId, t.payAmount);
        emit TradeAffirmed(id, holdId, t.payToken, t.payAmount);
    }

    /// @notice Settles an affirmed trade until its expiry: the hold moves the asset (through the
    /// token's checks) and the locked cash goes to the seller's escrow.
    function settleAffirmed(Trade calldata t) external nonReentrant {
        bytes32 id = tradeId(t);
        Affirmation memory a = _affirmed(id);
        if (block.timestamp > t.expiry) revert TradeExpired(id, t.expiry, block.timestamp);
        tradeStatus[id] = TradeStatus.Settled;
        delete affirmationOf[id];
        _payLocked(t.payToken, t.seller, a.lockedAmount);
        IHoldable(t.asset).executeHold(a.holdId);
        emit TradeSettled(id, t.seller, t.buyer, t.asset, t.assetAmount, t.payToken, t.payAmount);
    }

    /// @notice After its expiry, anyone releases an affirmed trade that did not settle: the cash
    /// returns to the buyer's escrow and the hold is released.
    function releaseAffirmed(Trade calldata t) external nonReentrant {
        bytes32 id = tradeId(t);
        Affirmation memory a = _affirmed(id);
        if (block.timestamp <= t.expiry) revert TradeNotExpired(id, t.expiry);
        tradeStatus[id] = TradeStatus.Cancelled;
        delete affirmationOf[id];
        _payLocked(t.payToken, t.buyer, a.lockedAmount);
        (,,,,, uint8 status) = IHoldable(t.asset).holdOf(a.holdId);
        if (status == HOLD_ACTIVE) IHoldable(t.asset).releaseHold(a.holdId); // anyone may have done it
        emit AffirmationReleased(id, a.holdId, a.lockedAmount);
    }

    /// @notice Either party withdraws an unsettled trade.
    function cancel(Trade calldata t) external {
        bytes32 id = tradeId(t);
        if (msg.sender != t.seller && msg.sender != t.buyer) revert NotTradeParty(id, msg.sender);
        _requireOpen(id);
        tradeStatus[id] = TradeStatus.Cancelled;
        emit TradeCancelled(id, msg.sender);
    }

    // --- internals -----------------------------------------------------------------------------

    function _execute(bytes32 id, Trade calldata t, bytes calldata sellerSig, bytes calldata buyerSig, address submitter)
        private
    {
        _checkTrade(id, t, sellerSig, buyerSig, submitter);
        tradeStatus[id] = TradeStatus.Settled;
        if (t.payToken == address(0)) {
            _debitEscrow(t.buyer, t.payAmount);
            escrowOf[t.seller] += t.payAmount;
        } else {
            IERC20(t.payToken).safeTransferFrom(t.buyer, t.seller, t.payAmount);
        }
        IERC20(t.asset).safeTransferFrom(t.seller, t.buyer, t.assetAmount);
        emit TradeSettled(id, t.seller, t.buyer, t.asset, t.assetAmount, t.payToken, t.payAmount);
    }

    /// @dev What settling and affirming a trade both require: open, not expired, well formed,
    /// signed by both parties, at the asset's current split epoch.
    function _checkTrade(bytes32 id, Trade calldata t, bytes calldata sellerSig, bytes calldata buyerSig, address submitter)
        private
        view
    {
        _requireOpen(id);
        if (block.timestamp > t.expiry) revert TradeExpired(id, t.expiry, block.timestamp);
        if (t.seller == t.buyer || t.seller == address(0) || t.buyer == address(0)) {
            revert InvalidTrade(id, "seller and buyer must be distinct parties");
        }
        if (t.asset == address(0) || t.asset == t.payToken) revert InvalidTrade(id, "invalid asset");
        if (t.assetAmount == 0 || t.payAmount == 0) revert InvalidTrade(id, "zero amount");
        _requireSigned(id, t.seller, sellerSig, submitter);
        _requireSigned(id, t.buyer, buyerSig, submitter);
        uint256 epoch = _splitEpoch(t.asset);
        if (epoch != t.assetSplitEpoch) revert SplitSinceSigned(id, t.assetSplitEpoch, epoch);
    }

    function _debitEscrow(address account, uint256 amountWei) private {
        if (isEscrowFrozen[account]) revert EscrowIsFrozen(account);
        uint256 available = escrowOf[account];
        if (available < amountWei) revert InsufficientEscrow(account, available, amountWei);
        escrowOf[account] = available - amountWei;
    }

    /// @dev A locked cash leg goes to `to`: native HKD onto its escrow, a token to its wallet.
    function _payLocked(address payToken, address to, uint256 amount) private {
        if (payToken == address(0)) {
            escrowOf[to] += amount;
        } else {
            IERC20(payToken).safeTransfer(to, amount);
        }
    }

    function _affirmed(bytes32 id) private view returns (Affirmation memory a) {
        if (tradeStatus[id] != TradeStatus.Affirmed) revert TradeNotAffirmed(id);
        return affirmationOf[id];
    }

    /// @dev The asset's `splitEpoch()`, or 0 for an asset without one (a plain ERC-20).
    function _splitEpoch(address asset) private view returns (uint256) {
        (bool ok, bytes memory answer) = asset.staticcall(abi.encodeWithSignature("splitEpoch()"));
        return ok && answer.length == 32 ? abi.decode(answer, (uint256)) : 0;
    }

    function _requireOpen(bytes32 id) private view {
        TradeStatus status = tradeStatus[id];
        if (status == TradeStatus.Settled) revert TradeAlreadySettled(id);
        if (status == TradeStatus.Cancelled) revert TradeIsCancelled(id);
        if (status == TradeStatus.Affirmed) revert TradeIsAffirmed(id);
    }

    function _requireSigned(bytes32 id, address party, bytes calldata signature, address submitter) private view {
        if (party == submitter && signature.length == 0) return;
        if (!SignatureChecker.isValidSignatureNow(party, id, signature)) revert InvalidSignature(id, party);
    }

    function _credit(address account, uint256 amountWei) private {
        escrowOf[account] += amountWei;
        emit Deposited(account, amountWei);
    }

    function _withdraw(address payable to, uint256 amountWei) private {
        _debitEscrow(msg.sender, amountWei);
        emit Withdrawn(msg.sender, to, amountWei);
        (bool ok,) = to.call{value: amountWei}("");
        if (!ok) revert NativeTransferFailed(to, amountWei);
    }

    function _eip712Name() internal pure override returns (string memory) {
        return "Lantau SettlementEngine";
    }
}
