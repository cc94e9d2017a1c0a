/**
 * The fake bridge's data: vaults, secrets with their versions, and the few rules main applies
 * that the UI shows (rotation state, .env lines, generated values). Tests only.
 */
import type { ErrorCode } from '../../src-shared/errors';
import type { EnvironmentRotation, GenerateSpec, JoinRequestInfo, MemberInfo, RotationState, RotatorInfo, SecretStatus, TokenInfo, VersionInfo } from '../../src-shared/api/types';
import { RotationClock, rotationState as scheduleState, rotationStatus, worse, type Schedule } from '../../src-shared/rotation/schedule';

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
  rotator?: RotatorInfo;
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

/**
 * Each environment's schedule by the app's own rule (src-shared/rotation/schedule.ts), so the
 * fake has none of its own: a value written after the secret was made (a rotation) counts
 * from then; before that, a fixture's recorded last rotation.
 */
function schedules(s: FakeSecret): [environment: string, Schedule][] {
  const out: [string, Schedule][] = [];
  for (const [environment, versions] of s.values) {
    const current = versions.at(-1);
    if (!current) continue;
    const recorded = s.policy.lastRotatedAt;
    out.push([
      environment,
      {
        ...(s.policy.intervalDays !== undefined ? { intervalDays: s.policy.intervalDays } : {}),
        ...(s.policy.expiresAt !== undefined ? { expiresAt: s.policy.expiresAt } : {}),
        lastRotatedAt: recorded !== undefined && current.at <= s.createdAt ? recorded : current.at,
      },
    ]);
  }
  return out;
}

/** The list's state: the worst over the secret's environments, in UTC. */
export function rotationState(s: FakeSecret, now: number): RotationState {
  const clock = new RotationClock(now, 'UTC');
  return schedules(s).reduce<RotationState>((state, [, schedule]) => worse(state, scheduleState(schedule, clock)), 'none');
}

/** The detail's per-environment schedules, in UTC. */
export function rotationsOf(s: FakeSecret, now: number): EnvironmentRotation[] {
  const clock = new RotationClock(now, 'UTC');
  return schedules(s).map(([environment, schedule]) => ({ environment, lastRotatedAt: schedule.lastRotatedAt, ...rotationStatus(schedule, clock) }));
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
