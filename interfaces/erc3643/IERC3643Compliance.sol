// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title IERC3643ModularCompliance
/// @notice The ERC-3643 (T-REX 4.x) `IModularCompliance` surface, signature for signature.
interface IERC3643ModularCompliance {
    event ModuleInteraction(address indexed target, bytes4 selector);
    event TokenBound(address token);
    event TokenUnbound(address token);
    event ModuleAdded(address indexed module);
    event ModuleRemoved(address indexed module);

    function bindToken(address token) external;
    function unbindToken(address token) external;
    function addModule(address module) external;
    function removeModule(address module) external;
    function callModuleFunction(bytes calldata callData, address module) external;
    function transferred(address from, address to, uint256 amount) external;
    function created(address to, uint256 amount) external;
    function destroyed(address from, uint256 amount) external;
    function canTransfer(address from, address to, uint256 amount) external view returns (bool);
    function getModules() external view returns (address[] memory);
    function getTokenBound() external view returns (address);
    function isModuleBound(address module) external view returns (bool);
}

/// @title IERC3643Module
/// @notice The ERC-3643 (T-REX 4.x) `IModule` surface that a modular compliance calls.
interface IERC3643Module {
    function bindCompliance(address compliance) external;
    function unbindCompliance(address compliance) external;
    function moduleTransferAction(address from, address to, uint256 value) external;
    function moduleMintAction(address to, uint256 value) external;
    function moduleBurnAction(address from, uint256 value) external;
    function moduleCheck(address from, address to, uint256 value, address compliance) external view returns (bool);
    function isComplianceBound(address compliance) external view returns (bool);
    function canComplianceBind(address compliance) external view returns (bool);
    function isPlugAndPlay() external pure returns (bool);
    function name() external pure returns (string memory);
}
