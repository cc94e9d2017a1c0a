import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { MetaScope } from './meta-scope';
import { recordAuthors } from './record-authors';
import { encodeGrace, encodeVersion } from './records';

/** The update a change to a fresh copy of `base` makes. */
function updateOf(base: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  const before = Y.encodeStateVector(doc);
  change(doc);
  return Y.encodeStateAsUpdate(doc, before);
}

describe('who an update says wrote its records', () => {
  it('names the writer of every patch, version and grace record it adds, and nothing else', () => {
    const base = new Y.Doc();
    new MetaScope(base).createSecret('s1', { name: 'OLD' }, { by: 'old-writer', at: 1 });
    const update = updateOf(base, (doc) => {
      new MetaScope(doc).createSecret('s2', { name: 'API_KEY' }, { by: 'aaaa', at: 2 });
      doc.getArray<string>('versions').push([
        encodeVersion({ secretId: 's2', n: 1, at: 2, versionId: 'v1' }, 'bbbb', '', 'value'),
        encodeGrace({ secretId: 's2', versionId: 'v1', at: 3, by: 'cccc', validUntil: 9 }),
        'not a record',
      ]);
      // A map value shaped like a record is not one: names and display names live in maps.
      doc.getMap('members').set('dddd', 's x 1 2 eeee {}');
    });
    expect([...recordAuthors(update)].sort()).toEqual(['aaaa', 'bbbb', 'cccc']);
  });

  it('throws on bytes that are not an update', () => {
    expect(() => recordAuthors(new Uint8Array([9, 9, 9]))).toThrow();
  });
});
