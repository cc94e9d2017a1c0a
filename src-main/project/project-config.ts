/**
 * `.tessera.json`: a project folder (or any parent) names its default vault and environment,
 * so `tessera run -- npm start` needs no flags. It holds names only, never values, and is
 * meant to be committed: `{ "vault": "payments", "environment": "development" }`.
 */
import { promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TesseraError } from '../../src-shared/errors';

export const PROJECT_FILE = '.tessera.json';

export interface ProjectConfig {
  /** The file it came from. */
  readonly path: string;
  readonly vault?: string;
  readonly environment?: string;
}

/** The nearest `.tessera.json` from `cwd` up to the root, or null. PROJECT_CONFIG when it is malformed. */
export async function findProjectConfig(cwd: string): Promise<ProjectConfig | null> {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const path = join(dir, PROJECT_FILE);
    let text: string | null = null;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new TesseraError('IO', `Cannot read ${path} (${code ?? 'error'})`);
    }
    if (text !== null) return parseProjectConfig(path, text);
    if (dirname(dir) === dir) return null;
  }
}

export function parseProjectConfig(path: string, text: string): ProjectConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new TesseraError('PROJECT_CONFIG', `${path} is not valid JSON`, { path });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TesseraError('PROJECT_CONFIG', `${path} must hold an object like {"vault": "…", "environment": "…"}`, { path });
  }
  const o = raw as Record<string, unknown>;
  const field = (name: string): string | undefined => {
    const v = o[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new TesseraError('PROJECT_CONFIG', `${path}: "${name}" must be a non-empty string`, { path });
    return v;
  };
  const environment = field('environment') ?? field('env');
  const vault = field('vault');
  return { path, ...(vault !== undefined ? { vault } : {}), ...(environment !== undefined ? { environment } : {}) };
}

/** The vault and environment a command uses: its flags, else the project file, else a usage error. */
export async function projectTarget(
  flags: { vault?: string; env?: string },
  cwd: string,
  needEnv = true,
): Promise<{ vault: string; env: string }> {
  const config = flags.vault !== undefined && (flags.env !== undefined || !needEnv) ? null : await findProjectConfig(cwd);
  const vault = flags.vault ?? config?.vault;
  const env = flags.env ?? config?.environment;
  if (vault === undefined || (needEnv && env === undefined)) {
    const missing = [vault === undefined ? '--vault' : '', needEnv && env === undefined ? '--env' : ''].filter(Boolean).join(' and ');
    throw new TesseraError('INVALID_INPUT', `Say ${missing}, or name them in a ${PROJECT_FILE} in this folder or a parent`);
  }
  return { vault, env: env ?? '' };
}
