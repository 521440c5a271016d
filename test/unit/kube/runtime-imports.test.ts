// What the operator's code loads at run time, as far as it costs memory for nothing:
// * only types from @kubernetes/client-node (erased by tsc): importing its values loads every
//   generated API and model module, about 80 MiB of resident memory, and the package is a
//   development dependency the image does not install;
// * never node's bundled undici: an ESM import of node:http builds a namespace that reads its lazy
//   WebSocket exports, which loads undici and the web streams (about 7 MiB); src/kube/client.ts
//   takes node:http with process.getBuiltinModule instead.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );

/** `file: names` of every import or export of client-node that brings in a value. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      ts.isStringLiteral(node.arguments[0] ?? node) &&
      (node.arguments[0] as ts.StringLiteral).text === '@kubernetes/client-node'
    )
      found.push(`${file}: import()`);
    ts.forEachChild(node, visit);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) {
      const specifier = statement.moduleSpecifier;
      if (!specifier || !ts.isStringLiteral(specifier) || specifier.text !== '@kubernetes/client-node')
        continue;
      if (ts.isExportDeclaration(statement)) {
        if (!statement.isTypeOnly) found.push(`${file}: export`);
        continue;
      }
      const clause = statement.importClause;
      if (!clause) found.push(`${file}: side effects`);
      else if (!clause.isTypeOnly) {
        const bindings = clause.namedBindings;
        const values =
          bindings && ts.isNamedImports(bindings)
            ? bindings.elements.filter((element) => !element.isTypeOnly).map((element) => element.name.text)
            : ['*'];
        if (clause.name) values.push(clause.name.text);
        if (values.length > 0) found.push(`${file}: ${values.join(', ')}`);
      }
    }
  }
  visit(source);
  return found;
}

describe('src/', () => {
  it('imports nothing but types from @kubernetes/client-node', () => {
    expect(sourceFiles(join(import.meta.dirname, '../../../src')).flatMap(valueImports)).toEqual([]);
  });
});

describe('nomad-operator run', () => {
  it('loads no undici or web streams when its modules are imported', () => {
    const run = join(import.meta.dirname, '../../../src/cli/run.ts');
    const script = `await import(${JSON.stringify(run)});
      console.log(JSON.stringify(process.moduleLoadList.filter((m) => /undici|webstreams/.test(m))));`;
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    ) as string[];
    expect(loaded).toEqual([]);
  });
});
