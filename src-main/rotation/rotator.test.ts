import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/helpers/temp-home';
import { runRotator } from './rotator';

const target = { vault: 'V', secret: 'S', environment: 'E' };
const node = (script: string) => [process.execPath, '-e', script];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runRotator', () => {
  it.skipIf(process.platform === 'win32')('on timeout kills what the rotator started, not only the rotator', async () => {
    const dir = await tempHome();
    const pidFile = join(dir, 'grandchild.pid');
    const script = `const c = require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "inherit" }); require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000)`;
    await expect(runRotator({ command: node(script), timeoutSeconds: 1 }, target)).rejects.toMatchObject({ code: 'ROTATOR_TIMEOUT' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // SIGKILL is delivered at once, but the process table may lag a moment behind.
    for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
    expect(alive(pid)).toBe(false);
  });

  it('keeps the value exactly but for one trailing newline, and refuses output that is not UTF-8', async () => {
    expect((await runRotator({ command: node('process.stdout.write("  spaced value \\n\\n")') }, target)).value).toBe('  spaced value \n');
    await expect(runRotator({ command: node('process.stdout.write(Buffer.from([0xff, 0xfe, 0x41]))') }, target)).rejects.toMatchObject({ code: 'ROTATOR_FAILED' });
    await expect(runRotator({ command: node('process.stdout.write("x".repeat(300 * 1024))') }, target)).rejects.toMatchObject({ code: 'ROTATOR_FAILED' });
  });
});
