/**
 * The built-in PostgreSQL rotator: the dual-role strategy. The configured role (say
 * `app_user`) is a group role holding the grants; two login roles, `app_user_1` and
 * `app_user_2`, are its members. The secret holds the credential of one of them (a whole
 * URL, or a bare password). Each rotation gives the *other* one a new generated password
 * and makes it current; the replaced one keeps logging in until the grace ends (`VALID
 * UNTIL`), so connections and deploys still on it keep working meanwhile.
 *
 * The password itself never reaches the server: `ALTER ROLE … PASSWORD` carries its SCRAM
 * verifier (postgres-scram.ts), so neither the server log at log_statement = 'all' nor
 * pg_stat_activity shows it. The new credential is tried by logging in before the vault
 * saves it, and undo() puts both roles back as they were when that, or the save, fails.
 *
 * Set up once, as a role that may create roles:
 *   CREATE ROLE app_user NOLOGIN;  GRANT … TO app_user;
 *   CREATE ROLE app_user_1 LOGIN IN ROLE app_user;  CREATE ROLE app_user_2 LOGIN IN ROLE app_user;
 */
import { TesseraError } from '../../../src-shared/errors';
import { generateValue } from '../generate';
import type { BuiltinRotator, ProviderChange, ProviderContext, RotationContext, VerifyContext } from './builtin-rotator';
import { connectPg, looksLikePgUrl, parsePgUrl, quoteIdent, quoteLiteral, statementError, userOf, withLogin, type PgClient } from './postgres-connection';
import { scramVerifier } from './postgres-scram';

/** 32 base62 characters: ~190 bits, and nothing a URL or a shell needs to escape. */
const PASSWORD = { format: 'base62', length: 32 } as const;

interface LoginRole {
  readonly name: string;
  /** VALID UNTIL as seconds since the epoch (Infinity: none), and as PostgreSQL wrote it, to put it back. */
  readonly validUntil: number;
  readonly validUntilText: string | null;
}

/** The two login roles of a group role. */
function loginRolesOf(group: string): readonly [string, string] {
  if (group === '' || Buffer.byteLength(group) > 61) throw new TesseraError('INVALID_INPUT', 'A PostgreSQL role name is 1 to 61 bytes here (the login roles add _1 and _2)');
  return [`${group}_1`, `${group}_2`];
}

/**
 * Reads the group and its login roles, and refuses anything that is not the expected
 * set-up: a missing role is ROLE_MISSING, and so is a login role outside the group or a
 * superuser, so that a rotator configured by any editor can only ever change the passwords
 * of two ordinary members of the group it names.
 */
async function readRoles(admin: PgClient, group: string): Promise<readonly [LoginRole, LoginRole]> {
  const names = loginRolesOf(group);
  let rows: { rolname: string; rolcanlogin: boolean; rolsuper: boolean; valid_until: number | null; valid_until_text: string | null; in_group: boolean }[];
  let groupExists: boolean;
  try {
    groupExists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [group])).rowCount === 1;
    rows = (await admin.query(
      `SELECT r.rolname, r.rolcanlogin, r.rolsuper,
              extract(epoch FROM r.rolvaliduntil)::float8 AS valid_until, r.rolvaliduntil::text AS valid_until_text,
              EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid AND g.rolname = $1) AS in_group
         FROM pg_roles r WHERE r.rolname = ANY($2)`,
      [group, names],
    )).rows;
  } catch (e) {
    throw statementError(e, 'reading the roles');
  }
  if (!groupExists) throw new TesseraError('ROLE_MISSING', `The database has no role ${group}: create it and its login roles ${names.join(' and ')} first (see tessera rotator --help)`, { role: group });
  return names.map((name) => {
    const r = rows.find((x) => x.rolname === name);
    if (!r) throw new TesseraError('ROLE_MISSING', `The database has no role ${name}: CREATE ROLE ${name} LOGIN IN ROLE ${group}`, { role: name });
    if (!r.rolcanlogin) throw new TesseraError('ROLE_MISSING', `Role ${name} cannot log in: ALTER ROLE ${name} LOGIN`, { role: name });
    if (r.rolsuper) throw new TesseraError('ROLE_MISSING', `Role ${name} is a superuser: the rotator changes only ordinary members of ${group}`, { role: name });
    if (!r.in_group) throw new TesseraError('ROLE_MISSING', `Role ${name} is not a member of ${group}: GRANT ${group} TO ${name}`, { role: name });
    return { name, validUntil: r.valid_until ?? Infinity, validUntilText: r.valid_until_text };
  }) as unknown as readonly [LoginRole, LoginRole];
}

async function connectAdmin(ctx: ProviderContext): Promise<{ client: PgClient; url: URL }> {
  const url = parsePgUrl(ctx.admin, `The admin secret ${ctx.config.admin}`);
  return { client: await connectPg(url.toString(), 'admin'), url };
}

/** Logs in with a credential and checks it is a member of the group; NEW_CREDENTIAL_FAILED otherwise. */
async function tryLogin(url: string, group: string): Promise<string> {
  const client = await connectPg(url, 'new');
  try {
    const r = await client.query<{ u: string; member: boolean }>("SELECT current_user AS u, pg_has_role(current_user, $1, 'MEMBER') AS member", [group]);
    const row = r.rows[0]!;
    if (!row.member) throw new TesseraError('NEW_CREDENTIAL_FAILED', `The credential logs in as ${row.u}, which is not a member of ${group}`);
    return row.u;
  } catch (e) {
    throw e instanceof TesseraError ? e : new TesseraError('NEW_CREDENTIAL_FAILED', 'The credential logged in but could not run a query', { providerCode: (e as { code?: string }).code ?? 'unknown' });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Where a value logs in: a URL as it is, a bare password through the admin URL's server and database as `account`. */
function loginUrl(value: string, adminUrl: URL, account: string | undefined): string {
  if (looksLikePgUrl(value)) return parsePgUrl(value, 'The secret').toString();
  if (account === undefined) throw new TesseraError('INVALID_INPUT', 'A bare password needs the role it belongs to');
  return withLogin(adminUrl, account, value);
}

/** Which login role the current value belongs to: a URL names it; a bare password is tried on both. */
async function currentRole(ctx: RotationContext, adminUrl: URL, roles: readonly [LoginRole, LoginRole]): Promise<LoginRole | undefined> {
  if (ctx.current === undefined) return undefined;
  if (looksLikePgUrl(ctx.current)) {
    const user = userOf(parsePgUrl(ctx.current, 'The secret'));
    const role = roles.find((r) => r.name === user);
    if (!role) throw new TesseraError('ROLE_MISSING', `The secret logs in as ${user}, not as ${roles[0].name} or ${roles[1].name}`, { role: user });
    return role;
  }
  for (const role of roles) {
    try {
      await tryLogin(withLogin(adminUrl, role.name, ctx.current), ctx.config.role);
      return role;
    } catch (e) {
      if (!(e instanceof TesseraError) || e.code !== 'NEW_CREDENTIAL_FAILED') throw e;
    }
  }
  throw new TesseraError('ROLE_MISSING', `The secret's current password logs in as neither ${roles[0].name} nor ${roles[1].name}`, { role: ctx.config.role });
}

/** An expiry to put back. No expiry (NULL) cannot be written back by ALTER ROLE; 'infinity' means the same. */
const until = (text: string | null) => quoteLiteral(text ?? 'infinity');

async function rotate(ctx: RotationContext): Promise<ProviderChange> {
  const { client: admin, url: adminUrl } = await connectAdmin(ctx);
  let open = true;
  const close = async () => {
    if (open) await admin.end().catch(() => undefined);
    open = false;
  };
  try {
    const roles = await readRoles(admin, ctx.config.role);
    const current = await currentRole(ctx, adminUrl, roles);
    const idle = current === roles[0] ? roles[1] : roles[0];
    // The idle role's previous password may still be in someone's grace window: giving it
    // a new one now would cut them off before the date history promised them.
    if (current && Number.isFinite(idle.validUntil) && idle.validUntil * 1000 > ctx.now) {
      const date = new Date(idle.validUntil * 1000).toISOString();
      throw new TesseraError('GRACE_NOT_OVER', `${idle.name}'s previous password stays valid until ${date}: rotating now would cut off whoever still uses it; rotate after that`, { role: idle.name, validUntil: date });
    }
    // Its stored verifier, to put back if this fails; only a superuser may read pg_authid.
    let previousVerifier: string | null | undefined;
    try {
      previousVerifier = (await admin.query<{ rolpassword: string | null }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [idle.name])).rows[0]?.rolpassword ?? null;
    } catch {
      previousVerifier = undefined;
    }
    const startedAt = (await admin.query<{ t: Date }>('SELECT statement_timestamp() AS t')).rows[0]!.t;

    const password = generateValue(PASSWORD).value;
    try {
      // An expiry left from its last grace must go; none at all stays none.
      const expiry = Number.isFinite(idle.validUntil) ? " VALID UNTIL 'infinity'" : '';
      await admin.query(`ALTER ROLE ${quoteIdent(idle.name)} PASSWORD ${quoteLiteral(scramVerifier(password))}${expiry}`);
    } catch (e) {
      throw statementError(e, `setting ${idle.name}'s password`);
    }
    const undoIdle = async (): Promise<string[]> => {
      const pw = previousVerifier === undefined ? '' : ` PASSWORD ${previousVerifier === null ? 'NULL' : quoteLiteral(previousVerifier)}`;
      await admin.query(`ALTER ROLE ${quoteIdent(idle.name)}${pw} VALID UNTIL ${until(idle.validUntilText)}`);
      return previousVerifier === undefined ? [`${idle.name} keeps a new password nobody holds (the admin credential may not read the old one to put it back); it was idle`] : [];
    };
    if (current) {
      try {
        await admin.query(`ALTER ROLE ${quoteIdent(current.name)} VALID UNTIL ${quoteLiteral(new Date(ctx.now + ctx.graceMs).toISOString())}`);
      } catch (e) {
        await undoIdle().catch(() => undefined);
        throw statementError(e, `ending ${current.name}'s password after the grace`);
      }
    }
    const value = ctx.current !== undefined && looksLikePgUrl(ctx.current)
      ? withLogin(parsePgUrl(ctx.current, 'The secret'), idle.name, password)
      : ctx.current !== undefined ? password : withLogin(adminUrl, idle.name, password);
    return {
      value,
      account: idle.name,
      undo: async () => {
        const left: string[] = [];
        try {
          left.push(...(await undoIdle()));
          if (current) await admin.query(`ALTER ROLE ${quoteIdent(current.name)} VALID UNTIL ${until(current.validUntilText)}`);
        } catch (e) {
          left.push(`the roles could not be put back (${(e as { code?: string }).code ?? 'connection lost'}): ${idle.name} has a new password nobody holds${current ? `, and ${current.name} stops at the end of the grace` : ''}`);
        }
        await close();
        return left;
      },
      finish: async () => {
        const warnings: string[] = [];
        // Sessions opened with the idle role's previous password, whose grace is over: the
        // one thing VALID UNTIL does not end by itself.
        try {
          await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND backend_start < $2', [idle.name, startedAt]);
        } catch (e) {
          warnings.push(`sessions still open as ${idle.name} with its previous password were not ended (${(e as { code?: string }).code ?? 'error'})`);
        }
        await close();
        return warnings;
      },
    };
  } catch (e) {
    await close();
    throw statementError(e, 'rotating');
  }
}

export const postgresRotator: BuiltinRotator = {
  provider: 'postgres',

  async check(ctx: ProviderContext): Promise<void> {
    const { client } = await connectAdmin(ctx);
    try {
      await readRoles(client, ctx.config.role);
    } finally {
      await client.end().catch(() => undefined);
    }
  },

  rotate,

  async verify(ctx: VerifyContext): Promise<void> {
    const adminUrl = parsePgUrl(ctx.admin, `The admin secret ${ctx.config.admin}`);
    const user = await tryLogin(loginUrl(ctx.value, adminUrl, ctx.account), ctx.config.role);
    if (ctx.account !== undefined && user !== ctx.account) throw new TesseraError('NEW_CREDENTIAL_FAILED', `The new credential logs in as ${user}, not ${ctx.account}`);
  },
};
