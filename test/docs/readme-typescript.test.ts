/**
 * Every ```ts block of README.md compiles, as a user's cdktf app would
 * compile it: the tsconfig of `cdktf init --template=typescript` (strict,
 * noUnusedLocals, noUnusedParameters, CommonJS with node10 resolution), and
 * `cdktf-apigw` resolved as an installed package (package.json `types`,
 * `typesVersions`, the built declarations in dist/).
 *
 * Conventions, so that the README stays readable:
 * - a block is a module of its own; later blocks continue "Declaring a
 *   gateway", so `app`, `stack` and `service` may be used without declaring
 *   them (PRELUDE below);
 * - a block needing more declares it in an HTML comment right above it, which
 *   renders as nothing: `<!-- ts-prelude: declare const jwks: string; -->`.
 */
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

const PRELUDE = `declare const app: import('cdktf').App;
declare const stack: import('cdktf').TerraformStack;
declare const service: import('cdktf-apigw').Service;
`;

interface Block {
  readonly heading: string;
  /** 1-based line of the block's first code line in README.md. */
  readonly line: number;
  readonly code: string;
  readonly prelude: string;
}

/** The ```ts blocks of a Markdown text, each with the heading it is under. */
export function typescriptBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) heading = h[1] as string;
    const fence = /^(\s*)```(\S*)/.exec(line);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (fence[2] === 'ts' || fence[2] === 'typescript') {
      const prelude = /^<!--\s*ts-prelude:([\s\S]*?)-->\s*$/.exec(lines[i - 1] ?? '')?.[1] ?? '';
      blocks.push({ heading, line: i + 2, code: lines.slice(i + 1, end).join('\n'), prelude: prelude.trim() });
    }
    i = end;
  }
  return blocks;
}

/** A folder where `cdktf-apigw` is installed (this repository) next to the repository's own dependencies. */
function consumerFolder(): string {
  const dir = tempDir('apigw-readme-');
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
    if (!name.startsWith('.')) symlinkSync(join(repoRoot, 'node_modules', name), join(modules, name));
  }
  symlinkSync(repoRoot, join(modules, 'cdktf-apigw'));
  return dir;
}

/** The compiler options of a fresh `cdktf init --template=typescript` app. */
function cdktfCompilerOptions(dir: string): ts.CompilerOptions {
  const file = join(repoRoot, 'node_modules', 'cdktf-cli', 'bundle', 'templates', 'typescript', 'tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(JSON.parse(readFileSync(file, 'utf8')), ts.sys, dir);
  return { ...parsed.options, noEmit: true, incremental: false, types: ['node'] };
}

describe('README.md TypeScript blocks', () => {
  const blocks = typescriptBlocks(readFileSync(join(repoRoot, 'README.md'), 'utf8'));

  it('finds the blocks, each under its heading', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    expect(blocks[0]?.heading).toBe('Declaring a gateway');
  });

  it('compile under the cdktf template tsconfig against the built package', () => {
    const dir = consumerFolder();
    const files = new Map<string, string>();
    files.set(join(dir, 'readme-prelude.d.ts'), PRELUDE);
    blocks.forEach((b, i) => {
      // `export {}` makes each block a module, so their top-level names do not collide.
      const header = b.prelude ? `${b.prelude}\n` : '';
      files.set(join(dir, `block-${i + 1}.ts`), `${header}${b.code}\nexport {};\n`);
    });
    const options = cdktfCompilerOptions(dir);
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    host.readFile = (f) => files.get(f) ?? readFile(f);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (f) => files.has(f) || fileExists(f);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (f, lang, ...rest) => {
      const text = files.get(f);
      return text !== undefined ? ts.createSourceFile(f, text, lang) : getSourceFile(f, lang, ...rest);
    };
    const program = ts.createProgram([...files.keys()], options, host);
    const failures: string[] = [];
    blocks.forEach((b, i) => {
      const file = program.getSourceFile(join(dir, `block-${i + 1}.ts`)) as ts.SourceFile;
      const offset = b.prelude ? b.prelude.split('\n').length : 0;
      const problems = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map((d) => {
        const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0);
        return `    README.md:${b.line + line - offset}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n      ')}`;
      });
      if (problems.length > 0)
        failures.push(`  block under "${b.heading}" (README.md:${b.line}):\n${problems.join('\n')}`);
    });
    if (failures.length > 0) {
      throw new Error(`README TypeScript blocks do not compile:\n${failures.join('\n')}`);
    }
  });
});
