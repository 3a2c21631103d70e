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
// 1,000,000 optimizer runs outgrows it ("RuntimeError: memory access out of bounds"), and so did
// batches that each parsed and analysed every source of the tree. So the files whose outputs are
// asked for are compiled in batches of BATCH_FILES, each batch in a child process of its own (a
// fresh heap) given only the import closure of its files, at most JOBS children at a time, and
// the outputs merged. solc numbers sources by their sorted unit names, so a batch's source ids
// are its own: the merge renumbers them to the ids of one compile of the whole closure (in
// `sources`, in source maps and in every AST location), so the output reads as one compile's. The
// bytecode is the same: solc generates each contract's code from that contract's own imports.
const BATCH_FILES = Number(process.env.SOLC_FRONT_BATCH_FILES || 6);
const JOBS = Number(process.env.SOLC_FRONT_JOBS || Math.min(2, require('os').cpus().length));

function selectedFiles(input) {
  const selection = (input.settings && input.settings.outputSelection) || {};
  return Object.keys(selection).filter((f) => f !== '*');
}

// The paths a source imports. Comments are dropped first; an import path never holds a quote.
const IMPORT = /\bimport\s+(?:[^;"']*?\bfrom\s+)?["']([^"']+)["']/g;
function importPaths(content) {
  const code = content.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  return [...code.matchAll(IMPORT)].map((m) => m[1]);
}

// solc's resolution of an import to a source unit name: relative to the importing unit when it
// starts with ./ or ../, then the longest matching remapping prefix (remappings without context).
function resolveImport(from, importPath, remappings) {
  let name = importPath;
  if (name.startsWith('./') || name.startsWith('../')) {
    name = path.posix.normalize(path.posix.join(path.posix.dirname(from), name));
  }
  let best = null;
  for (const r of remappings) {
    const [prefix, target] = r.includes(':') ? r.split(':')[1].split('=') : r.split('=');
    if (name.startsWith(prefix) && (!best || prefix.length > best[0].length)) best = [prefix, target];
  }
  return best ? best[1] + name.slice(best[0].length) : name;
}

// Every source unit `roots` reach, with its content (read from disk when the input lacks it), or
// null when an import cannot be found (the batch then falls back to the whole input).
function closure(roots, sources, remappings, findImports) {
  const found = {};
  const todo = [...roots];
  while (todo.length > 0) {
    const name = todo.pop();
    if (found[name] !== undefined) continue;
    let content = sources[name] && sources[name].content;
    if (content === undefined) {
      const read = findImports(name);
      if (read.error) return null;
      content = read.contents;
    }
    found[name] = content;
    for (const p of importPaths(content)) todo.push(resolveImport(name, p, remappings));
  }
  return found;
}

function batches(input, findImports) {
  const files = selectedFiles(input);
  const selection = input.settings.outputSelection;
  const remappings = input.settings.remappings || [];
  // A few files are compiled in this process, unless the input carries far more than their
  // import closure (a tool sending every project source to ask for one contract's output): one
  // compile of the whole tree outgrows the heap, so they are then one batch of their closure.
  if (files.length === 0) return null;
  if (files.length <= BATCH_FILES) {
    const own = closure(files, input.sources, remappings, findImports);
    if (!own || Object.keys(own).length >= Object.keys(input.sources).length) return null;
  }
  const all = closure(Object.keys(input.sources), input.sources, remappings, findImports);
  const parts = [];
  for (let i = 0; i < files.length; i += BATCH_FILES) {
    const chosen = files.slice(i, i + BATCH_FILES);
    const part = {};
    if (selection['*']) part['*'] = selection['*'];
    for (const f of chosen) part[f] = selection[f];
    const own = all && closure(chosen, input.sources, remappings, findImports);
    const sources = own
      ? Object.fromEntries(Object.entries(own).map(([n, content]) => [n, { content }]))
      : input.sources;
    parts.push({ ...input, sources, settings: { ...input.settings, outputSelection: part } });
  }
  // The ids one compile of everything would give: sorted unit names (null: keep the batch's ids).
  const ids = all ? new Map(Object.keys(all).sort().map((n, i) => [n, i])) : null;
  return { parts, ids };
}

function compileInChild(input, opts) {
  const { spawn } = require('child_process');
  const args = [__filename, '--standard-json', '--single-run'];
  for (const root of opts.roots) args.push('--include-path', root);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) {
        const why = Buffer.concat(err).toString('utf8').trim();
        reject(new Error(`solc-front: a batch failed (exit ${status}): ${why}`));
      } else resolve(JSON.parse(Buffer.concat(out).toString('utf8')));
    });
    child.stdin.end(JSON.stringify(input));
  });
}

async function inPool(items, jobs, run) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

// Renumbers one batch's output to the global ids: `sources[*].id`, the file field of source maps
// (ids past the batch's sources name generated Yul sources: shifted past the global ones) and the
// "start:length:file" locations of the AST.
function renumber(out, ids) {
  const local = new Map(Object.entries(out.sources || {}).map(([n, s]) => [s.id, ids.get(n)]));
  const count = local.size;
  const id = (f) => {
    const n = Number(f);
    if (n < 0) return n;
    if (n < count) return local.get(n);
    return ids.size + (n - count);
  };
  const loc = (v) => {
    const at = v.split(':');
    return at.length === 3 ? `${at[0]}:${at[1]}:${id(at[2])}` : v;
  };
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'src' || k === 'nameLocation') && typeof v === 'string') node[k] = loc(v);
      else if (k === 'nameLocations' && Array.isArray(v)) node[k] = v.map(loc);
      else if (typeof v === 'object') walk(v);
    }
  };
  const sourceMap = (map) =>
    map
      .split(';')
      .map((entry) => {
        const f = entry.split(':');
        if (f.length > 2 && f[2] !== '') f[2] = String(id(f[2]));
        return f.join(':');
      })
      .join(';');
  for (const [name, source] of Object.entries(out.sources || {})) {
    source.id = ids.get(name);
    if (source.ast) walk(source.ast);
  }
  for (const contracts of Object.values(out.contracts || {})) {
    for (const c of Object.values(contracts)) {
      for (const code of [c.evm && c.evm.bytecode, c.evm && c.evm.deployedBytecode]) {
        if (code && typeof code.sourceMap === 'string') code.sourceMap = sourceMap(code.sourceMap);
      }
    }
  }
  return out;
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
  // A batch sees only its own closure: a compile error is reported by the batches that hold it,
  // and every batch's errors are kept (as one compile of the whole tree would report them).
  if (merged.errors.some((e) => e.severity === 'error')) {
    return { errors: merged.errors, sources: merged.sources };
  }
  if (merged.errors.length === 0) delete merged.errors;
  return merged;
}

async function compile(input, opts) {
  const findImports = makeImportReader(opts.roots);
  if (opts.singleRun) return solc.compile(input, { import: findImports });
  const plan = batches(JSON.parse(input), findImports);
  if (!plan) return solc.compile(input, { import: findImports });
  const outputs = await inPool(plan.parts, JOBS, (part) => compileInChild(part, opts));
  return JSON.stringify(merge(plan.ids ? outputs.map((o) => renumber(o, plan.ids)) : outputs));
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
    if (process.env.SOLC_FRONT_DUMP && !opts.singleRun) fs.writeFileSync(process.env.SOLC_FRONT_DUMP, input);
    compile(input, opts).then(
      // No process.exit(): it would cut a large piped stdout at 64 KiB. Let Node drain and end.
      (output) => process.stdout.write(output),
      (error) => {
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 1;
      },
    );
  });
}

main();
