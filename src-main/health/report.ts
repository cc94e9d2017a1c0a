/**
 * The vault health report: what a team should act on, each finding with its fix.
 *
 *   rotation-failed   its rotator failed, and nothing was saved since (from the audit log: `rotationFailures`)
 *   rotation-due / rotation-overdue / expiring   from the rotation schedule (src-shared/rotation)
 *   exposed    a removed member could read it and it was not rotated since
 *   reused     the same value in several places (keyed hashes: reuse.ts)
 *   weak       low estimated entropy for its kind (strength.ts)
 *   stale      not read for 90 days (from the audit log, through `lastAccess`)
 *   leaked     a scan found it in a file, and it was not rotated since
 *
 * Each finding has its fix twice: `fix`, the command `tessera health` prints, and `actions`,
 * what the desktop app offers as buttons (rotate, change policy, retire, open).
 *
 * Values are read only inside this process, to tag and to judge them; no finding carries
 * one. Only active secrets are reported (retired ones are out of use by definition).
 */
import type { HealthAction, HealthFinding } from '../../src-shared/api/types';
import { dateOfDay, RotationClock, rotationStatus } from '../../src-shared/rotation/schedule';
import type { SecretMeta } from '../../src-shared/vault/types';
import type { Session } from '../profile/profile';
import { parseGenerateSpec } from '../rotation/generate';
import { localTimeZone, schedulesOf } from '../rotation/state';
import type { EnvironmentScope, Vault } from '../vaults/vault';
import { vaultDirectory } from '../vaults/vault-directory';
import type { StoredScanFinding } from '../scan/findings-store';
import type { RotationFailures } from '../audit/rotation-failures';
import { findReuse, reuseKey, valueTag, type TaggedValue } from './reuse';
import { kindOf, weaknessOf } from './strength';

export const STALE_DAYS = 90;
const DAY_MS = 86_400_000;

/** A finding of the code scanner: where a secret's value was seen. */
/** A vault value the scanner found in a file, as its sealed findings keep it. */
export type Leak = StoredScanFinding;

export interface HealthOptions {
  /** One vault (name or id); all of the profile's otherwise. Reuse is looked for across all of them either way. */
  readonly vault?: string;
  readonly now: number;
  /** The zone rotation dates are counted in; the system's by default. */
  readonly timeZone?: string;
  /** When a secret was last read (revealed, copied, injected), from the audit log. */
  readonly lastAccess?: (vaultId: string, secretName: string) => number | undefined;
  readonly leaks?: readonly Leak[];
  /** The last failed rotation of each secret and environment not followed by a successful one, from the audit log. */
  readonly rotationFailures?: RotationFailures;
  /** The profile's vaults, when the caller holds them open already (the desktop app does). */
  readonly vaults?: readonly Vault[];
}

/** A word for a shell command line, quoted when it needs to be (vault names may hold spaces). */
export function shellWord(s: string): string {
  return /^[\w.@:/+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const OPEN: HealthAction = { kind: 'open' };
const POLICY: HealthAction = { kind: 'policy' };
/** Rotating in one environment, with the generator the fix names (a spec as `--generate` takes it). */
const rotateIn = (environment: string, generate?: string): HealthAction => ({ kind: 'rotate', environment, ...(generate ? { generate: parseGenerateSpec(generate) } : {}) });

const KIND_ORDER: readonly HealthFinding['kind'][] = ['leaked', 'exposed', 'rotation-failed', 'rotation-overdue', 'expiring', 'reused', 'weak', 'rotation-due', 'stale'];

interface Place {
  readonly vault: Vault;
  readonly secret: SecretMeta;
  readonly scopes: EnvironmentScope[];
}

export async function healthReport(session: Session, opts: HealthOptions): Promise<HealthFinding[]> {
  const clock = new RotationClock(opts.now, opts.timeZone ?? localTimeZone());
  const date = (t: number) => dateOfDay(clock.dayOf(t));
  // A vault that does not open is reported by `vault list`; health covers the others.
  const directory = vaultDirectory(session);
  const vaults = opts.vaults ?? (await directory.openAll()).vaults;
  const selectedId = opts.vault !== undefined ? (await directory.find(opts.vault)).id : undefined;
  const findings: HealthFinding[] = [];
  const tagged: TaggedValue[] = [];
  const key = reuseKey(session);

  try {
    for (const vault of vaults) {
      const selected = selectedId === undefined || vault.id === selectedId;
      const scopes = await vault.readableEnvironments();
      const defaults = vault.meta.rotationDefaults();
      const add: Add = (kind, secret, environment, message, fix, actions) =>
        findings.push({ kind, vault: vault.name, secret, ...(environment !== undefined ? { environment } : {}), message, fix, actions });
      const rotate = (name: string, env: string) => `tessera rotate ${name} --vault ${shellWord(vault.name)} --env ${env}`;

      for (const secret of vault.meta.secrets()) {
        if (secret.status !== 'active') continue;
        const place: Place = { vault, secret, scopes };
        for (const { environment, values } of scopes) {
          const current = values.has(secret.id) ? values.current(secret.id) : undefined;
          if (!current) continue;
          // Reuse is looked for in every vault, so a value shared with another vault shows.
          const kind = kindOf(secret.name, current.value);
          if (kind.kind !== 'config') {
            tagged.push({ vaultId: vault.id, vault: vault.name, secret: secret.name, environment: environment.name, tag: valueTag(key, current.value) });
          }
          if (!selected) continue;
          const weak = weaknessOf(kind);
          if (weak) {
            const spec = weak.kind === 'password' ? 'custom:24' : 'base62';
            add('weak', secret.name, environment.name,
              `About ${Math.round(weak.bits)} bits of entropy; a ${weak.kind} should have at least ${weak.min}`,
              `Rotate to a generated value: ${rotate(secret.name, environment.name)} --generate ${spec}`,
              [rotateIn(environment.name, spec), OPEN]);
          }
        }
        if (!selected) continue;
        failureFindings(place, opts.rotationFailures, date, add, rotate);
        rotationFindings(place, defaults, clock, date, add, rotate);
        staleFinding(place, opts, date, add);
      }
      if (!selected) continue;
      exposureFindings(vault, scopes, date, add, rotate);
      leakFindings(vault, scopes, opts.leaks ?? [], date, add, rotate);
    }
  } finally {
    key.fill(0);
  }

  for (const group of findReuse(tagged)) {
    for (const t of group) {
      if (selectedId !== undefined && t.vaultId !== selectedId) continue;
      // The same vault's first: what the reader can act on without switching vaults.
      const others = group
        .filter((o) => o !== t)
        .sort((a, b) => Number(a.vaultId !== t.vaultId) - Number(b.vaultId !== t.vaultId))
        .map((o) => `${o.secret}${o.vaultId !== t.vaultId ? ` (vault ${o.vault})` : ''} in ${o.environment}`);
      findings.push({
        kind: 'reused',
        vault: t.vault,
        secret: t.secret,
        environment: t.environment,
        message: `Same value as ${others.join(', ')}`,
        fix: `Give each secret and environment its own value: tessera rotate ${t.secret} --vault ${shellWord(t.vault)} --env ${t.environment} --generate base62`,
        actions: [rotateIn(t.environment, 'base62'), OPEN],
      });
    }
  }

  // Code-unit order, not localeCompare: names are identifiers, and ICU collation made
  // sorting 40,000 findings take seconds.
  const rank = (k: HealthFinding['kind']) => KIND_ORDER.indexOf(k);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return findings.sort((a, b) => cmp(a.vault, b.vault) || rank(a.kind) - rank(b.kind) || cmp(a.secret, b.secret) || cmp(a.environment ?? '', b.environment ?? ''));
}

type Add = (kind: HealthFinding['kind'], secret: string, environment: string | undefined, message: string, fix: string, actions: HealthAction[]) => void;

function rotationFindings(
  { vault, secret, scopes }: Place,
  defaults: ReturnType<Vault['meta']['rotationDefaults']>,
  clock: RotationClock,
  date: (t: number) => string,
  add: Add,
  rotate: (name: string, env: string) => string,
): void {
  for (const { environment, schedule } of schedulesOf(secret, scopes, defaults)) {
    const s = rotationStatus(schedule, clock);
    const policy = `or change the policy: tessera policy ${secret.name} --vault ${shellWord(vault.name)} --every DAYSd`;
    const actions = [rotateIn(environment), POLICY, OPEN];
    if (s.state === 'overdue') {
      add('rotation-overdue', secret.name, environment, `Rotation was due on ${s.dueDate} (every ${schedule.intervalDays} days; last rotated ${date(schedule.lastRotatedAt)})`, `${rotate(secret.name, environment)}, ${policy}`, actions);
    } else if (s.state === 'due') {
      add('rotation-due', secret.name, environment, `Rotation is due on ${s.dueDate} (every ${schedule.intervalDays} days)`, `${rotate(secret.name, environment)}, ${policy}`, actions);
    } else if (s.state === 'expiring' || s.state === 'expired') {
      const verb = s.state === 'expired' ? 'Expired' : 'Expires';
      // The policy holds the expiry: the provider's new date goes there.
      add('expiring', secret.name, environment, `${verb} on ${s.expiresDate} at the provider`, `Get a new value from the provider and save it: ${rotate(secret.name, environment)} --expires DATE`, actions);
    }
  }
}

function failureFindings({ vault, secret, scopes }: Place, failures: RotationFailures | undefined, date: (t: number) => string, add: Add, rotate: (name: string, env: string) => string): void {
  if (!failures) return;
  for (const { environment, values } of scopes) {
    const f = failures(vault.id, secret.name, environment.name);
    // A value saved after the failure (by hand, or a rotation elsewhere) settles it.
    if (!f || (values.currentAt(secret.id) ?? 0) > f.at) continue;
    add('rotation-failed', secret.name, environment.name, `Its rotation on ${date(f.at)} failed [${f.code}]: ${f.message}`, `Fix the cause, then: ${rotate(secret.name, environment.name)} --rotator`, [rotateIn(environment.name), OPEN]);
  }
}

function staleFinding({ vault, secret, scopes }: Place, opts: HealthOptions, date: (t: number) => string, add: Add): void {
  // Without an access on record, the last write counts: a new secret is not stale.
  let last = opts.lastAccess?.(vault.id, secret.name) ?? 0;
  for (const { values } of scopes) last = Math.max(last, values.currentAt(secret.id) ?? 0);
  last = Math.max(last, secret.createdAt);
  if (opts.now - last > STALE_DAYS * DAY_MS) {
    add('stale', secret.name, undefined, `Not read or changed since ${date(last)}`, `If nothing uses it any more, retire it: tessera retire ${secret.name} --vault ${shellWord(vault.name)}`, [{ kind: 'retire' }, OPEN]);
  }
}

function exposureFindings(vault: Vault, scopes: EnvironmentScope[], date: (t: number) => string, add: Add, rotate: (name: string, env: string) => string): void {
  const reported = new Set<string>();
  for (const exposure of vault.meta.exposures()) {
    for (const item of exposure.items) {
      const secret = vault.meta.secretById(item.secretId);
      if (!secret || secret.status !== 'active') continue;
      const scope = scopes.find((s) => s.environment.name === item.environment);
      const at = scope?.values.currentAt(secret.id);
      // Rotated after the removal: the member's copy is no longer the value.
      if (at !== undefined && at > exposure.removedAt) continue;
      const key = `${secret.id}/${item.environment}`;
      if (reported.has(key)) continue;
      reported.add(key);
      add('exposed', secret.name, item.environment, `${exposure.member} could read it and was removed on ${date(exposure.removedAt)}; not rotated since`, `Revoke it at the provider and save the new value: ${rotate(secret.name, item.environment)}`, [rotateIn(item.environment), OPEN]);
    }
  }
}

function leakFindings(vault: Vault, scopes: EnvironmentScope[], leaks: readonly Leak[], date: (t: number) => string, add: Add, rotate: (name: string, env: string) => string): void {
  for (const leak of leaks) {
    if (leak.vaultId !== vault.id) continue;
    const secret = vault.meta.secretByName(leak.secret);
    if (secret && secret.status !== 'active') continue;
    const envs = scopes.filter((s) => (leak.environment === undefined || s.environment.name === leak.environment) && secret !== undefined && s.values.has(secret.id));
    // Rotated since the scan saw it (in every environment it could be from): the leaked value is dead.
    const rotatedSince = secret !== undefined && envs.length > 0 && envs.every((s) => (s.values.currentAt(secret.id) ?? 0) > leak.at);
    if (rotatedSince) continue;
    const known = leak.environment ?? envs[0]?.environment.name;
    const env = known ?? 'ENV';
    // Rotating needs an environment this device holds the secret in; without one, show it.
    const actions = known !== undefined && secret !== undefined ? [rotateIn(known), OPEN] : [OPEN];
    add('leaked', leak.secret, leak.environment, `Found in ${leak.file}:${leak.line} by a scan on ${date(leak.at)}`, `Remove it from ${leak.file} (and its history), then rotate it: ${rotate(leak.secret, env)}`, actions);
  }
}
