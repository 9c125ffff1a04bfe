// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {RWAOwnable, EIP712Dynamic} from "./RWACommon.sol";

/// @title PriceFeed
/// @notice NAV / price per asset, in HKD wei (18 decimals) per whole token, from authorized
/// reporters: a reporter calls `submitPrice`, or signs an EIP-712 `PriceUpdate` (domain name
/// "Lantau PriceFeed", version "1") that anyone relays with `submitSignedPrice`. Timestamps are
/// the reporter's observation time (unix seconds); per asset they must strictly increase (which
/// also makes a signed update unreplayable) and may not be ahead of the block (an observation
/// cannot come from the future). With a deviation bound set for an asset (`setMaxDeviation`), a
/// price further than it from the last one is held (`PriceHeld`) until a second reporter submits
/// the same price and timestamp, so no single reporter key moves a price far. `latestPrice(asset)` reverts `StalePrice` when the price is older than the asset's
/// `maxAge` (or the default). A reporter is authorized per asset, or for every asset when
/// registered under `asset = address(0)`.
///
/// Predeploy: place the runtime code at the genesis address, then either
///   (a) call `initialize(owner, defaultMaxAge)` in the first L2 block, or
///   (b) let the genesis builder write storage: slot 0 `owner` (address), slot 2 `defaultMaxAge`
///       (seconds, nonzero) and the `Initializable` slot (`INITIALIZABLE_SLOT`) = 1.
contract PriceFeed is RWAOwnable, EIP712Dynamic {
    struct PriceUpdate {
        address asset;
        uint256 price; // HKD wei per whole token
        uint64 timestamp;
    }

    struct PriceData {
        uint192 price;
        uint64 updatedAt;
    }

    bytes32 public constant PRICE_UPDATE_TYPEHASH =
        keccak256("PriceUpdate(address asset,uint256 price,uint64 timestamp)");
    uint256 public constant MAX_FUTURE_SKEW = 0; // seconds a timestamp may be ahead of the block
    uint16 public constant BPS = 10_000;

    uint256 public defaultMaxAge; // seconds (a uint64); a full slot so genesis can write it plainly
    mapping(address asset => PriceData) private _prices;
    mapping(address asset => mapping(address reporter => bool)) public isReporter;
    mapping(address asset => uint64 maxAgeSeconds) public maxAgeOf; // 0: use defaultMaxAge
    mapping(address asset => uint16 bps) public maxDeviationBpsOf; // 0: no bound
    mapping(address asset => PriceData) private _held; // a far move awaiting a second reporter
    mapping(address asset => address reporter) public heldBy;

    event PriceUpdated(address indexed asset, uint256 price, uint64 timestamp, address indexed reporter);
    event ReporterSet(address indexed asset, address indexed reporter, bool allowed);
    event MaxAgeSet(address indexed asset, uint64 maxAge);
    event DefaultMaxAgeSet(uint64 maxAge);
    event MaxDeviationSet(address indexed asset, uint16 maxDeviationBps);
    /// @notice A price beyond the asset's deviation bound, waiting for a second reporter.
    event PriceHeld(address indexed asset, uint256 price, uint64 timestamp, address indexed reporter);

    error NotReporter(address asset, address account);
    error InvalidReporterSignature(address asset, address recovered);
    error StalePrice(address asset, uint64 updatedAt, uint64 maxAge, uint256 nowTimestamp);
    error NoPrice(address asset);
    error TimestampNotIncreasing(address asset, uint64 timestamp, uint64 lastTimestamp);
    error FutureTimestamp(uint64 timestamp, uint256 nowTimestamp);
    error PriceOutOfRange(uint256 price);
    error InvalidMaxAge(uint64 maxAge);
    error InvalidDeviation(uint16 maxDeviationBps);
    /// @notice The reporter that submitted a held price cannot also confirm it.
    error SecondReporterRequired(address asset, address reporter);

    function initialize(address initialOwner, uint64 defaultMaxAge_) external initializer {
        _initOwner(initialOwner);
        _setDefaultMaxAge(defaultMaxAge_);
    }

    // --- configuration (owner) -----------------------------------------------------------------

    function setReporter(address asset, address reporter, bool allowed) external onlyOwner {
        if (reporter == address(0)) revert ZeroAddress("reporter");
        isReporter[asset][reporter] = allowed;
        emit ReporterSet(asset, reporter, allowed);
    }

    /// @notice Per-asset maximum age in seconds; 0 returns the asset to the default.
    function setMaxAge(address asset, uint64 maxAgeSeconds) external onlyOwner {
        maxAgeOf[asset] = maxAgeSeconds;
        emit MaxAgeSet(asset, maxAgeSeconds);
    }

    /// @notice Largest move from the last price one reporter may make, in basis points (0: none).
    function setMaxDeviation(address asset, uint16 maxDeviationBps) external onlyOwner {
        if (maxDeviationBps > BPS) revert InvalidDeviation(maxDeviationBps);
        maxDeviationBpsOf[asset] = maxDeviationBps;
        emit MaxDeviationSet(asset, maxDeviationBps);
    }

    /// @notice The price held for a second reporter (0 when none).
    function heldPrice(address asset) external view returns (uint256 price, uint64 timestamp) {
        PriceData memory h = _held[asset];
        return (h.price, h.updatedAt);
    }

    function setDefaultMaxAge(uint64 maxAgeSeconds) external onlyOwner {
        _setDefaultMaxAge(maxAgeSeconds);
    }

    // --- updates -------------------------------------------------------------------------------

    function submitPrice(address asset, uint256 price, uint64 timestamp) external {
        if (!isAuthorized(asset, msg.sender)) revert NotReporter(asset, msg.sender);
        _record(asset, price, timestamp, msg.sender);
    }

    /// @notice Relays an update signed by a reporter (EIP-712, ERC-1271 for contract reporters).
    function submitSignedPrice(PriceUpdate calldata update, address reporter, bytes calldata signature) external {
        if (!isAuthorized(update.asset, reporter)) revert NotReporter(update.asset, reporter);
        if (!SignatureChecker.isValidSignatureNow(reporter, priceUpdateDigest(update), signature)) {
            revert InvalidReporterSignature(update.asset, reporter);
        }
        _record(update.asset, update.price, update.timestamp, reporter);
    }

    // --- reads ---------------------------------------------------------------------------------

    /// @notice The latest price of `asset` and its timestamp; reverts `NoPrice` before the first
    /// update and `StalePrice` when older than the asset's maximum age.
    function latestPrice(address asset) external view returns (uint256 price, uint64 updatedAt) {
        PriceData memory p = _prices[asset];
        if (p.updatedAt == 0) revert NoPrice(asset);
        uint64 limit = maxAge(asset);
        if (block.timestamp > p.updatedAt && block.timestamp - p.updatedAt > limit) {
            revert StalePrice(asset, p.updatedAt, limit, block.timestamp);
        }
        return (p.price, p.updatedAt);
    }

    /// @notice The latest price without the staleness check (for display and audits).
    function latestPriceUnchecked(address asset) external view returns (uint256 price, uint64 updatedAt) {
        PriceData memory p = _prices[asset];
        return (p.price, p.updatedAt);
    }

    function maxAge(address asset) public view returns (uint64) {
        uint64 perAsset = maxAgeOf[asset];
        return perAsset == 0 ? uint64(defaultMaxAge) : perAsset;
    }

    function isAuthorized(address asset, address reporter) public view returns (bool) {
        return isReporter[asset][reporter] || isReporter[address(0)][reporter];
    }

    function priceUpdateDigest(PriceUpdate calldata update) public view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(PRICE_UPDATE_TYPEHASH, update)));
    }

    // --- internals -----------------------------------------------------------------------------

    function _record(address asset, uint256 price, uint64 timestamp, address reporter) private {
        if (price == 0 || price > type(uint192).max) revert PriceOutOfRange(price);
        if (timestamp > block.timestamp + MAX_FUTURE_SKEW) revert FutureTimestamp(timestamp, block.timestamp);
        PriceData memory previous = _prices[asset];
        if (timestamp <= previous.updatedAt) revert TimestampNotIncreasing(asset, timestamp, previous.updatedAt);
        uint256 bound = maxDeviationBpsOf[asset];
        if (bound != 0 && previous.price != 0) {
            uint256 move = price > previous.price ? price - previous.price : previous.price - price;
            if (move * BPS > previous.price * bound) {
                PriceData memory held = _held[asset];
                if (held.price != price || held.updatedAt != timestamp) {
                    _held[asset] = PriceData(uint192(price), timestamp);
                    heldBy[asset] = reporter;
                    emit PriceHeld(asset, price, timestamp, reporter);
                    return;
                }
                if (heldBy[asset] == reporter) revert SecondReporterRequired(asset, reporter);
            }
        }
        if (bound != 0) {
            delete _held[asset];
            delete heldBy[asset];
        }
        _prices[asset] = PriceData(uint192(price), timestamp);
        emit PriceUpdated(asset, price, timestamp, reporter);
    }

    function _setDefaultMaxAge(uint64 maxAge_) private {
        if (maxAge_ == 0) revert InvalidMaxAge(maxAge_);
        defaultMaxAge = maxAge_;
        emit DefaultMaxAgeSet(maxAge_);
    }

    function _eip712Name() internal pure override returns (string memory) {
        return "Lantau PriceFeed";
    }
}
