// Runs Electronegativity (Doyensec's Electron security scanner) over the app's sources and
// fails on any HIGH or MEDIUM finding that is not justified at its spot by a comment
// `electronegativity: CHECK_NAME: why` on the flagged line or within the three lines above.
// Its command-line entry is broken with current commander releases, so the library's
// runner is called directly; it may try the network for translations and Electron release
// data, and carries on without them.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity');
const root = resolve(new URL('..', import.meta.url).pathname);
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const electronVersion = pkg.devDependencies.electron.replace(/^[^\d]*/, '');
// The sources, not the bundles in out/ (the justifications are comments, which bundling
// drops), scanned together so its global checks (CSP, navigation limits, permission
// handler) see the page and the main process at once.
const inputs = ['src-main', 'src-renderer', 'package.json'];

// The runner's own result, not its CSV file: it writes that file's header and rows with two
// unawaited fs.writeFile calls, so the file read right after the run is sometimes half
// written or has its header over the first rows.
function findingOf(issue) {
  const { id, severity, confidence, file, location } = issue;
  return { issue: id, severity: severity.name, confidence: confidence.name, filename: file, line: Number(location?.line ?? 0) };
}

const dir = await mkdtemp(join(tmpdir(), 'tessera-security-scan-'));
const findings = [];
try {
  const staged = join(dir, 'app');
  for (const input of inputs) await cp(join(root, input), join(staged, input), { recursive: true, filter: (src) => !/\.test\.tsx?$/.test(src) });
  const result = await run({ input: staged, output: undefined, isSarif: false, customScan: [], excludeFromScan: [], isRelative: true, isVerbose: false, electronVersionOverride: electronVersion, parserPlugins: [] }, false);
  findings.push(...result.issues.map(findingOf));
} finally {
  await rm(dir, { recursive: true, force: true });
}

// A scan that read nothing reports nothing: make sure it saw the page (whose CSP is always
// reported on) before trusting a clean result.
if (!findings.some((f) => f.issue === 'CSP_GLOBAL_CHECK' && f.filename.endsWith('index.html'))) {
  console.error('electronegativity: the scan did not read the renderer page; no result');
  process.exit(1);
}

let failed = 0;
for (const f of findings) {
  let justified = '';
  if (f.filename.match(/\.(ts|tsx|js|mjs|cjs)$/) && f.line > 0) {
    const lines = (await readFile(join(root, f.filename), 'utf8')).split('\n');
    const near = lines.slice(Math.max(0, f.line - 4), f.line).join('\n');
    const m = near.match(new RegExp(`electronegativity: ${f.issue}: (.+)`));
    if (m) justified = m[1].trim();
  }
  const serious = f.severity === 'HIGH' || f.severity === 'MEDIUM';
  const verdict = justified ? `justified: ${justified}` : serious ? 'NOT JUSTIFIED' : 'low, noted';
  if (serious && !justified) failed++;
  console.log(`${f.severity.padEnd(13)} ${f.issue.padEnd(28)} ${`${f.filename}:${f.line}`.padEnd(36)} ${verdict}`);
}
console.log(`electronegativity (Electron ${electronVersion}): ${findings.length} finding(s), ${failed} high/medium not justified`);
process.exitCode = failed ? 1 : 0;
