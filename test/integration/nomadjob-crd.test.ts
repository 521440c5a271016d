// The NomadJob CRD on a real apiserver: every corpus job stored as a NomadJob reads back to the same
// Nomad JSON (so the generated structural schema neither prunes nor rewrites anything the model
// holds), and kubectl's explain and get columns work.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toNomad } from '../../src/crd/codec.ts';
import { jobOfObject, nomadJobObject } from '../../src/crd/object.ts';
import { group, type NomadJobObject, plural, version } from '../../src/crd/resource.ts';
import { ensureNomadJobCrd } from '../../src/kube/crds.ts';
import { JobSchema } from '../../src/nomad/schema.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig } from './support/kube.ts';

const kc = testKubeConfig();
const objects = kc.makeApiClient(CustomObjectsApi);
const corpusDir = new URL('../fixtures/jobspecs/', import.meta.url);
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    file,
    job: JSON.parse(readFileSync(new URL(file, corpusDir), 'utf8')) as Record<string, unknown>,
  }));

// Several corpus jobs share an ID (and plain and canonical forms always do): a job goes to the
// first test namespace that does not hold its name yet.
const namespaces: Array<{ name: string; remove: () => Promise<void>; names: Set<string> }> = [];
async function namespaceFor(name: string): Promise<string> {
  let target = namespaces.find((n) => !n.names.has(name));
  if (!target) {
    target = { ...(await createTestNamespace(kc, 'crd')), names: new Set() };
    namespaces.push(target);
  }
  target.names.add(name);
  return target.name;
}

beforeAll(async () => {
  await ensureNomadJobCrd(operatorConfig(kc));
});
afterAll(async () => {
  await Promise.all(namespaces.map((n) => n.remove()));
});

const kubectl = (...args: string[]) => {
  const result = spawnSync(
    path.join(inject('binDir'), 'kubectl'),
    [`--kubeconfig=${inject('kubeconfig')}`, ...args],
    {
      encoding: 'utf8',
    },
  );
  expect(result.stderr).toBe('');
  return result.stdout;
};

describe('NomadJob objects on the apiserver', () => {
  it('store every corpus job and read back the same Nomad JSON', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(80);
    for (const { file, job } of corpus) {
      const name = nomadJobObject(job).metadata!.name!;
      const namespace = await namespaceFor(name);
      const object = nomadJobObject(job, () => namespace);
      await objects.createNamespacedCustomObject({ group, version, namespace, plural, body: object });
      const stored = (await objects.getNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name: object.metadata!.name!,
      })) as NomadJobObject;
      const expected = JobSchema.parse(job);
      expect(toNomad(stored.spec), file).toEqual({ ok: true, job: expected });
      // The exact ID survives even when the object name had to be hashed.
      const read = jobOfObject(stored);
      expect(read.ok && read.job.ID, file).toBe(job.ID);
    }
  });

  it('documents the spec for kubectl explain', () => {
    const explained = kubectl('explain', 'nomadjob.spec.taskGroups.tasks');
    expect(explained).toContain('KIND:       NomadJob');
    expect(explained).toMatch(/killTimeout\s+<string>/);
    expect(explained).toMatch(/resources\s+<Object>/);
    expect(kubectl('explain', 'nomadjob.spec')).toMatch(/taskGroups\s+<\[\]Object>/);
  });

  it('shows Type, Status, Version, Running/Desired, Reason and Age in kubectl get nj', async () => {
    const namespace = await namespaceFor('columns-demo');
    const { job } = corpus.find((c) => c.file === 'batch-simple.canonical.json')!;
    await objects.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: nomadJobObject({ ...job, ID: 'columns-demo' }, () => namespace),
    });
    // What the operator will do: write status through the status subresource.
    await objects.patchNamespacedCustomObjectStatus(
      {
        group,
        version,
        namespace,
        plural,
        name: 'columns-demo',
        body: { status: { status: 'running', version: 3, allocations: '1/2' } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const table = kubectl('get', 'nj', '-n', namespace);
    const [header, ...rows] = table.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAME',
      'TYPE',
      'STATUS',
      'VERSION',
      'RUNNING/DESIRED',
      'REASON',
      'AGE',
    ]);
    const row = rows.find((r) => r.startsWith('columns-demo '))?.split(/\s+/);
    expect(row?.slice(0, 5)).toEqual(['columns-demo', 'batch', 'running', '3', '1/2']);
  });
});
