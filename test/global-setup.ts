// Builds what the tests run, once: the bundled CLI (integration tests run `tessera` the way
// users do) and the desktop app (end-to-end tests load the renderer as it ships).
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-node.mjs', 'tessera'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build', '-c', 'electron.config.ts'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
