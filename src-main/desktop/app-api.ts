/** The app part of the desktop API: its version, and opening a web link in the browser. */
import type { TesseraApi } from '../../src-shared/api/types';
import { TesseraError } from '../../src-shared/errors';

export function appApi(opts: { readonly appVersion?: string; readonly openExternal?: (url: URL) => Promise<void> }): TesseraApi['app'] {
  return {
    version: async () => opts.appVersion ?? 'dev',
    openExternal: async ({ url }) => {
      const parsed = safeExternalUrl(url);
      if (!opts.openExternal) throw new TesseraError('INVALID_INPUT', 'Opening links is not available here');
      // electronegativity: OPEN_EXTERNAL_JS_CHECK: `parsed` passed safeExternalUrl (http(s) only, no credentials).
      await opts.openExternal(parsed);
    },
  };
}

/** Only plain web links leave the app: no file:, javascript:, custom schemes or credentials. */
export function safeExternalUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TesseraError('INVALID_INPUT', 'Not a valid link');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || !url.hostname) {
    throw new TesseraError('INVALID_INPUT', 'Only http and https links can be opened');
  }
  return url;
}
