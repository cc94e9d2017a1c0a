/**
 * The import dialog's other formats: the file's bytes (base64) and its password come from
 * the page; main parses, maps and previews them with the same modules as
 * `tessera import --from`, and the preview is audited as there. For dotenvx the "password"
 * is the private key: the page cannot name a .env.keys beside a file it only read.
 */
import type { ImportFilePlan, ImportResult, TesseraApi } from '../../src-shared/api/types';
import { TesseraError } from '../../src-shared/errors';
import { privateKeyName } from '../import/dotenvx';
import { detectFormat, readImport, type ImportFormat } from '../import/formats';
import { applyImport, previewImport } from '../import/import-preview';
import { mapImport, type MappedImport } from '../import/mapping';
import type { DesktopContext } from './desktop-context';

type Request = Parameters<TesseraApi['secrets']['importFilePreview']>[0];

async function mappedFile(req: Request): Promise<{ format: ImportFormat; mapped: MappedImport }> {
  const bytes = Buffer.from(req.data, 'base64');
  const format = req.format ?? detectFormat(req.fileName, bytes);
  if (!format) throw new TesseraError('INVALID_INPUT', 'The format of this file could not be told: choose it');
  const password = req.password;
  const parsed = await readImport(format, bytes, {
    password: async () => {
      if (password === undefined) throw new TesseraError('INVALID_INPUT', 'This file needs its password');
      return password;
    },
    env: format === 'dotenvx' && password ? { [privateKeyName(req.fileName)]: password } : {},
    path: req.fileName,
    ...(req.map ? { map: req.map } : {}),
  });
  bytes.fill(0);
  return { format, mapped: mapImport(parsed) };
}

export function importFileApi(ctx: DesktopContext): Pick<TesseraApi['secrets'], 'importFilePreview' | 'importFileApply'> {
  return {
    importFilePreview: async (req): Promise<ImportFilePlan> => {
      const { format, mapped } = await mappedFile(req);
      const plan = await previewImport(await ctx.vault(req.vault), req.environment, mapped, format);
      return { format, ...plan };
    },
    importFileApply: async (req): Promise<ImportResult> => {
      const { format, mapped } = await mappedFile(req);
      const vault = await ctx.vault(req.vault);
      const result = await applyImport(vault, req.environment, mapped, `desktop ${format}`);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return result;
    },
  };
}
