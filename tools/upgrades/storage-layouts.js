#!/usr/bin/env node
// Storage layouts of the project's contracts and the upgrade-safety check between two versions,
// both by OpenZeppelin's upgrades-core (the library behind its Hardhat and Foundry upgrade
// plugins): `extractStorageLayout` reads solc's AST and storageLayout output, and
// `getStorageUpgradeReport` compares an original layout with an updated one by its rules
// (inserted, removed, renamed, retyped or widened variables, struct and enum changes, gaps).
//
//   node tools/upgrades/storage-layouts.js extract < request.json   # {"targets": {name: path},
//                                                                  #  "overrides": {path: source}}
//   node tools/upgrades/storage-layouts.js compare OLD.json NEW.json
//
// `extract` prints {name: layout} (upgrades-core's StorageLayout, the format of its network
// manifests). It compiles with solc-js (the npm `solc` the solc front wraps), asking for the ASTs
// and `storageLayout` only: no code is generated. `overrides` replaces a file's text (a test's
// edited version of a real source). `compare` prints one report per contract of OLD and exits 1
// if any is not safe (a contract of OLD missing from NEW is not).
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');
const { extractStorageLayout, getStorageUpgradeReport, solcInputOutputDecoder, withValidationDefaults } =
  require('@openzeppelin/upgrades-core');
const { astDereferencer, findAll } = require('solidity-ast/utils');

const ROOT = path.resolve(__dirname, '..', '..');
const REMAPPINGS = [
  ['@openzeppelin/contracts/', 'node_modules/@openzeppelin/contracts/'],
  ['@chainlink/contracts/', 'node_modules/@chainlink/contracts/'],
];

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function onDisk(unit) {
  for (const [prefix, target] of REMAPPINGS) {
    if (unit.startsWith(prefix)) return path.join(ROOT, target, unit.slice(prefix.length));
  }
  return path.join(ROOT, unit);
}

function extract(request) {
  const targets = request.targets || {};
  const overrides = request.overrides || {};
  const read = (unit) => (unit in overrides ? overrides[unit] : fs.readFileSync(onDisk(unit), 'utf8'));
  const sources = {};
  const selection = { '*': { '': ['ast'] } };
  for (const [name, unit] of Object.entries(targets)) {
    sources[unit] = { content: read(unit) };
    selection[unit] = { ...(selection[unit] || { '': ['ast'] }), [name]: ['storageLayout'] };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      remappings: REMAPPINGS.map(([prefix, target]) => `${prefix}=${target}`),
      evmVersion: 'cancun',
      outputSelection: selection,
    },
  };
  // Imports are read from the repository (remapped as ape's build remaps them) and added to the
  // input, so the source decoder can name every variable's file and line.
  const findImports = (unit) => {
    const file = onDisk(unit);
    const inside = file.startsWith(ROOT + path.sep);
    if (!inside || !(unit in overrides || fs.existsSync(file))) return { error: `not found: ${unit}` };
    const content = read(unit);
    input.sources[unit] = { content };
    return { contents: content };
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length > 0) fail(errors.map((e) => e.formattedMessage.split('\n')[0]).join('; '));
  const deref = astDereferencer(output);
  const decodeSrc = solcInputOutputDecoder(input, output, ROOT);
  const layouts = {};
  for (const [name, unit] of Object.entries(targets)) {
    const ast = output.sources[unit] && output.sources[unit].ast;
    const definition = ast && [...findAll('ContractDefinition', ast)].find((d) => d.name === name);
    if (!definition) fail(`${unit} declares no contract ${name}`);
    const storage = output.contracts[unit][name].storageLayout;
    layouts[name] = extractStorageLayout(definition, decodeSrc, deref, storage);
  }
  return layouts;
}

function compare(oldFile, newFile) {
  const olds = JSON.parse(fs.readFileSync(oldFile, 'utf8'));
  const news = JSON.parse(fs.readFileSync(newFile, 'utf8'));
  const reports = {};
  for (const [name, layout] of Object.entries(olds)) {
    if (!(name in news)) {
      reports[name] = { ok: false, explain: `${name}: no new version (its storage would be stranded)` };
      continue;
    }
    const report = getStorageUpgradeReport(layout, news[name], withValidationDefaults({}));
    reports[name] = { ok: report.ok, explain: report.ok ? '' : report.explain(false) };
  }
  return reports;
}

const [command, ...args] = process.argv.slice(2);
if (command === 'extract') {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  process.stdout.write(JSON.stringify(extract(request)));
} else if (command === 'compare' && args.length === 2) {
  const reports = compare(args[0], args[1]);
  process.stdout.write(JSON.stringify(reports));
  process.exit(Object.values(reports).every((r) => r.ok) ? 0 : 1);
} else {
  fail('usage: storage-layouts.js extract < request.json | compare OLD.json NEW.json');
}
