/**
 * The secrets and clipboard parts of the desktop API. Values leave main only through
 * `reveal`; `copy` puts one on the clipboard without the renderer ever holding it.
 */
import type { ImportPreview, RotationState, SecretDetail, SecretSummary, TesseraApi, VersionInfo } from '../../src-shared/api/types';
import { TesseraError } from '../../src-shared/errors';
import type { SecretMeta, SecretVersion } from '../../src-shared/vault/types';
import { parseDotenvFile } from '../dotenv/dotenv-file';
import { getValue, history, importEntries, listSecrets, removeSecret, setSecret } from '../vaults/secrets';
import type { Vault } from '../vaults/vault';
import type { DesktopContext } from './desktop';

const DAY = 86_400_000;

/** Due within a week, expiring within two: the list's badge. */
export function rotationStateOf(meta: SecretMeta, latestAt: number | undefined, now: number): RotationState {
  const { intervalDays, expiresAt, lastRotatedAt } = meta.rotation;
  if (expiresAt !== undefined) {
    if (expiresAt <= now) return 'expired';
    if (expiresAt - now <= 14 * DAY) return 'expiring';
  }
  if (intervalDays === undefined) return expiresAt !== undefined ? 'ok' : 'none';
  const last = lastRotatedAt ?? latestAt ?? meta.createdAt;
  const due = last + intervalDays * DAY;
  if (due <= now) return 'overdue';
  return due - now <= 7 * DAY ? 'due' : 'ok';
}

function versionInfo(vault: Vault, v: SecretVersion): VersionInfo {
  return { n: v.n, at: v.at, by: v.by, byName: vault.meta.memberName(v.by) ?? '', note: v.note };
}

async function summaries(vault: Vault): Promise<SecretSummary[]> {
  const listed = await listSecrets(vault);
  const envs = await vault.readableEnvironments();
  const now = Date.now();
  return listed.map((s) => {
    let latest: number | undefined;
    for (const e of envs) {
      const at = e.values.current(s.id)?.at;
      if (at !== undefined && (latest === undefined || at > latest)) latest = at;
    }
    return toSummary(s, s.environments, rotationStateOf(s, latest, now));
  });
}

function toSummary(s: SecretMeta, environments: readonly string[], rotation: RotationState): SecretSummary {
  return { id: s.id, name: s.name, description: s.description, tags: s.tags, status: s.status, environments, updatedAt: s.updatedAt, updatedBy: s.updatedBy, rotation };
}

async function summaryOf(vault: Vault, name: string): Promise<SecretSummary> {
  const found = (await summaries(vault)).find((s) => s.name === name);
  if (!found) throw new TesseraError('NOT_FOUND', `No secret ${name} in vault ${vault.name}`);
  return found;
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
  return { ...summary, createdAt: meta.createdAt, createdBy: meta.createdBy, values, policy: { ...meta.rotation } };
}

/** What importing `text` would do, computed without writing anything. */
async function previewImport(vault: Vault, environment: string, text: string): Promise<ImportPreview> {
  const entries = parseDotenvFile(text);
  const { values } = await vault.environment(environment);
  const out = { added: [] as string[], updated: [] as string[], unchanged: [] as string[] };
  for (const { key, value } of entries) {
    const s = vault.meta.secretByName(key);
    const current = s ? values.current(s.id) : undefined;
    if (!current) out.added.push(key);
    else if (current.value === value) out.unchanged.push(key);
    else out.updated.push(key);
  }
  return out;
}

export function secretsApi(ctx: DesktopContext): TesseraApi['secrets'] {
  const where = (vault: Vault) => ({ vaultId: vault.id, vault: vault.name });
  return {
    list: async ({ vault }) => summaries(await ctx.vault(vault)),
    get: async ({ vault, name }) => detailOf(await ctx.vault(vault), name),
    reveal: async ({ vault: name, name: secret, environment }) => {
      const vault = await ctx.vault(name);
      const v = await getValue(vault, secret, environment);
      await ctx.audit.record({ action: 'reveal', ...where(vault), secret, environment });
      return { value: v.value };
    },
    set: async ({ vault: vaultName, name, environment, value, description, tags, note }) => {
      const vault = await ctx.vault(vaultName);
      const result = await setSecret(vault, name, environment, value, {
        ...(description !== undefined ? { description } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(note !== undefined ? { note } : {}),
      });
      const fields = ['value', ...(description !== undefined ? ['description'] : []), ...(tags !== undefined ? ['tags'] : [])];
      await ctx.audit.record({ action: result.created ? 'secret-created' : 'secret-edited', ...where(vault), secret: name, environment, detail: { fields } });
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return summaryOf(vault, name);
    },
    update: async ({ vault: vaultName, name, description, tags }) => {
      const vault = await ctx.vault(vaultName);
      const secret = vault.meta.secretByName(name);
      if (!secret) throw new TesseraError('NOT_FOUND', `No secret ${name} in vault ${vault.name}`);
      vault.assertMayWrite(vault.metaScopeId, 'secrets');
      const fields = { ...(description !== undefined ? { description } : {}), ...(tags !== undefined ? { tags } : {}) };
      await vault.edit((author) => vault.meta.updateSecret(secret.id, fields, author));
      await ctx.audit.record({ action: 'secret-edited', ...where(vault), secret: name, detail: { fields: Object.keys(fields) } });
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return summaryOf(vault, name);
    },
    history: async ({ vault: vaultName, name, environment }) => {
      const vault = await ctx.vault(vaultName);
      return (await history(vault, name, environment)).map((v) => versionInfo(vault, v)).reverse();
    },
    remove: async ({ vault: vaultName, name }) => {
      const vault = await ctx.vault(vaultName);
      const { purgedVersions } = await removeSecret(vault, name);
      await ctx.audit.record({ action: 'secret-deleted', ...where(vault), secret: name, detail: { purgedVersions } });
      ctx.emit({ type: 'vault-changed', vault: vault.name });
    },
    importPreview: async ({ vault, environment, text }) => previewImport(await ctx.vault(vault), environment, text),
    importApply: async ({ vault: vaultName, environment, text }) => {
      const vault = await ctx.vault(vaultName);
      const result = await importEntries(vault, environment, parseDotenvFile(text));
      await ctx.audit.record({
        action: 'import',
        ...where(vault),
        environment,
        secrets: [...result.added, ...result.updated],
        detail: { added: result.added.length, updated: result.updated.length, unchanged: result.unchanged.length, source: 'desktop' },
      });
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return result;
    },
    rotate: async () => {
      throw new TesseraError('INVALID_INPUT', 'Rotation is not available yet');
    },
    rollback: async () => {
      throw new TesseraError('INVALID_INPUT', 'Rollback is not available yet');
    },
    retire: async () => {
      throw new TesseraError('INVALID_INPUT', 'Retiring is not available yet');
    },
    restore: async () => {
      throw new TesseraError('INVALID_INPUT', 'Restoring is not available yet');
    },
    setPolicy: async () => {
      throw new TesseraError('INVALID_INPUT', 'Rotation policies are not available yet');
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
