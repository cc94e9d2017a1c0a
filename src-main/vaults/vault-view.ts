/**
 * What reading a vault needs, whoever holds it: a profile's Vault (on disk) or a machine
 * token's TokenVault (in memory). References, run and export read through this, so a token
 * run expands values exactly as a person's does.
 */
import type { MetaScope } from '../../src-shared/vault/meta-scope';
import type { Environment } from '../../src-shared/vault/types';
import type { VaultLog } from '../membership/vault-log';
import type { EnvironmentScope } from './vault';

export interface VaultView {
  readonly id: string;
  readonly name: string;
  readonly meta: MetaScope;
  /** The verified membership log (null for a vault made before sharing). */
  readonly membership: VaultLog | null;
  environments(): Environment[];
  environmentByName(name: string): Environment | undefined;
  canRead(environmentName: string): boolean;
  /** One environment's values; NO_ACCESS when this holder may not read it. */
  environment(name: string): Promise<EnvironmentScope>;
}
