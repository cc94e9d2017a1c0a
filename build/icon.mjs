// Draws build/icon.png (512×512): a tessera mosaic, nine tiles on a rounded square.
// Run `node build/icon.mjs` after changing it; the PNG is committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const S = 512;
const px = Buffer.alloc(S * S * 4);
const tiles = [
  [0x2f, 0x6f, 0xeb], [0x1f, 0x9d, 0x8b], [0xf2, 0xa5, 0x3a],
  [0x1f, 0x9d, 0x8b], [0xf5, 0xf1, 0xe6], [0x2f, 0x6f, 0xeb],
  [0xf2, 0xa5, 0x3a], [0x2f, 0x6f, 0xeb], [0x1f, 0x9d, 0x8b],
];
const inRounded = (x, y, x0, y0, size, r) => {
  const cx = Math.min(Math.max(x, x0 + r), x0 + size - r);
  const cy = Math.min(Math.max(y, y0 + r), y0 + size - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
for (let y = 0; y < S; y++) {
  for (let x = 0; x < S; x++) {
    const i = (y * S + x) * 4;
    if (!inRounded(x, y, 16, 16, 480, 96)) continue; // transparent corners
    let c = [0x16, 0x1b, 0x2e];
    for (let t = 0; t < 9; t++) {
      const tx = 88 + (t % 3) * 116, ty = 88 + Math.floor(t / 3) * 116;
      if (inRounded(x, y, tx, ty, 104, 18)) c = tiles[t];
    }
    px[i] = c[0]; px[i + 1] = c[1]; px[i + 2] = c[2]; px[i + 3] = 255;
  }
}
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, sum]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(S, 0); ihdr.writeUInt32BE(S, 4); ihdr[8] = 8; ihdr[9] = 6;
const rows = Buffer.alloc(S * (S * 4 + 1));
for (let y = 0; y < S; y++) px.copy(rows, y * (S * 4 + 1) + 1, y * S * 4, (y + 1) * S * 4);
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
writeFileSync(new URL('./icon.png', import.meta.url), png);
