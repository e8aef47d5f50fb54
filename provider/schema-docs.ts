/**
 * Attribute descriptions from the TSDoc of the config schema: each
 * `/** ... *\/` on a property of a `Type.Object({...})` in model/schema.ts and
 * model/admin.ts, keyed by the exported constant and the property path
 * within it (`Api.frontend.rawPath`), plus the doc of each exported constant.
 *
 * Runs the TypeScript parser, so only at build time: the provider bundle
 * carries the resulting table (scripts/bundle-provider.mjs), and tests read
 * the sources directly.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** `{ Const: { '': doc of the const, 'a.b': doc of property b of object a } }`. */
export type SchemaDocs = Record<string, Record<string, string>>;

export function extractSchemaDocs(files: readonly string[]): SchemaDocs {
  const docs: SchemaDocs = {};
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    for (const statement of source.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
      for (const decl of statement.declarationList.declarations) {
        if (!ts.isIdentifier(decl.name) || !decl.initializer) continue;
        const table: Record<string, string> = {};
        const own = docOf(statement);
        if (own) table[''] = own;
        visit(decl.initializer, [], table);
        if (Object.keys(table).length > 0) docs[decl.name.text] = table;
      }
    }
  }
  return docs;
}

function visit(node: ts.Node, path: readonly string[], table: Record<string, string>): void {
  if (ts.isCallExpression(node) && isTypeObjectCall(node)) {
    const [props, ...rest] = node.arguments;
    if (props && ts.isObjectLiteralExpression(props)) {
      for (const p of props.properties) {
        if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) continue;
        const key = [...path, p.name.text];
        const doc = docOf(p);
        if (doc) table[key.join('.')] = doc;
        visit(p.initializer, key, table);
      }
    }
    for (const r of rest) visit(r, path, table);
    return;
  }
  ts.forEachChild(node, (child) => visit(child, path, table));
}

function isTypeObjectCall(node: ts.CallExpression): boolean {
  const callee = node.expression;
  return (
    ts.isPropertyAccessExpression(callee) && callee.name.text === 'Object' && callee.expression.getText() === 'Type'
  );
}

function docOf(node: ts.Node): string | undefined {
  const text = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((d) => (typeof d.comment === 'string' ? d.comment : ts.getTextOfJSDocComment(d.comment)))
    .filter((c): c is string => Boolean(c))
    .join(' ');
  return text ? text.replace(/\s+/g, ' ').trim() : undefined;
}
