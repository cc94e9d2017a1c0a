/**
 * The standalone relay's entry point (bundled to out/node/relay.mjs). Kept apart from
 * main.ts so that importing main.ts (as `tessera relay` does) never starts a server.
 */
import { runRelayCli } from './main';

runRelayCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
