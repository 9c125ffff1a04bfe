// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RWAOwnable} from "./RWACommon.sol";

/// @title VenueRegistry
/// @notice The liquidity alliance's members: licensed trading platforms (venues), each named by
/// its operator's address, with the recipient and rate of the fee it charges its investors on
/// alliance trades, its licence reference (e.g. the SFC's CE number of its Type 1 / ATS licence)
/// and its status. Governed by the alliance owner: it admits venues, sets their fees and
/// suspends or revokes them. Only an `Active` venue commits books and matches auctions
/// (`CallAuction`); which venues may trade a given asset is its issuer's choice
/// (`Compliance.setVenuesAllowed`).
///
/// Predeploy: place the runtime code at the genesis address and write slot 0 (`owner`) and the
/// `Initializable` slot (= 1), or call `initialize(owner)` in the first block.
contract VenueRegistry is RWAOwnable {
    enum VenueStatus {
        None,
        Active,
        Suspended,
        Revoked
    }

    struct Venue {
        address feeRecipient;
        uint16 feeBps; // charged on the cash value of each of its investors' fills
        VenueStatus status;
        string name;
        string licence;
    }

    /// @notice The highest fee a venue may charge: 1% of a fill's cash value.
    uint16 public constant MAX_FEE_BPS = 100;

    mapping(address operator => Venue) private _venues;
    address[] private _operators;

    event VenueRegistered(address indexed operator, string name, string licence, address feeRecipient, uint16 feeBps);
    event VenueFeeSet(address indexed operator, address feeRecipient, uint16 feeBps);
    event VenueStatusSet(address indexed operator, VenueStatus status);

    error VenueAlreadyRegistered(address operator);
    error UnknownVenue(address operator);
    error FeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    error VenueIsRevoked(address operator);
    error InvalidVenueStatus(VenueStatus status);

    function initialize(address initialOwner) external initializer {
        _initOwner(initialOwner);
    }

    function registerVenue(
        address operator,
        string calldata name,
        string calldata licence,
        address feeRecipient,
        uint16 feeBps
    ) external onlyOwner {
        if (operator == address(0)) revert ZeroAddress("operator");
        if (_venues[operator].status != VenueStatus.None) revert VenueAlreadyRegistered(operator);
        _checkFee(feeRecipient, feeBps);
        _venues[operator] = Venue(feeRecipient, feeBps, VenueStatus.Active, name, licence);
        _operators.push(operator);
        emit VenueRegistered(operator, name, licence, feeRecipient, feeBps);
    }

    function setVenueFee(address operator, address feeRecipient, uint16 feeBps) external onlyOwner {
        Venue storage known = _known(operator);
        _checkFee(feeRecipient, feeBps);
        known.feeRecipient = feeRecipient;
        known.feeBps = feeBps;
        emit VenueFeeSet(operator, feeRecipient, feeBps);
    }

    /// @notice Suspends (`Suspended`), reinstates (`Active`) or revokes (`Revoked`, for good) a venue.
    function setVenueStatus(address operator, VenueStatus status) external onlyOwner {
        Venue storage known = _known(operator);
        if (status == VenueStatus.None) revert InvalidVenueStatus(status);
        if (known.status == VenueStatus.Revoked) revert VenueIsRevoked(operator);
        known.status = status;
        emit VenueStatusSet(operator, status);
    }

    function venue(address operator) external view returns (Venue memory) {
        return _venues[operator];
    }

    function isActive(address operator) external view returns (bool) {
        return _venues[operator].status == VenueStatus.Active;
    }

    /// @notice Fee recipient and rate of an active venue; reverts `UnknownVenue` otherwise.
    function activeVenueFee(address operator) external view returns (address feeRecipient, uint16 feeBps) {
        Venue storage venue_ = _venues[operator];
        if (venue_.status != VenueStatus.Active) revert UnknownVenue(operator);
        return (venue_.feeRecipient, venue_.feeBps);
    }

    function venueOperators() external view returns (address[] memory) {
        return _operators;
    }

    function _known(address operator) private view returns (Venue storage venue_) {
        venue_ = _venues[operator];
        if (venue_.status == VenueStatus.None) revert UnknownVenue(operator);
    }

    function _checkFee(address feeRecipient, uint16 feeBps) private pure {
        if (feeRecipient == address(0)) revert ZeroAddress("fee recipient");
        if (feeBps > MAX_FEE_BPS) revert FeeTooHigh(feeBps, MAX_FEE_BPS);
    }
}
