// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title HKDStablecoin
/// @notice The L1 Hong Kong dollar stablecoin that Lantau uses as its L2 native currency, run the
///         way a licensed issuer would run it under Hong Kong's Stablecoins Ordinance: 6 decimals
///         (1 HKD = 1_000_000 units), duties split over separate roles, a pause for the whole
///         token, a freeze list for single accounts, and EIP-2612 permits.
/// @dev    Roles: DEFAULT_ADMIN_ROLE only grants and revokes roles; MINTER_ROLE mints and burns
///         (from its own balance, the issuer's redemption account); PAUSER_ROLE pauses and
///         unpauses; BLACKLISTER_ROLE freezes and unfreezes. Holding one role gives no other.
///         A frozen account can neither send, receive, spend an allowance nor grant one.
contract HKDStablecoin is ERC20, ERC20Permit, ERC20Pausable, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant BLACKLISTER_ROLE = keccak256("BLACKLISTER_ROLE");

    /// @notice Accounts frozen by a blacklister.
    mapping(address account => bool) private _frozen;

    /// @notice `account` is frozen: it may not send, receive, spend or approve.
    error AccountFrozen(address account);

    event Minted(address indexed by, address indexed to, uint256 amount);
    event Burned(address indexed by, uint256 amount);
    event Frozen(address indexed account, address indexed by);
    event Unfrozen(address indexed account, address indexed by);

    /// @param name_   ERC-20 name, also the EIP-712 domain name used by permits.
    /// @param symbol_ ERC-20 symbol.
    /// @param admin   Receives DEFAULT_ADMIN_ROLE only; it grants the operational roles.
    constructor(string memory name_, string memory symbol_, address admin)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
    {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice HKD is quoted in cents and below: 6 decimals, as the devnet issuer chose.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function isFrozen(address account) external view returns (bool) {
        return _frozen[account];
    }

    // --- issuer actions ------------------------------------------------------------------

    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
        emit Minted(_msgSender(), to, amount);
    }

    /// @notice Burns `amount` from the minter's own balance (redeemed tokens are first sent to it).
    function burn(uint256 amount) external onlyRole(MINTER_ROLE) {
        _burn(_msgSender(), amount);
        emit Burned(_msgSender(), amount);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    function freeze(address account) external onlyRole(BLACKLISTER_ROLE) {
        _frozen[account] = true;
        emit Frozen(account, _msgSender());
    }

    function unfreeze(address account) external onlyRole(BLACKLISTER_ROLE) {
        _frozen[account] = false;
        emit Unfrozen(account, _msgSender());
    }

    // --- rules on every movement ---------------------------------------------------------

    /// @dev A frozen spender may not move someone else's tokens either.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _requireNotFrozen(_msgSender());
        return super.transferFrom(from, to, value);
    }

    /// @dev Every balance change (transfer, mint, burn) passes here: pause, then freeze list.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        _requireNotFrozen(from);
        _requireNotFrozen(to);
        super._update(from, to, value);
    }

    /// @dev New approvals (approve, permit) need both parties unfrozen. Allowance spending calls
    ///      this with `emitEvent == false` and is already covered by `_update`/`transferFrom`.
    function _approve(address owner, address spender, uint256 value, bool emitEvent) internal override {
        if (emitEvent) {
            _requireNotFrozen(owner);
            _requireNotFrozen(spender);
        }
        super._approve(owner, spender, value, emitEvent);
    }

    function _requireNotFrozen(address account) private view {
        if (_frozen[account]) revert AccountFrozen(account);
    }
}
