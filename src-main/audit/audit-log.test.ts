import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { AuditEventInput } from '../../src-shared/audit/events';
import { tempHome } from '../../test/helpers/temp-home';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { createMemoryKeychain } from '../keychain/memory-keychain';
import { createProfile, unlockProfile } from '../profile/profile';
import { openAuditLog, type AuditLogOptions } from './audit-log';
import { auditPaths } from './audit-paths';
import { noteFailedUnlock } from './pending';
import { recordAt } from './records';

async function setup(opts: AuditLogOptions = {}) {
  const home = await tempHome();
  const keychain = createMemoryKeychain();
  const session = await createProfile(nodeSuite, home, { name: 'Alice', keychain });
  const log = await openAuditLog(session, opts);
  return { home, keychain, session, log, paths: auditPaths(home) };
}

const reveal = (secret: string, environment = 'production', vault = 'Payments'): AuditEventInput => ({ action: 'reveal', vault, vaultId: `id-${vault}`, secret, environment });

/** Byte ranges of every record in a log file, in order. */
function recordRanges(buf: Uint8Array): { start: number; end: number; seq: number; type: string }[] {
  const out: { start: number; end: number; seq: number; type: string }[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const r = recordAt(buf, pos);
    if (r.kind !== 'record') throw new Error(`no record at ${pos}`);
    out.push({ start: r.offset, end: r.end, seq: r.seq, type: r.type });
    pos = r.end;
  }
  return out;
}

async function fill(log: Awaited<ReturnType<typeof openAuditLog>>, n: number): Promise<void> {
  // Names of one length, so that records can be swapped byte for byte.
  for (let i = 0; i < n; i++) await log.record(reveal(`KEY_${String(i).padStart(3, '0')}`, i % 2 ? 'prod' : 'test', i % 3 ? 'Pay' : 'Ads'));
}

describe('the local audit log', () => {
  it('records events with who, where and when, and queries them newest first by vault, secret, action and time', async () => {
    let now = 1_000_000;
    const { log, session } = await setup({ clock: () => now });
    await log.record({ action: 'unlock', detail: { method: 'keychain' } });
    now += 1000;
    await log.record(reveal('STRIPE_KEY'));
    now += 1000;
    await log.record({ action: 'copy', vault: 'Payments', vaultId: 'id-Payments', secret: 'DB_URL', environment: 'staging' });
    now += 1000;
    await log.record({ action: 'export', vault: 'Search', vaultId: 'id-Search', secrets: ['ALGOLIA_KEY', 'STRIPE_KEY'], detail: { count: 2, destination: 'dotenv' } });

    const all = await log.query();
    expect(all.map((e) => e.action)).toEqual(['export', 'copy', 'reveal', 'unlock']);
    expect(all[0]).toMatchObject({ by: session.memberId, device: session.profile.profileId, at: 1_003_000, seq: 3 });
    expect((await log.query({ vault: 'Payments' })).map((e) => e.action)).toEqual(['copy', 'reveal']);
    expect((await log.query({ vault: 'id-Search' })).map((e) => e.action)).toEqual(['export']);
    expect((await log.query({ secret: 'STRIPE_KEY' })).map((e) => e.action)).toEqual(['export', 'reveal']);
    expect((await log.query({ action: 'copy' })).map((e) => e.secret)).toEqual(['DB_URL']);
    expect((await log.query({ since: 1_002_000 })).map((e) => e.action)).toEqual(['export', 'copy']);
    expect((await log.query({ limit: 1 })).map((e) => e.action)).toEqual(['export']);
  });

  it('is sealed: names in events are not readable in the files, and another profile cannot open them', async () => {
    const { log, paths, home, keychain } = await setup();
    await log.record(reveal('VERY_DISTINCTIVE_SECRET_NAME'));
    await log.close();
    const raw = Buffer.concat([await readFile(paths.log), await readFile(paths.head)]);
    expect(raw.includes('VERY_DISTINCTIVE_SECRET_NAME')).toBe(false);
    expect(raw.includes('Payments')).toBe(false);

    // The same profile unlocked again reads it.
    const { session } = await unlockProfile(nodeSuite, home, { keychain });
    const again = await openAuditLog(session);
    expect((await again.query()).map((e) => e.secret)).toEqual(['VERY_DISTINCTIVE_SECRET_NAME']);
    expect((await again.verify()).ok).toBe(true);
  });

  it('exports CSV and JSON, defusing spreadsheet formulas in names', async () => {
    const { log } = await setup({ clock: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
    await log.record({ action: 'secret-created', vault: 'Ops, "prod"', secret: '=HYPERLINK("x")', detail: { field: 'value' } });
    const csv = await log.export({}, 'csv');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,time,action,vault,vaultId,secret,environment,subject,by,device,detail');
    expect(lines[1]).toContain('2026-01-02T03:04:05.000Z,secret-created,"Ops, ""prod""",,"\'=HYPERLINK(""x"")"');
    const json = JSON.parse(await log.export({ action: 'secret-created' }, 'json'));
    expect(json).toHaveLength(1);
    expect(json[0].secret).toBe('=HYPERLINK("x")');
  });

  it('verifies a whole chain with signed checkpoints', async () => {
    const { log, paths } = await setup({ checkpointEvery: 5 });
    await fill(log, 23);
    const r = await log.verify();
    // Records 5, 10, 15, 20, 25 are checkpoints: 23 events need 28 records.
    expect(r).toMatchObject({ ok: true, events: 23, checkpoints: 5, records: 28 });
    const types = recordRanges(await readFile(paths.log)).map((x) => x.type);
    expect(types.filter((t) => t === 'checkpoint')).toHaveLength(5);
    expect(types[5]).toBe('checkpoint');
  });

  describe('names the first broken link', () => {
    // 12 events with a checkpoint before every fifth record: records 0–13 (checkpoints 5 and 10).
    const recs = (n: number) => n + 1;

    async function tampered(change: (buf: Buffer, records: ReturnType<typeof recordRanges>) => Buffer) {
      const s = await setup({ checkpointEvery: 5 });
      await fill(s.log, 12);
      expect((await s.log.verify()).ok).toBe(true);
      const buf = await readFile(s.paths.log);
      await writeFile(s.paths.log, change(buf, recordRanges(buf)));
      return s.log.verify();
    }

    it('an edited event (one flipped byte inside its seal)', async () => {
      const r = await tampered((buf, recs) => {
        buf[recs[7]!.end - 3]! ^= 1;
        return buf;
      });
      expect(r.ok).toBe(false);
      expect(r.broken).toMatchObject({ seq: 7, reason: 'edited' });
      expect(r.broken!.message).toContain('#7');
    });

    it('an edited checkpoint', async () => {
      const r = await tampered((buf, recs) => {
        buf[recs[5]!.end - 1]! ^= 0x80;
        return buf;
      });
      expect(r.broken).toMatchObject({ seq: 5, reason: 'edited' });
    });

    it('an edited link (the previous-hash field)', async () => {
      const r = await tampered((buf, recs) => {
        buf[recs[3]!.start + 6 + 8]! ^= 1;
        return buf;
      });
      expect(r.broken).toMatchObject({ seq: 3, reason: 'edited' });
    });

    it('a deleted event', async () => {
      const r = await tampered((buf, recs) => Buffer.concat([buf.subarray(0, recs[4]!.start), buf.subarray(recs[4]!.end)]));
      expect(r.broken).toMatchObject({ seq: 4, reason: 'deleted' });
      expect(r.records).toBe(4);
    });

    it('two events swapped', async () => {
      const r = await tampered((buf, recs) =>
        Buffer.concat([buf.subarray(0, recs[2]!.start), buf.subarray(recs[3]!.start, recs[3]!.end), buf.subarray(recs[2]!.start, recs[2]!.end), buf.subarray(recs[3]!.end)]),
      );
      expect(r.broken).toMatchObject({ seq: 2, reason: 'reordered' });
    });

    it('the last events cut off', async () => {
      const r = await tampered((buf, recs) => buf.subarray(0, recs[recs.length - 2]!.start));
      expect(r.broken).toMatchObject({ seq: recs(13) - 2, reason: 'truncated' });
    });

    it('a cut in the middle of the last event', async () => {
      const r = await tampered((buf) => buf.subarray(0, buf.length - 10));
      expect(r.broken).toMatchObject({ seq: recs(13) - 1, reason: 'truncated' });
    });

    it('the whole log emptied', async () => {
      const r = await tampered(() => Buffer.alloc(0));
      expect(r.broken).toMatchObject({ seq: 0, reason: 'truncated' });
    });

    it('an event copied over another with its chain re-hashed (no key, so its seal fails)', async () => {
      const r = await tampered((buf, recs) => {
        // Put record 8's sealed part in record 9's place, keeping 9's header: only the seal can tell.
        const nine = Buffer.from(buf.subarray(recs[9]!.start, recs[9]!.end));
        const eight = buf.subarray(recs[8]!.start, recs[8]!.end);
        expect(eight.length).toBe(nine.length);
        eight.copy(nine, 6 + 40, 6 + 40);
        return Buffer.concat([buf.subarray(0, recs[9]!.start), nine, buf.subarray(recs[9]!.end)]);
      });
      expect(r.broken).toMatchObject({ seq: 9, reason: 'edited' });
    });

  });

  it('detects a flipped bit at every byte of the log', async () => {
    const { log, paths } = await setup({ checkpointEvery: 3 });
    await fill(log, 5);
    const good = await readFile(paths.log);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 1 << (i % 8);
      await writeFile(paths.log, bad);
      const r = await log.verify();
      if (r.ok) throw new Error(`a flip at byte ${i} went unnoticed`);
    }
  });

  it('notices a missing or altered head file', async () => {
    const { log, paths } = await setup();
    await fill(log, 3);
    const head = await readFile(paths.head);
    head[0]! ^= 1;
    await writeFile(paths.head, head);
    expect((await log.verify()).broken?.reason).toBe('head');
    await writeFile(paths.head, Buffer.alloc(0));
    expect((await log.verify()).broken?.reason).toBe('head');
  });

  it('a cut log stays broken after later appends, which record the cut once', async () => {
    const { log, paths } = await setup();
    await fill(log, 6);
    const buf = await readFile(paths.log);
    await writeFile(paths.log, buf.subarray(0, recordRanges(buf)[4]!.start));
    await log.record({ action: 'lock', detail: { reason: 'quit' } });
    await log.record({ action: 'lock', detail: { reason: 'idle' } });
    const r = await log.verify();
    expect(r.broken).toMatchObject({ seq: 4, reason: 'truncated' });
    const tampering = await log.query({ action: 'tampering' });
    expect(tampering).toHaveLength(1);
    expect(tampering[0]!.detail).toMatchObject({ reason: 'truncated', seq: 4 });
    expect((await log.alerts()).map((a) => a.rule)).toContain('tampering');
  });

  it('a removed head file is noticed by the next append', async () => {
    const { log, paths } = await setup();
    await fill(log, 2);
    await writeFile(paths.head, '');
    await rm(paths.head);
    await log.record({ action: 'lock' });
    expect((await log.verify()).broken?.reason).toBe('head');
    expect((await log.query({ action: 'tampering' }))[0]?.detail).toMatchObject({ reason: 'head' });
  });

  it('verify with record notes an edited event as tampering once, however often it runs', async () => {
    const { log, paths } = await setup();
    await fill(log, 4);
    const buf = await readFile(paths.log);
    buf[recordRanges(buf)[1]!.end - 1]! ^= 1;
    await writeFile(paths.log, buf);
    for (let i = 0; i < 3; i++) expect((await log.verify({ record: true })).broken).toMatchObject({ seq: 1, reason: 'edited' });
    const noted = await log.query({ action: 'tampering' });
    expect(noted).toHaveLength(1);
    expect(noted[0]!.detail).toMatchObject({ source: 'the audit log', seq: 1, reason: 'edited' });
  });

  it('a crash mid-append leaves a partial record: still valid, set aside by the next append', async () => {
    const { log, paths, home, keychain } = await setup();
    await fill(log, 3);
    const buf = await readFile(paths.log);
    const last = recordRanges(buf).at(-1)!;
    await writeFile(paths.log, Buffer.concat([buf, buf.subarray(last.start, last.start + 20)]));
    expect(await log.verify()).toMatchObject({ ok: true, tornTail: true, events: 3 });

    // Another process appends next: it finds the partial record, keeps it aside and goes on.
    const { session } = await unlockProfile(nodeSuite, home, { keychain });
    const other = await openAuditLog(session);
    await other.record({ action: 'lock', detail: { reason: 'idle' } });
    expect(await other.verify()).toMatchObject({ ok: true, tornTail: false, events: 4 });
    expect((await readdir(paths.dir)).filter((f) => f.startsWith('audit.log.torn-'))).toHaveLength(1);
    expect((await other.query()).map((e) => e.action)).toEqual(['lock', 'reveal', 'reveal', 'reveal']);
  });

  it('two processes appending at once keep one unbroken chain and lose nothing', async () => {
    const { log, home, keychain } = await setup({ checkpointEvery: 7 });
    const { session } = await unlockProfile(nodeSuite, home, { keychain });
    const other = await openAuditLog(session, { checkpointEvery: 7 });
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(log.record(reveal(`A_${i}`)));
      writes.push(other.record(reveal(`B_${i}`)));
      if (i % 5 === 0) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    expect(await log.verify()).toMatchObject({ ok: true, events: 80 });
    const names = (await other.query()).map((e) => e.secret!);
    expect(new Set(names).size).toBe(80);
    // Each writer's own events stay in the order it recorded them.
    const mine = names.filter((n) => n.startsWith('A_')).reverse();
    expect(mine).toEqual(Array.from({ length: 40 }, (_, i) => `A_${i}`));
  });

  it('failed unlocks noted while locked enter the log at the next unlock', async () => {
    const { home, keychain, log } = await setup();
    await log.close();
    await noteFailedUnlock(home, 'passphrase', 5000);
    await noteFailedUnlock(home, 'keychain', 6000);
    const { session } = await unlockProfile(nodeSuite, home, { keychain });
    const again = await openAuditLog(session);
    const failed = await again.query({ action: 'unlock-failed' });
    expect(failed.map((e) => [e.at, e.detail?.method])).toEqual([[6000, 'keychain'], [5000, 'passphrase']]);
    // Taken once only.
    const third = await openAuditLog(session);
    expect(await third.query({ action: 'unlock-failed' })).toHaveLength(2);
    expect((await third.verify()).ok).toBe(true);
  });

  it('refuses appends after close', async () => {
    const { log } = await setup();
    await log.close();
    await expect(log.record({ action: 'lock' })).rejects.toMatchObject({ code: 'VAULT_LOCKED' });
  });
});
