// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title EVMPrecompiles
/// @notice The L2's (Prague) gas price of each precompile, for `EVMStep`, which then calls L1's own
///         precompile at the same address for the result (same semantics). The BLS12-381
///         precompiles (0x0b-0x11, EIP-2537) are not priced yet: `supported` = false, and the step
///         reverts `Unsupported` rather than guess (docs/fault-proofs.md, "Exclusions").
contract EVMPrecompiles {
    function gasCost(uint256 addr, bytes memory input) external pure returns (bool supported, uint256 cost) {
        uint256 words = (input.length + 31) / 32;
        if (addr == 1) return (true, 3000);
        if (addr == 2) return (true, 60 + 12 * words);
        if (addr == 3) return (true, 600 + 120 * words);
        if (addr == 4) return (true, 15 + 3 * words);
        if (addr == 5) return (true, _modexp(input));
        if (addr == 6) return (true, 150);
        if (addr == 7) return (true, 6000);
        if (addr == 8) return (true, 45000 + 34000 * (input.length / 192));
        if (addr == 9) {
            uint256 rounds = 0;
            for (uint256 i = 0; i < 4 && i < input.length; i++) rounds = (rounds << 8) | uint8(input[i]);
            return (true, input.length >= 4 ? rounds : 0);
        }
        if (addr == 10) return (true, 50000);
        return (false, 0);
    }

    function _word(bytes memory b, uint256 off) private pure returns (uint256 v) {
        // 32 bytes of b at off, zero-padded past its end
        if (off >= b.length) return 0;
        assembly {
            v := mload(add(add(b, 0x20), off))
        }
        uint256 avail = b.length - off;
        if (avail < 32) v = (v >> (8 * (32 - avail))) << (8 * (32 - avail));
    }

    /// @dev EIP-2565 (EIP-198 with the Berlin repricing).
    function _modexp(bytes memory input) private pure returns (uint256) {
        uint256 baseLen = _word(input, 0);
        uint256 expLen = _word(input, 32);
        uint256 modLen = _word(input, 64);
        uint256 big = 2 ** 64;
        if (baseLen > big || expLen > big || modLen > big) return type(uint256).max;
        uint256 maxLen = baseLen > modLen ? baseLen : modLen;
        uint256 words = (maxLen + 7) / 8;
        uint256 complexity = words * words;
        uint256 head = _word(input, 96 + baseLen); // first 32 bytes of the exponent
        if (expLen < 32) head >>= 8 * (32 - expLen);
        uint256 bits = 0;
        for (uint256 v = head; v != 0; v >>= 1) bits++;
        uint256 iterations;
        if (expLen <= 32) iterations = bits == 0 ? 0 : bits - 1;
        else iterations = 8 * (expLen - 32) + (bits == 0 ? 0 : bits - 1);
        if (iterations == 0) iterations = 1;
        uint256 gas = complexity * iterations / 3;
        return gas < 200 ? 200 : gas;
    }
}
