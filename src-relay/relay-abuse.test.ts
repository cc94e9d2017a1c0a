// Abuse never crashes the relay or disturbs anyone else: each misbehaving socket is closed
// with a clear code while a well-behaved client, connected throughout, keeps getting acks.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeRelayMessage } from '../src-shared/protocol/messages';
import { TokenBucket, type RelayLimits } from './limits';
import { ownedVault, RelayTestClient, startTestRelay, withTimeout } from '../test/helpers/relay-client';

let relay: Awaited<ReturnType<typeof startTestRelay>> | undefined;
const clients: RelayTestClient[] = [];
const sockets: WebSocket[] = [];

async function setUp(limits: Partial<RelayLimits> = {}) {
  relay = await startTestRelay(limits);
  const good = await ownedVault(relay.url);
  clients.push(good.client);
  expect(await good.client.push(good.author.next())).toMatchObject({ type: 'ack', seq: 1 });
  let seq = 1;
  /** The well-behaved client's next push still acks, with the next seq. */
  const stillServes = async () => expect(await good.client.push(good.author.next())).toMatchObject({ type: 'ack', seq: ++seq });
  const connect = async () => {
    const c = await RelayTestClient.connect(relay!.url);
    clients.push(c);
    return c;
  };
  return { url: relay.url, good, stillServes, connect, logs: relay.logs };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const ws of sockets.splice(0)) ws.terminate();
  await relay?.close();
  relay = undefined;
});

describe('protocol abuse', () => {
  it('closes on a frame that does not parse (MALFORMED_FRAME, 1002)', async () => {
    const { connect, stillServes } = await setUp();
    const bad = await connect();
    bad.sendRaw(new Uint8Array([1, 99, 0]));
    expect(await bad.next((m) => m.type === 'error')).toMatchObject({ code: 'MALFORMED_FRAME' });
    expect(await bad.waitClosed()).toMatchObject({ code: 1002 });
    await stillServes();
  });

  it('closes on a text frame (MALFORMED_FRAME, 1003)', async () => {
    const { connect, stillServes } = await setUp();
    const bad = await connect();
    bad.sendRaw('{"type":"auth"}');
    expect(await bad.next((m) => m.type === 'error')).toMatchObject({ code: 'MALFORMED_FRAME' });
    expect(await bad.waitClosed()).toMatchObject({ code: 1003 });
    await stillServes();
  });

  it('closes on another protocol version (UNSUPPORTED_VERSION, 1002)', async () => {
    const { connect, stillServes } = await setUp();
    const bad = await connect();
    bad.sendRaw(new Uint8Array([2, 20]));
    expect(await bad.next((m) => m.type === 'error')).toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    expect(await bad.waitClosed()).toMatchObject({ code: 1002 });
    await stillServes();
  });

  it('closes on a frame over the limit (1009) and survives it', async () => {
    const { connect, stillServes, logs } = await setUp({ maxFrameBytes: 64 * 1024 });
    const bad = await connect();
    bad.sendRaw(new Uint8Array(64 * 1024 + 1));
    expect(await bad.waitClosed()).toMatchObject({ code: 1009 });
    expect(logs.some((l) => l.includes('FRAME_TOO_LARGE'))).toBe(true);
    await stillServes();
  });

  it('refuses an envelope too big to deliver within the limit, and keeps the socket', async () => {
    const { good, stillServes } = await setUp({ maxFrameBytes: 64 * 1024 });
    // Fits in a push frame, but its deliver frame would not.
    const overhead = good.author.seal(new Uint8Array(0)).length + 2; // the sealed length's varuint grows
    const big = good.author.seal(new Uint8Array(64 * 1024 - 20 - overhead));
    expect(big.length).toBe(64 * 1024 - 20);
    expect(await good.client.push(big)).toMatchObject({ type: 'error', code: 'FRAME_TOO_LARGE' });
    await stillServes();
  });

  it('closes a flood (RATE_LIMITED, 1008)', async () => {
    const { connect, stillServes, good } = await setUp({ messagesPerSecond: 50, messageBurst: 100 });
    const bad = await connect();
    await bad.auth(good.owner);
    for (let i = 0; i < 300 && !bad.isClosed; i++) bad.send({ type: 'unsubscribe', vaultId: good.vaultId });
    expect(await bad.next((m) => m.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await bad.waitClosed()).toMatchObject({ code: 1008 });
    await stillServes();
  });

  it('refuses sockets over the per-address and total limits (TOO_MANY_CONNECTIONS, 1013)', async () => {
    const { connect, stillServes } = await setUp({ maxConnectionsPerAddress: 3 });
    await connect();
    await connect();
    expect(await refusal(relay!.url)).toEqual({ code: 'TOO_MANY_CONNECTIONS', close: 1013 });
    await stillServes();
  });

  it('counts connections per X-Forwarded-For address with --trust-proxy, and ignores the header without', async () => {
    relay = await startTestRelay({ maxConnectionsPerAddress: 1 }, { trustProxy: true });
    const via = async (forwarded: string) => {
      const ws = new WebSocket(relay!.url, { headers: { 'x-forwarded-for': forwarded } });
      ws.on('error', () => undefined);
      const first = await withTimeout(new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(decodeRelayMessage(new Uint8Array(d)).type))), 5_000, 'first frame');
      sockets.push(ws);
      return first;
    };
    // Behind one proxy every socket comes from 127.0.0.1: the proxy's last entry tells clients apart.
    expect(await via('198.51.100.7, 203.0.113.1')).toBe('challenge');
    expect(await via('203.0.113.2')).toBe('challenge');
    expect(await refusal(relay.url, { 'x-forwarded-for': '198.51.100.9, 203.0.113.2' })).toEqual({ code: 'TOO_MANY_CONNECTIONS', close: 1013 });
    await relay.close();
    // Without the flag a client cannot name its own address.
    relay = await startTestRelay({ maxConnectionsPerAddress: 1 });
    expect(await via('203.0.113.3')).toBe('challenge');
    expect(await refusal(relay.url, { 'x-forwarded-for': '203.0.113.4' })).toEqual({ code: 'TOO_MANY_CONNECTIONS', close: 1013 });
  });

  it('counts every address toward the total limit', async () => {
    const { connect, stillServes } = await setUp({ maxConnections: 2 });
    await connect();
    expect(await refusal(relay!.url)).toEqual({ code: 'TOO_MANY_CONNECTIONS', close: 1013 });
    await stillServes();
  });

  it('closes a socket that does not authenticate in time (1008)', async () => {
    const { connect, stillServes } = await setUp({ authTimeoutMs: 150 });
    const idle = await connect();
    expect(await idle.next((m) => m.type === 'error', 2_000)).toMatchObject({ code: 'NOT_AUTHENTICATED' });
    expect(await idle.waitClosed()).toMatchObject({ code: 1008 });
    await stillServes();
  });

  it('drops a socket that stops answering pings', async () => {
    const { connect, stillServes } = await setUp({ pingIntervalMs: 100, authTimeoutMs: 60_000 });
    const silent = await connect();
    // ws answers pings from inside its receiver by calling pong(): make that a no-op.
    silent.ws.pong = () => undefined;
    expect((await silent.waitClosed(2_000)).code).toBe(1006);
    await stillServes();
  });

  it('survives random frames from many sockets', async () => {
    const { connect, stillServes, good } = await setUp();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.boolean(), async (bytes, authed) => {
        const c = await connect();
        if (authed) await c.auth(good.owner);
        // Authenticated sockets get frames of this protocol's version, to reach past the first byte.
        c.sendRaw(bytes.length > 0 && authed ? Uint8Array.of(1, ...bytes) : bytes);
        // Whatever it was, the relay answers or closes, and stays up for everyone else.
        await withTimeout(Promise.race([c.next(() => true, 1_000).catch(() => undefined), c.closed]), 2_000, 'answer');
        c.close();
      }),
      { numRuns: 40 },
    );
    await stillServes();
  });
});

/** Connects over the limit: the socket never gets a challenge, only the refusal and a close. */
async function refusal(url: string, headers: Record<string, string> = {}): Promise<{ code: string; close: number }> {
  const ws = new WebSocket(url, { headers });
  ws.on('error', () => undefined);
  let code = '';
  ws.on('message', (data: Buffer) => {
    const m = decodeRelayMessage(new Uint8Array(data));
    if (m.type === 'error') code = m.code;
  });
  const close = await withTimeout(new Promise<number>((resolve) => ws.on('close', (c) => resolve(c))), 5_000, 'refusal');
  return { code, close };
}

it('TokenBucket refills at its rate up to its burst', () => {
  let now = 0;
  const bucket = new TokenBucket(10, 3, () => now);
  expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  now = 100; // 0.1 s at 10/s: one token
  expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  now = 10_000;
  expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
});
