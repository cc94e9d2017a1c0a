import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assetPath, isAppPage } from './app-url';

const root = resolve('/srv/app/renderer');

describe('assetPath', () => {
  it('maps app URLs inside the renderer folder', () => {
    expect(assetPath(root, 'app://tessera/')).toBe(join(root, 'index.html'));
    expect(assetPath(root, 'app://tessera/assets/index-abc.js')).toBe(join(root, 'assets/index-abc.js'));
    expect(assetPath(root, 'app://tessera/index.html?x=1#y')).toBe(join(root, 'index.html'));
  });

  it('keeps dot segments inside the folder (the URL parser resolves them first)', () => {
    expect(assetPath(root, 'app://tessera/../../secrets')).toBe(join(root, 'secrets'));
    expect(assetPath(root, 'app://tessera/%2e%2e/%2e%2e/etc/passwd')).toBe(join(root, 'etc/passwd'));
  });

  it('refuses what would leave it or is not ours', () => {
    for (const url of [
      'app://tessera/..%2f..%2fetc/passwd',
      'app://tessera/assets/%00.js',
      'app://tessera/%E0%A4%A',
      'app://other/index.html',
      'file:///srv/app/renderer/index.html',
      'https://tessera/index.html',
      'not a url',
    ]) {
      expect(assetPath(root, url), url).toBeNull();
    }
  });
});

describe('isAppPage', () => {
  it('trusts only the app origin', () => {
    expect(isAppPage('app://tessera/index.html')).toBe(true);
    expect(isAppPage('app://tessera.evil/index.html')).toBe(false);
    expect(isAppPage('file:///index.html')).toBe(false);
    expect(isAppPage('https://tessera/')).toBe(false);
    expect(isAppPage('')).toBe(false);
  });
});
