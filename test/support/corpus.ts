// The realistic jobspec corpus (test/fixtures/corpus/): its entries, and each one converted exactly as a
// user converts it, through `nomad-operator convert` (runConvert with the same arguments a shell would
// pass: the jobspec, its `<name>.vars.hcl` as --var-file when there is one, --namespace).
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { runConvert } from '../../src/cli/convert.ts';

export const corpusDir = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));

export interface CorpusEntry {
  /** File name without `.nomad.hcl`; also the job's ID (a test checks it). */
  name: string;
  /** Absolute path of the jobspec. */
  jobspec: string;
  /** Absolute path of its variables file, when it has one. */
  varFile?: string;
}

/** Every `*.nomad.hcl` of the corpus, sorted by name. */
export function corpusEntries(): CorpusEntry[] {
  return readdirSync(corpusDir)
    .filter((file) => file.endsWith('.nomad.hcl'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.nomad.hcl'.length);
      const varFile = `${corpusDir}${name}.vars.hcl`;
      return {
        name,
        jobspec: `${corpusDir}${file}`,
        ...(existsSync(varFile) ? { varFile } : {}),
      };
    });
}

export interface Converted {
  /** convert's exit status: 0 done, 1 the job could not be read, parsed or validated, 2 bad usage. */
  status: number;
  stdout: string;
  stderr: string;
}

/** `nomad-operator convert <jobspec> [--var-file <vars>] --namespace <ns> [...extra]`, buffered. */
export async function convertCorpusJob(
  entry: CorpusEntry,
  namespace: string,
  extra: readonly string[] = [],
): Promise<Converted> {
  let stdout = '';
  let stderr = '';
  const args = [
    entry.jobspec,
    ...(entry.varFile ? ['--var-file', entry.varFile] : []),
    '--namespace',
    namespace,
    ...extra,
  ];
  const status = await runConvert(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    readStdin: async () => '',
  });
  return { status, stdout, stderr };
}

/** The objects of a YAML stream, in order. */
export function objectsOf(stream: string): KubernetesObject[] {
  return (yaml.loadAll(stream) as Array<KubernetesObject | null>).filter(
    (o): o is KubernetesObject => o !== null && typeof o === 'object',
  );
}

/** The `warning: …` lines convert wrote to stderr, in order. */
export function warningLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('warning: '));
}
