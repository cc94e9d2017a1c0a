// CI's closing line: the test counts from vitest's JSON report, in one plain line. When the
// run stopped before vitest wrote the report (interrupted, killed, out of memory), or left it
// torn, it says so in one line too, instead of a stack trace in the last line of the log.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const file = process.argv[2] ?? 'test-results/vitest.json';
let line;
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const n = (k) => (Number.isInteger(r?.[k]) ? r[k] : 0);
  if (!Number.isInteger(r?.numPassedTests)) throw new SyntaxError('no test counts in it');
  line = `tests: ${n('numPassedTests')} passed, ${n('numFailedTests')} failed, ${n('numPendingTests') + n('numTodoTests')} skipped`;
} catch (e) {
  line = e?.code === 'ENOENT'
    ? `tests: no results (${basename(file)} was not written: the run stopped before vitest finished)`
    : `tests: no results (${basename(file)} is not vitest's JSON: ${e?.code ?? e?.message ?? e})`;
}
console.log(line);
