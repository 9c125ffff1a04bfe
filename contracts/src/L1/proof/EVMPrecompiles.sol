// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title EVMPrecompiles
/// @notice The L2's (Prague) gas price of each precompile, for `EVMStep`, which then calls L1's own
///         precompile at the same address for the result (same semantics: L1 is Prague too). The
///         BLS12-381 precompiles (0x0b-0x11) are priced as EIP-2537 (py-evm's
///         `eth.precompiles.bls12_381`, the MSM discount tables included). An input of the wrong
///         length is priced by its whole pairs (0 for none): it fails on L1 as in py-evm (before
///         any charge there), which consumes all the call's gas either way.
contract EVMPrecompiles {
    /// @dev EIP-2537's MSM discounts (per mille) for k = 1..128 pairs, two bytes each: G1, then G2.
    bytes private constant G1_MSM_DISCOUNTS = hex"03e803b50350031d02fc02ee02e202d802cf02c802c102ba02b402af02aa02a502a1029d029902950292028e028b0288028502820280027d027b0278027602730271026f026d026b026902670265026302610260025e025c025b0259025702560254025302510250024f024d024c024a02490248024602450244024302410240023f023e023d023c023a0239023802370236023502340233023202310230022f022e022d022c022b022a02290228022702260225022402230223022202210220021f021e021d021c021c021b021a0219021802180217021602150214021402130212021102100210020f020e020d020d020c020b020a020a0209020802080207";
    bytes private constant G2_MSM_DISCOUNTS = hex"03e803e8039b037403570340032c031c030e030202f702ed02e402dc02d402cd02c702c002bb02b502b002ab02a702a2029e029a02970293028f028c0289028602830280027d027a0278027502730270026e026c026a0267026502630261025f025e025c025a025802560255025302510250024e024d024b024a0248024702460244024302420240023f023e023d023b023a023902380237023602350233023202310230022f022e022d022c022b022a022902280228022702260225022402230222022102210220021f021e021d021d021c021b021a021902190218021702170216021502140214021302120212021102100210020f020e020e020d020c020c";

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
        if (addr == 0x0b) return (true, 375);
        if (addr == 0x0c) return (true, _msm(input.length / 160, 12000, G1_MSM_DISCOUNTS, 519));
        if (addr == 0x0d) return (true, 600);
        if (addr == 0x0e) return (true, _msm(input.length / 288, 22500, G2_MSM_DISCOUNTS, 524));
        if (addr == 0x0f) return (true, 32600 * (input.length / 384) + 37700);
        if (addr == 0x10) return (true, 5500);
        if (addr == 0x11) return (true, 23800);
        return (false, 0);
    }

    /// @dev EIP-2537: k pairs at `mulGas` each, discounted (per mille) by k's entry, `maxDiscount` past 128.
    function _msm(uint256 k, uint256 mulGas, bytes memory discounts, uint256 maxDiscount)
        private
        pure
        returns (uint256)
    {
        if (k == 0) return 0;
        uint256 discount = maxDiscount;
        if (k <= 128) discount = (uint256(uint8(discounts[2 * k - 2])) << 8) | uint8(discounts[2 * k - 1]);
        return k * mulGas * discount / 1000;
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
