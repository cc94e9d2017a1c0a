/** The built-in rotators, by the name `tessera rotator set --builtin NAME` takes. */
import { TesseraError } from '../../../src-shared/errors';
import type { BuiltinRotator } from './builtin-rotator';
import { postgresRotator } from './postgres';

const ROTATORS: ReadonlyMap<string, BuiltinRotator> = new Map([[postgresRotator.provider, postgresRotator]]);

const BUILTIN_PROVIDERS: readonly string[] = [...ROTATORS.keys()];

/** The rotator for `provider`; INVALID_INPUT naming the known ones otherwise. */
export function builtinRotator(provider: string): BuiltinRotator {
  const r = ROTATORS.get(provider);
  if (!r) throw new TesseraError('INVALID_INPUT', `No built-in rotator ${JSON.stringify(provider)} (built in: ${BUILTIN_PROVIDERS.join(', ')})`);
  return r;
}
