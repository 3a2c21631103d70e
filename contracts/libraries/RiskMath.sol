// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {BPS} from "./Constants.sol";
import {ASSET_DECIMALS_OFFSET, ASSET_DECIMALS_MASK} from "../types/RiskWords.sol";

/// @title RiskMath
/// @notice Fixed-point portfolio risk: delta-normal variance from position values, daily
/// volatilities and correlations, and the VaR / ES / stress figures the risk engine checks.
/// @dev Units: values in 18-decimal quote units, volatilities in parts per million, correlations
/// in 1e-4, shocks and results in basis points of NAV. Model inputs arrive as the engine stores
/// them, packed words of static arrays (element k of a `bits`-wide array is bits
/// [(k % (256/bits)) * bits, ...) of word k / (256/bits)): volatilities uint32 (8 per word),
/// correlations and shocks int16 (16 per word). Callers bound n by their MAX_ASSETS (pairs:
/// n(n-1)/2 <= 120) and keep values below 2**100 and volatilities at most 1e6 ppm, which keeps
/// every product in range. The loops are in assembly: they run for every trade, and Solidity's
/// per-element bounds and overflow checks cost more than the arithmetic itself.
library RiskMath {
    uint256 internal constant PPM = 1_000_000;
    /// @notice One-sided standard normal quantiles, ppm: z(0.95) = 1.644854, z(0.99) = 2.326348.
    uint256 internal constant Z95_PPM = 1_644_854;
    uint256 internal constant Z99_PPM = 2_326_348;

    /// @notice Snapshot prices are kept in 1e-9 quote units (uint64: up to 1.8e10 per token).
    uint256 internal constant PRICE_SCALE = 1e9;
    /// @notice Position values and NAV stay below this (`sigma`'s overflow bound): 2**100 in
    /// 18-decimal quote units, ~1.27e12 USD. A bound on value, never on units (SEC-52): any number
    /// of units of any decimals is measured while its value is below it.
    uint256 internal constant MAX_VALUE = 2 ** 100;

    /// @notice Each position's value at the snapshot prices and their sum (NAV), from the packed
    /// asset-parameter words (`AssetParams`, eight 32-bit elements a word) and price words
    /// (64-bit nano prices): value_i = held_i * priceNano_i * 1e9 / 10**decimals_i, rounded down.
    /// `tooLarge` is 1 + the index of the first holding worth MAX_VALUE or more (0: none; its value
    /// is then reported 0); the caller reverts on it and on nav >= MAX_VALUE. An unpriced holding
    /// (price 0) is worth 0 here, whatever its size (the engine's gates refuse it).
    /// @dev Bounded: held.length <= 16 (the engine's MAX_ASSETS); paramWords and priceWords hold
    /// ceil(n/8) and ceil(n/4) words. No overflow for any holding: the value is computed only when
    /// held_i <= (MAX_VALUE * 10**decimals - 1) / (price * 1e9) (`maxHolding`), so the product stays
    /// below MAX_VALUE * 10**36 < 2**220; at most 16 values below 2**100 each.
    function positionValues(uint256[] calldata held, uint256[] memory paramWords, uint256[] memory priceWords)
        internal
        pure
        returns (uint256[] memory values, uint256 nav, uint256 tooLarge)
    {
        uint256 n = held.length;
        values = new uint256[](n);
        assembly ("memory-safe") {
            let valuesPtr := add(values, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let amount := calldataload(add(held.offset, shl(5, i)))
                let param := shr(shl(5, and(i, 7)), mload(add(add(paramWords, 0x20), shl(5, shr(3, i)))))
                let price :=
                    and(
                        shr(shl(6, and(i, 3)), mload(add(add(priceWords, 0x20), shl(5, shr(2, i))))),
                        0xffffffffffffffff
                    )
                let unit := exp(10, and(shr(ASSET_DECIMALS_OFFSET, param), ASSET_DECIMALS_MASK))
                let v := 0
                if price {
                    let scaled := mul(price, PRICE_SCALE)
                    switch gt(amount, div(sub(mul(MAX_VALUE, unit), 1), scaled))
                    case 0 { v := div(mul(amount, scaled), unit) }
                    default { if iszero(tooLarge) { tooLarge := add(i, 1) } }
                }
                mstore(add(valuesPtr, shl(5, i)), v)
                nav := add(nav, v)
            }
        }
    }

    /// @notice One holding's value, `positionValues`' formula: `amount * priceNano * 1e9 /
    /// 10**decimals` rounded down, and whether it is below MAX_VALUE (`fits`; value 0 when not).
    /// Never overflows, whatever `amount` (see `positionValues`). `decimals` <= 36, priceNano < 2**64.
    function valueOf(uint256 amount, uint256 priceNano, uint256 decimals)
        internal
        pure
        returns (bool fits, uint256 value)
    {
        if (priceNano == 0) return (true, 0);
        uint256 unit = 10 ** decimals;
        // No overflow: MAX_VALUE * unit < 2**220 and priceNano * PRICE_SCALE < 2**94; the product
        // below is at most MAX_VALUE * unit - 1 once `amount` is compared.
        unchecked {
            uint256 scaled = priceNano * PRICE_SCALE;
            if (amount > (MAX_VALUE * unit - 1) / scaled) return (false, 0);
            return (true, amount * scaled / unit);
        }
    }

    /// @notice Portfolio standard deviation in value units: sqrt(sum_i sum_j s_i s_j rho_ij) with
    /// s_i = value_i * vol_i. `valid` is false when the correlations make the variance negative
    /// (not positive semi-definite for these weights); sigma is then 0.
    function sigma(uint256[] memory values, uint256[] memory volWords, uint256[] memory correlationWords)
        internal
        pure
        returns (bool valid, uint256)
    {
        uint256 n = values.length;
        uint256[] memory s = new uint256[](n);
        int256 variance;
        // Bounds: the caller sizes volWords >= ceil(n/8) and correlationWords >= ceil(n(n-1)/2/16).
        // No overflow: 0 <= s_i < 2**100, so s_i * s_j < 2**200, times |rho| <= 1e4 < 2**14 stays
        // below 2**214 in two's complement, and at most 136 terms sum below 2**222.
        assembly ("memory-safe") {
            let valuesPtr := add(values, 0x20)
            let sPtr := add(s, 0x20)
            let diagonal := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let vol := and(shr(shl(5, and(i, 7)), mload(add(add(volWords, 0x20), shl(5, shr(3, i))))), 0xffffffff)
                let si := div(mul(mload(add(valuesPtr, shl(5, i))), vol), PPM)
                mstore(add(sPtr, shl(5, i)), si)
                diagonal := add(diagonal, mul(si, si))
            }
            // Pairs in row order; the packed correlation word is consumed 16 bits at a time.
            let offDiagonal := 0
            let wordPtr := add(correlationWords, 0x20)
            let word := 0
            let pair := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let si := mload(add(sPtr, shl(5, i)))
                for { let j := add(i, 1) } lt(j, n) { j := add(j, 1) } {
                    if iszero(and(pair, 15)) {
                        word := mload(wordPtr)
                        wordPtr := add(wordPtr, 0x20)
                    }
                    let rho := signextend(1, word)
                    word := shr(16, word)
                    offDiagonal := add(offDiagonal, mul(mul(si, mload(add(sPtr, shl(5, j)))), rho))
                    pair := add(pair, 1)
                }
            }
            variance := add(diagonal, sdiv(mul(2, offDiagonal), 10000))
        }
        if (variance < 0) return (false, 0);
        return (true, Math.sqrt(uint256(variance)));
    }

    /// @notice Worst scenario loss in basis points of nav, rounded up (0 if every scenario is a
    /// gain), and which scenario. Shocks are scenario-major: scenario s, asset i at s * n + i.
    function worstStress(uint256[] memory values, uint256[] memory shockWords, uint256 scenarios, uint256 nav)
        internal
        pure
        returns (uint256 lossBps, uint256 scenario)
    {
        if (nav == 0) return (0, 0);
        uint256 n = values.length;
        int256 worst;
        // Bounds: shockWords >= ceil(scenarios * n / 16). No overflow: values < 2**100 and
        // |shock| <= 1e4, at most 16 assets per scenario.
        assembly ("memory-safe") {
            let valuesPtr := add(values, 0x20)
            let wordPtr := add(shockWords, 0x20)
            let word := 0
            let index := 0
            for { let k := 0 } lt(k, scenarios) { k := add(k, 1) } {
                let loss := 0
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    if iszero(and(index, 15)) {
                        word := mload(wordPtr)
                        wordPtr := add(wordPtr, 0x20)
                    }
                    loss := add(loss, mul(mload(add(valuesPtr, shl(5, i))), signextend(1, word)))
                    word := shr(16, word)
                    index := add(index, 1)
                }
                if sgt(loss, worst) {
                    worst := loss
                    scenario := k
                }
            }
        }
        if (worst <= 0) return (0, 0);
        lossBps = Math.ceilDiv(uint256(worst), nav);
    }

    /// @notice `amount` as basis points of `nav`, rounded up (a risk figure is never understated).
    function toBps(uint256 amount, uint256 nav) internal pure returns (uint256) {
        // No overflow: amount < 2**100. nav > 0 is the caller's (checked before any limit).
        unchecked {
            return (amount * BPS + nav - 1) / nav;
        }
    }

    /// @notice `multiplierPpm` x sigma as basis points of nav, rounded up.
    function scaledBps(uint256 sigmaValue, uint256 multiplierPpm, uint256 nav) internal pure returns (uint256) {
        // No overflow: sigma < 2**111, multiplier < 2**32, so the numerator < 2**157.
        unchecked {
            uint256 denominator = nav * PPM;
            return (sigmaValue * multiplierPpm * BPS + denominator - 1) / denominator;
        }
    }
}
