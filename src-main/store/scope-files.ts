/**
 * The files of one scope's folder: snapshots `snap-<S>.tse` (covering every log segment
 * before S) and logs `log-<S>.tse`, S an 8-digit segment number.
 */
import { promises as fs } from 'node:fs';

const pad = (n: number) => String(n).padStart(8, '0');
const SNAP = /^snap-(\d{8})\.tse$/;
const LOG = /^log-(\d{8})\.tse$/;

export const snapFile = (seg: number): string => `snap-${pad(seg)}.tse`;
export const logFile = (seg: number): string => `log-${pad(seg)}.tse`;

/** The log segment a file name is, or null for any other file. */
export function logSegmentOf(name: string): number | null {
  const m = LOG.exec(name);
  return m ? Number(m[1]) : null;
}

/** The segments in `dir`: snapshots newest first, logs oldest first. */
export async function listSegments(dir: string): Promise<{ snaps: number[]; logs: number[] }> {
  const snaps: number[] = [];
  const logs: number[] = [];
  for (const n of await fs.readdir(dir)) {
    const s = SNAP.exec(n);
    if (s) snaps.push(Number(s[1]));
    const l = logSegmentOf(n);
    if (l !== null) logs.push(l);
  }
  snaps.sort((a, b) => b - a);
  logs.sort((a, b) => a - b);
  return { snaps, logs };
}
