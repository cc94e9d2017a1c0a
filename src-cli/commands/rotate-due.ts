/**
 * `tessera rotate --due [--vault V] [--json]`: rotates every due secret that has a rotator
 * (built-in or command) and prints one line per rotation; exit 1 when any failed, so cron
 * mails it and a CI schedule goes red. A command rotator must have been approved on this
 * device before (a schedule has nobody to ask).
 */
import { TesseraError } from '../../src-shared/errors';
import { auditOf } from '../../src-main/audit/session-audit';
import { rotateDue } from '../../src-main/rotation/due';
import { unlock, type CliContext } from '../context';
import { printJson } from '../io';

export async function rotateDueCommand(ctx: CliContext, o: { vault?: string; json?: boolean }): Promise<void> {
  const session = await unlock(ctx);
  let results;
  try {
    results = await rotateDue(session, { ...(o.vault !== undefined ? { vault: o.vault } : {}), now: Date.now() }, auditOf(session));
  } finally {
    session.lock();
  }
  if (o.json) printJson(ctx.io, results);
  else {
    for (const r of results) {
      const where = `${r.vault}/${r.secret} (${r.environment}, ${r.state})`;
      if (r.result === 'rotated') ctx.io.stdout.write(`rotated  ${where}: version ${r.version}${r.account ? `, ${r.account}` : ''}\n`);
      else ctx.io.stdout.write(`failed   ${where}: ${r.message} [${r.code}]\n`);
      for (const w of r.warnings ?? []) ctx.io.stdout.write(`         warning: ${w}\n`);
    }
    if (results.length === 0) ctx.io.stderr.write('Nothing with a rotator is due\n');
  }
  const failed = results.filter((r) => r.result === 'failed').length;
  if (failed > 0) throw new TesseraError('ROTATION_FAILED', `${failed} of ${results.length} rotation${results.length === 1 ? '' : 's'} failed (tessera health shows them)`);
}
