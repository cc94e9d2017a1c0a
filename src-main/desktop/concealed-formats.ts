/**
 * The clipboard formats that tell clipboard managers and the OS clipboard history that
 * what sits beside them is a password, so they do not keep it:
 * - Linux: `x-kde-passwordManagerHint` = "secret" (Klipper, CopyQ, GPaste and others honour it;
 *   KeePassXC sets the same).
 * - macOS: the `org.nspasteboard.ConcealedType` pasteboard type (nspasteboard.org; Qt calls
 *   it application/x-nspasteboard-concealed-type). Its presence is the signal.
 * - Windows: `ExcludeClipboardContentFromMonitorProcessing` (presence), and the DWORD 0
 *   values of `CanIncludeInClipboardHistory` and `CanUploadToCloudClipboard` (Win+V history
 *   and cloud sync).
 * Values are bytes, written in the same atomic clipboard write as the text.
 */
export function concealedFormats(platform: NodeJS.Platform): Record<string, Uint8Array> {
  const dwordZero = new Uint8Array(4);
  switch (platform) {
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return { 'x-kde-passwordManagerHint': new TextEncoder().encode('secret') };
    case 'darwin':
      return { 'org.nspasteboard.ConcealedType': new Uint8Array(0) };
    case 'win32':
      return {
        ExcludeClipboardContentFromMonitorProcessing: new Uint8Array(0),
        CanIncludeInClipboardHistory: dwordZero,
        CanUploadToCloudClipboard: dwordZero,
      };
    default:
      return {};
  }
}
