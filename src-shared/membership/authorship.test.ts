/**
 * The authorship rule, case by case: a change is judged at the membership head it names,
 * with the epoch of that head, and a removed member's changes beyond their pinned last change
 * are refused whatever head they claim. Also the environments entry: owners only, every
 * environment exactly once, names bound to their scopes.
 */
import { describe, expect, it } from 'vitest';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { fromHex } from '../crypto/bytes';
import { envelopeHash, decodeEnvelope, sealEnvelope, LEGACY_ENVELOPE_VERSION, ZERO_HASH, type Envelope, type LogHeadRef } from '../envelope/envelope';
import { isTesseraError } from '../errors';
import { checkAuthorship } from './authorship';
import { applyEntry } from './chain';
import { changeMember, nameEnvironments, removeMember, rotateKeys } from './builders';
import { encodeEntry, decodeEntry, entryHash } from './entry';
import { aliceBobCarol, append, type Person } from './fixtures';
import { environmentNames } from './keys';
import { accessAt, epochAt } from './state';

const suite = nodeSuite;

function setup() {
  const t = aliceBobCarol(suite);
  const hashAt = (seq: number) => (t.log.entries[seq] ? entryHash(t.log.entries[seq]!) : undefined);
  const head = (seq: number): LogHeadRef => ({ seq, hash: hashAt(seq)! });
  /** An update by `who` of `scope` sealed under `epoch`, naming head `seq`. */
  const change = (who: Person, scope: string, seq: number, counter = 1, epoch = epochAt(t.log.state, scope, seq)!): Envelope => {
    const key = t.log.allKeys.get(scope)!.get(epoch)!;
    const bytes = sealEnvelope(
      suite,
      { kind: 'update', vaultId: t.vault.vaultId, scopeId: fromHex(scope), epoch, counter, prevHash: ZERO_HASH, covers: 0, logHead: head(seq) },
      new Uint8Array([1]),
      key,
      who.signing,
    );
    return decodeEnvelope(bytes);
  };
  const verdict = (env: Envelope, scope: string): string => {
    try {
      checkAuthorship(t.log.state, env, scope, { entryHash: hashAt });
      return 'accepted';
    } catch (e) {
      if (!isTesseraError(e)) throw e;
      return e.code === 'NO_ACCESS' ? String(e.details.reason) : e.code;
    }
  };
  return { ...t, hashAt, head, change, verdict };
}

describe('who may have written a change', () => {
  it('judges it at the head it names: an editor made a viewer later keeps the changes made before', () => {
    const t = setup();
    const asEditor = t.change(t.bob, t.dev, 2);
    append(t.log, changeMember(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { member: t.bob.identity.signPublicKey, role: 'viewer', envScopes: [t.dev, t.staging] }));
    expect(t.verdict(asEditor, t.dev)).toBe('accepted');
    expect(t.verdict(t.change(t.bob, t.dev, 3, 2), t.dev)).toBe('AUTHOR_MAY_NOT_WRITE'); // a viewer now
    expect(accessAt(t.log.state, t.bob.identity.signPublicKey, 2)?.role).toBe('editor');
    expect(accessAt(t.log.state, t.bob.identity.signPublicKey, 3)?.role).toBe('viewer');
  });

  it('refuses a viewer, a scope the author does not read, a head before the author was added, and a stranger', () => {
    const t = setup();
    expect(t.verdict(t.change(t.carol, t.dev, 2), t.dev)).toBe('AUTHOR_MAY_NOT_WRITE');
    expect(t.verdict(t.change(t.bob, t.prod, 2), t.prod)).toBe('AUTHOR_MAY_NOT_WRITE');
    expect(t.verdict(t.change(t.bob, t.dev, 0), t.dev)).toBe('AUTHOR_MAY_NOT_WRITE'); // Bob came at seq 1
    expect(t.verdict(t.change(t.alice, t.prod, 2), t.prod)).toBe('accepted');
  });

  it('needs the epoch of that head, a head we hold, and the entry we hold there', () => {
    const t = setup();
    append(t.log, rotateKeys(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { scopes: [t.dev] }));
    expect(t.verdict(t.change(t.bob, t.dev, 3, 1, 1), t.dev)).toBe('WRONG_EPOCH'); // the old key after the rotation
    expect(t.verdict(t.change(t.bob, t.dev, 2, 1, 1), t.dev)).toBe('accepted'); // the old key before it
    const ahead = t.change(t.bob, t.dev, 3);
    const beyond = decodeEnvelope(
      sealEnvelope(suite, { ...ahead, logHead: { seq: 9, hash: ZERO_HASH } }, new Uint8Array([1]), t.log.allKeys.get(t.dev)!.get(2)!, t.bob.signing),
    );
    expect(t.verdict(beyond, t.dev)).toBe('MEMBERSHIP_BEHIND');
    const otherHistory = decodeEnvelope(
      sealEnvelope(suite, { ...ahead, logHead: { seq: 3, hash: new Uint8Array(32).fill(7) } }, new Uint8Array([1]), t.log.allKeys.get(t.dev)!.get(2)!, t.bob.signing),
    );
    expect(t.verdict(otherHistory, t.dev)).toBe('LOG_FORKED');
  });

  it('refuses a removed member beyond the last change their removal pinned, whatever head they claim', () => {
    const t = setup();
    const last = t.change(t.bob, t.dev, 2, 3);
    append(
      t.log,
      removeMember(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), {
        member: t.bob.identity.signPublicKey,
        lastChanges: [
          { scopeId: fromHex(t.dev), counter: 3, hash: envelopeHash(last.bytes) },
          { scopeId: fromHex(t.meta), counter: 0, hash: ZERO_HASH },
        ],
      }),
    );
    expect(t.verdict(last, t.dev)).toBe('accepted'); // written before the removal: kept
    expect(t.verdict(t.change(t.bob, t.dev, 2, 2), t.dev)).toBe('accepted');
    // After the removal, Bob still holds the old keys and claims the old head:
    expect(t.verdict(t.change(t.bob, t.dev, 2, 4), t.dev)).toBe('AFTER_REMOVAL');
    expect(t.verdict(t.change(t.bob, t.meta, 2, 1), t.meta)).toBe('AFTER_REMOVAL'); // pinned at none
    const other = t.change(t.bob, t.dev, 2, 3); // same counter, other content
    expect(t.verdict(other, t.dev)).toBe('AFTER_REMOVAL');
    // Staging was not pinned (say the remover did not read it): the head rule alone.
    expect(t.verdict(t.change(t.bob, t.staging, 2, 1), t.staging)).toBe('accepted');
    expect(t.verdict(t.change(t.bob, t.staging, 3, 1, 1), t.staging)).toBe('AUTHOR_MAY_NOT_WRITE'); // at the removal
  });

  it('accepts a format 1 change only from a current writer', () => {
    const t = setup();
    const v2 = t.change(t.bob, t.dev, 2);
    const legacy = { ...v2, version: LEGACY_ENVELOPE_VERSION };
    expect(t.verdict(legacy, t.dev)).toBe('accepted');
    append(t.log, removeMember(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { member: t.bob.identity.signPublicKey }));
    expect(t.verdict(legacy, t.dev)).toBe('AUTHOR_MAY_NOT_WRITE');
  });
});

describe('the environments entry', () => {
  it('binds names to scopes for every member to read, and only an owner may write it', () => {
    const t = setup();
    const names = [
      { scopeId: t.dev, name: 'development' },
      { scopeId: t.staging, name: 'staging' },
      { scopeId: t.prod, name: 'production' },
    ];
    append(t.log, nameEnvironments(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { names }));
    expect(environmentNames(suite, t.log.state, t.keysOf(t.carol).get(t.meta)!)).toEqual(names);

    // Bob, an editor, signs the same entry with development and production swapped.
    const swapped = [names[2]!, names[1]!, names[0]!].map((n, i) => ({ scopeId: names[i]!.scopeId, name: n.name }));
    const template = decodeEntry(nameEnvironments(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { names: swapped }).bytes);
    const byBob = encodeEntry(suite, { vaultId: t.vault.vaultId, seq: template.seq, prevHash: template.prevHash, at: 1 }, template.body, t.bob.signing);
    expect(() => append(t.log, { bytes: byBob, state: applyOrThrow(t, byBob), newKeys: new Map() })).toThrow(/cannot name environments/);
  });

  it('must name every environment once, and a name cannot be moved to another scope', () => {
    const t = setup();
    expect(() => nameEnvironments(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), { names: [{ scopeId: t.dev, name: 'development' }] })).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ reason: 'UNKNOWN_SCOPE' }) }),
    );
    const built = nameEnvironments(suite, t.log.state, t.alice.signing, t.keysOf(t.alice), {
      names: [t.dev, t.staging, t.prod].map((scopeId, i) => ({ scopeId, name: `env-${i}` })),
    });
    // Move development's sealed name onto production's scope (say, a relay swapping them: the
    // signature would fail; here the owner's own buggy client does it and signs).
    const body = decodeEntry(built.bytes).body as Extract<ReturnType<typeof decodeEntry>['body'], { kind: 'environments' }>;
    const moved = { kind: 'environments' as const, names: [{ scopeId: body.names[0]!.scopeId, sealedName: body.names[2]!.sealedName }, body.names[1]!, { scopeId: body.names[2]!.scopeId, sealedName: body.names[0]!.sealedName }] };
    const entry = encodeEntry(suite, { vaultId: t.vault.vaultId, seq: built.state.head.seq, prevHash: t.log.state.head.hash, at: 1 }, moved, t.alice.signing);
    append(t.log, { bytes: entry, state: applyOrThrow(t, entry), newKeys: new Map() });
    expect(() => environmentNames(suite, t.log.state, t.keysOf(t.alice).get(t.meta)!)).toThrow(expect.objectContaining({ code: 'TAMPERED' }));
  });
});

function applyOrThrow(t: ReturnType<typeof setup>, bytes: Uint8Array) {
  return applyEntry(suite, t.log.state, bytes);
}
