import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/helpers/temp-home';
import { profilePaths } from '../profile/paths';
import { readPushedCounters, writePushedCounters } from './unpushed';

describe('what was pushed', () => {
  it('is absent for a vault that does not sync, read back as written, and taken from an older sync.json until then', async () => {
    const home = await tempHome();
    const dir = profilePaths(home).vault('v1');
    await mkdir(dir, { recursive: true });
    expect(await readPushedCounters(home, 'v1')).toBeNull();
    // A vault synced by an earlier version: its counters are in sync.json.
    await writeFile(join(dir, 'sync.json'), JSON.stringify({ format: 1, relay: 'ws://x', scopes: { s1: { cursor: 4, pushedLocal: 3, relayHeads: {} } } }));
    expect(await readPushedCounters(home, 'v1')).toEqual(new Map([['s1', 3]]));
    await writePushedCounters(home, 'v1', new Map([['s1', 5], ['s2', 0]]));
    expect(await readPushedCounters(home, 'v1')).toEqual(new Map([['s1', 5], ['s2', 0]]));
    // Damaged: hold everything back rather than nothing.
    await writeFile(join(dir, 'pushed.json'), '{not json');
    expect(await readPushedCounters(home, 'v1')).toEqual(new Map());
  });
});
