// Bundles the Node entry points (the `tessera` CLI, the relay, the benchmarks) with esbuild
// into out/node/. One file each starts fast, which `tessera run` and `$(tessera get …)` need.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const entries = {
  tessera: 'src-cli/main.ts',
  // `tessera scan` loads it beside itself for its worker threads: built with the CLI.
  'scan-worker': 'src-main/scan/scan-worker.ts',
  relay: 'src-relay/bin.ts',
  'bench-open': 'test/bench/open.ts',
  'bench-rekey': 'test/bench/rekey.ts',
  'bench-sync': 'test/bench/sync.ts',
  'bench-rotation': 'test/bench/rotation.ts',
  'bench-scan': 'test/bench/scan.ts',
  'bench-run': 'test/bench/run.ts',
  'bench-token': 'test/bench/token.ts',
  'bench-relay': 'test/bench/relay.ts',
  'bench-audit': 'test/bench/audit.ts',
  'bench-import': 'test/bench/import.ts',
};
const only = process.argv.slice(2);

await build({
  entryPoints: Object.fromEntries(Object.entries(entries).filter(([k]) => only.length === 0 || only.includes(k) || (k === 'scan-worker' && only.includes('tessera')))),
  outdir: 'out/node',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  logLevel: 'warning',
  // Native addons load at run time from node_modules.
  external: ['keytar', 'sodium-native', 'better-sqlite3', 'pg', 'pg-native', 'electron'],
  define: { TESSERA_VERSION: JSON.stringify(pkg.version) },
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __tesseraRequire } from 'node:module'; const require = __tesseraRequire(import.meta.url);" },
});
