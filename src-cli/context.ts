/**
 * How a command gets an unlocked profile: TESSERA_HOME (or the OS default), the OS keychain,
 * then a passphrase from TESSERA_PASSPHRASE_FILE or a hidden prompt.
 */
import { nodeSuite } from '../src-node/crypto/node-suite';
import type { Keychain } from '../src-main/keychain/keychain';
import { createOsKeychain } from '../src-main/keychain/os-keychain';
import { readPassphraseFile } from '../src-main/keychain/passphrase';
import { defaultProfileHome } from '../src-main/profile/paths';
import { unlockProfile, type Session } from '../src-main/profile/profile';
import { noteFailedUnlock } from '../src-main/audit/pending';
import { isTesseraError } from '../src-shared/errors';
import { openVault } from '../src-main/vaults/vaults';
import type { Vault } from '../src-main/vaults/vault';
import { promptHidden, type CliIO } from './io';
import { cliAuditSink } from './audit-sink';
import { auditOf, lazyAuditSink, recordTo } from '../src-main/audit/session-audit';

export interface CliContext {
  readonly io: CliIO;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly keychain: Keychain;
}

export function makeContext(io: CliIO, env: NodeJS.ProcessEnv = process.env): CliContext {
  return { io, env, home: defaultProfileHome(env), keychain: createOsKeychain() };
}

/** The passphrase from TESSERA_PASSPHRASE_FILE, else asked on the terminal. */
export async function passphraseSource(ctx: CliContext, question = 'Passphrase: '): Promise<string> {
  const file = ctx.env.TESSERA_PASSPHRASE_FILE;
  if (file) {
    const { passphrase, warning } = await readPassphraseFile(file);
    if (warning) ctx.io.stderr.write(`warning: ${warning}\n`);
    return passphrase;
  }
  // Scripts and pipes have no terminal, and stdin may be carrying a value: the file is what works.
  return promptHidden(ctx.io, question, 'No terminal to ask for the passphrase on: set TESSERA_PASSPHRASE_FILE to a file holding it (mode 600)');
}

export async function unlock(ctx: CliContext): Promise<Session> {
  try {
    const { session } = await unlockProfile(nodeSuite, ctx.home, {
      keychain: ctx.keychain,
      passphrase: () => passphraseSource(ctx),
      preferPassphrase: Boolean(ctx.env.TESSERA_PASSPHRASE_FILE),
    });
    // What the services do for this command goes to the profile's audit log (opened on the first event).
    recordTo(session, lazyAuditSink(() => cliAuditSink(ctx, session)));
    return session;
  } catch (e) {
    // A wrong passphrase is an audit event; the log is sealed with the key this attempt did
    // not get, so it is noted in plain and moved into the log at the next unlock.
    if (isTesseraError(e, 'BAD_PASSPHRASE')) await noteFailedUnlock(ctx.home, 'passphrase').catch(() => {});
    throw e;
  }
}

/** Unlocks, runs `fn` with the session, and always locks. */
export async function withSession<T>(ctx: CliContext, fn: (session: Session) => Promise<T>): Promise<T> {
  const session = await unlock(ctx);
  try {
    return await fn(session);
  } finally {
    session.lock();
  }
}

/** Unlocks, opens the vault, runs `fn`, reports any store repairs, and always locks. */
export async function withVault<T>(ctx: CliContext, vaultName: string, fn: (vault: Vault) => Promise<T>): Promise<T> {
  const session = await unlock(ctx);
  try {
    const vault = await openVault(session, vaultName);
    const result = await fn(vault);
    const problems = vault.problems();
    for (const p of problems) {
      ctx.io.stderr.write(`warning: ${p.code} in ${p.file}: ${p.detail}${p.bytes ? ` (${p.bytes} bytes set aside)` : ''}\n`);
    }
    // A crash's torn write or a change still waiting for an earlier one is not an attack;
    // a change that fails its MAC or signature, or does not parse, may be.
    const suspicious = problems.filter((p) => p.code === 'TAMPERED' || p.code === 'MALFORMED');
    if (suspicious.length) {
      const audit = auditOf(session);
      for (const p of suspicious) await audit.record({ action: 'tampering', vaultId: vault.id, vault: vault.name, detail: { code: p.code, file: p.file } });
    }
    return result;
  } finally {
    session.lock();
  }
}
