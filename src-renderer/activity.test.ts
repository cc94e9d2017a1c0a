// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { TOUCH_EVERY_MS, watchActivity } from './activity';
import { fake } from './testing/setup';

describe('activity for the idle timer', () => {
  it('touches the session on user input at most once per interval', async () => {
    const f = fake();
    let now = 1_000_000;
    const stop = watchActivity(window, () => now);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'b' }));
    now += TOUCH_EVERY_MS - 1;
    window.dispatchEvent(new Event('pointerdown'));
    expect(f.callsOf('session.touch')).toHaveLength(1);
    now += 1;
    window.dispatchEvent(new Event('pointerdown'));
    expect(f.callsOf('session.touch')).toHaveLength(2);
    stop();
    now += TOUCH_EVERY_MS;
    window.dispatchEvent(new Event('pointerdown'));
    expect(f.callsOf('session.touch')).toHaveLength(2);
  });
});
