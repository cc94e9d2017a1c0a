// The packaging config cannot be exercised here (electron-builder needs the Electron
// download), so it is checked the way electron-builder itself checks it before a build,
// and for the settings that make the packaged app hardened.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;

describe('electron-builder.yml', () => {
  it('passes electron-builder validation', async () => {
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config');
    const { DebugLogger } = require('builder-util');
    const config = await getConfig(root, 'electron-builder.yml', null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(config.asar).toBe(true);
    const targets = [config.linux.target, config.mac.target, config.win.target].flat();
    expect(targets).toEqual(['AppImage', 'deb', 'dmg', 'nsis']);
    for (const icon of [config.linux.icon, config.mac.icon, config.win.icon]) expect(existsSync(new URL(`../${icon}`, import.meta.url))).toBe(true);
  });

  it('ships an icon of at least 512×512 (PNG header)', () => {
    const png = readFileSync(new URL('../build/icon.png', import.meta.url));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(512);
    expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(512);
  });
});
