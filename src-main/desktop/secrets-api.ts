/**
 * The secrets and clipboard parts of the desktop API. Values leave main only through
 * `reveal`; `copy` puts one on the clipboard without the renderer ever holding it.
 */
import type { ImportPreview, RotationState, RotatorInfo, SecretDetail, SecretSummary, TesseraApi, VersionInfo } from '../../src-shared/api/types';
import { restoreSecret, retireSecret, setPolicy, setRotator } from '../rotation/lifecycle';
import { isBuiltinRotator } from '../../src-shared/vault/types';
import { historyWithStanding, rollback, rotateSecret, type VersionMeta } from '../rotation/rotate';
import { localClock, rotationStates, schedulesOf, secretRotationState } from '../rotation/state';
import { rotationStatus } from '../../src-shared/rotation/schedule';
import { TesseraError } from '../../src-shared/errors';
import type { SecretMeta } from '../../src-shared/vault/types';
import { parseDotenvFile } from '../dotenv/dotenv-file';
import { getValue, importEntries, listSecrets, removeSecret, revealValue, setSecret, updateSecret } from '../vaults/secrets';
import type { Vault } from '../vaults/vault';
import type { DesktopContext } from './desktop-context';
import { importFileApi } from './import-file-api';

function versionInfo(vault: Vault, v: VersionMeta): VersionInfo {
  return { n: v.n, at: v.at, by: v.by, byName: vault.authorName(v.by) ?? '', note: v.note };
}

async function summaries(vault: Vault): Promise<SecretSummary[]> {
  const listed = await listSecrets(vault);
  const states = await rotationStates(vault, listed, localClock());
  return listed.map((s) => toSummary(s, s.environments, states.get(s.id) ?? 'none'));
}

function toSummary(s: SecretMeta, environments: readonly string[], rotation: RotationState): SecretSummary {
  return { id: s.id, name: s.name, description: s.description, tags: s.tags, status: s.status, environments, updatedAt: s.updatedAt, updatedBy: s.updatedBy, rotation };
}

/** One secret's summary, without listing the other 10,000 (every edit answers with one). */
async function summaryOf(vault: Vault, name: string): Promise<SecretSummary> {
  const meta = vault.meta.secretByName(name);
  if (!meta) throw new TesseraError('NOT_FOUND', `No secret ${name} in vault ${vault.name}`);
  const scopes = await vault.readableEnvironments();
  const environments = scopes.filter((e) => e.values.has(meta.id)).map((e) => e.environment.name);
  return toSummary(meta, environments, secretRotationState(meta, scopes, vault.meta.rotationDefaults(), localClock()));
}

async function detailOf(vault: Vault, name: string): Promise<SecretDetail> {
  const summary = await summaryOf(vault, name);
  const meta = vault.meta.secretByName(name)!;
  const values = [];
  for (const env of vault.environments()) {
    if (!vault.canRead(env.name)) {
      values.push({ environment: env.name, readable: false, current: null });
      continue;
    }
    const { values: scope } = await vault.environment(env.name);
    const v = scope.current(meta.id);
    values.push({ environment: env.name, readable: true, current: v ? versionInfo(vault, v) : null });
  }
  const clock = localClock();
  const rotations = schedulesOf(meta, await vault.readableEnvironments(), vault.meta.rotationDefaults()).map(({ environment, schedule }) => ({
    environment,
    lastRotatedAt: schedule.lastRotatedAt,
    ...rotationStatus(schedule, clock),
  }));
  const r = meta.rotator;
  const rotator: RotatorInfo | undefined = !r ? undefined : isBuiltinRotator(r) ? { kind: 'builtin', ...r } : { kind: 'command', program: r.command[0]!.split(/[\\/]/).pop()! };
  return { ...summary, createdAt: meta.createdAt, createdBy: meta.createdBy, values, policy: { ...meta.rotation }, rotations, ...(rotator ? { rotator } : {}) };
}

/**
 * What importing `text` would do, computed without writing anything: which keys are new
 * and which already have a value here. It never compares values (see ImportPreview).
 */
async function previewImport(vault: Vault, environment: string, text: string): Promise<ImportPreview> {
  const entries = parseDotenvFile(text);
  const { values } = await vault.environment(environment);
  const out = { added: [] as string[], existing: [] as string[] };
  for (const { key } of entries) {
    const s = vault.meta.secretByName(key);
    (s && values.current(s.id) ? out.existing : out.added).push(key);
  }
  return out;
}

export function secretsApi(ctx: DesktopContext): TesseraApi['secrets'] {
  return {
    list: async ({ vault }) => summaries(await ctx.vault(vault)),
    get: async ({ vault, name }) => detailOf(await ctx.vault(vault), name),
    reveal: async ({ vault: name, name: secret, environment }) => {
      const v = await revealValue(await ctx.vault(name), secret, environment);
      return { value: v.value };
    },
    set: async ({ vault: vaultName, name, environment, value, description, tags, note }) => {
      const vault = await ctx.vault(vaultName);
      await setSecret(vault, name, environment, value, {
        ...(description !== undefined ? { description } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(note !== undefined ? { note } : {}),
      });
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return summaryOf(vault, name);
    },
    update: async ({ vault: vaultName, name, description, tags }) => {
      const vault = await ctx.vault(vaultName);
      await updateSecret(vault, name, { ...(description !== undefined ? { description } : {}), ...(tags !== undefined ? { tags } : {}) });
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return summaryOf(vault, name);
    },
    history: async ({ vault: vaultName, name, environment }) => {
      const vault = await ctx.vault(vaultName);
      const versions = await historyWithStanding(vault, name, environment, Date.now());
      return versions.map((v) => ({ ...versionInfo(vault, v), standing: v.standing })).reverse();
    },
    remove: async ({ vault: vaultName, name }) => {
      const vault = await ctx.vault(vaultName);
      await removeSecret(vault, name);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
    },
    importPreview: async ({ vault, environment, text }) => previewImport(await ctx.vault(vault), environment, text),
    importApply: async ({ vault: vaultName, environment, text }) => {
      const vault = await ctx.vault(vaultName);
      const result = await importEntries(vault, environment, parseDotenvFile(text), 'desktop');
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return result;
    },
    ...importFileApi(ctx),
    rotate: async ({ vault: vaultName, name, environment, value, generate, rotator, graceDays, note }) => {
      const vault = await ctx.vault(vaultName);
      if ([value, generate, rotator].filter((x) => x !== undefined).length !== 1) throw new TesseraError('INVALID_INPUT', 'Type a new value, choose how to generate one, or use the rotator');
      // Rotator commands run only from the CLI, where their output and approval prompt
      // belong; a built-in rotator is Tessera's own code and asks nothing.
      const configured = vault.meta.secretByName(name)?.rotator;
      if (rotator && (!configured || !isBuiltinRotator(configured))) throw new TesseraError('INVALID_INPUT', `${name} has no built-in rotator (a rotator command runs from the CLI: tessera rotate ${name} --rotator)`);
      const source = value !== undefined ? { value } : generate !== undefined ? { generate } : { rotator: true as const };
      const result = await rotateSecret(vault, name, environment, source, { ...(graceDays !== undefined ? { graceDays } : {}), ...(note !== undefined ? { note } : {}) }, ctx.audit);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return versionInfo(vault, result.version);
    },
    rollback: async ({ vault: vaultName, name, environment, to }) => {
      const vault = await ctx.vault(vaultName);
      const { version } = await rollback(vault, name, environment, to, ctx.audit);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return versionInfo(vault, version);
    },
    retire: async ({ vault: vaultName, name }) => {
      const vault = await ctx.vault(vaultName);
      await retireSecret(vault, name, ctx.audit);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return summaryOf(vault, name);
    },
    restore: async ({ vault: vaultName, name }) => {
      const vault = await ctx.vault(vaultName);
      await restoreSecret(vault, name, ctx.audit);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return summaryOf(vault, name);
    },
    setRotator: async ({ vault: vaultName, name, rotator }) => {
      const vault = await ctx.vault(vaultName);
      await setRotator(vault, name, rotator, ctx.audit, { check: true });
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return detailOf(vault, name);
    },
    setPolicy: async ({ vault: vaultName, name, intervalDays, expiresAt }) => {
      const vault = await ctx.vault(vaultName);
      await setPolicy(vault, name, { ...(intervalDays !== undefined ? { intervalDays } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}) }, ctx.audit);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return detailOf(vault, name);
    },
  };
}

export function clipboardApi(ctx: DesktopContext): TesseraApi['clipboard'] {
  return {
    copy: async ({ vault: vaultName, name, environment }) => {
      const vault = await ctx.vault(vaultName);
      const v = await getValue(vault, name, environment);
      return ctx.clipboard.copy(v.value, { vaultId: vault.id, vault: vault.name, secret: name, environment }, ctx.settings().clipboardSeconds);
    },
    clear: async () => {
      await ctx.clipboard.clear('manual');
    },
    status: async () => ctx.clipboard.status(),
  };
}
