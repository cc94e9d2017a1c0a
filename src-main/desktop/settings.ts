/**
 * The desktop app's preferences, in the profile folder next to profile.json. Nothing in
 * here is secret. A damaged or hand-edited file falls back to the defaults field by field
 * rather than keeping the app from starting.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Settings } from '../../src-shared/api/types';
import { readFileIfExists, writeFileAtomic } from '../fs/atomic-file';

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  autoLockMinutes: 10,
  clipboardSeconds: 30,
  theme: 'system',
  lockOnSuspend: true,
});

const fields = {
  autoLockMinutes: z.number().int().min(0).max(24 * 60),
  clipboardSeconds: z.number().int().min(5).max(300).nullable(),
  theme: z.enum(['system', 'light', 'dark']),
  lockOnSuspend: z.boolean(),
} as const;

const settingsPath = (home: string) => join(home, 'settings.json');

export async function readSettings(home: string): Promise<Settings> {
  const raw = await readFileIfExists(settingsPath(home));
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = raw ? JSON.parse(raw.toString('utf8')) : {};
    if (value && typeof value === 'object') parsed = value as Record<string, unknown>;
  } catch {
    // Unreadable JSON: every field takes its default.
  }
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [k, schema] of Object.entries(fields)) {
    const r = schema.safeParse(parsed[k]);
    if (r.success) out[k] = r.data;
  }
  return out as unknown as Settings;
}

export async function writeSettings(home: string, settings: Settings): Promise<void> {
  await writeFileAtomic(settingsPath(home), JSON.stringify(settings, null, 2) + '\n');
}

// Which rotation states the app has told the user about (vault id/secret/environment/state:
// names the user's own vault shows them; no values). Kept beside the settings.
const announcedPath = (home: string) => join(home, 'announced-due.json');

export async function readAnnouncedDue(home: string): Promise<Set<string>> {
  try {
    const list: unknown = JSON.parse((await readFileIfExists(announcedPath(home)))?.toString('utf8') ?? '[]');
    return new Set(Array.isArray(list) ? list.filter((k): k is string => typeof k === 'string') : []);
  } catch {
    return new Set(); // damaged: announce again rather than never
  }
}

export async function writeAnnouncedDue(home: string, keys: ReadonlySet<string>): Promise<void> {
  await writeFileAtomic(announcedPath(home), JSON.stringify([...keys].sort()) + '\n');
}
