/**
 * `yes | tessera set KEY …` must not read until memory runs out: each command that reads
 * stdin refuses input past its limit and stops reading there. The real CLI is fed a stream
 * that does not end until the CLI closes its end of the pipe.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnv, errorLine, makeTempDir, runCli } from '../helpers/cli';

const KiB = 1024;
const MiB = 1024 * KiB;
// What may sit between the writer and the CLI's reads when it stops: the pipe (64 KiB on
// Linux), Node's write buffer, the CLI's last read, and a chunk of ours.
const IN_FLIGHT = 1 * MiB;

interface EndlessRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Bytes handed to the pipe before the CLI closed it (or the safety cap was reached). */
  readonly written: number;
}

/**
 * Runs the CLI with `y\n` written into its stdin, with backpressure, until the CLI closes
 * the pipe or exits. `cap` only guards this machine's memory when the CLI does not stop
 * reading: the writer then ends the input there, and the test sees `written >= cap`.
 */
function runWithEndlessStdin(home: string, args: readonly string[], cap: number): Promise<EndlessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env: cliEnv(home), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera ${args.join(' ')} did not exit`));
    }, 60_000);

    const chunk = Buffer.from('y\n'.repeat(32 * KiB));
    let written = 0;
    let open = true;
    // EPIPE once the CLI has closed its end: that is the point.
    child.stdin.on('error', () => (open = false));
    child.stdin.on('close', () => (open = false));
    const pump = async () => {
      while (open && written < cap) {
        written += chunk.length;
        if (!child.stdin.write(chunk)) {
          await new Promise<void>((r) => {
            const done = () => {
              child.stdin.off('drain', done);
              child.stdin.off('close', done);
              r();
            };
            child.stdin.on('drain', done);
            child.stdin.on('close', done);
          });
        }
      }
      if (open) child.stdin.end();
    };
    void pump();
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, written });
    });
  });
}

let home: string | undefined;
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
  home = undefined;
});

describe('stdin is read up to a limit', () => {
  // The value is read before the profile is unlocked, so an empty TESSERA_HOME will do:
  // the refusal has to come before NO_PROFILE.
  it.each([
    ['set', ['set', 'KEY', '--vault', 'V', '--env', 'dev']],
    ['rotate', ['rotate', 'KEY', '--vault', 'V', '--env', 'dev']],
  ])('%s refuses an endless value with VALUE_TOO_LARGE and stops reading at 256 KiB', async (_name, args) => {
    home = await makeTempDir('tessera-stdin-');
    const limit = 256 * KiB;
    const r = await runWithEndlessStdin(home, args, limit + 8 * MiB);
    expect(r.stderr).toMatch(errorLine('VALUE_TOO_LARGE'));
    expect(r.stderr).toContain('256 KiB');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.written).toBeLessThan(limit + IN_FLIGHT);
  });

  it.each([
    ['import -', ['import', '-', '--vault', 'V', '--env', 'dev']],
    ['inject -i -', ['inject', '-i', '-']],
  ])('%s refuses endless input with INPUT_TOO_LARGE and stops reading at 16 MiB', async (_name, args) => {
    home = await makeTempDir('tessera-stdin-');
    const limit = 16 * MiB;
    const r = await runWithEndlessStdin(home, args, limit + 8 * MiB);
    expect(r.stderr).toMatch(errorLine('INPUT_TOO_LARGE'));
    expect(r.stderr).toContain('16 MiB');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.written).toBeLessThan(limit + IN_FLIGHT);
  });

  it.runIf(process.platform === 'linux')('import of a file that never ends (/dev/zero) stops at 16 MiB with INPUT_TOO_LARGE', async () => {
    home = await makeTempDir('tessera-stdin-');
    const r = await runCli(home, ['import', '/dev/zero', '--vault', 'V', '--env', 'dev']);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(errorLine('INPUT_TOO_LARGE'))]);
  });
});
