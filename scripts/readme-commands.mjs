// Prints one of the README's set-up commands: `app` (install and start the app) or `test`
// (install and pass the tests), the line under its comment in the README's first sh block.
// .ci/run runs what this prints, so the commands a reader pastes are the ones CI proves on
// a fresh machine.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MARKERS = { app: '# install and start the app', test: '# install and pass the tests' };

/** The command under the README comment for `which`; throws when the README has none. */
export function readmeCommand(readme, which) {
  const marker = MARKERS[which];
  if (!marker) throw new Error(`unknown command ${which}: app or test`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const lines = block.split('\n');
  const at = lines.findIndex((l) => l.startsWith(marker));
  const command = at < 0 ? undefined : lines.slice(at + 1).find((l) => l.trim() !== '' && !l.startsWith('#'));
  if (!command) throw new Error(`README.md has no "${marker}" command in its first sh block (for ${which})`);
  return command.trim();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  process.stdout.write(readmeCommand(readme, process.argv[2]) + '\n');
}
