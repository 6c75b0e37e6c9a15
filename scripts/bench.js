#!/usr/bin/env node
// Builds the packages and the benchmarks, then runs every bench/*.bench.ts (or the ones named on the command line:
// `npm run bench -- backfill`). Each benchmark prints its own markdown table; docs/benchmarks.md records the figures
// together with the command that produced them.
'use strict';
const { execFileSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.json', 'bench/tsconfig.json'], {
  cwd: root,
  stdio: 'inherit',
});
const wanted = process.argv.slice(2);
const benches = readdirSync(join(root, 'bench'))
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace(/\.bench\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name));
if (benches.length === 0) {
  console.log(wanted.length ? `No benchmark named ${wanted.join(', ')} in bench/.` : 'No benchmarks in bench/ yet.');
  process.exit(wanted.length ? 1 : 0);
}
for (const name of benches) {
  console.log(`\n## ${name}\n`);
  execFileSync(process.execPath, ['--expose-gc', join(root, 'bench', 'dist', `${name}.bench.js`)], {
    cwd: root,
    stdio: 'inherit',
  });
}
