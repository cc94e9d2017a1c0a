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
