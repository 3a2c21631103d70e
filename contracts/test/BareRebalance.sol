// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IRiskEngine} from "../../interfaces/IRiskEngine.sol";
import {TypedDataLib} from "../libraries/TypedDataLib.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title BareRebalance
/// @notice Benchmark floor only (never deployed outside benchmarks): a portfolio of up to eight
/// assets (four in bench_rebalance, the demo fund's five in bench_nav_rebalance) that
/// rebalances doing exactly the interactions issue 6 names and nothing else, so that its gas is a
/// lower bound for any rebalancer meeting that issue on the same venues:
///   - M-of-N signatures over the intent: one digest, two `ecrecover`s, two authorised-key reads;
///   - a nonce (read and written) and a deadline;
///   - one live oracle price (`OracleRouter.price`) and one holding per asset;
///   - one `LiquidityAggregator.swap` per trade, its minimum output derived on chain from the
///     oracle prices and the slippage bound;
///   - the RiskEngine check of the state after the trades against the state before.
/// Left out on purpose (each is a cost the real AutoRebalancer and PortfolioVault pay): the
/// strategy (bounds, drift, cooldown, base fee, pause, strategy id), computing the trades from the
/// targets (the amounts come in the calldata), the loss budget, the vault's measured balances and
/// exact per-trade allowances (standing unlimited allowances here), the AccessManager check,
/// reentrancy locks, events, and contract signers (ERC-1271).
contract BareRebalance {
    uint256 internal constant MAX_ASSETS = 8;

    error Refused(uint256 step);

    IOracleRouter internal immutable _oracle;
    ILiquidityAggregator internal immutable _aggregator;
    IRiskEngine internal immutable _risk;
    uint256 internal immutable _count;
    address internal immutable _asset0;
    address internal immutable _asset1;
    address internal immutable _asset2;
    address internal immutable _asset3;
    address internal immutable _asset4;
    address internal immutable _asset5;
    address internal immutable _asset6;
    address internal immutable _asset7;
    /// @dev 10 ** decimals of each asset, 64 bits each: assets 0-3, then 4-7.
    uint256 internal immutable _unitsLow;
    uint256 internal immutable _unitsHigh;
    /// @dev M of the M-of-N quorum (the benchmark strategy's).
    uint256 internal immutable _threshold;

    mapping(address signer => bool) public isSigner;
    /// @dev Starts at 1 so that spending it rewrites a non-zero slot, as the rebalancer's steady
    /// state does (a first write would add 17,100 to the floor).
    uint256 public nextNonce = 1;
    /// @dev The RiskEngine's NAV-per-share bookkeeping reads a supply; a constant one is enough here.
    uint256 public constant totalSupply = 1e18;
    /// @dev ... and the share's decimals (NAV per whole share).
    uint8 public constant decimals = 18;

    constructor(
        IOracleRouter oracle_,
        ILiquidityAggregator aggregator_,
        IRiskEngine risk_,
        address[] memory assets_,
        uint8[] memory decimals_,
        address[] memory signers,
        uint256 threshold
    ) {
        uint256 count = assets_.length;
        if (count < 4 || count > MAX_ASSETS || decimals_.length != count) revert Refused(0);
        (_oracle, _aggregator, _risk, _count, _threshold) = (oracle_, aggregator_, risk_, count, threshold);
        address[] memory list = new address[](MAX_ASSETS);
        uint256[2] memory units;
        for (uint256 i; i < count; ++i) {
            list[i] = assets_[i];
            units[i / 4] |= (10 ** uint256(decimals_[i])) << (64 * (i % 4));
            IERC20(assets_[i]).approve(address(aggregator_), type(uint256).max);
        }
        (_asset0, _asset1, _asset2, _asset3) = (list[0], list[1], list[2], list[3]);
        (_asset4, _asset5, _asset6, _asset7) = (list[4], list[5], list[6], list[7]);
        (_unitsLow, _unitsHigh) = (units[0], units[1]);
        for (uint256 i; i < signers.length; ++i) {
            isSigner[signers[i]] = true;
        }
    }

    function assets() public view returns (address[] memory list) {
        uint256 count = _count;
        list = new address[](count);
        (list[0], list[1], list[2], list[3]) = (_asset0, _asset1, _asset2, _asset3);
        if (count > 4) {
            list[4] = _asset4;
            if (count > 5) list[5] = _asset5;
            if (count > 6) list[6] = _asset6;
            if (count > 7) list[7] = _asset7;
        }
    }

    function holdings() public view returns (uint256[] memory held) {
        address[] memory list = assets();
        held = new uint256[](list.length);
        for (uint256 i; i < list.length; ++i) {
            held[i] = IERC20(list[i]).balanceOf(address(this));
        }
    }

    /// @param intent The signed intent's fields, hashed as they come (stands for the EIP-712 struct
    /// hash: the domain is the chain id and this contract).
    /// @param signatures Two 65-byte ECDSA signatures (r, s, v) by distinct authorised keys.
    /// @param trades Per trade: sell index (bits 0-7), buy index (8-15), maximum slippage in bps
    /// (16-31), amount sold (128-255).
    /// @param routes Per trade, the aggregator route selling that amount into this contract; its
    /// minimum output is overwritten with the oracle-derived one.
    function rebalance(
        bytes calldata intent,
        bytes[] calldata signatures,
        uint256[] calldata trades,
        bytes[] calldata routes
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(hex"1901", keccak256(abi.encode(block.chainid, address(this))), keccak256(intent))
        );
        if (signatures.length < _threshold) revert Refused(1);
        address previous;
        for (uint256 i; i < signatures.length; ++i) {
            address signer = TypedDataLib.recoverStrict(digest, signatures[i]);
            if (signer <= previous || !isSigner[signer]) revert Refused(1);
            previous = signer;
        }
        (uint256 intentNonce, uint256 deadline) = abi.decode(intent[:64], (uint256, uint256));
        if (intentNonce != nextNonce++ || block.timestamp > deadline) revert Refused(2);

        address[] memory list = assets();
        uint256[] memory prices = new uint256[](list.length);
        for (uint256 i; i < list.length; ++i) {
            prices[i] = _oracle.price(list[i]);
        }
        uint256[] memory before = holdings();
        for (uint256 k; k < trades.length; ++k) {
            uint256 t = trades[k];
            (uint256 sell, uint256 buy) = (t & 0xff, (t >> 8) & 0xff);
            uint256 value = (t >> 128) * prices[sell] / _unit(sell);
            uint256 minOut = value * (BPS - ((t >> 16) & 0xffff)) / BPS * _unit(buy) / prices[buy];
            bytes memory route = routes[k];
            assembly ("memory-safe") {
                let at := add(route, 92) // 32 (length) + 60 (minAmountOut's offset)
                mstore(at, or(shl(128, minOut), and(mload(at), 0xffffffffffffffffffffffffffffffff)))
            }
            _aggregator.swap(route);
        }
        _risk.enforce(before, holdings());
    }

    function _unit(uint256 i) internal view returns (uint256) {
        return ((i < 4 ? _unitsLow : _unitsHigh) >> (64 * (i % 4))) & type(uint64).max;
    }
}
