/**
 * Who a Yjs update says wrote its records. Every record (a metadata patch, a value version, a
 * grace record; records.ts) carries `by`, the member id of its writer, which history, the
 * timeline and reference checks show and trust. The envelope's signature says who really
 * wrote the update, so a reader checks that each record the update adds names that author:
 * a member cannot put words, or values, in another member's name.
 *
 * Every Y.Array of both documents holds records (meta: `secrets`; values: `versions`), and an
 * array element is an item without a map key (`parentSub`), so the update is read without
 * applying it: its inserted array elements are exactly the records it adds.
 */
import * as Y from 'yjs';
import { decodeGrace, decodePatch, versionHead, versionTail } from './records';

/** The distinct `by` of every well-formed record `update` inserts. Throws on bytes that are not a Yjs update. */
export function recordAuthors(update: Uint8Array): Set<string> {
  const authors = new Set<string>();
  for (const struct of Y.decodeUpdate(update).structs) {
    if (!(struct instanceof Y.Item) || struct.parentSub !== null || !(struct.content instanceof Y.ContentAny)) continue;
    for (const record of struct.content.arr) {
      const by = authorOf(record);
      if (by !== undefined) authors.add(by);
    }
  }
  return authors;
}

/** The writer a record names; undefined for anything readers would skip anyway. */
function authorOf(record: unknown): string | undefined {
  const patch = decodePatch(record);
  if (patch) return patch.by;
  const grace = decodeGrace(record);
  if (grace) return grace.by;
  const head = versionHead(record);
  return head ? versionTail(head.tail)?.[0] : undefined;
}
