// The app's own pages are served from app://tessera/ (a privileged custom scheme) rather than
// file://, which Chromium grants extra powers and which would make any local file a
// candidate sender. This module holds the parts that need no Electron, so they are tested.
import { resolve, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'tessera';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * The file under `root` that an app:// URL names, or null: another host, a path that leaves
 * `root` (also when percent-encoded), or a malformed URL. "/" is the index page.
 */
export function assetPath(root: string, rawUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  return fileUnder(root, url.pathname);
}

/**
 * The file under `root` that a URL path names ("/" is the index page), or null for a path
 * that leaves `root` once percent-decoded, or that holds a NUL or a malformed escape.
 */
export function fileUnder(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const base = resolve(root);
  const file = resolve(base, `.${path === '/' ? '/index.html' : path}`);
  return file.startsWith(base + sep) ? file : null;
}

/** True for the top-level page of the app itself (the only IPC sender main trusts). */
export function isAppPage(rawUrl: string): boolean {
  try {
    const url = new URL(rawUrl);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}
