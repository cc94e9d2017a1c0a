// The system clipboard for the ClipboardService: the text and the "this is a password"
// formats (desktop/concealed-formats.ts) in one atomic write (Electron's ClipboardItem API),
// so no clipboard manager ever sees the value without the marker.
import { clipboard, ClipboardItem } from 'electron';
import type { ClipboardAdapter } from '../desktop/clipboard-service';
import { concealedFormats } from '../desktop/concealed-formats';

// Electron names raw OS clipboard formats this way (see its clipboard docs).
const osFormat = (name: string) => `electron application/osclipboard;format="${name}"`;

export function electronClipboard(platform: NodeJS.Platform = process.platform): ClipboardAdapter {
  const markers = Object.fromEntries(Object.entries(concealedFormats(platform)).map(([name, bytes]) => [osFormat(name), new Blob([bytes])]));
  return {
    writeConcealed: async (text) => {
      await clipboard.write([new ClipboardItem({ 'text/plain': text, ...markers })]);
    },
    readText: () => clipboard.readText(),
    clear: async () => clipboard.clear(),
  };
}
