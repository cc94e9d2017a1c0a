// A man in the middle between a client and a relay, for tests of what clients refuse.
import WebSocket, { WebSocketServer } from 'ws';
import { decodeRelayMessage, encodeRelayMessage, type RelayMessage } from '../../src-shared/protocol/messages';

/**
 * A man in the middle between client and relay that may rewrite relay → client messages:
 * replace one, or (returning a list) insert messages the relay never sent.
 */
export async function tamperingProxy(upstream: string, rewrite: (m: RelayMessage) => RelayMessage | RelayMessage[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  server.on('connection', (client) => {
    const relay = new WebSocket(upstream);
    const early: Buffer[] = [];
    client.on('message', (d: Buffer) => (relay.readyState === WebSocket.OPEN ? relay.send(d) : early.push(d)));
    relay.on('open', () => early.splice(0).forEach((d) => relay.send(d)));
    relay.on('message', (d: Buffer) => {
      const out = rewrite(decodeRelayMessage(new Uint8Array(d)));
      for (const m of Array.isArray(out) ? out : [out]) client.send(encodeRelayMessage(m));
    });
    relay.on('close', () => client.close());
    client.on('close', () => relay.close());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => {
      for (const c of server.clients) c.terminate();
      server.close(() => r());
    }),
  };
}
