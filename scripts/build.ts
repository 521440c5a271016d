// The operator as it ships: src/cli/main.ts and everything it imports, dependencies included, bundled
// by esbuild into dist/ (`npm run build`, the image's `dist` stage, and the bench, which measures
// what the image runs). Type checking is tsc's job (`npm run typecheck`, and the image's `dist`
// stage runs it before this).
//
// Why a bundle rather than tsc's one file per module: the operator's memory. V8 keeps every loaded
// module's source text on its heap for as long as the process lives (functions are compiled lazily
// from it), and the ~600 modules of src/ and its dependencies weigh 3.4 MB, a third of it stored at
// two bytes per character because of one non-Latin-1 character in the file (an em dash in a
// comment is enough). The bundle holds only the modules reachable from the entry point, without
// comments or indentation, in ASCII (non-ASCII characters escaped): about 2.4 MB of one-byte text in
// four modules (the entry point, the `run` chunk and two chunks it shares with the other commands),
// instead of six hundred. Measured with no jobs: 5 MiB less V8 heap (docs/performance.md, "Memory").
//
// Names are kept (no identifier mangling), so stack traces still name functions; the linked source
// maps let `node --enable-source-maps` (or NODE_OPTIONS=--enable-source-maps in the image) print
// src/ locations.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * zod's `z` namespace re-exports its error messages in 60-odd languages (`z.locales`, `z.core.locales`), and a namespace
 * cannot be tree-shaken: 300 KB of the bundle, whose source V8 would keep on the heap. The operator
 * speaks English only (zod configures English itself, from its own import of `locales/en.js`), so the
 * namespace is bundled with English alone.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)
        ? { path: path.join(args.resolveDir, '../locales/en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * Bundles the CLI into `outDir` (default `<repo>/dist`): `cli/main.js` and the chunks it imports
 * on demand (`run`, `convert`, `import`), ES modules for Node 24. Replaces what was there.
 */
export async function buildOperator(outDir = path.join(repoRoot, 'dist')): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: { 'cli/main': path.join(repoRoot, 'src/cli/main.ts') },
    outdir: outDir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Whitespace and syntax only: identifiers stay readable in stack traces and logs.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    legalComments: 'none',
    sourcemap: 'linked',
    // Dependencies written as CommonJS (fastify, pino, …) call require() for Node's built-in
    // modules; an ES module has none of its own.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    plugins: [zodEnglishOnly],
    logLevel: 'warning',
  });
  return path.join(outDir, 'cli/main.js');
}

if (import.meta.main) {
  const outDir = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
  const entry = await buildOperator(outDir);
  process.stdout.write(`build: wrote ${path.relative(process.cwd(), entry)} and its chunks\n`);
}
