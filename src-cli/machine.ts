/**
 * The CLI on a machine: when TESSERA_TOKEN (or TESSERA_TOKEN_FILE) is set, `run`, `export`,
 * `get` and `inject` read the token's vault instead of a profile's (no profile, no keychain,
 * nothing written). Which environment: --env, else .tessera.json, else the token's only one.
 */
import { findProjectConfig } from '../src-main/project/project-config';
import { nodeSuite } from '../src-node/crypto/node-suite';
import { tokenFromEnvironment, withMachineVault, type MachineUse } from '../src-main/machine/machine-use';
import type { TokenVault } from '../src-main/machine/token-vault';
import { TesseraError } from '../src-shared/errors';
import type { CliContext } from './context';

/** Runs `fn` over the token's vault when the environment gives a token; undefined otherwise (the command uses the profile). */
export async function withTokenVaultIfGiven<T>(ctx: CliContext, fn: (vault: TokenVault) => Promise<MachineUse<T>>, cache?: string): Promise<{ result: T } | undefined> {
  const token = await tokenFromEnvironment(ctx.env);
  if (!token) return undefined;
  return { result: await withMachineVault(nodeSuite, token, ctx.env, fn, cache !== undefined ? { cache } : {}) };
}

/** The option every command a token runs takes. */
export const CACHE_OPTION = ['--cache <dir>', 'with a machine token: keep what it fetched in DIR (sealed under the token) for the next run'] as const;

/** As withTokenVaultIfGiven, for a command about one environment (checked against the vault and environments the token reads). */
export function withTokenIfGiven<T>(
  ctx: CliContext,
  flags: { vault?: string; env?: string; cache?: string },
  fn: (vault: TokenVault, env: string) => Promise<MachineUse<T>>,
): Promise<{ result: T } | undefined> {
  return withTokenVaultIfGiven(ctx, async (vault) => {
    const config = flags.env === undefined || flags.vault === undefined ? await findProjectConfig(process.cwd()) : null;
    const named = flags.vault ?? config?.vault;
    if (named !== undefined && named !== vault.name && !(named.length >= 6 && vault.id.startsWith(named.toLowerCase()))) {
      throw new TesseraError('NO_ACCESS', `This token reads vault ${vault.name}, not ${JSON.stringify(named)}`);
    }
    const readable = vault.readable();
    const env = flags.env ?? config?.environment ?? (readable.length === 1 ? readable[0]! : undefined);
    if (env === undefined) throw new TesseraError('INVALID_INPUT', `Say --env: this token reads ${readable.join(', ')}`);
    if (!readable.includes(env)) throw new TesseraError('NO_ACCESS', `This token does not read ${env} (it reads: ${readable.join(', ')})`);
    return fn(vault, env);
  }, flags.cache);
}
