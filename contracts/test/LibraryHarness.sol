// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {TypedDataLib} from "../libraries/TypedDataLib.sol";
import {PackedAmount} from "../libraries/PackedAmount.sol";
import {PackedTotal} from "../libraries/PackedTotal.sol";
import {RebalanceMath} from "../libraries/RebalanceMath.sol";
import {RebalanceIntent, RebalanceIntentLib} from "../rebalancing/RebalanceIntentLib.sol";
import {RouteCodec} from "../liquidity/RouteCodec.sol";
import {Leg} from "../../interfaces/ILiquidityAggregator.sol";
import {RebalanceTrade} from "../types/RebalancerWords.sol";

/// @title LibraryHarness
/// @notice Test-only: exposes the internal shared libraries so tests can check them against Python
/// references. Never deployed by `scripts/deploy.py`.
contract LibraryHarness is EIP712 {
    bytes32 public constant WEIGHTS_TYPEHASH = keccak256("Weights(address[] assets,uint256[] weights,uint256 nonce)");

    mapping(address => bool) public authorisedSigner;

    constructor() EIP712("QuanteraLibraryHarness", "1") {}

    function encodeRoute(
        address tokenIn,
        address tokenOut,
        address recipient,
        uint256 minAmountOut,
        uint256 deadline,
        uint16 maxSlippageBps,
        Leg[] memory legs
    ) external pure returns (bytes memory) {
        return RouteCodec.encode(tokenIn, tokenOut, recipient, minAmountOut, deadline, maxSlippageBps, legs);
    }

    function packedEncodeExact(uint256 amount) external pure returns (uint40) {
        return PackedAmount.encodeExact(amount);
    }

    function totalEncodeUp(uint256 amount) external pure returns (uint256) {
        return PackedTotal.encodeUp(amount);
    }

    function totalDecode(uint256 packed) external pure returns (uint256) {
        return PackedTotal.decode(packed);
    }

    function packedDecode(uint40 packed) external pure returns (uint256) {
        return PackedAmount.decode(packed);
    }

    function weightsDigest(address[] calldata assets, uint256[] calldata weights, uint256 nonce)
        public
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                WEIGHTS_TYPEHASH, TypedDataLib.hashAddressArray(assets), TypedDataLib.hashUint256Array(weights), nonce
            )
        );
        return _hashTypedDataV4(structHash);
    }

    function checkWeightsSignature(
        address signer,
        address[] calldata assets,
        uint256[] calldata weights,
        uint256 nonce,
        bytes calldata signature
    ) external view returns (bool) {
        TypedDataLib.requireValidSignature(signer, weightsDigest(assets, weights, nonce), signature);
        return true;
    }

    function recoverStrict(bytes32 digest, bytes calldata signature) external pure returns (address) {
        return TypedDataLib.recoverStrict(digest, signature);
    }

    function planRebalance(
        RebalanceMath.Market memory market,
        uint16[] memory targetBps,
        uint16 maxTradeBps,
        uint16 slippageBps
    ) external pure returns (RebalanceTrade[] memory trades, uint256 nav) {
        return RebalanceMath.plan(market, targetBps, maxTradeBps, slippageBps);
    }

    function setSigner(address signer, bool allowed) external {
        authorisedSigner[signer] = allowed;
    }

    function intentDigest(RebalanceIntent calldata intent) public view returns (bytes32) {
        return _hashTypedDataV4(RebalanceIntentLib.structHash(intent));
    }

    function requireIntentQuorum(
        RebalanceIntent calldata intent,
        address[] calldata signers,
        bytes[] calldata signatures,
        uint256 threshold
    ) external view returns (bool) {
        RebalanceIntentLib.requireQuorum(intentDigest(intent), signers, signatures, authorisedSigner, threshold);
        return true;
    }
}
