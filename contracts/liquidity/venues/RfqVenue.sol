// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRfqVenue, RfqQuote} from "../../../interfaces/IRfqVenue.sol";

/// @title RfqVenue
/// @notice Settlement of EIP-712 firm quotes signed by market makers (see IRfqVenue).
contract RfqVenue is IRfqVenue, AccessManaged, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "RfqQuote(address maker,address taker,address tokenIn,address tokenOut,uint256 amountIn,uint256 amountOut,uint256 nonce,uint64 expiry)"
    );

    uint8 internal constant FILLABLE = 0;
    uint8 internal constant EXPIRED = 1;
    uint8 internal constant NONCE_USED = 2;
    uint8 internal constant BAD_SIGNATURE = 3;
    uint8 internal constant WRONG_TAKER = 4;
    uint8 internal constant BAD_SIZE = 5;
    uint8 internal constant PAUSED = 6;

    /// @inheritdoc IRfqVenue
    address public immutable aggregator;

    /// @dev Unordered nonces (as Permit2): bit `nonce & 255` of word `nonce >> 8`.
    mapping(address maker => mapping(uint256 word => uint256 bits)) private _nonceBitmap;
    /// @inheritdoc IRfqVenue
    bool public paused;

    /// @param authority The AccessManager: GUARDIAN `pause`, GOVERNOR `unpause` (SEC-146).
    constructor(address aggregator_, address authority) AccessManaged(authority) EIP712("Quantera RFQ", "1") {
        aggregator = aggregator_;
    }

    /// @inheritdoc IRfqVenue
    function pause() external restricted {
        _setPaused(true);
    }

    /// @inheritdoc IRfqVenue
    function unpause() external restricted {
        _setPaused(false);
    }

    /// @inheritdoc IRfqVenue
    function fill(RfqQuote calldata quote, bytes calldata signature, uint256 amountIn, address recipient)
        external
        nonReentrant
        returns (uint256)
    {
        return _fill(quote, signature, amountIn, recipient, msg.sender);
    }

    /// @inheritdoc IRfqVenue
    function fillFor(
        RfqQuote calldata quote,
        bytes calldata signature,
        uint256 amountIn,
        address recipient,
        address taker
    ) external nonReentrant returns (uint256) {
        if (msg.sender != aggregator) revert OnlyAggregator(msg.sender, aggregator);
        return _fill(quote, signature, amountIn, recipient, taker);
    }

    /// @inheritdoc IRfqVenue
    function cancel(uint256 nonce) external {
        if (isNonceUsed(msg.sender, nonce)) revert QuoteNonceUsed(msg.sender, nonce);
        _spendNonce(msg.sender, nonce);
        emit NonceCancelled(msg.sender, nonce);
    }

    /// @inheritdoc IRfqVenue
    function quoteFill(RfqQuote calldata quote, bytes calldata signature, address taker, uint256 amountIn)
        external
        view
        returns (uint256 amountOut, uint8 failure)
    {
        (amountOut, failure) = _check(quote, hashQuote(quote), signature, taker, amountIn);
        if (failure != FILLABLE) amountOut = 0;
    }

    /// @inheritdoc IRfqVenue
    function hashQuote(RfqQuote calldata quote) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(QUOTE_TYPEHASH, quote)));
    }

    /// @inheritdoc IRfqVenue
    function isNonceUsed(address maker, uint256 nonce) public view returns (bool) {
        return _nonceBitmap[maker][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @dev The input comes from the caller (the taker itself, or the aggregator for its route's taker).
    function _fill(
        RfqQuote calldata quote,
        bytes calldata signature,
        uint256 amountIn,
        address recipient,
        address taker
    ) internal returns (uint256 amountOut) {
        bytes32 quoteHash = hashQuote(quote);
        uint8 failure;
        (amountOut, failure) = _check(quote, quoteHash, signature, taker, amountIn);
        if (failure == PAUSED) revert RfqPaused();
        if (failure == EXPIRED) revert QuoteExpired(quote.expiry, block.timestamp);
        if (failure == NONCE_USED) revert QuoteNonceUsed(quote.maker, quote.nonce);
        if (failure == BAD_SIGNATURE) revert InvalidQuoteSignature(quote.maker);
        if (failure == WRONG_TAKER) revert QuoteTakerMismatch(quote.taker, taker);
        if (failure == BAD_SIZE) {
            if (amountIn > quote.amountIn) revert FillExceedsQuote(amountIn, quote.amountIn);
            revert EmptyFill(); // zero input, or an output that rounds to zero
        }
        _spendNonce(quote.maker, quote.nonce);
        IERC20(quote.tokenIn).safeTransferFrom(msg.sender, quote.maker, amountIn);
        IERC20(quote.tokenOut).safeTransferFrom(quote.maker, recipient, amountOut);
        emit QuoteFilled(
            quoteHash, quote.maker, taker, recipient, quote.tokenIn, quote.tokenOut, amountIn, amountOut, quote.nonce
        );
    }

    function _check(
        RfqQuote calldata quote,
        bytes32 quoteHash,
        bytes calldata signature,
        address taker,
        uint256 amountIn
    ) internal view returns (uint256 amountOut, uint8 failure) {
        if (paused) return (0, PAUSED);
        if (block.timestamp > quote.expiry) return (0, EXPIRED);
        if (isNonceUsed(quote.maker, quote.nonce)) return (0, NONCE_USED);
        if (!SignatureChecker.isValidSignatureNow(quote.maker, quoteHash, signature)) return (0, BAD_SIGNATURE);
        if (quote.taker != address(0) && quote.taker != taker) return (0, WRONG_TAKER);
        if (amountIn == 0 || amountIn > quote.amountIn) return (0, BAD_SIZE);
        amountOut = Math.mulDiv(amountIn, quote.amountOut, quote.amountIn);
        if (amountOut == 0) return (0, BAD_SIZE);
    }

    function _setPaused(bool paused_) internal {
        bool previous = paused;
        paused = paused_;
        emit PausedSet(previous, paused_);
    }

    function _spendNonce(address maker, uint256 nonce) internal {
        _nonceBitmap[maker][nonce >> 8] |= 1 << (nonce & 0xff);
    }
}
