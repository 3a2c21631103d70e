// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @dev Basis points in one whole (100%): every `...Bps` figure of the protocol is out of this.
/// Defined once, imported by every contract and library that scales by it.
uint256 constant BPS = 10_000;

/// @dev One whole in 18-decimal fixed point (a `...Wad` figure: rates, year fractions).
uint256 constant WAD = 1e18;

/// @dev One whole in 27-decimal fixed point (a `...Ray` figure: the lending pool's borrow index and
/// per-second rate, where 18 decimals would lose the small per-second rates' precision).
uint256 constant RAY = 1e27;

/// @dev Not used by any contract: the compile record of this file. Ape counts a source as compiled
/// only through the contract types it yields, and a file of free constants yields none, so
/// `ape compile` recompiled it on every run. This empty library is that contract type; nothing
/// links, calls or deploys it.
library Constants {}
