#!/usr/bin/env node
// The `tessera` command: loads the bundled CLI (built by `npm run build:node`, which `npm install` runs).
'use strict';
const { pathToFileURL } = require('node:url');
const { join } = require('node:path');
const { existsSync } = require('node:fs');
const cli = join(__dirname, '..', 'out', 'node', 'tessera.mjs');
if (!existsSync(cli)) {
  process.stderr.write('tessera: the CLI is not built yet; run `npm run build:node` in the Tessera folder\n');
  process.exit(1);
}
import(pathToFileURL(cli).href);
