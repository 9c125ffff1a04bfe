// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @notice ERC-7943 (uRWA) for ERC-20 assets: the functions whose selectors make its ERC-165
/// interface id, 0x3edbb4c4. RWATokenExtension implements them for every RWA asset; the
/// standard's events (`ForcedTransfer(from, to, amount)`, `Frozen(account, amount)`) are declared
/// where they are emitted (RWATokenExtension, RWATokenBase).
interface IERC7943Fungible is IERC165 {
    function forcedTransfer(address from, address to, uint256 amount) external returns (bool result);
    function setFrozenTokens(address account, uint256 amount) external returns (bool result);
    function canSend(address account) external view returns (bool allowed);
    function canReceive(address account) external view returns (bool allowed);
    function getFrozenTokens(address account) external view returns (uint256 amount);
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed);
}
