// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRWAToken, RWAOwnable, EIP712Dynamic} from "./RWACommon.sol";
import {VenueRegistry} from "./VenueRegistry.sol";

interface IAuctionPriceFeed {
    function latestPrice(address asset) external view returns (uint256 price, uint64 updatedAt);
}

interface IVenueFilter {
    function isVenueAllowed(address asset, address venue) external view returns (bool);
    function releaseDailyVolume(address asset, address seller, uint256 amount, uint64 saleDay) external;
}

interface IAuctionAsset {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function decimals() external view returns (uint8);
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed); // ERC-7943
    function recordTimes() external view returns (uint48[] memory); // ascending
}

/// @title CallAuction
/// @notice The liquidity alliance's market: a uniform-price call auction per asset, shared by
/// every licensed venue (`VenueRegistry`), settled against native HKD.
///
/// 1. A venue allowed for the asset (`Compliance.isVenueAllowed`) opens an auction with a cut-off.
/// 2. Investors sign EIP-712 `Order`s (domain "Lantau CallAuction", version "1"; ERC-1271 for
///    contract wallets, e.g. an `AgentWallet`) at their venue; each order names its venue and auction.
/// 3. Before the cut-off each venue commits the Merkle root of its book (`commitBook`; leaves are
///    `keccak256(keccak256(orderId))`, pairs hashed sorted, as OpenZeppelin's `MerkleProof`);
///    it may replace its root until the cut-off, never after.
/// 4. After the cut-off any active venue, as matcher, submits the clearing (`submitClearing`): the
///    price, the volume (buys = sells) and a commitment to the fills, cut into pages: the Merkle
///    root of the pages' leaves (`pageLeaf`) and their count. The fills are those of the one
///    matching rule (`rwa/auction.py`: maximum volume, minimum imbalance, closest to the reference;
///    price-time priority); every venue recomputes them from the committed books and disputes a
///    difference. The price must be within `bandBps` of the asset's `PriceFeed` price (circuit
///    breaker). The settlement window (`SETTLEMENT_WINDOW_S`) starts.
/// 5. Anyone submits the pages (`settlePage`, as many transactions as there are pages). Each fill
///    is checked: the order is in a committed book (proof), signed by its trader, unexpired, on a
///    venue that is active and allowed for the asset, within its limit (buy limit >= price >= sell
///    limit), filled in one page only and never beyond its amount; a buyer must be able to receive
///    all it has bought in the auction so far (ERC-7943 `canTransfer` from this contract). Its legs move into this contract's
///    custody: a seller's tokens through the token (its compliance: this contract is a KYC'd
///    custodian identity of the asset; sellers approve it), a buyer's HKD out of its escrow
///    (`amount * price / 10**decimals` plus its venue's fee). Each party's claim is recorded.
///    When the last page is in and the totals balance (buys = sells = the committed volume), the
///    auction is `Settled`: final.
/// 6. Settled: each party (or anyone for it, `claim`) receives what it bought (tokens, through the
///    token's compliance) or earned (HKD into its escrow: the sale minus its venue's fee; venues'
///    fee recipients their fees). Not settled when the window closes (a page never verified, the
///    totals do not balance): anyone `cancel`s it and every party claims back what it put in. So
///    it is everything or nothing per asset, over as many transactions as needed, and nothing is
///    stranded. HKD held = escrows + claims' HKD, always. A party that cannot receive the shares
///    when paid (its wallet frozen, its KYC lapsed) keeps its claim until it can; claims are per
///    party, so it blocks nobody else's.
///
/// Custody and the asset's rules: while an auction settles this contract is a KYC'd identity
/// holding the sold shares (a KYC agent the asset trusts registers it). `Compliance` treats it as
/// a custodian, not an investor: it is no holder under a holder cap, has no maximum balance, and
/// its pay-outs and refunds count against no daily limit (the sellers' sales into custody and the
/// buyers' pay-outs are checked as any transfer); a cancelled auction's refund gives a seller back
/// the daily volume its sale into custody used (`Compliance.releaseDailyVolume`, that day only).
/// No record date falls inside a settlement window, so no distribution ever pays the shares in
/// custody to this contract, which could not pass it on: a clearing is refused while a record time
/// of the asset is pending before its deadline (`RecordTimeInSettlementWindow`), and
/// `CorporateActions` refuses a record time up to `settlingUntil(asset)`.
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

    /// @dev Values 0-2 as released; `Settling` (clearing submitted, pages coming in) and
    /// `Cancelled` (window closed before the last page) appended.
    enum AuctionStatus {
        None,
        Open,
        Settled,
        Settling,
        Cancelled
    }

    struct Auction {
        address asset;
        uint64 cutoff;
        AuctionStatus status;
        uint256 price;
        uint256 volume;
    }

    /// @notice A matcher's clearing and the pages taken so far.
    struct Clearing {
        uint256 price;
        uint256 volume; // committed: buys = sells = volume
        bytes32 pagesRoot;
        address matcher;
        uint64 deadline; // last second at which a page may be settled
        uint32 pageCount;
        uint32 pagesIn;
        uint64 clearedBlock; // the block of `submitClearing`: the pages' `OrderFilled` logs are from it on
        uint256 bought;
        uint256 sold;
    }

    /// @notice What a party put into custody (`tokensIn` sold, `cashIn` paid with fees) and what
    /// it is owed when the auction settles (`tokensOut` bought, `cashOut` earned net of fees).
    /// A seller's fill writes the first slot only, a buyer's the second.
    struct Claim {
        uint128 tokensIn;
        uint128 cashOut;
        uint128 cashIn;
        uint128 tokensOut;
    }

    /// @dev One page in progress, in memory (keeps the stack shallow).
    struct PageRun {
        uint64 auctionId;
        address asset;
        uint256 price;
        uint256 scale; // 10**decimals of the asset
        uint256 bought;
        uint256 sold;
        bytes32 fillsHash; // keccak256(abi.encode(previous, orderId, amount)) over the page's fills
    }

    bytes32 public constant ORDER_TYPEHASH = keccak256(
        "Order(address trader,address asset,address venue,uint64 auctionId,uint8 side,uint256 amount,"
        "uint256 limitPrice,uint64 placedAt,uint64 expiry,uint256 salt)"
    );
    uint8 public constant BUY = 0;
    uint8 public constant SELL = 1;
    uint16 public constant MAX_BAND_BPS = 5_000;
    /// @notice From the clearing to the last page: a 500-order book's ~25 pages land in seconds on
    /// the L2, and a blocked auction's parties get their tokens and HKD back within minutes.
    uint64 public constant SETTLEMENT_WINDOW_S = 10 minutes;

    VenueRegistry public venueRegistry;
    IAuctionPriceFeed public priceFeed;
    IVenueFilter public compliance;
    uint256 public bandBps; // a whole slot, so the genesis writes it by name
    uint64 public auctionCount;
    mapping(uint64 auctionId => Auction) private _auctions;
    mapping(uint64 auctionId => mapping(address venue => bytes32 root)) public bookRoot;
    mapping(address account => uint256 amountWei) public escrowOf;
    mapping(uint64 auctionId => Clearing) private _clearings;
    mapping(uint64 auctionId => mapping(uint256 page => bool)) public pageSettled;
    /// @notice Orders (by id, which names the auction) filled in a settled page.
    mapping(bytes32 orderId => bool) public orderFilled;
    mapping(uint64 auctionId => mapping(address party => Claim)) private _claims;
    /// @notice The latest settlement deadline of the asset's clearings: no record time up to it
    /// (see the custody notes).
    mapping(address asset => uint64 deadline) public settlingUntil;

    event AuctionOpened(uint64 indexed auctionId, address indexed asset, uint64 cutoff, address indexed venue);
    event BookCommitted(uint64 indexed auctionId, address indexed venue, bytes32 root);
    event ClearingSubmitted(
        uint64 indexed auctionId,
        address indexed matcher,
        uint256 price,
        uint256 volume,
        bytes32 pagesRoot,
        uint32 pageCount,
        uint64 deadline
    );
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
    event PageSettled(uint64 indexed auctionId, uint32 page, uint256 bought, uint256 sold);
    event AuctionSettled(uint64 indexed auctionId, address indexed asset, uint256 price, uint256 volume, address matcher);
    event AuctionCancelled(uint64 indexed auctionId, address by);
    event Claimed(uint64 indexed auctionId, address indexed party, bool settled, uint256 tokens, uint256 cashWei);
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
    /// @notice The step needs the auction in `required` status; it is in `status`.
    error WrongAuctionStatus(uint64 auctionId, AuctionStatus status, AuctionStatus required);
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
    /// @notice The buyer could not receive the asset from custody (ERC-7943 `canTransfer`).
    error BuyerCannotReceive(bytes32 orderId, address trader);
    error VolumeMismatch(uint256 buys, uint256 sells, uint256 volume);
    error NothingToSettle(uint64 auctionId);
    error PageOutOfRange(uint64 auctionId, uint32 page, uint32 pageCount);
    error PageAlreadySettled(uint64 auctionId, uint32 page);
    /// @notice The page's fills are not the committed page (`pageLeaf` not under the pages root).
    error PageNotCommitted(uint64 auctionId, uint32 page);
    error SettlementWindowClosed(uint64 auctionId, uint64 deadline, uint256 nowTimestamp);
    error SettlementWindowOpen(uint64 auctionId, uint64 deadline, uint256 nowTimestamp);
    /// @notice A record time of the asset is pending before the settlement deadline: the shares in
    /// custody would be snapshot as this contract's.
    error RecordTimeInSettlementWindow(address asset, uint48 recordTime, uint64 deadline);
    error NothingToClaim(uint64 auctionId, address party);
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
        Auction storage auction = _inStatus(auctionId, AuctionStatus.Open);
        if (block.timestamp >= auction.cutoff) revert AuctionClosed(auctionId, auction.cutoff, block.timestamp);
        if (root == bytes32(0)) revert EmptyRoot();
        _requireVenueFor(auction.asset, msg.sender);
        bookRoot[auctionId][msg.sender] = root;
        emit BookCommitted(auctionId, msg.sender, root);
    }

    /// @notice The matcher's clearing (see the contract notes): `price`, `volume`, and the root of
    /// the `pageCount` pages' leaves (`pageLeaf`).
    function submitClearing(uint64 auctionId, uint256 price, uint256 volume, bytes32 pagesRoot, uint32 pageCount)
        external
    {
        if (!venueRegistry.isActive(msg.sender)) revert NotActiveVenue(msg.sender);
        Auction storage auction = _inStatus(auctionId, AuctionStatus.Open);
        if (block.timestamp < auction.cutoff) revert AuctionNotClosed(auctionId, auction.cutoff, block.timestamp);
        if (volume == 0 || pageCount == 0 || pagesRoot == bytes32(0)) revert NothingToSettle(auctionId);
        _checkBand(auction.asset, price);
        uint64 deadline = uint64(block.timestamp) + SETTLEMENT_WINDOW_S;
        _requireNoRecordTimeBefore(auction.asset, deadline);
        if (deadline > settlingUntil[auction.asset]) settlingUntil[auction.asset] = deadline;
        _clearings[auctionId] =
            Clearing(price, volume, pagesRoot, msg.sender, deadline, pageCount, 0, uint64(block.number), 0, 0);
        auction.status = AuctionStatus.Settling;
        emit ClearingSubmitted(auctionId, msg.sender, price, volume, pagesRoot, pageCount, deadline);
    }

    /// @notice Checks page `page` of the clearing and takes its legs into custody (see the
    /// contract notes); the last page makes the auction final. Anyone may submit a page.
    function settlePage(uint64 auctionId, uint32 page, OrderFill[] calldata fills, bytes32[] calldata pageProof)
        external
        nonReentrant
    {
        Auction storage auction = _inStatus(auctionId, AuctionStatus.Settling);
        Clearing storage clearing = _clearings[auctionId];
        if (block.timestamp > clearing.deadline) {
            revert SettlementWindowClosed(auctionId, clearing.deadline, block.timestamp);
        }
        if (page >= clearing.pageCount) revert PageOutOfRange(auctionId, page, clearing.pageCount);
        if (pageSettled[auctionId][page]) revert PageAlreadySettled(auctionId, page);
        PageRun memory run = PageRun({
            auctionId: auctionId,
            asset: auction.asset,
            price: clearing.price,
            scale: 10 ** IAuctionAsset(auction.asset).decimals(),
            bought: 0,
            sold: 0,
            fillsHash: bytes32(0)
        });
        for (uint256 i; i < fills.length; ++i) {
            _take(run, fills[i]);
        }
        if (!MerkleProof.verifyCalldata(pageProof, clearing.pagesRoot, pageLeaf(auctionId, page, run.fillsHash))) {
            revert PageNotCommitted(auctionId, page);
        }
        uint256 bought = clearing.bought + run.bought;
        uint256 sold = clearing.sold + run.sold;
        if (bought > clearing.volume || sold > clearing.volume) revert VolumeMismatch(bought, sold, clearing.volume);
        pageSettled[auctionId][page] = true;
        (clearing.bought, clearing.sold) = (bought, sold);
        uint32 pagesIn = clearing.pagesIn + 1;
        clearing.pagesIn = pagesIn;
        emit PageSettled(auctionId, page, run.bought, run.sold);
        if (pagesIn == clearing.pageCount) {
            if (bought != clearing.volume || sold != clearing.volume) revert VolumeMismatch(bought, sold, clearing.volume);
            auction.status = AuctionStatus.Settled;
            auction.price = clearing.price;
            auction.volume = bought;
            emit AuctionSettled(auctionId, run.asset, clearing.price, bought, clearing.matcher);
        }
    }

    /// @notice An auction whose settlement window closed before its last page ends cancelled:
    /// every party then claims back what it put into custody. Anyone may call it.
    function cancel(uint64 auctionId) external {
        Auction storage auction = _inStatus(auctionId, AuctionStatus.Settling);
        uint64 deadline = _clearings[auctionId].deadline;
        if (block.timestamp <= deadline) revert SettlementWindowOpen(auctionId, deadline, block.timestamp);
        auction.status = AuctionStatus.Cancelled;
        emit AuctionCancelled(auctionId, msg.sender);
    }

    /// @notice Pays each of `parties` its claim: what it bought and earned when the auction is
    /// `Settled`, what it put in when `Cancelled` (tokens to its wallet through the token's
    /// compliance, HKD into its escrow). Anyone may pay anyone; a claim is paid once.
    function claim(uint64 auctionId, address[] calldata parties) external nonReentrant {
        Auction storage auction = _auctions[auctionId];
        AuctionStatus status = auction.status;
        if (status != AuctionStatus.Settled && status != AuctionStatus.Cancelled) {
            if (status == AuctionStatus.None) revert UnknownAuction(auctionId);
            revert WrongAuctionStatus(auctionId, status, AuctionStatus.Settled);
        }
        bool settled = status == AuctionStatus.Settled;
        for (uint256 i; i < parties.length; ++i) {
            address party = parties[i];
            (uint256 tokens, uint256 cash) = _due(_claims[auctionId][party], settled);
            if (tokens == 0 && cash == 0) revert NothingToClaim(auctionId, party);
            delete _claims[auctionId][party];
            if (cash != 0) escrowOf[party] += cash;
            if (!settled && tokens != 0) {
                // Its sale into custody counted against its daily limit; the refund gives it back.
                uint64 saleDay = (_clearings[auctionId].deadline - SETTLEMENT_WINDOW_S) / 1 days;
                compliance.releaseDailyVolume(auction.asset, party, tokens, saleDay);
            }
            if (tokens != 0) IAuctionAsset(auction.asset).transfer(party, tokens);
            emit Claimed(auctionId, party, settled, tokens, cash);
        }
    }

    // --- views ---------------------------------------------------------------------------------

    function auctionOf(uint64 auctionId) external view returns (Auction memory) {
        return _auctions[auctionId];
    }

    function clearingOf(uint64 auctionId) external view returns (Clearing memory) {
        return _clearings[auctionId];
    }

    function claimOf(uint64 auctionId, address party) external view returns (Claim memory) {
        return _claims[auctionId][party];
    }

    /// @notice What `claim` would pay each party now (tokens, HKD wei); zeros before the auction
    /// is settled or cancelled.
    function claimable(uint64 auctionId, address[] calldata parties)
        external
        view
        returns (uint256[] memory tokens, uint256[] memory cash)
    {
        AuctionStatus status = _auctions[auctionId].status;
        bool ended = status == AuctionStatus.Settled || status == AuctionStatus.Cancelled;
        tokens = new uint256[](parties.length);
        cash = new uint256[](parties.length);
        for (uint256 i; ended && i < parties.length; ++i) {
            (tokens[i], cash[i]) = _due(_claims[auctionId][parties[i]], status == AuctionStatus.Settled);
        }
    }

    /// @notice The EIP-712 digest the trader signs; also the order's id.
    function orderId(Order calldata order) public view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(ORDER_TYPEHASH, order)));
    }

    /// @notice The Merkle leaf of an order in its venue's book.
    function orderLeaf(bytes32 id) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(id))));
    }

    /// @notice The Merkle leaf of a page of a clearing: `fillsHash` chains the page's fills in
    /// order, `h = keccak256(abi.encode(h, orderId, amount))` from `h = 0`.
    function pageLeaf(uint64 auctionId, uint32 page, bytes32 fillsHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(auctionId, page, fillsHash))));
    }

    // --- internals -----------------------------------------------------------------------------

    function _take(PageRun memory run, OrderFill calldata fill) private {
        Order calldata order = fill.order;
        bytes32 id = _checkFill(run, fill);
        run.fillsHash = keccak256(abi.encode(run.fillsHash, id, fill.amount));
        uint256 gross = fill.amount * run.price;
        if (gross % run.scale != 0) revert FractionalCash(id, fill.amount, run.price);
        uint256 cash = gross / run.scale;
        (address feeRecipient, uint16 feeBps) = venueRegistry.activeVenueFee(order.venue);
        uint256 fee = cash * feeBps / 10_000;
        Claim storage party = _claims[run.auctionId][order.trader];
        if (order.side == BUY) {
            // All it has bought in this auction, in one pay-out: two orders each within a maximum
            // balance must not add up to a claim the buyer can never receive.
            uint256 tokensOut = party.tokensOut + fill.amount;
            if (!IAuctionAsset(run.asset).canTransfer(address(this), order.trader, tokensOut)) {
                revert BuyerCannotReceive(id, order.trader);
            }
            uint256 due = cash + fee;
            uint256 available = escrowOf[order.trader];
            if (available < due) revert InsufficientEscrow(order.trader, available, due);
            escrowOf[order.trader] = available - due;
            party.cashIn += SafeCast.toUint128(due);
            party.tokensOut = SafeCast.toUint128(tokensOut);
            run.bought += fill.amount;
        } else {
            IAuctionAsset(run.asset).transferFrom(order.trader, address(this), fill.amount);
            party.tokensIn += SafeCast.toUint128(fill.amount);
            party.cashOut += SafeCast.toUint128(cash - fee);
            run.sold += fill.amount;
        }
        if (fee != 0) _claims[run.auctionId][feeRecipient].cashOut += SafeCast.toUint128(fee);
        emit OrderFilled(run.auctionId, id, order.trader, order.venue, order.side, fill.amount, cash, fee);
    }

    function _checkFill(PageRun memory run, OrderFill calldata fill) private returns (bytes32 id) {
        Order calldata order = fill.order;
        id = orderId(order);
        if (order.asset != run.asset || order.auctionId != run.auctionId) {
            revert OrderNotInAuction(id, run.auctionId, run.asset);
        }
        bytes32 root = bookRoot[run.auctionId][order.venue];
        if (root == bytes32(0)) revert BookNotCommitted(run.auctionId, order.venue);
        if (!MerkleProof.verifyCalldata(fill.proof, root, orderLeaf(id))) revert OrderNotCommitted(id, order.venue);
        _requireVenueFor(run.asset, order.venue);
        if (block.timestamp > order.expiry) revert OrderExpired(id, order.expiry, block.timestamp);
        if (!SignatureChecker.isValidSignatureNow(order.trader, id, fill.signature)) {
            revert InvalidOrderSignature(id, order.trader);
        }
        if (order.side > SELL) revert InvalidSide(id, order.side);
        if (order.side == BUY ? order.limitPrice < run.price : order.limitPrice > run.price) {
            revert LimitViolated(id, order.side, order.limitPrice, run.price);
        }
        if (fill.amount == 0 || fill.amount > order.amount) revert Overfill(id, fill.amount, order.amount);
        if (orderFilled[id]) revert OrderFilledTwice(id);
        orderFilled[id] = true;
    }

    function _due(Claim storage c, bool settled) private view returns (uint256 tokens, uint256 cash) {
        return settled ? (c.tokensOut, c.cashOut) : (c.tokensIn, c.cashIn);
    }

    /// @dev Record times are ascending: from the latest back while they are still pending.
    function _requireNoRecordTimeBefore(address asset, uint64 deadline) private view {
        uint48[] memory times = IAuctionAsset(asset).recordTimes();
        for (uint256 i = times.length; i > 0 && times[i - 1] >= block.timestamp; --i) {
            if (times[i - 1] <= deadline) revert RecordTimeInSettlementWindow(asset, times[i - 1], deadline);
        }
    }

    function _checkBand(address asset, uint256 price) private view {
        (uint256 referencePrice,) = priceFeed.latestPrice(asset);
        uint256 distance = price > referencePrice ? price - referencePrice : referencePrice - price;
        if (price == 0 || distance * 10_000 > referencePrice * bandBps) {
            revert PriceOutsideBand(price, referencePrice, bandBps);
        }
    }

    function _inStatus(uint64 auctionId, AuctionStatus required) private view returns (Auction storage auction_) {
        auction_ = _auctions[auctionId];
        AuctionStatus status = auction_.status;
        if (status == required) return auction_;
        if (status == AuctionStatus.None) revert UnknownAuction(auctionId);
        if (status == AuctionStatus.Settled) revert AuctionAlreadySettled(auctionId);
        revert WrongAuctionStatus(auctionId, status, required);
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
