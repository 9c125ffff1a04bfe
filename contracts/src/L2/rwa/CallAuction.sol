// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IRWAToken, RWAOwnable, EIP712Dynamic} from "./RWACommon.sol";
import {VenueRegistry} from "./VenueRegistry.sol";

interface IAuctionPriceFeed {
    function latestPrice(address asset) external view returns (uint256 price, uint64 updatedAt);
}

interface IVenueFilter {
    function isVenueAllowed(address asset, address venue) external view returns (bool);
}

interface IAuctionAsset {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function decimals() external view returns (uint8);
}

/// @title CallAuction
/// @notice The liquidity alliance's market: a uniform-price call auction per asset, shared by
/// every licensed venue (`VenueRegistry`), settled against native HKD.
///
/// 1. A venue allowed for the asset (`Compliance.isVenueAllowed`) opens an auction with a cut-off.
/// 2. Investors sign EIP-712 `Order`s (domain "Lantau CallAuction", version "1"; ERC-1271 for
///    contract wallets) at their venue; each order names its venue and auction.
/// 3. Before the cut-off each venue commits the Merkle root of its book (`commitBook`; leaves are
///    `keccak256(keccak256(orderId))`, pairs hashed sorted, as OpenZeppelin's `MerkleProof`);
///    it may replace its root until the cut-off, never after.
/// 4. After the cut-off any active venue, as matcher, submits the clearing price and the fills
///    (`settle`), computed by the one matching rule (`rwa/auction.py`: maximum volume, minimum
///    imbalance, closest to the reference; price-time priority). Every venue recomputes it from
///    the committed books and disputes a difference. The contract checks each fill: the order is
///    in a committed book (proof), signed by its trader, unexpired, on a venue that is active and
///    allowed for the asset, within its limit (buy limit >= price >= sell limit), filled at most
///    once and never beyond its amount; buys equal sells; the price is within `bandBps` of the
///    asset's `PriceFeed` price (circuit breaker). Asset legs go seller to buyer through the
///    token (its compliance; sellers approve this contract), cash legs on this contract's native
///    HKD escrow: a buyer pays `amount * price / 10**decimals` plus its venue's fee, a seller
///    receives it minus its venue's fee, fees go to the venues' recipients. Any failure reverts
///    the whole auction: all or nothing. Escrow = the contract's HKD balance, always.
///
/// Predeploy: write slot 0 (`owner`), `venueRegistry`, `priceFeed`, `compliance`, `bandBps` and
/// the `Initializable` slot (= 1) in the genesis, or call `initialize` in the first block.
contract CallAuction is RWAOwnable, EIP712Dynamic, ReentrancyGuardTransient {
    struct Order {
        address trader;
        address asset;
        address venue; // the venue whose book holds the order (its operator address)
        uint64 auctionId;
        uint8 side; // 0 buy, 1 sell
        uint256 amount; // asset units
        uint256 limitPrice; // HKD wei per whole token
        uint64 placedAt; // time priority
        uint64 expiry; // last second at which it may fill
        uint256 salt;
    }

    struct OrderFill {
        Order order;
        uint256 amount;
        bytes signature;
        bytes32[] proof;
    }

    enum AuctionStatus {
        None,
        Open,
        Settled
    }

    struct Auction {
        address asset;
        uint64 cutoff;
        AuctionStatus status;
        uint256 price;
        uint256 volume;
    }

    /// @dev A leg of the settlement, kept in memory between the checks and the transfers.
    struct Leg {
        address trader;
        uint256 amount;
    }

    /// @dev One `settle` in progress, in memory (keeps the stack shallow).
    struct Settlement {
        uint64 auctionId;
        address asset;
        uint256 price;
        uint256 scale; // 10**decimals of the asset
        Leg[] buys;
        Leg[] sells;
        uint256 buyCount;
        uint256 sellCount;
        uint256 bought;
        uint256 sold;
    }

    bytes32 public constant ORDER_TYPEHASH = keccak256(
        "Order(address trader,address asset,address venue,uint64 auctionId,uint8 side,uint256 amount,"
        "uint256 limitPrice,uint64 placedAt,uint64 expiry,uint256 salt)"
    );
    uint8 public constant BUY = 0;
    uint8 public constant SELL = 1;
    uint16 public constant MAX_BAND_BPS = 5_000;
    /// @dev Transient marks of the orders filled by the running `settle`.
    bytes32 private constant FILLED_MARK = keccak256("lantau.CallAuction.filled");

    VenueRegistry public venueRegistry;
    IAuctionPriceFeed public priceFeed;
    IVenueFilter public compliance;
    uint256 public bandBps; // a whole slot, so the genesis writes it by name
    uint64 public auctionCount;
    mapping(uint64 auctionId => Auction) private _auctions;
    mapping(uint64 auctionId => mapping(address venue => bytes32 root)) public bookRoot;
    mapping(address account => uint256 amountWei) public escrowOf;

    event AuctionOpened(uint64 indexed auctionId, address indexed asset, uint64 cutoff, address indexed venue);
    event BookCommitted(uint64 indexed auctionId, address indexed venue, bytes32 root);
    event OrderFilled(
        uint64 indexed auctionId,
        bytes32 indexed orderId,
        address indexed trader,
        address venue,
        uint8 side,
        uint256 amount,
        uint256 cashWei,
        uint256 feeWei
    );
    event AuctionSettled(uint64 indexed auctionId, address indexed asset, uint256 price, uint256 volume, address matcher);
    event BandSet(uint16 bandBps);
    event Deposited(address indexed account, uint256 amountWei);
    event Withdrawn(address indexed account, uint256 amountWei);

    error NotActiveVenue(address caller);
    error VenueNotAllowed(address asset, address venue);
    error InvalidBand(uint16 bandBps);
    error CutoffInPast(uint64 cutoff, uint256 nowTimestamp);
    error UnknownAuction(uint64 auctionId);
    error AuctionClosed(uint64 auctionId, uint64 cutoff, uint256 nowTimestamp);
    error AuctionNotClosed(uint64 auctionId, uint64 cutoff, uint256 nowTimestamp);
    error AuctionAlreadySettled(uint64 auctionId);
    error EmptyRoot();
    error PriceOutsideBand(uint256 price, uint256 referencePrice, uint256 bandBps);
    error OrderNotInAuction(bytes32 orderId, uint64 auctionId, address asset);
    error BookNotCommitted(uint64 auctionId, address venue);
    error OrderNotCommitted(bytes32 orderId, address venue);
    error InvalidOrderSignature(bytes32 orderId, address trader);
    error OrderExpired(bytes32 orderId, uint64 expiry, uint256 nowTimestamp);
    error InvalidSide(bytes32 orderId, uint8 side);
    error LimitViolated(bytes32 orderId, uint8 side, uint256 limitPrice, uint256 price);
    error Overfill(bytes32 orderId, uint256 fill, uint256 amount);
    error OrderFilledTwice(bytes32 orderId);
    error FractionalCash(bytes32 orderId, uint256 amount, uint256 price);
    error VolumeMismatch(uint256 buys, uint256 sells);
    error NothingToSettle(uint64 auctionId);
    error InsufficientEscrow(address account, uint256 availableWei, uint256 requiredWei);
    error NativeTransferFailed(address to, uint256 amountWei);

    function initialize(
        address initialOwner,
        VenueRegistry venueRegistry_,
        IAuctionPriceFeed priceFeed_,
        IVenueFilter compliance_,
        uint16 bandBps_
    ) external initializer {
        _initOwner(initialOwner);
        venueRegistry = venueRegistry_;
        priceFeed = priceFeed_;
        compliance = compliance_;
        _setBand(bandBps_);
    }

    /// @notice The circuit breaker: the largest distance, in basis points of the asset's
    /// `PriceFeed` price, between that price and a clearing price.
    function setBand(uint16 bandBps_) external onlyOwner {
        _setBand(bandBps_);
    }

    // --- escrow --------------------------------------------------------------------------------

    receive() external payable {
        _credit(msg.sender, msg.value);
    }

    function deposit() external payable {
        _credit(msg.sender, msg.value);
    }

    function withdraw(uint256 amountWei) external nonReentrant {
        uint256 available = escrowOf[msg.sender];
        if (available < amountWei) revert InsufficientEscrow(msg.sender, available, amountWei);
        escrowOf[msg.sender] = available - amountWei;
        emit Withdrawn(msg.sender, amountWei);
        (bool ok,) = payable(msg.sender).call{value: amountWei}("");
        if (!ok) revert NativeTransferFailed(msg.sender, amountWei);
    }

    // --- auction -------------------------------------------------------------------------------

    function openAuction(address asset, uint64 cutoff) external returns (uint64 auctionId) {
        _requireVenueFor(asset, msg.sender);
        if (cutoff <= block.timestamp) revert CutoffInPast(cutoff, block.timestamp);
        auctionId = ++auctionCount;
        _auctions[auctionId] = Auction(asset, cutoff, AuctionStatus.Open, 0, 0);
        emit AuctionOpened(auctionId, asset, cutoff, msg.sender);
    }

    /// @notice The calling venue's book for the auction, as a Merkle root; replaceable until the cut-off.
    function commitBook(uint64 auctionId, bytes32 root) external {
        Auction storage auction = _open(auctionId);
        if (block.timestamp >= auction.cutoff) revert AuctionClosed(auctionId, auction.cutoff, block.timestamp);
        if (root == bytes32(0)) revert EmptyRoot();
        _requireVenueFor(auction.asset, msg.sender);
        bookRoot[auctionId][msg.sender] = root;
        emit BookCommitted(auctionId, msg.sender, root);
    }

    /// @notice Settles the auction at `price` with `fills` (see the contract notes); all or nothing.
    function settle(uint64 auctionId, uint256 price, OrderFill[] calldata fills) external nonReentrant {
        if (!venueRegistry.isActive(msg.sender)) revert NotActiveVenue(msg.sender);
        Auction storage auction = _open(auctionId);
        if (block.timestamp < auction.cutoff) revert AuctionNotClosed(auctionId, auction.cutoff, block.timestamp);
        if (fills.length == 0) revert NothingToSettle(auctionId);
        Settlement memory run = Settlement({
            auctionId: auctionId,
            asset: auction.asset,
            price: price,
            scale: 10 ** IAuctionAsset(auction.asset).decimals(),
            buys: new Leg[](fills.length),
            sells: new Leg[](fills.length),
            buyCount: 0,
            sellCount: 0,
            bought: 0,
            sold: 0
        });
        _checkBand(run.asset, price);
        for (uint256 i; i < fills.length; ++i) {
            _take(run, fills[i]);
        }
        if (run.bought != run.sold) revert VolumeMismatch(run.bought, run.sold);
        _deliver(run);
        auction.status = AuctionStatus.Settled;
        auction.price = price;
        auction.volume = run.bought;
        emit AuctionSettled(auctionId, run.asset, price, run.bought, msg.sender);
    }

    // --- views ---------------------------------------------------------------------------------

    function auctionOf(uint64 auctionId) external view returns (Auction memory) {
        return _auctions[auctionId];
    }

    /// @notice The EIP-712 digest the trader signs; also the order's id.
    function orderId(Order calldata order) public view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(ORDER_TYPEHASH, order)));
    }

    /// @notice The Merkle leaf of an order in its venue's book.
    function orderLeaf(bytes32 id) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(id))));
    }

    // --- internals -----------------------------------------------------------------------------

    function _take(Settlement memory run, OrderFill calldata fill) private {
        _checkFill(run.auctionId, run.asset, run.price, fill);
        _settleCash(run.auctionId, fill, run.price, run.scale);
        if (fill.order.side == BUY) {
            run.buys[run.buyCount++] = Leg(fill.order.trader, fill.amount);
            run.bought += fill.amount;
        } else {
            run.sells[run.sellCount++] = Leg(fill.order.trader, fill.amount);
            run.sold += fill.amount;
        }
    }

    function _checkFill(uint64 auctionId, address asset, uint256 price, OrderFill calldata fill) private {
        Order calldata order = fill.order;
        bytes32 id = orderId(order);
        if (order.asset != asset || order.auctionId != auctionId) revert OrderNotInAuction(id, auctionId, asset);
        bytes32 root = bookRoot[auctionId][order.venue];
        if (root == bytes32(0)) revert BookNotCommitted(auctionId, order.venue);
        if (!MerkleProof.verifyCalldata(fill.proof, root, orderLeaf(id))) revert OrderNotCommitted(id, order.venue);
        _requireVenueFor(asset, order.venue);
        if (block.timestamp > order.expiry) revert OrderExpired(id, order.expiry, block.timestamp);
        if (!SignatureChecker.isValidSignatureNow(order.trader, id, fill.signature)) {
            revert InvalidOrderSignature(id, order.trader);
        }
        if (order.side > SELL) revert InvalidSide(id, order.side);
        if (order.side == BUY ? order.limitPrice < price : order.limitPrice > price) {
            revert LimitViolated(id, order.side, order.limitPrice, price);
        }
        if (fill.amount == 0 || fill.amount > order.amount) revert Overfill(id, fill.amount, order.amount);
        bytes32 mark = keccak256(abi.encode(FILLED_MARK, id));
        uint256 seen;
        assembly ("memory-safe") {
            seen := tload(mark)
            tstore(mark, 1)
        }
        if (seen != 0) revert OrderFilledTwice(id);
    }

    function _settleCash(uint64 auctionId, OrderFill calldata fill, uint256 price, uint256 scale) private {
        Order calldata order = fill.order;
        uint256 gross = fill.amount * price;
        if (gross % scale != 0) revert FractionalCash(orderId(order), fill.amount, price);
        uint256 cash = gross / scale;
        (address feeRecipient, uint16 feeBps) = venueRegistry.activeVenueFee(order.venue);
        uint256 fee = cash * feeBps / 10_000;
        if (order.side == BUY) {
            uint256 due = cash + fee;
            uint256 available = escrowOf[order.trader];
            if (available < due) revert InsufficientEscrow(order.trader, available, due);
            escrowOf[order.trader] = available - due;
        } else {
            escrowOf[order.trader] += cash - fee;
        }
        escrowOf[feeRecipient] += fee;
        emit OrderFilled(auctionId, orderId(order), order.trader, order.venue, order.side, fill.amount, cash, fee);
    }

    /// @dev Pairs sellers with buyers in the order of the fills: one transfer per pair.
    function _deliver(Settlement memory run) private {
        IAuctionAsset asset = IAuctionAsset(run.asset);
        Leg[] memory buys = run.buys;
        Leg[] memory sells = run.sells;
        uint256 b;
        uint256 s;
        while (b < run.buyCount && s < run.sellCount) {
            uint256 amount = buys[b].amount < sells[s].amount ? buys[b].amount : sells[s].amount;
            asset.transferFrom(sells[s].trader, buys[b].trader, amount);
            buys[b].amount -= amount;
            sells[s].amount -= amount;
            if (buys[b].amount == 0) ++b;
            if (sells[s].amount == 0) ++s;
        }
    }

    function _checkBand(address asset, uint256 price) private view {
        (uint256 referencePrice,) = priceFeed.latestPrice(asset);
        uint256 distance = price > referencePrice ? price - referencePrice : referencePrice - price;
        if (price == 0 || distance * 10_000 > referencePrice * bandBps) {
            revert PriceOutsideBand(price, referencePrice, bandBps);
        }
    }

    function _open(uint64 auctionId) private view returns (Auction storage auction_) {
        auction_ = _auctions[auctionId];
        if (auction_.status == AuctionStatus.None) revert UnknownAuction(auctionId);
        if (auction_.status == AuctionStatus.Settled) revert AuctionAlreadySettled(auctionId);
    }

    function _requireVenueFor(address asset, address venue) private view {
        if (!venueRegistry.isActive(venue)) revert NotActiveVenue(venue);
        if (!compliance.isVenueAllowed(asset, venue)) revert VenueNotAllowed(asset, venue);
    }

    function _setBand(uint16 bandBps_) private {
        if (bandBps_ == 0 || bandBps_ > MAX_BAND_BPS) revert InvalidBand(bandBps_);
        bandBps = bandBps_;
        emit BandSet(bandBps_);
    }

    function _credit(address account, uint256 amountWei) private {
        escrowOf[account] += amountWei;
        emit Deposited(account, amountWei);
    }

    function _eip712Name() internal pure override returns (string memory) {
        return "Lantau CallAuction";
    }
}
