// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccountCode} from "./AccountCode.sol";

/// @title Dispatch
/// @notice The one way a Quantera contract too big for EIP-170 runs part of its code in a module
/// (after Euler's Vault Kit `Dispatch`): the dispatcher keeps a stub for each function a module
/// serves (with the dispatcher's own checks: roles, caller, lock) and runs the call in the module
/// by DELEGATECALL, on the dispatcher's storage. The module is an immutable of the dispatcher,
/// deployed once and passed in; it inherits the dispatcher's storage base, never the dispatcher,
/// and refuses direct calls (`DelegatedModule`).
///
/// This is the only file of the protocol's own contracts that holds a DELEGATECALL to a module
/// (the liquidity aggregator's adapters and the rebalancer's self-multicall are other patterns).
///
/// Checked once, at construction (`_requireModule`): the module's code is fixed for good (it existed
/// before this transaction, so it cannot destroy itself and be recreated with other code; and it is
/// not an EIP-7702 delegated account, whose key could re-delegate it: `AccountCode`), and it names
/// the layout it was built for (`moduleId`, a constant of the storage base, bumped when the base
/// changes). NOT checked here: that the module's own code does not forward elsewhere (a proxy or a
/// clone is code like any other; the deploy routines deploy each module from the build); that the
/// module's build matches this one's storage layout beyond that id (a test compares the layouts of
/// the sources; the deploy routines record every module under its init code's hash,
/// `keepers.core.deploying.build_name`, so a new build deploys a new module); that a stub's selector
/// is the module's (a test compares the ABIs); and how many words the module returned (a stub reads
/// its first one or two: every module function returns what its stub reads).
abstract contract Dispatch {
    /// @notice A call to a selector no stub serves (raised by a views module, which a dispatcher's
    /// fallback forwards every other selector to: PrimeViews).
    error UnknownCall(bytes4 selector);
    /// @notice `module` has no code, or is not the module `expected` names (`moduleId`).
    error ModuleMismatch(address module, bytes32 expected);
    /// @notice `module` is an EIP-7702 delegated account: the code it runs is not its own.
    error DelegatedModuleAccount(address module);
    /// @notice `module` was created (or touched) earlier in this transaction: created here, it
    /// could still destroy itself and be recreated with other code. Deploy it in an earlier one.
    error ModuleNotSettled(address module);

    /// @dev Refuses a module that does not say it is `id` (`DelegatedModule.moduleId`): a code-less
    /// address (a DELEGATECALL to it would succeed and do nothing), another layout's module, or an
    /// EIP-7702 delegated account (which answers as its target does until its key re-delegates
    /// it), or a module created in this transaction (which could destroy itself after the checks).
    /// For the dispatcher's constructor (init code: no runtime size).
    function _requireModule(address module, bytes32 id) internal view {
        if (AccountCode.isWarm(module)) revert ModuleNotSettled(module); // first: nothing read it yet
        if (module.code.length == 0) revert ModuleMismatch(module, id);
        if (AccountCode.isDelegated(module)) revert DelegatedModuleAccount(module);
        (bool ok, bytes memory answer) = module.staticcall(abi.encodeWithSignature("moduleId()"));
        if (!ok || answer.length != 32 || abi.decode(answer, (bytes32)) != id) revert ModuleMismatch(module, id);
    }

    /// @dev Runs the current call's data in `module` and returns or reverts with what it returned.
    /// Ends the call in assembly: nothing after it runs, so a caller must hold no lock or other
    /// modifier with code after its body (use `_delegateWords`, which returns to the caller).
    function _delegate(address module) internal {
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev Runs the current call's data in `module`, reverts with what it reverted with, and
    /// returns its first two return words (scratch space; a word the module did not return is
    /// meaningless). Control comes back here, so a `nonReentrant` caller's lock is released.
    function _delegateWords(address module) internal returns (uint256 first, uint256 second) {
        assembly ("memory-safe") {
            let input := mload(0x40)
            calldatacopy(input, 0, calldatasize())
            if iszero(delegatecall(gas(), module, input, calldatasize(), 0, 0x40)) {
                returndatacopy(input, 0, returndatasize())
                revert(input, returndatasize())
            }
            first := mload(0)
            second := mload(0x20)
        }
    }

    /// @dev Runs `data` (a call the stub re-encoded) in `module`, reverts with what it reverted
    /// with, and returns its first return word (as `_delegateWords`).
    function _delegateData(address module, bytes memory data) internal returns (uint256 first) {
        assembly ("memory-safe") {
            if iszero(delegatecall(gas(), module, add(data, 0x20), mload(data), 0, 0x20)) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
            first := mload(0)
        }
    }

    /// @dev Runs `selector(a, b)` (two static words) in `module` from inside another function, and
    /// reverts with what it reverted with; its return data is not read.
    function _delegateTwo(address module, bytes4 selector, uint256 a, uint256 b) internal {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, selector)
            mstore(add(p, 0x04), a)
            mstore(add(p, 0x24), b)
            if iszero(delegatecall(gas(), module, p, 0x44, 0x00, 0x00)) {
                returndatacopy(p, 0x00, returndatasize())
                revert(p, returndatasize())
            }
        }
    }

    /// @dev Runs `selector(a, b, c)` (three static words) in `module` from inside another
    /// function, as `_delegateTwo`.
    function _delegateThree(address module, bytes4 selector, uint256 a, uint256 b, uint256 c) internal {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, selector)
            mstore(add(p, 0x04), a)
            mstore(add(p, 0x24), b)
            mstore(add(p, 0x44), c)
            if iszero(delegatecall(gas(), module, p, 0x64, 0x00, 0x00)) {
                returndatacopy(p, 0x00, returndatasize())
                revert(p, returndatasize())
            }
        }
    }
}
