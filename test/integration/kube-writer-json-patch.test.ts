// The write port's JSON patch on the real apiserver, conditioned on a NomadJob's generation as the
// API's index annotations are (src/api/jobwrite.ts recordIndexes): the patch applies while the spec
// write it belongs to is the latest, also after status writes (they do not move the generation), and
// is refused, leaving the object as it was, once a newer spec write moved it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nomadJobObject } from '../../src/crd/object.ts';
import type { NomadJobObject } from '../../src/crd/resource.ts';
import { makeKubeWriter } from '../../src/kube/kube-writer.ts';
import { type JsonPatchOperation, jsonPointer, nomadJobRef, WriteError } from '../../src/kube/writer.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig } from './support/kube.ts';

const kc = testKubeConfig();
const writer = makeKubeWriter(operatorConfig(kc));

let namespace: string;
let removeNamespace: () => Promise<void>;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'json-patch'));
});
afterAll(async () => {
  await removeNamespace();
});

const job = (image: string) => ({
  ID: 'web',
  Datacenters: ['*'],
  TaskGroups: [{ Name: 'app', Count: 1, Tasks: [{ Name: 'main', Driver: 'docker', Config: { image } }] }],
});

/** Sets annotation `key` only while the NomadJob is at `generation`. */
const annotateAt = (generation: number, key: string, value: string): JsonPatchOperation[] => [
  { op: 'test', path: jsonPointer('metadata', 'generation'), value: generation },
  { op: 'add', path: jsonPointer('metadata', 'annotations', key), value },
];

describe('jsonPatch', () => {
  it('applies at the tested generation, after status writes too, and is refused once the spec moved on', async () => {
    const created = await writer.create(nomadJobObject(job('registry.example/app:1'), () => namespace));
    const ref = nomadJobRef(namespace, created.metadata?.name ?? '');
    expect(created.metadata?.generation).toBe(1);

    await writer.mergePatch(ref, { status: { status: 'pending' } }, { status: true });
    const patched = await writer.jsonPatch<NomadJobObject>(ref, annotateAt(1, 'example.test/index', 'one'));
    expect(patched.metadata?.generation).toBe(1);
    expect(patched.metadata?.annotations?.['example.test/index']).toBe('one');
    // Other annotations (the identity ones) are kept: each key is its own path.
    expect(Object.keys(patched.metadata?.annotations ?? {}).length).toBeGreaterThan(1);

    const replaced = await writer.replace<NomadJobObject>({
      ...patched,
      spec: nomadJobObject(job('registry.example/app:2')).spec,
    });
    expect(replaced.metadata?.generation).toBe(2);
    const refused = await writer.jsonPatch(ref, annotateAt(1, 'example.test/index', 'stale')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(WriteError);
    expect(refused).toMatchObject({ kind: 'invalid', code: 422 });
    const after = await writer.read<NomadJobObject>(ref);
    expect(after?.metadata?.resourceVersion).toBe(replaced.metadata?.resourceVersion);
    expect(after?.metadata?.annotations?.['example.test/index']).toBe('one');
  });
});
