/** The tokens part of the desktop API: the same services as `tessera token create|list|revoke`. */
import type { TesseraApi } from '../../src-shared/api/types';
import { createMachineToken, machinesOf, revokeMachineToken } from '../membership/machines';
import type { DesktopContext } from './desktop-context';

const DAY = 86_400_000;

export function tokensApi(ctx: DesktopContext): TesseraApi['tokens'] {
  return {
    list: async ({ vault }) => machinesOf(await ctx.vault(vault)),
    create: async ({ vault: name, name: tokenName, role, environments, expiresInDays }) => {
      const vault = await ctx.vault(name);
      const expiresAt = expiresInDays !== undefined ? ctx.clock.now() + expiresInDays * DAY : null;
      const made = await createMachineToken(vault, { name: tokenName, role, environments, expiresAt });
      ctx.emit({ type: 'vault-changed', vault: vault.name });
      return { token: made.token, info: made.machine };
    },
    revoke: async ({ vault: name, name: tokenName }) => {
      const vault = await ctx.vault(name);
      await revokeMachineToken(vault, tokenName);
      ctx.emit({ type: 'vault-changed', vault: vault.name });
    },
  };
}
