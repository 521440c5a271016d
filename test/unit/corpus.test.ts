// The realistic corpus (test/fixtures/corpus/), converted as users convert it (`nomad-operator convert`):
// every jobspec parses, canonicalizes and validates with no refusal, and translates into objects the
// apiserver would accept, with the workloads its expectation names. Conversion is deterministic, and
// every field that does not translate is reported: the warnings of each job are listed in
// test/fixtures/corpus/warnings/<name>.txt (regenerate with `npx vitest run --project unit
// test/unit/corpus.test.ts -u` and review the diff).
import { readFileSync } from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { labelValueFor } from '../../src/nomad/ids.ts';
import { LABEL_GROUP } from '../../src/nomad/keys.ts';
import { type Expectation, expectations, type WorkloadKind } from '../fixtures/corpus/expectations.ts';
import { convertCorpusJob, corpusDir, corpusEntries, objectsOf, warningLines } from '../support/corpus.ts';
import { objectsProblems } from '../support/kube-object-problems.ts';

const NAMESPACE = 'corpus';
const entries = corpusEntries();
const WORKLOAD_KINDS: WorkloadKind[] = ['Deployment', 'DaemonSet', 'Job', 'CronJob'];
const isWorkload = (o: KubernetesObject) => (WORKLOAD_KINDS as string[]).includes(o.kind ?? '');

describe('the realistic corpus', () => {
  it('has at least 60 jobs, each with an expectation, covering every category', () => {
    expect(entries.length).toBeGreaterThanOrEqual(60);
    const names = entries.map((e) => e.name);
    expect(Object.keys(expectations).sort()).toEqual(names);
    const categories = new Set(Object.values(expectations).map((e) => e.category));
    const required: Expectation['category'][] = [
      'web',
      'worker',
      'database',
      'batch',
      'periodic',
      'parameterized',
      'system',
      'sysbatch',
      'connect',
    ];
    expect(required.filter((c) => !categories.has(c))).toEqual([]);
  });

  it('is written as users write it: mostly datacenters = ["dc1"], task disk, variables', () => {
    const texts = entries.map((e) => readFileSync(e.jobspec, 'utf8'));
    const count = (pattern: RegExp) => texts.filter((t) => pattern.test(t)).length;
    expect(count(/datacenters\s*=\s*\["dc1"\]/)).toBeGreaterThan(entries.length / 2);
    expect(count(/^\s*disk\s*=\s*\d+/m)).toBeGreaterThanOrEqual(20);
    expect(count(/^\s*variable\s+"/m)).toBeGreaterThanOrEqual(10);
    expect(count(/\$\{attr\.kernel\.name\}/)).toBeGreaterThanOrEqual(5);
    expect(count(/env\s*=\s*true/)).toBeGreaterThanOrEqual(5);
  });

  it('README lists every job', () => {
    const readme = readFileSync(`${corpusDir}README.md`, 'utf8');
    expect(entries.filter((e) => !readme.includes(`\`${e.name}\``)).map((e) => e.name)).toEqual([]);
  });
});

describe.each(entries)('$name', (entry) => {
  const expectation = expectations[entry.name];

  it('converts to a NomadJob with no refusal', async () => {
    const converted = await convertCorpusJob(entry, NAMESPACE);
    // Only what Nomad's HTTP API would drop (a task's disk) is said without --manifests.
    for (const line of converted.stderr.split('\n').filter((l) => l !== ''))
      expect(line).toMatch(/^warning: \S+: .* is dropped, as Nomad's HTTP API drops /);
    expect(converted.status).toBe(0);
    const objects = objectsOf(converted.stdout);
    expect(objects.map((o) => o.kind)).toEqual(['NomadJob']);
    expect(objects[0]?.metadata?.namespace).toBe(NAMESPACE);
    expect((objects[0] as { spec?: { id?: string } }).spec?.id).toBe(entry.name);
  });

  it('translates deterministically into objects the apiserver would accept', async () => {
    const first = await convertCorpusJob(entry, NAMESPACE, ['--manifests']);
    expect(first.status, first.stderr).toBe(0);
    const second = await convertCorpusJob(entry, NAMESPACE, ['--manifests']);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toBe(first.stderr);
    expect(objectsProblems(objectsOf(first.stdout), NAMESPACE)).toEqual([]);
  });

  it('lists every field it does not translate as a warning', async () => {
    const converted = await convertCorpusJob(entry, NAMESPACE, ['--manifests']);
    expect(converted.status, converted.stderr).toBe(0);
    // Everything convert says besides the objects is a warning line; none is an internal error.
    expect(converted.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('warning: '))).toEqual([]);
    const warnings = warningLines(converted.stderr);
    expect(warnings.filter((w) => /internal error/i.test(w))).toEqual([]);
    // No silent refusal: a task group that runs as no workload is explained by a warning about it (or,
    // for a parameterized job, about the job running nothing until dispatched).
    const nomadJob = objectsOf((await convertCorpusJob(entry, NAMESPACE)).stdout)[0] as {
      spec?: { taskGroups?: Array<{ name?: string }> };
    };
    const objects = objectsOf(converted.stdout);
    const silent = (nomadJob.spec?.taskGroups ?? [])
      .map((g, i) => ({ name: g.name ?? '', i }))
      .filter(
        ({ name }) =>
          !objects.some((o) => isWorkload(o) && o.metadata?.labels?.[LABEL_GROUP] === labelValueFor(name)),
      )
      .filter(
        ({ i }) =>
          !warnings.some(
            (w) => w.startsWith(`warning: TaskGroups[${i}]`) || w.startsWith('warning: ParameterizedJob:'),
          ),
      )
      .map(({ name }) => name);
    expect(silent).toEqual([]);
    await expect(`${warnings.join('\n')}\n`).toMatchFileSnapshot(
      `../fixtures/corpus/warnings/${entry.name}.txt`,
    );
  });

  it('runs as the workloads Nomad would run', async () => {
    const converted = await convertCorpusJob(entry, NAMESPACE, ['--manifests']);
    expect(converted.status, converted.stderr).toBe(0);
    const objects = objectsOf(converted.stdout);
    const workloads = Object.fromEntries(
      WORKLOAD_KINDS.map((kind) => [kind, objects.filter((o) => o.kind === kind).length]).filter(
        ([, n]) => n !== 0,
      ),
    );
    expect(workloads).toEqual(expectation?.workloads);
  });
});
