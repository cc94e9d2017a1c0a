/** `tessera init`: create the profile (identity, device key in the keychain and/or a passphrase). */
import type { Command } from 'commander';
import { fingerprint, formatFingerprint } from '../../src-shared/crypto/identity';
import { fromBase64Url } from '../../src-shared/crypto/bytes';
import { TesseraError, isTesseraError } from '../../src-shared/errors';
import { nodeSuite } from '../../src-node/crypto/node-suite';
import { assertNewPassphraseStrong } from '../../src-main/keychain/passphrase-strength';
import { createProfile, type Session } from '../../src-main/profile/profile';
import { passphraseSource, type CliContext } from '../context';

export function registerProfileCommands(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create your Tessera profile on this device')
    .requiredOption('--name <name>', 'your name, as teammates will see it')
    .option('--passphrase', 'also protect the device key with a passphrase (for recovery; alone where no keychain can be used)')
    .option('--no-keychain', 'do not use the OS keychain (passphrase only)')
    .action(async (o: { name: string; passphrase?: boolean; keychain: boolean }) => {
      if (!o.keychain && !o.passphrase) throw new TesseraError('INVALID_INPUT', '--no-keychain needs --passphrase');
      let passphrase: string | undefined;
      if (o.passphrase) {
        passphrase = await passphraseSource(ctx, 'New passphrase: ');
        // Before the repeat: no point typing a passphrase twice to have it refused.
        assertNewPassphraseStrong(passphrase);
        if (!ctx.env.TESSERA_PASSPHRASE_FILE && (await passphraseSource(ctx, 'Repeat passphrase: ')) !== passphrase) {
          throw new TesseraError('INVALID_INPUT', 'The passphrases differ');
        }
      }
      const create = (keychain: boolean) =>
        createProfile(nodeSuite, ctx.home, {
          name: o.name,
          ...(keychain ? { keychain: ctx.keychain } : {}),
          ...(passphrase !== undefined ? { passphrase } : {}),
        });
      let usedKeychain = o.keychain;
      let session: Session;
      try {
        session = await create(o.keychain);
      } catch (e) {
        // Asked for a passphrase where no keychain can be reached (a server, a container):
        // the passphrase alone unlocks the profile, so make that one and say so. createProfile
        // stores the keychain entry before writing anything, so nothing is left behind.
        if (!(o.keychain && passphrase !== undefined && isTesseraError(e, 'KEYCHAIN_UNAVAILABLE'))) throw e;
        const reason = typeof e.details.reason === 'string' ? e.details.reason : e.message;
        ctx.io.stderr.write(`warning: the ${ctx.keychain.name} cannot be used here (${reason}); this profile unlocks with your passphrase only\n`);
        usedKeychain = false;
        session = await create(false);
      }
      const id = session.profile.identity;
      const fp = formatFingerprint(fingerprint({ signPublicKey: fromBase64Url(id.signPublicKey), boxPublicKey: fromBase64Url(id.boxPublicKey) }));
      session.lock();
      const how = [usedKeychain ? `the ${ctx.keychain.name}` : '', passphrase !== undefined ? 'your passphrase' : ''].filter(Boolean).join(' and ');
      ctx.io.stdout.write(`Created profile for ${o.name} in ${ctx.home}\nUnlocks with ${how}.\nYour fingerprint: ${fp}\n`);
    });
}
