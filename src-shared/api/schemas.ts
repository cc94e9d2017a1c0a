/**
 * The request schema of every API call. Main (and the test host) parse each payload with
 * these before touching it: the renderer is the least trusted part of the app, so a
 * compromised page can send only well-formed, bounded requests. Unknown keys are refused
 * rather than dropped, so a typo in the UI fails loudly in tests.
 */
import { z } from 'zod';
import { IMPORT_FORMATS, type Domain, type TesseraApi } from './types';

const name = z.string().min(1).max(256);
const vault = z.string().min(1).max(256);
const environment = z.string().min(1).max(64);
// A secret value: large enough for a PEM bundle or a service-account JSON, bounded anyway.
const value = z.string().max(256 * 1024);
const tags = z.array(z.string().min(1).max(64)).max(32);
const role = z.enum(['admin', 'editor', 'viewer']);
const none = z.undefined();
// Another tool's export (up to the CLI's 16 MiB, in base64) and how to open it.
const importFile = z.strictObject({
  vault,
  environment,
  fileName: z.string().min(1).max(255),
  data: z.string().max(Math.ceil((16 * 1024 * 1024) / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/),
  format: z.enum(IMPORT_FORMATS).optional(),
  password: z.string().max(4096).optional(),
  map: z.string().max(1024).optional(),
});
const auditQuery = {
  vault: z.string().max(256).optional(),
  secret: z.string().max(256).optional(),
  action: z.string().max(64).optional(),
  since: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
};
const generateSpec = z.strictObject({
  format: z.enum(['base62', 'hex', 'base64url', 'uuid', 'passphrase', 'custom']),
  length: z.number().int().min(4).max(1024).optional(),
  sets: z.array(z.enum(['lower', 'upper', 'digits', 'symbols'])).min(1).max(4).readonly().optional(),
});

export const requestSchemas = {
  session: {
    status: none,
    setup: z.strictObject({ name: z.string().min(1).max(128), useKeychain: z.boolean(), passphrase: z.string().min(1).max(1024).optional() }),
    unlock: z.strictObject({ method: z.enum(['keychain', 'passphrase']), passphrase: z.string().min(1).max(1024).optional() }),
    lock: none,
    touch: none,
  },
  vaults: {
    list: none,
    create: z.strictObject({ name, environments: z.array(environment).min(1).max(32).optional() }),
    sync: z.strictObject({ vault }),
    setRelay: z.strictObject({ vault, url: z.string().min(1).max(2048) }),
  },
  secrets: {
    list: z.strictObject({ vault }),
    get: z.strictObject({ vault, name }),
    reveal: z.strictObject({ vault, name, environment }),
    set: z.strictObject({
      vault,
      name,
      environment,
      value,
      description: z.string().max(4096).optional(),
      tags: tags.optional(),
      note: z.string().max(1024).optional(),
    }),
    update: z.strictObject({ vault, name, description: z.string().max(4096).optional(), tags: tags.optional() }),
    history: z.strictObject({ vault, name, environment }),
    remove: z.strictObject({ vault, name }),
    importPreview: z.strictObject({ vault, environment, text: z.string().max(4 * 1024 * 1024) }),
    importApply: z.strictObject({ vault, environment, text: z.string().max(4 * 1024 * 1024) }),
    importFilePreview: importFile,
    importFileApply: importFile,
    rotate: z.strictObject({
      vault,
      name,
      environment,
      value: value.optional(),
      generate: generateSpec.optional(),
      /** The secret's built-in rotator makes the value at the provider (command rotators run from the CLI). */
      rotator: z.literal(true).optional(),
      graceDays: z.number().int().min(0).max(365).optional(),
      note: z.string().max(1024).optional(),
    }),
    rollback: z.strictObject({ vault, name, environment, to: z.number().int().min(1) }),
    retire: z.strictObject({ vault, name }),
    restore: z.strictObject({ vault, name }),
    setPolicy: z.strictObject({
      vault,
      name,
      intervalDays: z.number().int().min(1).max(3650).nullable().optional(),
      expiresAt: z.number().int().nonnegative().nullable().optional(),
    }),
    setRotator: z.strictObject({
      vault,
      name,
      // A built-in rotator (the app sets no commands: those are code, set from the CLI); null removes any rotator.
      rotator: z
        .strictObject({
          builtin: z.enum(['postgres']),
          admin: name,
          role: z.string().min(1).max(61),
          environments: z.array(environment).min(1).max(32),
          graceSeconds: z.number().int().min(0).max(365 * 86_400).optional(),
        })
        .nullable(),
    }),
  },
  clipboard: {
    copy: z.strictObject({ vault, name, environment }),
    clear: none,
    status: none,
  },
  members: {
    list: z.strictObject({ vault }),
    invite: z.strictObject({ vault, role, environments: z.array(environment).max(32), ttlHours: z.number().int().min(1).max(24 * 30).optional() }),
    join: z.strictObject({ code: z.string().min(1).max(8192) }),
    completeJoins: none,
    pending: z.strictObject({ vault }),
    // The whole fingerprint the user confirmed, never a prefix or a name: main approves the
    // request of that name with exactly this fingerprint, or nothing.
    approve: z.strictObject({ vault, name: z.string().max(256), fingerprint: z.string().regex(/^\d{5}( \d{5}){11}$/, 'a whole fingerprint') }),
    remove: z.strictObject({ vault, memberId: z.string().min(1).max(128) }),
  },
  tokens: {
    list: z.strictObject({ vault }),
    create: z.strictObject({
      vault,
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dots, dashes or underscores'),
      role: z.enum(['viewer', 'editor']),
      environments: z.array(environment).min(1).max(32),
      expiresInDays: z.number().int().min(1).max(3650).optional(),
    }),
    revoke: z.strictObject({ vault, name: z.string().min(1).max(64) }),
  },
  devices: {
    list: none,
    link: z.strictObject({ vault: z.string().max(256).optional() }),
    waiting: none,
    // As members.approve: the whole fingerprint the user confirmed, never a prefix.
    approve: z.strictObject({ name: z.string().max(256), fingerprint: z.string().regex(/^\d{5}( \d{5}){11}$/, 'a whole fingerprint') }),
    revoke: z.strictObject({ fingerprint: z.string().regex(/^\d{5}( \d{5}){11}$/, 'a whole fingerprint') }),
  },
  audit: {
    list: z.strictObject(auditQuery),
    alerts: none,
    export: z.strictObject({ ...auditQuery, format: z.enum(['csv', 'json']) }),
  },
  health: {
    report: z.strictObject({ vault: z.string().max(256).optional() }),
  },
  settings: {
    get: none,
    set: z.strictObject({
      autoLockMinutes: z.number().int().min(0).max(24 * 60).optional(),
      clipboardSeconds: z.number().int().min(5).max(300).nullable().optional(),
      theme: z.enum(['system', 'light', 'dark']).optional(),
      lockOnSuspend: z.boolean().optional(),
    }),
  },
  app: {
    version: none,
    openExternal: z.strictObject({ url: z.string().min(1).max(2048) }),
  },
} as const satisfies { [D in Domain]: { [M in keyof TesseraApi[D]]: z.ZodType } };

export type { Method } from './methods';

export function schemaFor(method: string): z.ZodType | undefined {
  const [d, m, ...rest] = method.split('.');
  if (rest.length > 0 || !d || !m) return undefined;
  if (!Object.hasOwn(requestSchemas, d)) return undefined;
  const domain = requestSchemas[d as Domain] as Record<string, z.ZodType>;
  return Object.hasOwn(domain, m) ? domain[m] : undefined;
}
