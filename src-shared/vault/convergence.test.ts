// Replicas that edit concurrently and exchange updates in any order end up identical:
// same secrets, same fields, same history, same current value. Nothing written is lost
// unless someone deleted it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MetaScope } from './meta-scope';
import { ValuesScope } from './values-scope';

interface Replica {
  meta: MetaScope;
  values: ValuesScope;
  by: string;
}

function replica(i: number): Replica {
  const metaDoc = new Y.Doc();
  const valuesDoc = new Y.Doc();
  metaDoc.clientID = 1000 + i;
  valuesDoc.clientID = 2000 + i;
  return { meta: new MetaScope(metaDoc), values: new ValuesScope(valuesDoc), by: `member${i}` };
}

function sync(from: Replica, to: Replica): void {
  Y.applyUpdate(to.meta.doc, Y.encodeStateAsUpdate(from.meta.doc, Y.encodeStateVector(to.meta.doc)));
  Y.applyUpdate(to.values.doc, Y.encodeStateAsUpdate(from.values.doc, Y.encodeStateVector(to.values.doc)));
}

function view(r: Replica) {
  return r.meta.secrets({ includeDeleted: true }).map((s) => ({
    ...s,
    history: r.values.history(s.id).map((v) => [v.n, v.value, v.by, r.values.validUntil(v.id)]),
    current: r.values.current(s.id)?.value,
  }));
}

const NAMES = ['API_KEY', 'DB_URL', 'TOKEN'];
const op = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), who: fc.nat(2), name: fc.constantFrom(...NAMES), id: fc.constantFrom('a1', 'b2', 'c3', 'd4') }),
  fc.record({ kind: fc.constant('edit' as const), who: fc.nat(2), name: fc.constantFrom(...NAMES), description: fc.string({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('value' as const), who: fc.nat(2), name: fc.constantFrom(...NAMES), value: fc.string({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('purge' as const), who: fc.nat(2), name: fc.constantFrom(...NAMES) }),
  fc.record({ kind: fc.constant('grace' as const), who: fc.nat(2), name: fc.constantFrom(...NAMES), days: fc.nat(30) }),
  fc.record({ kind: fc.constant('sync' as const), who: fc.nat(2), to: fc.nat(2) }),
);

describe('concurrent edits converge', () => {
  it('every replica ends with the same secrets, fields and history, whatever the order', () => {
    let versionSeq = 0;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.nat(1000), (ops, t0) => {
        const rs = [replica(0), replica(1), replica(2)];
        let clock = t0;
        for (const o of ops) {
          const r = rs[o.who]!;
          const author = { by: r.by, at: clock++ };
          const s = 'name' in o ? r.meta.secretByName(o.name) : undefined;
          if (o.kind === 'create' && !s && !r.meta.secretById(o.id + r.by)) r.meta.createSecret(o.id + r.by, { name: o.name }, author);
          if (o.kind === 'edit' && s) r.meta.updateSecret(s.id, { description: o.description }, author);
          if (o.kind === 'value' && s) r.values.addVersion(`v${versionSeq++}`, s.id, o.value, author);
          if (o.kind === 'grace' && s) {
            const first = r.values.history(s.id)[0];
            if (first) r.values.setValidUntil(s.id, first.id, author.at + o.days, author);
          }
          if (o.kind === 'purge' && s) {
            r.values.purge(s.id);
            r.meta.deleteSecret(s.id, author);
          }
          if (o.kind === 'sync') sync(r, rs[o.to]!);
        }
        for (const a of rs) for (const b of rs) if (a !== b) sync(a, b);
        const views = rs.map(view);
        expect(views[1]).toEqual(views[0]);
        expect(views[2]).toEqual(views[0]);
      }),
      { numRuns: 300 },
    );
  });

  it('two devices writing the same secret at once keep both versions and agree on the current one', () => {
    const [a, b] = [replica(0), replica(1)];
    a.meta.createSecret('s1', { name: 'STRIPE_KEY' }, { by: 'alice', at: 1 });
    sync(a, b);
    a.values.addVersion('va', 's1', 'from-a', { by: 'alice', at: 10 });
    b.values.addVersion('vb', 's1', 'from-b', { by: 'bob', at: 11 });
    sync(a, b);
    sync(b, a);
    expect(a.values.history('s1').map((v) => v.value)).toEqual(['from-a', 'from-b']);
    expect(b.values.history('s1')).toEqual(a.values.history('s1'));
    expect(a.values.current('s1')?.value).toBe('from-b'); // same n: the later time wins
    expect(b.values.current('s1')?.value).toBe('from-b');
  });

  it('concurrent edits to different fields of one secret both survive', () => {
    const [a, b] = [replica(0), replica(1)];
    a.meta.createSecret('s1', { name: 'DB_URL' }, { by: 'alice', at: 1 });
    sync(a, b);
    a.meta.updateSecret('s1', { description: 'primary database' }, { by: 'alice', at: 5 });
    b.meta.updateSecret('s1', { tags: ['db'] }, { by: 'bob', at: 6 });
    sync(a, b);
    sync(b, a);
    for (const r of [a, b]) expect(r.meta.secretById('s1')).toMatchObject({ description: 'primary database', tags: ['db'] });
  });

  it('ignores malformed records from a buggy or hostile client', () => {
    const [a, hostile] = [replica(0), replica(1)];
    a.meta.createSecret('s1', { name: 'OK_KEY' }, { by: 'alice', at: 1 });
    a.values.addVersion('v1', 's1', 'fine', { by: 'alice', at: 2 });
    expect(a.meta.secrets().map((s) => s.name)).toEqual(['OK_KEY']); // indexes built before the garbage arrives
    hostile.meta.doc.getArray('secrets').push(['s x', 'garbage', 'x nope 1 2 3 {}', 's s2 1 2 bob not-json', 's s1 9 9 bob {"name":42}', 7]);
    hostile.values.doc.getArray('versions').push(['v s1 2 3 v2 not-json', 'v', 'v s1 x y z []', 'v s1 9 9 v9 [1,2,3]', {}]);
    sync(hostile, a);
    expect(a.meta.secrets().map((s) => s.name)).toEqual(['OK_KEY']);
    expect(a.values.current('s1')?.value).toBe('fine');
    expect(a.values.history('s1').map((v) => v.value)).toEqual(['fine']);
  });
});
