// Builds the bundled CLI once, so integration tests run `tessera` the way users do.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-node.mjs', 'tessera'], { stdio: 'inherit' });
}
