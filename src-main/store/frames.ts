/**
 * The log file format: frames of `'T' kind ‖ u32 little-endian length ‖ envelope`, where
 * kind is 'S' for a change made on this device and 'R' for one received from the relay.
 * The magic lets a reader find the next frame after damage; the length finds the end of
 * the envelope; the envelope's own MAC and signature say whether its bytes are intact.
 * (Sync needs the origin: this device's changes are pushed, received ones are not.)
 */
export const FRAME_MAGIC_0 = 0x54; // 'T'
const ORIGIN_BYTE = { local: 0x53 /* 'S' */, relay: 0x52 /* 'R' */ } as const;
export type FrameOrigin = keyof typeof ORIGIN_BYTE;
export const FRAME_HEADER_BYTES = 6;
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

const originOf = (b: number | undefined): FrameOrigin | null => (b === ORIGIN_BYTE.local ? 'local' : b === ORIGIN_BYTE.relay ? 'relay' : null);

export function encodeFrame(envelope: Uint8Array, origin: FrameOrigin = 'local'): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + envelope.length);
  out[0] = FRAME_MAGIC_0;
  out[1] = ORIGIN_BYTE[origin];
  out.writeUInt32LE(envelope.length, 2);
  out.set(envelope, FRAME_HEADER_BYTES);
  return out;
}

export type FrameAt =
  | { kind: 'frame'; offset: number; end: number; body: Uint8Array; origin: FrameOrigin }
  /** Not a frame header here. */
  | { kind: 'garbage'; offset: number }
  /** A header whose frame runs past the end of the file: a write in progress, or torn. */
  | { kind: 'tail'; offset: number };

/** Reads the frame starting at `pos`, if there is one. */
export function frameAt(buf: Uint8Array, pos: number): FrameAt {
  const origin = originOf(buf[pos + 1]);
  if (buf[pos] !== FRAME_MAGIC_0 || (pos + 1 < buf.length && !origin)) return { kind: 'garbage', offset: pos };
  if (buf.length - pos < FRAME_HEADER_BYTES) return { kind: 'tail', offset: pos };
  const len = buf[pos + 2]! | (buf[pos + 3]! << 8) | (buf[pos + 4]! << 16) | (buf[pos + 5]! * 2 ** 24);
  if (len === 0 || len > MAX_FRAME_BYTES) return { kind: 'garbage', offset: pos };
  const end = pos + FRAME_HEADER_BYTES + len;
  if (end > buf.length) return { kind: 'tail', offset: pos };
  return { kind: 'frame', offset: pos, end, body: buf.subarray(pos + FRAME_HEADER_BYTES, end), origin: origin! };
}

/** The next position at or after `from` that starts with a frame magic (or the end). */
export function findMagic(buf: Uint8Array, from: number): number {
  for (let i = from; i < buf.length; i++) if (buf[i] === FRAME_MAGIC_0 && (i + 1 === buf.length || originOf(buf[i + 1]))) return i;
  return buf.length;
}

/** A stretch of a log that held no acceptable frame, from `start` to `end`. */
export interface Damage {
  readonly start: number;
  readonly end: number;
  /** Why the first frame of the stretch was refused (`accept` threw it), or null for bytes that are no frame. */
  readonly error: unknown;
}

/**
 * Walks the frames of one log from `from`, handing each to `accept`, which applies it or
 * throws to refuse it. A damaged stretch (a refused frame, or bytes that are no frame) is
 * skipped by searching for the next frame header, so damage never hides the intact frames
 * after it. A stretch that runs to the end of the file may be a write still in progress
 * (or one torn by a crash): it is not damage unless it held a whole frame.
 * Returns where the last accepted frame ends (`good`) and the damage found.
 */
export function scanFrames(
  buf: Uint8Array,
  from: number,
  accept: (f: Extract<FrameAt, { kind: 'frame' }>) => void,
): { good: number; damage: Damage[] } {
  const damage: Damage[] = [];
  let open: { start: number; error: unknown; complete: boolean } | null = null;
  let pos = from;
  let good = from;
  while (pos < buf.length) {
    const f = frameAt(buf, pos);
    if (f.kind !== 'frame') {
      open ??= { start: pos, error: null, complete: false };
      pos = findMagic(buf, pos + 1);
      continue;
    }
    try {
      accept(f);
    } catch (error) {
      open ??= { start: f.offset, error, complete: true };
      pos = findMagic(buf, f.offset + 1);
      continue;
    }
    if (open) damage.push({ start: open.start, end: f.offset, error: open.error });
    open = null;
    pos = good = f.end;
  }
  if (open?.complete) {
    damage.push({ start: open.start, end: buf.length, error: open.error });
    good = buf.length;
  }
  return { good, damage };
}
