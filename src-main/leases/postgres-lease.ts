/**
 * Short-lived PostgreSQL credentials: a login role of its own per lease, a member of a
 * template group role (which holds the grants), with `VALID UNTIL` at the lease's end, so
 * the database itself refuses it from then on even if nothing is left to drop it (the
 * program and Tessera killed with SIGKILL, the machine gone). Its sessions act as the group
 * (`SET role`), so what a migration creates belongs to the group, not to a role that is
 * about to be dropped. The password goes to the server only as a SCRAM verifier.
 */
import { randomBytes } from 'node:crypto';
import { TesseraError } from '../../src-shared/errors';
import { generateValue } from '../rotation/generate';
import { connectPg, parsePgUrl, quoteIdent, quoteLiteral, statementError, withLogin, type PgClient } from '../rotation/builtin/postgres-connection';
import { scramVerifier } from '../rotation/builtin/postgres-scram';

const LEASE_ROLE_PREFIX = 'tessera_lease_';

export interface PgLease {
  readonly role: string;
  /** The URL the program gets: the admin URL's server and database, as the lease role. */
  readonly url: string;
  readonly expiresAt: number;
}

async function withAdmin<T>(adminUrl: string, what: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const client = await connectPg(parsePgUrl(adminUrl, what).toString(), 'admin');
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Refuses a template that is not there, or one that would hand out a superuser. */
async function checkTemplate(admin: PgClient, group: string): Promise<void> {
  const r = await admin.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [group]);
  if (r.rowCount === 0) throw new TesseraError('ROLE_MISSING', `The database has no role ${group} to lease from: CREATE ROLE ${group} NOLOGIN, then grant it what leases may do`, { role: group });
  if (r.rows[0]!.rolsuper) throw new TesseraError('ROLE_MISSING', `Role ${group} is a superuser: leases are made from ordinary group roles only`, { role: group });
}

export async function createPgLease(adminUrl: string, adminName: string, group: string, ttlMs: number, now = Date.now()): Promise<PgLease> {
  const role = `${LEASE_ROLE_PREFIX}${randomBytes(6).toString('hex')}`;
  const password = generateValue({ format: 'base62', length: 32 }).value;
  const expiresAt = now + ttlMs;
  return withAdmin(adminUrl, `The admin secret ${adminName}`, async (admin) => {
    try {
      await checkTemplate(admin, group);
      await admin.query('BEGIN');
      await admin.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD ${quoteLiteral(scramVerifier(password))} VALID UNTIL ${quoteLiteral(new Date(expiresAt).toISOString())} IN ROLE ${quoteIdent(group)}`);
      await admin.query(`ALTER ROLE ${quoteIdent(role)} SET role = ${quoteLiteral(group)}`);
      await admin.query('COMMIT');
    } catch (e) {
      await admin.query('ROLLBACK').catch(() => undefined);
      throw statementError(e, 'creating the lease role');
    }
    return { role, url: withLogin(parsePgUrl(adminUrl, `The admin secret ${adminName}`), role, password), expiresAt };
  });
}

/**
 * Ends a lease: its sessions, what it owns (handed to the group), and the role. A role
 * already gone counts as dropped. Returns whether it was still there.
 */
export async function dropPgLease(adminUrl: string, adminName: string, role: string, group: string): Promise<boolean> {
  if (!role.startsWith(LEASE_ROLE_PREFIX)) throw new TesseraError('INVALID_INPUT', `${role} is not a lease role`);
  return withAdmin(adminUrl, `The admin secret ${adminName}`, async (admin) => {
    try {
      const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
      if (!exists) return false;
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      await admin.query(`REASSIGN OWNED BY ${quoteIdent(role)} TO ${quoteIdent(group)}`);
      await admin.query(`DROP OWNED BY ${quoteIdent(role)}`);
      await admin.query(`DROP ROLE ${quoteIdent(role)}`);
      return true;
    } catch (e) {
      throw statementError(e, `dropping the lease role ${role}`);
    }
  });
}
