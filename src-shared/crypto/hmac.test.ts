import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes';
import { hmacSha512 } from './hmac';

describe('hmacSha512', () => {
  it('matches RFC 4231 test case 1 and 6 (a key longer than the block)', () => {
    expect(toHex(hmacSha512(fromHex('0b'.repeat(20)), new TextEncoder().encode('Hi There')))).toBe(
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    );
    expect(toHex(hmacSha512(fromHex('aa'.repeat(131)), new TextEncoder().encode('Test Using Larger Than Block-Size Key - Hash Key First')))).toBe(
      '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
    );
  });

  it('agrees with node:crypto on random keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 1000 }), (key, msg) => {
        expect(Buffer.from(hmacSha512(key, msg)).toString('hex')).toBe(createHmac('sha512', key).update(msg).digest('hex'));
      }),
      { numRuns: 200 },
    );
  });
});
