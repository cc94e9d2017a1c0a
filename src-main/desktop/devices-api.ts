/** The devices part of the desktop API: the same services as `tessera device link|approve|list|revoke`. */
import type { TesseraApi } from '../../src-shared/api/types';
import { approveDevice, createDeviceLink, listDevices, revokeOwnDevice, waitingDevices } from '../membership/devices';
import type { DesktopContext } from './desktop-context';

const LINK_LIFETIME = 3_600_000;

export function devicesApi(ctx: DesktopContext): TesseraApi['devices'] {
  return {
    list: () => listDevices(ctx.session()),
    link: ({ vault }) => createDeviceLink(ctx.session(), vault, LINK_LIFETIME),
    waiting: async () => (await waitingDevices(ctx.session())).flatMap((w) => w.requests.map((r) => ({ name: r.name, fingerprint: r.fingerprint, vault: w.vault.name }))),
    approve: async ({ name, fingerprint }) => {
      // The request of that name whose fingerprint is the whole one the user confirmed, or none.
      const linked = await approveDevice(ctx.session(), { who: name, fingerprint });
      ctx.emit({ type: 'vault-changed', vault: linked.vaults[0] ?? '' });
      return { name: linked.name, vaults: linked.vaults };
    },
    revoke: async ({ fingerprint }) => {
      const { vaults } = await revokeOwnDevice(ctx.session(), fingerprint);
      for (const vault of vaults) ctx.emit({ type: 'vault-changed', vault });
      return { vaults };
    },
  };
}
