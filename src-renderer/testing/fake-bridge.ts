/**
 * An in-memory TesseraBridge for component tests. It goes through the same client as the
 * real transports (createApiClient), validates every payload with the shared request
 * schemas (so a UI that sends an unknown key fails here as it would against main), keeps
 * secrets with their versions, refuses calls while locked, fires events, and can be told to
 * fail a method with a code.
 */
import { schemaFor, type Method } from '../../src-shared/api/schemas';
import { createApiClient, type Reply, type TesseraBridge } from '../../src-shared/api/transport';
import type {
  ImportFilePlan,
  ImportFormat,
  Alert,
  AppEvent,
  ClipboardStatus,
  GenerateSpec,
  HealthFinding,
  ImportPreview,
  ImportResult,
  MemberInfo,
  ProfileSummary,
  RotatorInfo,
  SecretDetail,
  SecretStatus,
  SecretSummary,
  Settings,
  VaultSummary,
  VersionInfo,
} from '../../src-shared/api/types';
import type { AuditEvent, AuditEventInput } from '../../src-shared/audit/events';
import { DAY, generate, parseDotenv, refuse, Refusal, rotationsOf, rotationState, type Code, type FakeSecret, type FakeVault, type FakeVersion } from './fake-model';
import { tokensCall } from './fake-tokens';
import { FakeDevices } from './fake-devices';

export interface FakeOptions {
  /** 'none' starts at first-run setup. */
  readonly profile?: 'none' | 'locked' | 'unlocked';
  readonly keychain?: boolean;
  readonly passphrase?: string;
  readonly now?: () => number;
}

export class FakeTessera {
  readonly bridge: TesseraBridge;
  /** Every call, in order, with its payload (values included: tests only). */
  readonly calls: { method: Method; payload: unknown }[] = [];
  readonly vaults = new Map<string, FakeVault>();
  readonly audit: AuditEvent[] = [];
  alerts: Alert[] = [];
  findings: HealthFinding[] = [];
  settings: Settings = { autoLockMinutes: 10, clipboardSeconds: 30, theme: 'system', lockOnSuspend: true };
  clipboard: ClipboardStatus = { active: false, clearsAt: null };
  /** Join requests this profile sent, by code; approved ones are picked up by completeJoins. */
  readonly joins = new Map<string, { vaultName: string; approved: boolean }>();
  /** What a sync brings in (a teammate's changes): returns how many changes arrived. */
  onSync: ((vault: FakeVault) => number) | null = null;
  private readonly listeners = new Set<(event: AppEvent) => void>();
  private readonly failures = new Map<string, { code: Code; message: string }>();
  private readonly holds = new Map<string, Promise<void>>();
  private profile: { name: string; keychain: boolean; passphrase?: string } | null;
  private unlocked: boolean;
  private seq = 0;
  private nextId = 1;
  private readonly now: () => number;
  readonly me = { memberId: 'a11ce0000000000a', fingerprint: '12345 67890 13579 24680 11223 34455 66778 89900 10203 04050 60708 09010' };
  /** This person's devices and the new ones asking to be linked. */
  readonly devices = new FakeDevices(this.me, () => [...this.vaults.values()].filter((v) => v.relay).map((v) => v.name));

  constructor(options: FakeOptions = {}) {
    this.now = options.now ?? Date.now;
    const state = options.profile ?? 'unlocked';
    this.profile =
      state === 'none'
        ? null
        : { name: 'Ada', keychain: options.keychain ?? true, ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) };
    this.unlocked = state === 'unlocked';
    this.bridge = createApiClient(
      (method, payload) => this.invoke(method, payload),
      (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    );
  }

  /** The next call of `method` fails with `code` (once). */
  failNext(method: Method, code: Code, message = `${method} failed`): void {
    this.failures.set(method, { code, message });
  }

  /** Calls of `method` wait until the returned function is called (to observe progress). */
  hold(method: Method): () => void {
    let release = (): void => undefined;
    this.holds.set(method, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  emit(event: AppEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Main locked by itself (idle, suspend…): it wipes keys and tells the UI. */
  lockFromMain(reason: 'idle' | 'suspend' | 'manual' = 'idle'): void {
    this.unlocked = false;
    this.emit({ type: 'locked', reason });
  }

  callsOf(method: Method): unknown[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.payload);
  }

  addVault(name: string, environments = ['development', 'staging', 'production']): FakeVault {
    const id = `v${this.nextId++}`;
    const vault: FakeVault = {
      id,
      name,
      environments,
      relay: null,
      secrets: new Map(),
      members: [{ memberId: this.me.memberId, name: this.profile?.name ?? 'Ada', fingerprint: this.me.fingerprint, role: 'owner', environments, you: true }],
      pending: [],
      tokens: [],
    };
    this.vaults.set(id, vault);
    return vault;
  }

  addSecret(
    vault: FakeVault,
    name: string,
    values: Record<string, string | string[]>,
    meta: { description?: string; tags?: string[]; status?: SecretStatus; policy?: FakeSecret['policy']; updatedAt?: number } = {},
  ): FakeSecret {
    const at = meta.updatedAt ?? this.now();
    const secret: FakeSecret = {
      id: `s${this.nextId++}`,
      name,
      description: meta.description ?? '',
      tags: meta.tags ?? [],
      status: meta.status ?? 'active',
      createdAt: at,
      updatedAt: at,
      values: new Map(),
      policy: meta.policy ?? {},
    };
    for (const [env, v] of Object.entries(values)) {
      const list = Array.isArray(v) ? v : [v];
      secret.values.set(
        env,
        list.map((value, i) => ({ n: i + 1, at: at - (list.length - 1 - i) * DAY, by: this.me.memberId, byName: 'Ada', note: '', value })),
      );
    }
    vault.secrets.set(name, secret);
    return secret;
  }

  record(input: AuditEventInput): void {
    this.audit.push({ ...input, seq: ++this.seq, at: input.at ?? this.now(), by: this.me.memberId, device: 'test-device' });
  }

  private async invoke(method: Method, payload: unknown): Promise<Reply> {
    this.calls.push({ method, payload });
    const schema = schemaFor(method);
    const parsed = schema?.safeParse(payload);
    if (!parsed?.success) return { ok: false, error: { code: 'INVALID_INPUT', message: `${method}: the request does not match its schema` } };
    const hold = this.holds.get(method);
    if (hold) await hold;
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      return { ok: false, error: failure };
    }
    try {
      return { ok: true, value: this.handle(method, parsed.data as never) };
    } catch (e) {
      if (e instanceof Refusal) return { ok: false, error: { code: e.code, message: e.message } };
      throw e;
    }
  }

  private profileSummary(): ProfileSummary {
    const p = this.profile ?? refuse('NO_PROFILE', 'no profile');
    return { name: p.name, memberId: this.me.memberId, fingerprint: this.me.fingerprint, unlockMethods: { keychain: p.keychain, passphrase: p.passphrase !== undefined } };
  }

  private vault(ref: string): FakeVault {
    const v = this.vaults.get(ref) ?? [...this.vaults.values()].find((x) => x.name === ref);
    return v ?? refuse('NOT_FOUND', 'no such vault');
  }

  private secret(vault: FakeVault, name: string): FakeSecret {
    const s = vault.secrets.get(name);
    return s && s.status !== 'deleted' ? s : refuse('NOT_FOUND', 'no such secret');
  }

  private summary(s: FakeSecret): SecretSummary {
    return {
      id: s.id,
      name: s.name,
      description: s.description,
      tags: [...s.tags],
      status: s.status,
      environments: [...s.values.keys()],
      updatedAt: s.updatedAt,
      updatedBy: this.me.memberId,
      rotation: rotationState(s, this.now()),
    };
  }

  private versionInfo(v: FakeVersion): VersionInfo {
    return { n: v.n, at: v.at, by: v.by, byName: v.byName, note: v.note };
  }

  private vaultSummary(v: FakeVault): VaultSummary {
    return {
      id: v.id,
      name: v.name,
      environments: v.environments.map((name) => ({ name, readable: true })),
      secrets: [...v.secrets.values()].filter((s) => s.status !== 'deleted').length,
      role: 'owner',
      members: v.members.length,
      relay: v.relay,
    };
  }

  private addVersion(vault: FakeVault, s: FakeSecret, environment: string, value: string, note = ''): VersionInfo {
    if (!vault.environments.includes(environment)) refuse('NOT_FOUND', 'no such environment');
    const list = s.values.get(environment) ?? [];
    const version: FakeVersion = { n: list.length + 1, at: this.now(), by: this.me.memberId, byName: this.profile?.name ?? 'Ada', note, value };
    s.values.set(environment, [...list, version]);
    s.updatedAt = version.at;
    return this.versionInfo(version);
  }

  /** What an import does to each key (main's importEntries); the preview tells only new from existing. */
  private importPlan(vault: FakeVault, environment: string, text: string): ImportResult & { entries: Map<string, string> } {
    const entries = parseDotenv(text);
    const added: string[] = [];
    const updated: string[] = [];
    const unchanged: string[] = [];
    for (const [name, value] of entries) {
      const s = vault.secrets.get(name);
      const current = s?.values.get(environment)?.at(-1)?.value;
      if (!s || s.status === 'deleted' || current === undefined) added.push(name);
      else if (current === value) unchanged.push(name);
      else updated.push(name);
    }
    return { added, updated, unchanged, entries };
  }

  // One switch keeps the fake readable next to the contract it imitates.
  // eslint-disable-next-line complexity
  private handle(method: Method, req: Record<string, unknown> & { vault: string; name: string; environment: string }): unknown {
    if (method === 'session.status') {
      if (!this.profile) return { state: 'no-profile' };
      return { state: this.unlocked ? 'unlocked' : 'locked', profile: this.profileSummary(), locksAt: this.unlocked ? this.now() + 600_000 : null };
    }
    if (method === 'session.setup') {
      if (this.profile) refuse('PROFILE_EXISTS', 'a profile exists');
      const r = req as unknown as { name: string; useKeychain: boolean; passphrase?: string };
      if (!r.useKeychain && r.passphrase === undefined) refuse('NO_UNLOCK_METHOD', 'choose the keychain or a passphrase');
      this.profile = { name: r.name, keychain: r.useKeychain, ...(r.passphrase !== undefined ? { passphrase: r.passphrase } : {}) };
      this.unlocked = true;
      return this.profileSummary();
    }
    if (method === 'session.unlock') {
      const p = this.profile ?? refuse('NO_PROFILE', 'no profile');
      const r = req as unknown as { method: 'keychain' | 'passphrase'; passphrase?: string };
      if (r.method === 'keychain' && !p.keychain) refuse('KEYCHAIN_ENTRY_MISSING', 'no keychain entry');
      if (r.method === 'passphrase' && (p.passphrase === undefined || r.passphrase !== p.passphrase)) {
        this.record({ action: 'unlock-failed', detail: { method: 'passphrase' } });
        refuse('BAD_PASSPHRASE', 'wrong passphrase');
      }
      this.unlocked = true;
      this.record({ action: 'unlock', detail: { method: r.method } });
      return this.profileSummary();
    }
    if (method === 'session.lock') {
      this.unlocked = false;
      this.clipboard = { active: false, clearsAt: null };
      this.emit({ type: 'locked', reason: 'manual' });
      return undefined;
    }
    if (method === 'app.version') return '0.1.0-test';
    if (!this.unlocked) refuse('VAULT_LOCKED', 'locked');

    switch (method) {
      case 'session.touch':
        return undefined;
      case 'vaults.list':
        return [...this.vaults.values()].map((v) => this.vaultSummary(v));
      case 'vaults.create': {
        if ([...this.vaults.values()].some((v) => v.name === req.name)) refuse('ALREADY_EXISTS', 'a vault with that name exists');
        return this.vaultSummary(this.addVault(req.name, (req.environments as string[] | undefined) ?? undefined));
      }
      case 'vaults.sync': {
        const v = this.vault(req.vault);
        if (!v.relay) refuse('NO_RELAY', 'no relay');
        return { sent: 0, received: this.onSync?.(v) ?? 0 };
      }
      case 'vaults.setRelay': {
        // As the main process: one URL, or several comma-separated, each ws:// or wss://.
        const urls = (req.url as string).split(',').map((u) => u.trim());
        if (!urls.every((u) => /^wss?:\/\/./.test(u))) refuse('INVALID_INPUT', 'a relay URL must start with ws:// or wss://');
        this.vault(req.vault).relay = urls.join(',');
        return undefined;
      }
      case 'secrets.list':
        return [...this.vault(req.vault).secrets.values()].filter((s) => s.status !== 'deleted').map((s) => this.summary(s));
      case 'secrets.get': {
        const v = this.vault(req.vault);
        const s = this.secret(v, req.name);
        const detail: SecretDetail = {
          ...this.summary(s),
          createdAt: s.createdAt,
          createdBy: this.me.memberId,
          values: v.environments.map((environment) => {
            const last = s.values.get(environment)?.at(-1);
            return { environment, readable: true, current: last ? this.versionInfo(last) : null };
          }),
          policy: { ...s.policy },
          rotations: rotationsOf(s, this.now()),
          ...(s.rotator ? { rotator: s.rotator } : {}),
        };
        return detail;
      }
      case 'secrets.reveal': {
        const v = this.vault(req.vault);
        const last = this.secret(v, req.name).values.get(req.environment)?.at(-1) ?? refuse('NOT_FOUND', 'no value');
        this.record({ action: 'reveal', vaultId: v.id, vault: v.name, secret: req.name, environment: req.environment });
        return { value: last.value };
      }
      case 'secrets.set': {
        const v = this.vault(req.vault);
        let s = v.secrets.get(req.name);
        if (!s || s.status === 'deleted') s = this.addSecret(v, req.name, {});
        if (req.description !== undefined) s.description = req.description as string;
        if (req.tags !== undefined) s.tags = req.tags as string[];
        this.addVersion(v, s, req.environment, req.value as string, (req.note as string | undefined) ?? '');
        this.record({ action: 'secret-edited', vaultId: v.id, vault: v.name, secret: req.name, environment: req.environment });
        return this.summary(s);
      }
      case 'secrets.update': {
        const s = this.secret(this.vault(req.vault), req.name);
        if (req.description !== undefined) s.description = req.description as string;
        if (req.tags !== undefined) s.tags = req.tags as string[];
        return this.summary(s);
      }
      case 'secrets.history': {
        const s = this.secret(this.vault(req.vault), req.name);
        return (s.values.get(req.environment) ?? []).map((x) => this.versionInfo(x)).reverse();
      }
      case 'secrets.remove': {
        this.secret(this.vault(req.vault), req.name).status = 'deleted';
        return undefined;
      }
      case 'secrets.importPreview': {
        const { added, entries } = this.importPlan(this.vault(req.vault), req.environment, req.text as string);
        const preview: ImportPreview = { added, existing: [...entries.keys()].filter((k) => !added.includes(k)) };
        return preview;
      }
      case 'secrets.importApply': {
        const v = this.vault(req.vault);
        const { added, updated, unchanged, entries } = this.importPlan(v, req.environment, req.text as string);
        for (const name of [...added, ...updated]) {
          const s = v.secrets.get(name) && v.secrets.get(name)!.status !== 'deleted' ? v.secrets.get(name)! : this.addSecret(v, name, {});
          this.addVersion(v, s, req.environment, entries.get(name)!, 'imported');
        }
        this.record({ action: 'import', vaultId: v.id, vault: v.name, environment: req.environment, secrets: [...added, ...updated, ...unchanged], detail: { added: added.length, updated: updated.length, unchanged: unchanged.length } });
        const result: ImportResult = { added, updated, unchanged };
        return result;
      }
      case 'secrets.importFilePreview':
      case 'secrets.importFileApply': {
        // The fake reads every format as NAME=value lines; a .kdbx opens with the password "pw".
        const v = this.vault(req.vault);
        const name = req.fileName as string;
        if (name.endsWith('.kdbx') && req.password !== 'pw') refuse('IMPORT_WRONG_PASSWORD', 'The KeePass database did not open with that password: nothing imported');
        const format = (req.format as ImportFormat | undefined) ?? (name.endsWith('.kdbx') ? 'kdbx' : 'doppler-json');
        const { added, updated, unchanged, entries } = this.importPlan(v, req.environment, atob(req.data as string));
        if (method === 'secrets.importFilePreview') {
          this.record({ action: 'import-preview', vaultId: v.id, vault: v.name, environment: req.environment, secrets: [...updated, ...unchanged] });
          const plan: ImportFilePlan = { format, added, updated, unchanged, skipped: [] };
          return plan;
        }
        for (const n of [...added, ...updated]) {
          const s = v.secrets.get(n) && v.secrets.get(n)!.status !== 'deleted' ? v.secrets.get(n)! : this.addSecret(v, n, {});
          this.addVersion(v, s, req.environment, entries.get(n)!, 'import');
        }
        this.record({ action: 'import', vaultId: v.id, vault: v.name, environment: req.environment, secrets: [...added, ...updated, ...unchanged] });
        const result: ImportResult = { added, updated, unchanged };
        return result;
      }
      case 'secrets.rotate': {
        const v = this.vault(req.vault);
        const s = this.secret(v, req.name);
        const spec = req.generate as GenerateSpec | undefined;
        if (req.rotator && s.rotator?.kind !== 'builtin') refuse('INVALID_INPUT', 'no built-in rotator');
        // A built-in rotator: the "provider" hands out the other login role's new password.
        const byRotator = req.rotator && s.rotator?.kind === 'builtin' ? generate({ format: 'base62', length: 32 }) : undefined;
        const value = (req.value as string | undefined) ?? (spec ? generate(spec) : byRotator ?? refuse('INVALID_INPUT', 'give a value or a generator'));
        const note = (req.note as string | undefined) ?? (byRotator && s.rotator?.kind === 'builtin' ? `rotated by the ${s.rotator.builtin} rotator` : 'rotated');
        const info = this.addVersion(v, s, req.environment, value, note);
        this.record({ action: 'secret-rotated', vaultId: v.id, vault: v.name, secret: req.name, environment: req.environment });
        return info;
      }
      case 'secrets.rollback': {
        const v = this.vault(req.vault);
        const s = this.secret(v, req.name);
        const earlier = s.values.get(req.environment)?.find((x) => x.n === req.to) ?? refuse('NOT_FOUND', 'no such version');
        return this.addVersion(v, s, req.environment, earlier.value, `rolled back to v${earlier.n}`);
      }
      case 'secrets.retire':
      case 'secrets.restore': {
        const s = this.secret(this.vault(req.vault), req.name);
        s.status = method === 'secrets.retire' ? 'retired' : 'active';
        return this.summary(s);
      }
      case 'secrets.setPolicy': {
        const v = this.vault(req.vault);
        const s = this.secret(v, req.name);
        for (const key of ['intervalDays', 'expiresAt'] as const) {
          const x = req[key] as number | null | undefined;
          if (x === null) delete s.policy[key];
          else if (x !== undefined) s.policy[key] = x;
        }
        return this.handle('secrets.get', { vault: req.vault, name: req.name } as never);
      }
      case 'secrets.setRotator': {
        const v = this.vault(req.vault);
        const s = this.secret(v, req.name);
        const r = req.rotator as Omit<Extract<RotatorInfo, { kind: 'builtin' }>, 'kind'> | null;
        if (r && !v.secrets.has(r.admin)) refuse('NOT_FOUND', `no secret ${r.admin}`);
        if (r) s.rotator = { kind: 'builtin', ...r };
        else delete s.rotator;
        return this.handle('secrets.get', { vault: req.vault, name: req.name } as never);
      }
      case 'clipboard.copy': {
        const v = this.vault(req.vault);
        this.secret(v, req.name).values.get(req.environment)?.at(-1) ?? refuse('NOT_FOUND', 'no value');
        const seconds = this.settings.clipboardSeconds;
        this.clipboard = { active: true, clearsAt: seconds === null ? null : this.now() + seconds * 1000, secret: req.name };
        this.record({ action: 'copy', vaultId: v.id, vault: v.name, secret: req.name, environment: req.environment });
        this.emit({ type: 'clipboard', status: this.clipboard });
        return this.clipboard;
      }
      case 'clipboard.clear':
        this.clipboard = { active: false, clearsAt: null };
        this.emit({ type: 'clipboard', status: this.clipboard });
        return undefined;
      case 'clipboard.status':
        return this.clipboard;
      case 'members.list':
        return this.vault(req.vault).members;
      case 'members.invite': {
        this.vault(req.vault);
        return { code: `TSR1-INVITE-${this.nextId++}`, expiresAt: this.now() + ((req.ttlHours as number | undefined) ?? 24) * 3_600_000 };
      }
      case 'members.join': {
        this.joins.set(req.code as string, { vaultName: 'shared', approved: false });
        return { fingerprint: this.me.fingerprint };
      }
      case 'members.completeJoins': {
        const joined = [...this.joins.values()].filter((j) => j.approved).map((j) => j.vaultName);
        return { joined, waiting: this.joins.size - joined.length };
      }
      case 'members.pending':
        return this.vault(req.vault).pending;
      case 'members.approve': {
        const v = this.vault(req.vault);
        // As main: the request of that name with exactly the fingerprint confirmed.
        const request = v.pending.find((p) => p.name === req.name && p.fingerprint === req.fingerprint) ?? refuse('FINGERPRINT_MISMATCH', 'no join request from that name has that fingerprint');
        v.pending = v.pending.filter((p) => p !== request);
        const member: MemberInfo = { memberId: `m${this.nextId++}`, name: request.name, fingerprint: request.fingerprint, role: request.role, environments: request.environments, you: false };
        v.members.push(member);
        this.record({ action: 'approve', vaultId: v.id, vault: v.name, subject: member.memberId });
        return member;
      }
      case 'members.remove': {
        const v = this.vault(req.vault);
        if (!v.members.some((m) => m.memberId === req.memberId)) refuse('NOT_FOUND', 'no such member');
        v.members = v.members.filter((m) => m.memberId !== req.memberId);
        return undefined;
      }
      case 'tokens.list':
      case 'tokens.create':
      case 'tokens.revoke':
        return tokensCall(this.vault(req.vault), method.slice('tokens.'.length) as 'list' | 'create' | 'revoke', req, this.now(), () => this.nextId++);
      case 'devices.list':
      case 'devices.link':
      case 'devices.waiting':
      case 'devices.approve':
      case 'devices.revoke':
        return this.devices.call(method.slice('devices.'.length), req, this.now());
      case 'audit.list': {
        const q = req as unknown as { vault?: string; secret?: string; action?: string; limit?: number };
        return this.audit
          .filter((e) => (!q.vault || e.vaultId === q.vault || e.vault === q.vault) && (!q.secret || e.secret === q.secret) && (!q.action || e.action === q.action))
          .slice(-(q.limit ?? 1000))
          .reverse();
      }
      case 'audit.alerts':
        return this.alerts;
      case 'audit.export': {
        const rows = this.audit.map((e) => `${e.seq},${e.action},${e.secret ?? ''}`);
        return { text: req.format === 'csv' ? ['seq,action,secret', ...rows].join('\n') : JSON.stringify(this.audit) };
      }
      case 'health.report':
        return this.findings.filter((f) => !req.vault || f.vault === req.vault);
      case 'settings.get':
        return this.settings;
      case 'settings.set':
        this.settings = { ...this.settings, ...(req as Partial<Settings>) };
        return this.settings;
      case 'app.openExternal':
        return undefined;
      default:
        return refuse('INTERNAL', `${method} is not faked`);
    }
  }
}
