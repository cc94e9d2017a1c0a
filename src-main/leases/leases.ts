/**
 * Leases: short-lived credentials made for one program run (`tessera run --lease
 * DATABASE_URL=postgres:readonly --ttl 1h -- ./migrate.sh`), ended when it exits, and
 * refused by the provider after their time even when nothing is left to end them. Each is
 * audited (lease-created, lease-revoked, lease-expired: the role, template and times, never
 * the credential). The credential exists only in this process and the program's
 * environment; the profile keeps names and times (lease-store.ts). The admin credential is
 * a secret of the same vault and environment, held in memory until the lease is ended.
 */
import { TesseraError } from '../../src-shared/errors';
import { assertSecretName } from '../../src-shared/vault/names';
import { isBuiltinRotator } from '../../src-shared/vault/types';
import type { AuditSink } from '../audit/audit-sink';
import type { Session } from '../profile/profile';
import { adminCredential } from '../rotation/provider-rotation';
import type { Vault } from '../vaults/vault';
import { vaultDirectory } from '../vaults/vault-directory';
import { readLeases, updateLeases, type LeaseRecord } from './lease-store';
import { createPgLease, dropPgLease } from './postgres-lease';

const MAX_LEASE_TTL_MS = 30 * 86_400_000;

export interface LeaseRequest {
  /** The environment variable the program gets it as. */
  readonly variable: string;
  readonly provider: 'postgres';
  /** The template: PostgreSQL's group role the lease joins. */
  readonly template: string;
}

/** `DATABASE_URL=postgres:readonly`. */
export function parseLeaseSpec(text: string): LeaseRequest {
  const m = /^([^=]+)=([a-z]+):(.+)$/.exec(text);
  if (!m) throw new TesseraError('INVALID_INPUT', `Cannot read lease ${JSON.stringify(text)}: VARIABLE=postgres:TEMPLATE_ROLE, e.g. DATABASE_URL=postgres:readonly`);
  assertSecretName(m[1]!);
  if (m[2] !== 'postgres') throw new TesseraError('INVALID_INPUT', `No lease provider ${JSON.stringify(m[2])} (leases: postgres)`);
  if (m[3]!.length > 63) throw new TesseraError('INVALID_INPUT', 'A role name is at most 63 characters');
  return { variable: m[1]!, provider: 'postgres', template: m[3]! };
}

/** The admin secret leases use in `env`: the one given, else the one the vault's built-in postgres rotators there use. */
function leaseAdmin(vault: Vault, env: string, given: string | undefined): string {
  if (given !== undefined) return given;
  const admins = new Set<string>();
  for (const s of vault.meta.secrets()) {
    if (s.status === 'active' && s.rotator && isBuiltinRotator(s.rotator) && s.rotator.builtin === 'postgres' && s.rotator.environments.includes(env)) admins.add(s.rotator.admin);
  }
  if (admins.size === 1) return [...admins][0]!;
  throw new TesseraError('INVALID_INPUT', `Say which secret holds the admin credential for leases in ${env}: --lease-admin SECRET${admins.size > 1 ? ` (the rotators here use ${[...admins].join(', ')})` : ''}`);
}

export interface OpenLease {
  readonly record: LeaseRecord;
  /** The credential, for the program's environment only. */
  readonly value: string;
  /** Drops it at the provider and audits lease-revoked; a failure leaves it to expire and says so. */
  end(reason: string): Promise<string | undefined>;
}

function auditLease(audit: AuditSink, action: 'lease-created' | 'lease-revoked' | 'lease-expired', l: LeaseRecord, extra: Record<string, string | number> = {}) {
  return audit.record({
    action,
    vaultId: l.vaultId,
    vault: l.vault,
    environment: l.environment,
    secret: l.variable,
    detail: { provider: l.provider, role: l.role, template: l.template, expiresAt: new Date(l.expiresAt).toISOString(), ...extra },
  });
}

async function endLease(session: Session, record: LeaseRecord, adminUrl: string, action: 'lease-revoked' | 'lease-expired', reason: string, audit: AuditSink): Promise<boolean> {
  const existed = await dropPgLease(adminUrl, record.admin, record.role, record.template);
  let listed = false;
  await updateLeases(session, (all) => {
    listed = all.some((l) => l.role === record.role);
    return all.filter((l) => l.role !== record.role);
  });
  // Ended already by another command (tessera lease revoke while the program ran): nothing new to record.
  if (existed || listed) await auditLease(audit, action, record, { reason, ...(existed ? {} : { alreadyGone: 1 }) });
  return existed;
}

/** Makes the leases a run asks for; on any failure the ones already made are dropped again. */
export async function openLeases(vault: Vault, env: string, requests: readonly LeaseRequest[], opts: { ttlMs: number; admin?: string }, audit: AuditSink): Promise<OpenLease[]> {
  if (!Number.isSafeInteger(opts.ttlMs) || opts.ttlMs < 1000 || opts.ttlMs > MAX_LEASE_TTL_MS) throw new TesseraError('INVALID_INPUT', 'A lease lasts from 1 second to 30 days (--ttl)');
  const adminName = leaseAdmin(vault, env, opts.admin);
  const { values } = await vault.environment(env);
  const adminUrl = adminCredential(vault, values, adminName, env);
  const session = vault.session;
  const opened: OpenLease[] = [];
  try {
    for (const req of requests) {
      const lease = await createPgLease(adminUrl, adminName, req.template, opts.ttlMs);
      const record: LeaseRecord = { role: lease.role, provider: 'postgres', vaultId: vault.id, vault: vault.name, environment: env, template: req.template, admin: adminName, variable: req.variable, createdAt: Date.now(), expiresAt: lease.expiresAt };
      await updateLeases(session, (all) => [...all, record]);
      await auditLease(audit, 'lease-created', record, { ttlSeconds: Math.round(opts.ttlMs / 1000) });
      opened.push({
        record,
        value: lease.url,
        end: async (reason) => {
          try {
            await endLease(session, record, adminUrl, 'lease-revoked', reason, audit);
            return undefined;
          } catch (e) {
            return `lease ${record.role} was not dropped (${e instanceof TesseraError ? e.code : 'error'}); the database refuses it after ${new Date(record.expiresAt).toISOString()}, and tessera lease list drops it then`;
          }
        },
      });
    }
  } catch (e) {
    for (const l of opened) await l.end('the run did not start');
    throw e;
  }
  return opened;
}

export interface LeaseStatus extends LeaseRecord {
  readonly state: 'active' | 'expired';
  /** Why an expired lease could not be dropped yet. */
  readonly note?: string;
}

async function adminFor(session: Session, record: LeaseRecord): Promise<string> {
  const vault = await vaultDirectory(session).find(record.vaultId);
  const { values } = await vault.environment(record.environment);
  return adminCredential(vault, values, record.admin, record.environment);
}

/**
 * This profile's leases. Expired ones are dropped at the provider here (the database
 * already refuses them) and audited as lease-expired; one that cannot be dropped yet (the
 * server is down) stays listed as expired, with why.
 */
export async function listLeases(session: Session, audit: AuditSink, now = Date.now()): Promise<LeaseStatus[]> {
  const out: LeaseStatus[] = [];
  for (const record of await readLeases(session)) {
    if (record.expiresAt > now) {
      out.push({ ...record, state: 'active' });
      continue;
    }
    try {
      await endLease(session, record, await adminFor(session, record), 'lease-expired', 'expired', audit);
    } catch (e) {
      out.push({ ...record, state: 'expired', note: e instanceof TesseraError ? `${e.message} [${e.code}]` : 'not dropped yet' });
    }
  }
  return out;
}

/** Ends one lease now (`tessera lease revoke ROLE`); audited as lease-revoked. */
export async function revokeLease(session: Session, role: string, audit: AuditSink): Promise<LeaseRecord> {
  const record = (await readLeases(session)).find((l) => l.role === role);
  if (!record) throw new TesseraError('LEASE_NOT_FOUND', `No lease ${role} on this device (tessera lease list)`);
  await endLease(session, record, await adminFor(session, record), 'lease-revoked', 'revoked', audit);
  return record;
}
