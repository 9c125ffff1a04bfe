// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";

/// @title BondCurve
/// @notice OP's `FaultDisputeGame.getRequiredBond` curve (contracts-bedrock 0.17.3, MIT): geometric
///         in the depth, `minBond` at depth 0 to `maxBond` at `maxDepth` (OP: 200 gwei x 400k gas
///         to 200 gwei x 300M gas), so that every level deeper costs the same factor more.
library BondCurve {
    function requiredBond(uint256 depth, uint256 maxDepth, uint256 minBond, uint256 maxBond)
        internal
        pure
        returns (uint256)
    {
        uint256 ratio = maxBond / minBond;
        if (ratio <= 1) return minBond;
        uint256 lnRatio = uint256(FixedPointMathLib.lnWad(int256(ratio * FixedPointMathLib.WAD)));
        uint256 perDepth = FixedPointMathLib.divWad(FixedPointMathLib.WAD, maxDepth * FixedPointMathLib.WAD);
        int256 base = FixedPointMathLib.expWad(int256(FixedPointMathLib.mulWad(lnRatio, perDepth)));
        int256 factor = FixedPointMathLib.powWad(base, int256(depth * FixedPointMathLib.WAD));
        return FixedPointMathLib.mulWad(minBond, uint256(factor));
    }
}
