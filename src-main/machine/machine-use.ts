/**
 * Using a vault with a machine token (CI, a server, a container): where the token comes
 * from (TESSERA_TOKEN, or the file TESSERA_TOKEN_FILE names, as systemd's LoadCredential= and
 * Docker secrets give it), reading the vault in memory, and telling the team access log what
 * was read, from which host and CI job.
 */
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import type { CryptoSuite } from '../../src-shared/crypto/suite';
import { isTesseraError, TesseraError } from '../../src-shared/errors';
import type { AccessAction } from '../../src-shared/membership/access-log';
import { decodeMachineToken, type MachineToken } from '../../src-shared/membership/machine-token';
import { TokenVault } from './token-vault';

/** A token is a few hundred bytes; anything much larger is not one (and is not read whole). */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** The machine token the environment gives, or undefined. Throws TOKEN_INVALID or IO. */
export async function tokenFromEnvironment(env: NodeJS.ProcessEnv): Promise<MachineToken | undefined> {
  if (env.TESSERA_TOKEN) return decodeMachineToken(env.TESSERA_TOKEN);
  const file = env.TESSERA_TOKEN_FILE;
  if (!file) return undefined;
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    throw new TesseraError('IO', `Cannot read TESSERA_TOKEN_FILE (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const buf = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > MAX_TOKEN_FILE_BYTES) throw new TesseraError('TOKEN_INVALID', 'TESSERA_TOKEN_FILE is far larger than a token');
    return decodeMachineToken(buf.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}

/** The CI job that ran, when the runner says (GitHub Actions, GitLab CI, Buildkite, CircleCI, Jenkins). */
export function ciRunOf(env: NodeJS.ProcessEnv): string | undefined {
  const ids: [string, string | undefined][] = [
    ['GITHUB_RUN_ID', env.GITHUB_RUN_ID],
    ['CI_JOB_ID', env.CI_JOB_ID],
    ['BUILDKITE_JOB_ID', env.BUILDKITE_JOB_ID],
    ['CIRCLE_WORKFLOW_JOB_ID', env.CIRCLE_WORKFLOW_JOB_ID],
    ['BUILD_TAG', env.BUILD_TAG],
  ];
  const found = ids.find(([, v]) => v);
  return found ? `${found[0]}=${found[1]!.slice(0, 80)}` : undefined;
}

export interface MachineUse<T> {
  readonly result: T;
  /** What to report, per environment read: the action and the secrets (names). */
  readonly reports: readonly { readonly action: AccessAction; readonly secrets: readonly string[]; readonly environment: string }[];
}

/**
 * Reads the token's vault, runs `fn` over it, reports the use, and closes. Nothing is written
 * to disk. A report that cannot be sent fails the command: a token's use is never silent.
 */
export async function withMachineVault<T>(
  suite: CryptoSuite,
  token: MachineToken,
  env: NodeJS.ProcessEnv,
  fn: (vault: TokenVault) => Promise<MachineUse<T>>,
  opts: { cache?: string } = {},
): Promise<T> {
  const { vault, client } = await TokenVault.read(suite, token, opts.cache !== undefined ? { cache: opts.cache } : {});
  try {
    const use = await fn(vault);
    const run = ciRunOf(env);
    const device = `machine on ${hostname().slice(0, 80)}${run ? ` (${run})` : ''}`;
    try {
      for (const r of use.reports) await vault.reportUse(client, { ...r, secrets: [...r.secrets], at: Date.now(), device });
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      throw new TesseraError(e.code, `The use of this token could not be reported to the vault's team access log, so nothing is handed over: ${e.message}`);
    }
    return use.result;
  } finally {
    client.close();
  }
}
