// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TestERC1271Wallet
/// @notice A minimal contract wallet for tests: its `signer` key signs for it (ERC-1271
/// `isValidSignature` over the digest) and acts through `execute`.
contract TestERC1271Wallet {
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;

    address public signer;

    error NotSigner(address caller);
    error CallFailed(bytes reason);

    constructor(address signer_) {
        signer = signer_;
    }

    receive() external payable {}

    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError failure,) = ECDSA.tryRecover(digest, signature);
        return failure == ECDSA.RecoverError.NoError && recovered == signer ? ERC1271_MAGIC : bytes4(0xffffffff);
    }

    function execute(address target, uint256 value, bytes calldata data) external payable returns (bytes memory result) {
        if (msg.sender != signer) revert NotSigner(msg.sender);
        bool ok;
        (ok, result) = target.call{value: value}(data);
        if (!ok) revert CallFailed(result);
    }
}
