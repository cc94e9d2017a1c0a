/** Where a profile lives: TESSERA_HOME, else the OS app-data folder. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultProfileHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TESSERA_HOME) return env.TESSERA_HOME;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Tessera');
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Tessera');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Tessera');
}

export const profilePaths = (home: string) => ({
  home,
  profile: join(home, 'profile.json'),
  keyring: join(home, 'keyring.sealed'),
  vaults: join(home, 'vaults'),
  vault: (vaultId: string) => join(home, 'vaults', vaultId),
  scope: (vaultId: string, scopeId: string) => join(home, 'vaults', vaultId, scopeId),
});
