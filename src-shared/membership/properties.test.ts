/**
 * Random histories: an owner adds, changes, removes and rotates at random. Whatever the
 * history, the chain verifies to the membership a plain model predicts, every member
 * recovers exactly the keys of what they may read (all epochs, so history stays readable)
 * and nothing current of what they may not, and any single corrupted byte is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { toHex } from '../crypto/bytes';
import { isTesseraError } from '../errors';
import { addMember, changeMember, removeMember, rotateKeys } from './builders';
import { applyEntry, verifyChain } from './chain';
import type { Role } from './entry';
import { append, newVault, person, type Person } from './fixtures';
import { keysFor } from './keys';
import { canRead, currentMembers, readableScopes } from './state';

const suite = nodeSuite;
const ENVS = 3;
const PEOPLE = 5;

type Op =
  | { op: 'add'; who: number; role: Role; envs: boolean[] }
  | { op: 'change'; who: number; role: Role; envs: boolean[] }
  | { op: 'remove'; who: number }
  | { op: 'rotate'; scopes: boolean[] };

const envMask = fc.array(fc.boolean(), { minLength: ENVS, maxLength: ENVS });
const role = fc.constantFrom<Role>('owner', 'admin', 'editor', 'viewer');
const who = fc.integer({ min: 0, max: PEOPLE - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), who, role, envs: envMask }),
  fc.record({ op: fc.constant('change' as const), who, role, envs: envMask }),
  fc.record({ op: fc.constant('remove' as const), who }),
  fc.record({ op: fc.constant('rotate' as const), scopes: fc.array(fc.boolean(), { minLength: ENVS + 1, maxLength: ENVS + 1 }) }),
);

// People are made once: deriving keys is the slow part of each run.
const alice = person(suite, 'Alice');
const people = Array.from({ length: PEOPLE }, (_, i) => person(suite, `P${i}`));

/** Runs the ops the owner can do (skipping those that do not apply) and the plain model beside it. */
function play(ops: readonly Op[]) {
  const vault = newVault(suite, alice, ENVS);
  const { log, envs } = vault;
  const model = new Map<Person, { role: Role; envs: Set<string> }>([[alice, { role: 'owner', envs: new Set(envs) }]]);
  const pick = (mask: boolean[], r: Role) => (r === 'owner' ? [...envs] : envs.filter((_, i) => mask[i]));
  for (const o of ops) {
    if (o.op === 'rotate') {
      const scopes = [vault.meta, ...envs].filter((_, i) => o.scopes[i]);
      if (scopes.length > 0) append(log, rotateKeys(suite, log.state, alice.signing, log.allKeys, { scopes }));
      continue;
    }
    const p = people[o.who]!;
    const m = model.get(p);
    if (o.op === 'add' && !m) {
      const scopes = pick(o.envs, o.role);
      append(log, addMember(suite, log.state, alice.signing, log.allKeys, { identity: p.identity, name: p.name, role: o.role, envScopes: scopes }));
      model.set(p, { role: o.role, envs: new Set(scopes) });
    } else if (o.op === 'change' && m) {
      const scopes = pick(o.envs, o.role);
      append(log, changeMember(suite, log.state, alice.signing, log.allKeys, { member: p.identity.signPublicKey, role: o.role, envScopes: scopes }));
      model.set(p, { role: o.role, envs: new Set(scopes) });
    } else if (o.op === 'remove' && m) {
      append(log, removeMember(suite, log.state, alice.signing, log.allKeys, { member: p.identity.signPublicKey }));
      model.delete(p);
    }
  }
  return { vault, log, model };
}

const history = fc.array(opArb, { minLength: 1, maxLength: 10 });

describe('random membership histories', () => {
  it('verify, and every member holds exactly the keys canRead says', () => {
    fc.assert(
      fc.property(history, (ops) => {
        const { vault, log, model } = play(ops);
        const state = verifyChain(suite, log.state.genesisHash, log.entries);
        expect(state.head).toEqual(log.state.head);
        expect(new Set(currentMembers(state).map((m) => toHex(m.identity.signPublicKey)))).toEqual(new Set([...model.keys()].map((p) => toHex(p.identity.signPublicKey))));
        const all = [vault.meta, ...vault.envs];
        for (const p of [alice, ...people]) {
          const expected = model.get(p);
          const readable = expected ? [vault.meta, ...vault.envs.filter((s) => expected.envs.has(s))] : [];
          expect(readableScopes(state, p.identity.signPublicKey)).toEqual(readable);
          if (expected) expect(state.members.get(toHex(p.identity.signPublicKey))?.role).toBe(expected.role);
          if (!state.members.has(toHex(p.identity.signPublicKey))) continue; // never added
          const keys = keysFor(suite, state, log.entries, p.secrets);
          for (const scope of all) {
            const current = state.epochs.get(scope)!;
            const held = keys.get(scope);
            expect(canRead(state, p.identity.signPublicKey, scope)).toBe(readable.includes(scope));
            if (readable.includes(scope)) {
              // Every epoch, from the first: history stays readable to those who may read now.
              expect([...held!.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: current }, (_, i) => i + 1));
            } else {
              expect(held?.has(current) ?? false).toBe(false);
            }
            for (const [epoch, key] of held ?? []) expect(key).toEqual(log.allKeys.get(scope)!.get(epoch));
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('any single corrupted byte of any entry is refused', () => {
    fc.assert(
      fc.property(history, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (ops, i, pos, xor) => {
        const { log } = play(ops);
        const index = i % log.entries.length;
        const bytes = log.entries[index]!.slice();
        bytes[pos % bytes.length]! ^= xor;
        const entries = [...log.entries];
        entries[index] = bytes;
        let refused = false;
        try {
          verifyChain(suite, log.state.genesisHash, entries);
        } catch (e) {
          refused = isTesseraError(e, 'TAMPERED');
          if (!refused) throw e;
        }
        expect(refused).toBe(true);
        // Applied alone on top of the real chain, a corrupted copy of the head is refused too.
        const prior = index === 0 ? undefined : verifyChain(suite, log.state.genesisHash, log.entries.slice(0, index));
        if (prior) expect(() => applyEntry(suite, prior, bytes)).toThrow();
      }),
      { numRuns: 40 },
    );
  });
});
