#!/usr/bin/env node
// Command-line front for solc-js (the npm `solc` package), speaking the subset of the native
// `solc` CLI that py-solc-x (Ape), forge and slither use: `--version` and `--standard-json`.
// Imports that the standard-JSON input does not already carry are read from disk, relative to
// --base-path and every --include-path / --allow-paths entry, never outside them.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

function parseArgs(argv) {
  const opts = { roots: [], standardJson: false, version: false, singleRun: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i];
    if (arg === '--version') opts.version = true;
    else if (arg === '--standard-json') opts.standardJson = true;
    else if (arg === '--single-run') opts.singleRun = true; // a batch's child: compile as given
    else if (arg === '--base-path') opts.roots.unshift(next());
    else if (arg.startsWith('--base-path=')) opts.roots.unshift(arg.slice(12));
    else if (arg === '--include-path') opts.roots.push(next());
    else if (arg === '--allow-paths') opts.roots.push(...next().split(','));
    else if (arg.startsWith('--allow-paths=')) opts.roots.push(...arg.slice(14).split(','));
    // Every other flag (e.g. --optimize given beside --standard-json) is carried by the JSON input.
  }
  opts.roots = opts.roots.filter(Boolean).map((r) => path.resolve(r));
  if (opts.roots.length === 0) opts.roots.push(process.cwd());
  return opts;
}

function versionLine() {
  // solc-js reports e.g. "0.8.28+commit.7893614a.Emscripten.clang"; tools parse "Version: X.Y.Z+commit.H".
  return `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`;
}

function makeImportReader(roots) {
  return function findImports(importPath) {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      const inside = roots.some((r) => candidate === r || candidate.startsWith(r + path.sep));
      if (inside && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found inside the allowed paths: ${importPath}` };
  };
}

// solc-js runs in a WebAssembly heap of at most 4 GiB: one via-IR compile of the whole tree at
// 1,000,000 optimizer runs outgrows it ("RuntimeError: memory access out of bounds") once the tree
// is large enough. So the files whose outputs are asked for are compiled in batches, each batch in
// a child process of its own (a fresh heap), every batch with the same sources (solc numbers
// sources the same way each time) and the outputs merged. The bytecode is the same: solc generates
// each contract's code independently of the others it is asked for.
const BATCH_FILES = Number(process.env.SOLC_FRONT_BATCH_FILES || 6);

function selectedFiles(input) {
  const selection = (input.settings && input.settings.outputSelection) || {};
  return Object.keys(selection).filter((f) => f !== '*');
}

function batches(input) {
  const files = selectedFiles(input);
  if (files.length <= BATCH_FILES) return [input];
  const selection = input.settings.outputSelection;
  const out = [];
  for (let i = 0; i < files.length; i += BATCH_FILES) {
    const part = {};
    if (selection['*']) part['*'] = selection['*'];
    for (const f of files.slice(i, i + BATCH_FILES)) part[f] = selection[f];
    out.push({ ...input, settings: { ...input.settings, outputSelection: part } });
  }
  return out;
}

function compileInChild(input, opts) {
  const { spawnSync } = require('child_process');
  const args = [__filename, '--standard-json', '--single-run'];
  for (const root of opts.roots) args.push('--include-path', root);
  const child = spawnSync(process.execPath, args, {
    input: JSON.stringify(input),
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  if (child.status !== 0) {
    throw new Error(`solc-front: a batch failed (exit ${child.status}): ${child.stderr.trim()}`);
  }
  return JSON.parse(child.stdout);
}

function merge(outputs) {
  const merged = { contracts: {}, sources: {}, errors: [] };
  const seen = new Set();
  for (const out of outputs) {
    for (const [file, contracts] of Object.entries(out.contracts || {})) {
      merged.contracts[file] = { ...(merged.contracts[file] || {}), ...contracts };
    }
    for (const [file, source] of Object.entries(out.sources || {})) {
      const known = merged.sources[file];
      if (!known || (source.ast && !known.ast)) merged.sources[file] = source;
    }
    for (const error of out.errors || []) {
      const key = error.formattedMessage || error.message;
      if (!seen.has(key)) {
        seen.add(key);
        merged.errors.push(error);
      }
    }
  }
  if (merged.errors.length === 0) delete merged.errors;
  return merged;
}

function compile(input, opts) {
  const findImports = makeImportReader(opts.roots);
  if (opts.singleRun) return solc.compile(input, { import: findImports });
  const parsed = JSON.parse(input);
  const parts = batches(parsed);
  if (parts.length === 1) return solc.compile(input, { import: findImports });
  const outputs = parts.map((part) => compileInChild(part, opts));
  const failed = outputs.find((o) => (o.errors || []).some((e) => e.severity === 'error'));
  // On a compile error one batch's answer says it all (every batch sees every source).
  return JSON.stringify(failed || merge(outputs));
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(versionLine());
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write('solc-front: only --version and --standard-json are supported\n');
    process.exitCode = 2;
    return;
  }
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    const input = Buffer.concat(chunks).toString('utf8');
    const output = compile(input, opts);
    // No process.exit(): it would cut a large piped stdout at 64 KiB. Let Node drain and end.
    process.stdout.write(output);
  });
}

main();
