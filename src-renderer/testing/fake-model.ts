/**
 * The fake bridge's data: vaults, secrets with their versions, and the few rules main applies
 * that the UI shows (rotation state, .env lines, generated values). Tests only.
 */
import type { ErrorCode } from '../../src-shared/errors';
import type { GenerateSpec, JoinRequestInfo, MemberInfo, RotationState, SecretStatus, TokenInfo, VersionInfo } from '../../src-shared/api/types';
import { RotationClock, rotationState as scheduleState } from '../../src-shared/rotation/schedule';

export type Code = ErrorCode | 'FORBIDDEN' | 'INTERNAL';

export interface FakeVersion extends VersionInfo {
  readonly value: string;
}

export interface FakeSecret {
  id: string;
  name: string;
  description: string;
  tags: string[];
  status: SecretStatus;
  createdAt: number;
  updatedAt: number;
  values: Map<string, FakeVersion[]>;
  policy: { intervalDays?: number; expiresAt?: number; lastRotatedAt?: number };
}

export interface FakeVault {
  id: string;
  name: string;
  environments: string[];
  relay: string | null;
  secrets: Map<string, FakeSecret>;
  members: MemberInfo[];
  pending: JoinRequestInfo[];
  tokens: TokenInfo[];
}

export const DAY = 24 * 60 * 60 * 1000;

export class Refusal {
  constructor(
    readonly code: Code,
    readonly message: string,
  ) {}
}

export function refuse(code: Code, message: string): never {
  throw new Refusal(code, message);
}

/** The app's own rule (src-shared/rotation/schedule.ts), in UTC: the fake must not have one of its own. */
export function rotationState(s: FakeSecret, now: number): RotationState {
  const schedule = {
    ...(s.policy.intervalDays !== undefined ? { intervalDays: s.policy.intervalDays } : {}),
    ...(s.policy.expiresAt !== undefined ? { expiresAt: s.policy.expiresAt } : {}),
    lastRotatedAt: s.policy.lastRotatedAt ?? s.createdAt,
  };
  return scheduleState(schedule, new RotationClock(now, 'UTC'));
}

export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trim().startsWith('#')) return;
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) refuse('DOTENV_SYNTAX', `line ${i + 1}: expected NAME=value`);
    out.set(m[1]!, m[2]!.replace(/^(['"])(.*)\1$/, '$2'));
  });
  return out;
}

/** Deterministic, so tests can check the format; never a real generator. */
export function generate(spec: GenerateSpec): string {
  const length = spec.length ?? 32;
  const alphabet = spec.format === 'hex' ? '0123456789abcdef' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  if (spec.format === 'uuid') return '123e4567-e89b-42d3-a456-426614174000';
  return Array.from({ length }, (_, i) => alphabet[(i * 7 + 3) % alphabet.length]).join('');
}
