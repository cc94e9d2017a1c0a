/**
 * One API, several transports: Electron IPC (preload ↔ main), a loopback WebSocket (the
 * end-to-end test host), or a direct call (component tests). Each request is
 * (method, payload); each answer a Reply, because Electron's IPC keeps only an Error's
 * message and the UI needs the code.
 */
import type { ErrorCode } from '../errors';
import { methods, type Method } from './methods';
import type { AppEvent, Domain, TesseraApi } from './types';

export type Reply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: { readonly code: ErrorCode | 'FORBIDDEN' | 'INTERNAL'; readonly message: string } };

/** What the UI catches: a code to branch on and a message to show. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'FORBIDDEN' | 'INTERNAL',
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Electron's contextBridge keeps only an Error's message, so the preload rejects with the
 * code folded into it and the renderer unfolds it again (toApiError).
 */
export function bridgeErrorMessage(code: string, message: string): string {
  return `[${code}] ${message}`;
}

/** The ApiError behind anything a bridge call rejected with. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  // An ApiError made by another copy of this module (an injected bridge script) has the code.
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && /^[A-Z][A-Z_]*$/.test(code)) return new ApiError(code as ApiError['code'], (e as Error).message);
  const text = e instanceof Error ? e.message : String(e);
  const m = /^(?:Error invoking remote method '[^']*': )?(?:Error: )?\[([A-Z_]+)\] ([\s\S]*)$/.exec(text);
  return m ? new ApiError(m[1] as ApiError['code'], m[2]!) : new ApiError('INTERNAL', text);
}

export type Invoke = (method: Method, payload: unknown) => Promise<Reply>;

/** The typed `window.tessera` object over any transport. */
export type TesseraBridge = TesseraApi & {
  /** Subscribes to pushed events; returns the unsubscribe function. */
  readonly events: { on(listener: (event: AppEvent) => void): () => void };
};

export function createApiClient(invoke: Invoke, subscribe: (listener: (event: AppEvent) => void) => () => void): TesseraBridge {
  const api: Record<string, Record<string, (payload?: unknown) => Promise<unknown>>> = {};
  for (const method of methods) {
    const [domain, name] = method.split('.') as [Domain, string];
    api[domain] ??= {};
    api[domain][name] = async (payload?: unknown) => {
      const reply = await invoke(method, payload);
      if (!reply.ok) throw new ApiError(reply.error.code, reply.error.message);
      return reply.value;
    };
  }
  return { ...(api as unknown as TesseraApi), events: { on: subscribe } };
}
