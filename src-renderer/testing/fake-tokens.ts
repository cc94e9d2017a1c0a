/** The fake bridge's machine tokens: what main's tokens domain answers, over a FakeVault. Tests only. */
import type { TokenInfo } from '../../src-shared/api/types';
import { refuse, type FakeVault } from './fake-model';

export function tokensCall(vault: FakeVault, call: 'list' | 'create' | 'revoke', req: Record<string, unknown>, now: number, id: () => number): unknown {
  switch (call) {
    case 'list':
      return [...vault.tokens]; // a new array each time, as main answers
    case 'create': {
      const name = req.name as string;
      if (vault.tokens.some((t) => t.name === name)) refuse('ALREADY_EXISTS', `A token named ${name} already exists`);
      const days = req.expiresInDays as number | undefined;
      const info: TokenInfo = {
        name,
        memberId: `t${id()}`,
        role: req.role as TokenInfo['role'],
        environments: req.environments as string[],
        createdAt: now,
        createdBy: 'Ada',
        expiresAt: days === undefined ? null : now + days * 86_400_000,
        expired: false,
      };
      vault.tokens.push(info);
      return { token: `tessera-token-1.FAKE-${info.memberId}`, info };
    }
    case 'revoke': {
      if (!vault.tokens.some((t) => t.name === req.name)) refuse('NOT_FOUND', 'no such token');
      vault.tokens = vault.tokens.filter((t) => t.name !== req.name);
      return undefined;
    }
  }
}
