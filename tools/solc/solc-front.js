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
  const opts = { roots: [], standardJson: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i];
    if (arg === '--version') opts.version = true;
    else if (arg === '--standard-json') opts.standardJson = true;
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
    const output = solc.compile(input, { import: makeImportReader(opts.roots) });
    // No process.exit(): it would cut a large piped stdout at 64 KiB. Let Node drain and end.
    process.stdout.write(output);
  });
}

main();
