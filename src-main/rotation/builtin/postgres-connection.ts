/**
 * Connecting to PostgreSQL for the built-in rotator and for leases: connection URLs with
 * their credentials replaced, and connection failures turned into coded errors that never
 * carry the URL (it holds a password). The admin URL is a vault value handed to `pg` in
 * this process, never to a command line.
 */
import { createRequire } from 'node:module';
import type { Client } from 'pg';
import { TesseraError } from '../../../src-shared/errors';

export type PgClient = Client;

// Loaded on first use: every other command of the CLI starts without it.
let pgModule: typeof import('pg') | undefined;
const pg = () => (pgModule ??= createRequire(import.meta.url)('pg') as typeof import('pg'));

const CONNECT_TIMEOUT_MS = 10_000;
const QUERY_TIMEOUT_MS = 30_000;

/** A postgres:// or postgresql:// URL; INVALID_INPUT (naming `what`, never the text) otherwise. */
export function parsePgUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new TesseraError('INVALID_INPUT', `${what} is not a PostgreSQL URL (postgres://USER:PASSWORD@HOST/DB)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new TesseraError('INVALID_INPUT', `${what} is not a PostgreSQL URL (postgres://USER:PASSWORD@HOST/DB)`);
  return url;
}

/** Whether a secret value is a whole URL (else it is taken as a password). */
export function looksLikePgUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value.trim());
}

/** `url` logging in as `user` with `password` (everything else, host, database, options, kept). */
export function withLogin(url: URL, user: string, password: string): string {
  const u = new URL(url.toString());
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** The user a URL logs in as. */
export function userOf(url: URL): string {
  return decodeURIComponent(url.username);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', '57P01', '57P03']);
const REFUSED_LOGIN = new Set(['28P01', '28000']);

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Whether pg failed to reach the server at all (down, no such socket or host, timeout). */
function isUnreachable(e: unknown): boolean {
  const c = codeOf(e);
  if (c !== undefined) return UNREACHABLE.has(c);
  return e instanceof Error && /timeout|terminated unexpectedly|Connection terminated/i.test(e.message);
}

/**
 * Opens a connection as `who` ('admin': a refused login is ADMIN_CREDENTIAL_REFUSED; 'new':
 * NEW_CREDENTIAL_FAILED). The server's own words are kept only when they name no credential
 * (pg's messages name the user, never the password).
 */
export async function connectPg(url: string, who: 'admin' | 'new'): Promise<PgClient> {
  const client = new (pg().Client)({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, application_name: 'tessera' });
  // A server that goes away later emits 'error' on the client; the next query rejects instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw connectionError(e, who);
  }
}

function connectionError(e: unknown, who: 'admin' | 'new'): TesseraError {
  const c = codeOf(e);
  if (isUnreachable(e)) return new TesseraError('PROVIDER_UNREACHABLE', `The database server did not answer (${c ?? 'timeout'}): nothing was changed`, { providerCode: c ?? 'timeout' });
  // Whatever keeps a new credential from logging in (a refused password, no CONNECT right on
  // the database, pg_hba) means it does not work, which is what the caller asks.
  if (who === 'new') return new TesseraError('NEW_CREDENTIAL_FAILED', `The database server refused the new credential (${c ?? 'unknown error'})`, { providerCode: c ?? 'unknown' });
  if (c !== undefined && REFUSED_LOGIN.has(c)) return new TesseraError('ADMIN_CREDENTIAL_REFUSED', `The database server refused the admin credential (${c})`, { providerCode: c });
  if (c === '3D000') return new TesseraError('PROVIDER_REFUSED', 'The database named in the URL does not exist (3D000)', { providerCode: c });
  return new TesseraError('PROVIDER_REFUSED', `The database server refused the connection (${c ?? 'unknown error'})`, { providerCode: c ?? 'unknown' });
}

/** A statement's failure as a coded error: permission (42501) and the rest are PROVIDER_REFUSED, a lost server PROVIDER_UNREACHABLE. */
export function statementError(e: unknown, doing: string): TesseraError {
  if (e instanceof TesseraError) return e;
  const c = codeOf(e);
  if (isUnreachable(e)) return new TesseraError('PROVIDER_UNREACHABLE', `The database server went away while ${doing} (${c ?? 'timeout'})`, { providerCode: c ?? 'timeout' });
  const why = c === '42501' ? 'the admin credential lacks the right' : `${c ?? 'unknown error'}`;
  return new TesseraError('PROVIDER_REFUSED', `The database server refused ${doing}: ${why}`, { providerCode: c ?? 'unknown' });
}

export const quoteIdent = (name: string) => pg().escapeIdentifier(name);
export const quoteLiteral = (text: string) => pg().escapeLiteral(text);
