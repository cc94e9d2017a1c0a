/**
 * The health part of the desktop API: the same report as `tessera health`, over the vaults the
 * app holds open, with staleness from the audit log's reads and leaks from the scanner.
 */
import type { TesseraApi } from '../../src-shared/api/types';
import { lastAccessIndex } from '../audit/last-access';
import { rotationFailureIndex } from '../audit/rotation-failures';
import { healthReport } from '../health/report';
import { readScanFindings } from '../scan/findings-store';
import type { DesktopContext } from './desktop-context';

export function healthApi(ctx: DesktopContext): TesseraApi['health'] {
  return {
    report: async ({ vault }) => {
      const session = ctx.session();
      const { vaults } = await ctx.vaults();
      const [events, leaks] = await Promise.all([ctx.auditLog().query?.({}) ?? [], readScanFindings(session)]);
      return healthReport(session, { ...(vault !== undefined ? { vault } : {}), now: ctx.clock.now(), vaults, lastAccess: lastAccessIndex(events), rotationFailures: rotationFailureIndex(events), leaks });
    },
  };
}
