import { describe, expect, it } from 'vitest';
import { concealedFormats } from './concealed-formats';

describe('concealedFormats', () => {
  it('marks a copy as a password the way each platform expects', () => {
    const linux = concealedFormats('linux');
    expect(Object.keys(linux)).toEqual(['x-kde-passwordManagerHint']);
    expect(new TextDecoder().decode(linux['x-kde-passwordManagerHint'])).toBe('secret');
    expect(Object.keys(concealedFormats('darwin'))).toEqual(['org.nspasteboard.ConcealedType']);
    const win = concealedFormats('win32');
    expect(win.CanIncludeInClipboardHistory).toEqual(new Uint8Array([0, 0, 0, 0]));
    expect(win.CanUploadToCloudClipboard).toEqual(new Uint8Array([0, 0, 0, 0]));
    expect(win).toHaveProperty('ExcludeClipboardContentFromMonitorProcessing');
  });
});
