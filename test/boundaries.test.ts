// Keeps the promises docs/DESIGN makes about where code may run: src-shared runs anywhere,
// only the Electron shell touches `electron`, only the keychain adapter touches `keytar`,
// and the renderer reaches the main process only through the preload. A type-check cannot
// catch all of these (the renderer could import a pure src-main module and still compile),
// so the import graph is checked here.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const sourceRoots = ['src-shared', 'src-node', 'src-main', 'src-renderer', 'src-relay', 'src-cli'];
const sourceFile = /\.[cm]?tsx?$/;

/** Every TypeScript file under the source roots, as a root-relative POSIX path. */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return; // a source root that does not exist yet
    }
    for (const entry of entries) {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path);
      else if (entry.isFile() && sourceFile.test(entry.name)) files.push(path);
    }
  };
  sourceRoots.forEach(walk);
  return files.sort();
}

/**
 * Every module specifier a file names: static and type-only imports, `export … from`,
 * `import x = require()`, `import()` (and `typeof import()`), `require()` and
 * `createRequire(…)('…')`. Parsed with the compiler, so comments and strings do not count.
 */
function specifiersOf(fileName: string, text: string): string[] {
  const kind = fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, kind);
  const found: string[] = [];
  const add = (node: ts.Node | undefined): void => {
    if (node && ts.isStringLiteralLike(node)) found.push(node.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier);
    } else if (ts.isExternalModuleReference(node)) {
      add(node.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isCreatedRequire =
        ts.isCallExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'createRequire';
      if (isImport || isRequire || isCreatedRequire) add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const builtins = new Set(builtinModules);
const isNodeBuiltin = (spec: string): boolean =>
  spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0] ?? '');
const isPackage = (spec: string, name: string): boolean =>
  spec === name || spec.startsWith(`${name}/`);
const isInside = (path: string, dir: string): boolean =>
  path === dir || path.startsWith(`${dir}/`);

/** A rule sees the importing file, the specifier, and (for relative ones) the path it names. */
type Rule = (file: string, spec: string, target: string | null) => string | null;

/**
 * Code that ships in src-shared. Its tests run only under Node (vitest) and check the shared
 * code against the Node suite and libsodium, so they may reach beyond it.
 */
const isSharedCode = (file: string): boolean => isShipped(file, 'src-shared');
/** A file of `dir` that ships (not a test beside the code). */
function isShipped(file: string, dir: string): boolean {
  return isInside(file, dir) && !/\.test\.tsx?$/.test(file);
}

const rules: Rule[] = [
  (file, spec) =>
    isSharedCode(file) && isNodeBuiltin(spec)
      ? 'src-shared runs anywhere: no Node built-ins'
      : null,
  (file, spec) =>
    isSharedCode(file) &&
    ['electron', 'keytar', 'react-dom'].some((name) => isPackage(spec, name))
      ? 'src-shared runs anywhere: no electron, keytar or react-dom'
      : null,
  (file, _spec, target) =>
    isSharedCode(file) && target !== null && !isInside(target, 'src-shared')
      ? 'src-shared imports only from itself and packages'
      : null,
  (file, spec) =>
    isPackage(spec, 'electron') && !isInside(file, 'src-main/electron')
      ? 'only src-main/electron imports electron'
      : null,
  (file, spec) =>
    isPackage(spec, 'keytar') && file !== 'src-main/keychain/os-keychain.ts'
      ? 'only src-main/keychain/os-keychain.ts imports keytar'
      : null,
  (file, spec) =>
    isInside(file, 'src-renderer') && isNodeBuiltin(spec)
      ? 'the renderer runs in a sandboxed page: no Node built-ins'
      : null,
  (file, _spec, target) =>
    isInside(file, 'src-renderer') &&
    target !== null &&
    ['src-main', 'src-cli', 'src-relay'].some((dir) => isInside(target, dir))
      ? 'the renderer reaches the main process only through the preload'
      : null,
  (file, _spec, target) =>
    target !== null && isInside(target, 'src-main/electron') && !isInside(file, 'src-main/electron')
      ? 'nothing outside src-main/electron imports from it'
      : null,
  // Dependencies point one way: node → shared; main → node, shared; relay → node, shared;
  // cli → main, node, shared. Tests (of the relay or the app) may reach wider.
  (file, _spec, target) =>
    isShipped(file, 'src-node') && target !== null && !['src-node', 'src-shared'].some((dir) => isInside(target, dir))
      ? 'src-node imports only from itself and src-shared'
      : null,
  (file, _spec, target) =>
    isShipped(file, 'src-relay') && target !== null && !['src-relay', 'src-node', 'src-shared'].some((dir) => isInside(target, dir))
      ? 'the relay imports only src-shared and src-node'
      : null,
  (file, _spec, target) =>
    isShipped(file, 'src-main') && target !== null && ['src-cli', 'src-relay', 'src-renderer'].some((dir) => isInside(target, dir))
      ? 'src-main never imports the CLI, the relay or the renderer'
      : null,
];

/** Violations in one file, each as `file: import (why)`, the first broken rule only. */
function violationsIn(file: string, text: string): string[] {
  const found: string[] = [];
  for (const spec of specifiersOf(file, text)) {
    const target = spec.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), spec)) : null;
    const why = rules.map((rule) => rule(file, spec, target)).find((reason) => reason !== null);
    if (why) found.push(`${file}: ${spec} (${why})`);
  }
  return found;
}

describe('import boundaries', () => {
  const files = sourceFiles();

  it('finds the source files', () => {
    // Guards against a wrong root making the real check pass on nothing.
    expect(files).toContain('src-main/electron/main.ts');
  });

  it('holds for every source file', () => {
    const violations = files.flatMap((file) =>
      violationsIn(file, readFileSync(join(root, file), 'utf8')),
    );
    expect(violations).toEqual([]);
  });

  it('reads every import form, and not comments or strings', () => {
    const text = [
      "import a from 'a';",
      "import type { B } from 'b';",
      "import 'c';",
      "export { d } from 'd';",
      "export * as e from 'e';",
      "const f = await import('f');",
      "const g = require('g');",
      "import h = require('h');",
      "const i = createRequire(import.meta.url)('i');",
      "type J = typeof import('j');",
      "// import x from 'commented';",
      "const s = \"import y from 'in-a-string'\";",
    ].join('\n');
    expect(specifiersOf('x.ts', text)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  });

  it('flags forbidden imports', () => {
    const shared = [
      "import { readFile } from 'node:fs';",
      "import { join } from 'path';",
      "import { ipcRenderer } from 'electron';",
      "const keytar = require('keytar');",
      "import { createRoot } from 'react-dom/client';",
      "export * from '../../src-main/vaults/vault';",
    ].join('\n');
    expect(violationsIn('src-shared/crypto/fake.ts', shared).map((v) => v.split(' (')[0])).toEqual([
      'src-shared/crypto/fake.ts: node:fs',
      'src-shared/crypto/fake.ts: path',
      'src-shared/crypto/fake.ts: electron',
      'src-shared/crypto/fake.ts: keytar',
      'src-shared/crypto/fake.ts: react-dom/client',
      'src-shared/crypto/fake.ts: ../../src-main/vaults/vault',
    ]);

    const renderer = "const v = await import('../src-main/vaults/vault');\nimport os from 'os';";
    expect(violationsIn('src-renderer/Fake.tsx', renderer)).toHaveLength(2);

    expect(violationsIn('src-main/vaults/fake.ts', "import { app } from 'electron';")).toHaveLength(1);
    expect(violationsIn('src-main/keychain/fake.ts', "import keytar from 'keytar';")).toHaveLength(1);
    expect(violationsIn('src-cli/fake.ts', "import '../src-main/electron/main';")).toHaveLength(1);
    expect(violationsIn('src-relay/fake.ts', "import { openVault } from '../src-main/vaults/vaults';")).toHaveLength(1);
    expect(violationsIn('src-main/vaults/fake.ts', "import { startRelay } from '../../src-relay/relay';\nimport '../../src-cli/main';")).toHaveLength(2);
    expect(violationsIn('src-node/crypto/fake.ts', "import { Vault } from '../../src-main/vaults/vault';")).toHaveLength(1);
  });

  it('allows what the design allows', () => {
    expect(violationsIn('src-main/electron/main.ts', "import { app } from 'electron';\nimport './preload';")).toEqual([]);
    expect(violationsIn('src-main/keychain/os-keychain.ts', "createRequire(import.meta.url)('keytar');")).toEqual([]);
    expect(violationsIn('src-shared/vault/fake.ts', "import * as Y from 'yjs';\nimport { x } from '../crypto/bytes';")).toEqual([]);
    expect(violationsIn('src-relay/push.ts', "import { nodeSuite } from '../src-node/crypto/node-suite';\nimport { x } from '../src-shared/errors';")).toEqual([]);
    expect(violationsIn('src-renderer/Fake.tsx', "import { useState } from 'react';\nimport { x } from '../src-shared/errors';")).toEqual([]);
  });
});
