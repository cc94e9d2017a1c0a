/** `tessera init`: create the profile (identity, device key in the keychain and/or a passphrase). */
import type { Command } from 'commander';
import { fingerprint, formatFingerprint } from '../../src-shared/crypto/identity';
import { fromBase64Url } from '../../src-shared/crypto/bytes';
import { TesseraError } from '../../src-shared/errors';
import { nodeSuite } from '../../src-main/crypto/node-suite';
import { createProfile } from '../../src-main/profile/profile';
import { passphraseSource, type CliContext } from '../context';

export function registerProfileCommands(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create your Tessera profile on this device')
    .requiredOption('--name <name>', 'your name, as teammates will see it')
    .option('--passphrase', 'also protect the device key with a passphrase (for recovery, or where no keychain exists)')
    .option('--no-keychain', 'do not use the OS keychain (passphrase only)')
    .action(async (o: { name: string; passphrase?: boolean; keychain: boolean }) => {
      if (!o.keychain && !o.passphrase) throw new TesseraError('INVALID_INPUT', '--no-keychain needs --passphrase');
      let passphrase: string | undefined;
      if (o.passphrase) {
        passphrase = await passphraseSource(ctx, 'New passphrase: ');
        if (!ctx.env.TESSERA_PASSPHRASE_FILE && (await passphraseSource(ctx, 'Repeat passphrase: ')) !== passphrase) {
          throw new TesseraError('INVALID_INPUT', 'The passphrases differ');
        }
      }
      const session = await createProfile(nodeSuite, ctx.home, {
        name: o.name,
        ...(o.keychain ? { keychain: ctx.keychain } : {}),
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
      const id = session.profile.identity;
      const fp = formatFingerprint(fingerprint({ signPublicKey: fromBase64Url(id.signPublicKey), boxPublicKey: fromBase64Url(id.boxPublicKey) }));
      session.lock();
      const how = [o.keychain ? `the ${ctx.keychain.name}` : '', passphrase !== undefined ? 'your passphrase' : ''].filter(Boolean).join(' and ');
      ctx.io.stdout.write(`Created profile for ${o.name} in ${ctx.home}\nUnlocks with ${how}.\nYour fingerprint: ${fp}\n`);
    });
}
