/**
 * Serves one API request from an untrusted page: checks that the method exists, parses the
 * payload with its schema, runs it, and answers a Reply. Errors keep their code; their
 * messages never quote the payload (which may hold a value), and anything unexpected is
 * answered as INTERNAL without its details, which stay in main.
 */
import { schemaFor } from '../../src-shared/api/schemas';
import type { Reply } from '../../src-shared/api/transport';
import { isTesseraError } from '../../src-shared/errors';
import type { Desktop } from './desktop';

export async function dispatch(desktop: Desktop, method: unknown, payload: unknown, onInternalError: (e: unknown) => void = () => {}): Promise<Reply> {
  const schema = typeof method === 'string' ? schemaFor(method) : undefined;
  if (!schema) return { ok: false, error: { code: 'INVALID_INPUT', message: 'Unknown request' } };
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    // Where and what kind of problem, never the offending value.
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'request';
    return { ok: false, error: { code: 'INVALID_INPUT', message: `Invalid ${where} (${issue?.code ?? 'invalid'})` } };
  }
  const [domain, name] = (method as string).split('.') as [string, string];
  desktop.noteActivity(method as string);
  try {
    const fn = (desktop.api as unknown as Record<string, Record<string, (p: unknown) => Promise<unknown>>>)[domain]![name]!;
    const value = await fn(parsed.data);
    return { ok: true, value: value ?? null };
  } catch (e) {
    if (isTesseraError(e)) return { ok: false, error: { code: e.code, message: e.message } };
    onInternalError(e);
    return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong inside Tessera; the details are in its log' } };
  }
}
