#!/usr/bin/env node
// Compiles Morpho Blue from the Solidity source its npm package ships (`@morpho-org/morpho-blue`
// 1.0.0, `pragma solidity 0.8.19`) with solc-js 0.8.19 (installed under the npm alias
// `solc-0.8.19`, beside the tree's own solc 0.8.28), at Morpho's own settings, and writes one
// artifact per contract: `node tools/solc/build-morpho.js OUT_DIR` -> OUT_DIR/<Name>.json
// ({contractName, abi, bytecode, deployedBytecode, compiler}). `make build` runs it (a target
// rebuilt only when this script or the node pins change); keepers/prime/morpho_artifacts.py loads
// the artifacts, as keepers/liquidity/artifacts.py loads Uniswap's.
//
// The package ships no build configuration: the settings are those of morpho-blue's foundry.toml
// at the 1.0.0 release (the deployed bytecode's): via-IR, optimizer at 999,999 runs, EVM `paris`,
// no metadata hash.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc-0.8.19');

const PACKAGE = path.dirname(require.resolve('@morpho-org/morpho-blue/package.json'));
const VERSION = '0.8.19';
// Morpho itself; the package's test IRM (utilisation-proportional rate: x % APR at x %
// utilisation), its only interest-rate model on npm; its plain 18-decimal ERC-20 (the bare
// collateral of the gas baseline).
const TARGETS = {
  Morpho: 'src/Morpho.sol',
  IrmMock: 'src/mocks/IrmMock.sol',
  ERC20Mock: 'src/mocks/ERC20Mock.sol',
};
// solc before 0.8.20 leaves events emitted from a library (`emit EventsLib.Liquidate(...)`) out
// of the emitting contract's ABI: Morpho's events are declared in EventsLib, so they are added to
// Morpho's ABI from that library's (the logs a Morpho transaction writes are decoded by it).
const EVENTS_FROM = { Morpho: ['src/libraries/EventsLib.sol', 'EventsLib'] };
const SETTINGS = {
  viaIR: true,
  optimizer: { enabled: true, runs: 999999 },
  evmVersion: 'paris',
  metadata: { bytecodeHash: 'none' },
};

function sources() {
  // Every Solidity file of the package under its unit name (`src/...`): no import callback.
  const out = {};
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.sol')) {
        out[path.relative(PACKAGE, full).split(path.sep).join('/')] = {
          content: fs.readFileSync(full, 'utf8'),
        };
      }
    }
  };
  walk(path.join(PACKAGE, 'src'));
  return out;
}

function main() {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: node tools/solc/build-morpho.js OUT_DIR\n');
    process.exitCode = 2;
    return;
  }
  if (!solc.version().startsWith(`${VERSION}+`)) {
    process.stderr.write(`build-morpho: solc-0.8.19 is ${solc.version()}, expected ${VERSION}\n`);
    process.exitCode = 1;
    return;
  }
  const selection = {};
  for (const unit of Object.values(TARGETS)) {
    selection[unit] = { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] };
  }
  for (const [unit] of Object.values(EVENTS_FROM)) selection[unit] = { '*': ['abi'] };
  const input = {
    language: 'Solidity',
    sources: sources(),
    settings: { ...SETTINGS, outputSelection: selection },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    process.stderr.write(errors.map((e) => e.formattedMessage).join('\n'));
    process.exitCode = 1;
    return;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const compiler = { version: solc.version(), settings: SETTINGS };
  for (const [name, unit] of Object.entries(TARGETS)) {
    const c = output.contracts[unit][name];
    const [eventsUnit, library] = EVENTS_FROM[name] || [];
    const libraryAbi = library ? output.contracts[eventsUnit][library].abi : [];
    const events = libraryAbi.filter((e) => e.type === 'event');
    const artifact = {
      contractName: name,
      sourceId: `@morpho-org/morpho-blue/${unit}`,
      abi: [...c.abi, ...events],
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      compiler,
    };
    // Written whole, then renamed: an interrupted build never leaves half a file behind.
    const file = path.join(outDir, `${name}.json`);
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(artifact, null, 1)}\n`);
    fs.renameSync(`${file}.tmp`, file);
    process.stdout.write(`${file}: runtime ${c.evm.deployedBytecode.object.length / 2} bytes\n`);
  }
}

main();
