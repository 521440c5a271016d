// Dispatch on the real cluster: a parameterized NomadJob gets child NomadJobs that run as Jobs with
// the payload file and NOMAD_META_* env; idempotency tokens give one child, across a controller restart
// and concurrent calls; Nomad's errors; purging the parent purges the children.
import { BatchV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { dispatchJob } from '../../../src/jobs/dispatch.ts';
import { evaluationsOf } from '../../../src/jobs/evaluations.ts';
import { makeKubeWriter } from '../../../src/kube/kube-writer.ts';
import { childName } from '../../../src/nomad/ids.ts';
import { ANNOTATION_PARENT_ID, LABEL_JOB, LABEL_PARENT_ID } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob, type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const writer = makeKubeWriter(operatorConfig(kc));
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

let namespace: string;
let removeNamespace: () => Promise<void>;
let harness: Harness;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'dispatch'));
  harness = await startController(kc, namespace);
});
afterAll(async () => {
  await harness?.stop();
  await removeNamespace();
});

function parameterized(id: string, extra: Partial<Job> = {}): Job {
  return {
    ID: id,
    Type: 'batch',
    Datacenters: ['*'],
    Meta: { team: 'data' },
    ParameterizedJob: { Payload: 'optional', MetaRequired: ['customer'], MetaOptional: ['tier'] },
    TaskGroups: [
      {
        Name: 'work',
        Count: 1,
        Tasks: [
          {
            Name: 'run',
            Driver: 'docker',
            Config: { image: 'registry.example/worker:1' },
            DispatchPayload: { File: 'input.json' },
          },
        ],
      },
    ],
    ...extra,
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

async function submitted(job: Job): Promise<NomadJobObject> {
  await harness.submit(job);
  return harness.read(job.ID ?? '');
}

async function children(parentId: string): Promise<NomadJobObject[]> {
  const list = (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
    items: NomadJobObject[];
  };
  return list.items.filter((o) => o.metadata?.annotations?.[ANNOTATION_PARENT_ID] === parentId);
}

async function podsOf(jobName: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: `${LABEL_JOB}=${jobName}` })).items;
}

describe('dispatch', () => {
  it('runs three children with the payload file and the meta as env, then counts them dead', async () => {
    const parent = await submitted(parameterized('process'));
    const results = [];
    for (let i = 0; i < 3; i++) {
      const result = await dispatchJob(writer, parent, {
        payload: b64(`{"n":${i}}`),
        meta: { customer: `c${i}` },
      });
      if (!result.ok) throw new Error(result.message);
      expect(result.created).toBe(true);
      expect(result.childId).toMatch(/^process\/dispatch-\d+-[0-9a-f]{8}$/);
      expect(result.evalId).toMatch(/^[0-9a-f-]{36}$/);
      results.push(result);
    }
    expect(new Set(results.map((r) => r.childId)).size).toBe(3);

    for (const [i, result] of results.entries()) {
      const name = result.child.metadata?.name ?? '';
      expect(result.child.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'NomadJob',
        name: 'process',
      });
      expect(result.child.metadata?.labels?.[LABEL_PARENT_ID]).toBe('process');
      const pods = await waitFor(`a pod of ${result.childId}`, async () => {
        const list = await podsOf(name);
        return list.length > 0 ? list : undefined;
      });
      const spec = pods[0]?.spec;
      const secretName = childName(name, 'payload');
      expect(spec?.volumes).toContainEqual({
        name: 'nomad-payload',
        secret: { secretName, items: [{ key: 'payload', path: 'payload', mode: 0o755 }], defaultMode: 420 },
      });
      const container = spec?.containers.find((c) => c.name === 'run');
      expect(container?.volumeMounts).toContainEqual({
        name: 'nomad-payload',
        mountPath: '/local/input.json',
        subPath: 'payload',
        readOnly: true,
      });
      const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
      expect(env).toMatchObject({
        NOMAD_META_customer: `c${i}`,
        NOMAD_META_CUSTOMER: `c${i}`,
        NOMAD_META_team: 'data',
        NOMAD_JOB_PARENT_ID: 'process',
      });
      // An optional key not passed is set, empty (the apiserver drops empty values from env entries).
      expect(Object.keys(env)).toContain('NOMAD_META_tier');
      expect(env.NOMAD_META_tier ?? '').toBe('');
      const secret = await core.readNamespacedSecret({ namespace, name: secretName });
      expect(Buffer.from(secret.data?.payload ?? '', 'base64').toString()).toBe(`{"n":${i}}`);
      expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'NomadJob',
        name,
        controller: true,
      });
      const jobs = await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_JOB}=${name}` });
      expect(jobs.items).toHaveLength(1);
    }

    for (const result of results) {
      const done = await waitFor(`${result.childId} dead`, async () => {
        const child = await harness.read(result.child.metadata?.name ?? '');
        return child.status?.status === 'dead' ? child : undefined;
      });
      expect(done.status?.summary?.work?.complete).toBe(1);
      const evaluations = await waitFor(
        `the job-register evaluation of ${result.childId} complete`,
        async () => {
          const evals = evaluationsOf(done, await configMapOf(done));
          return evals[0]?.Status === 'complete' ? evals : undefined;
        },
      );
      expect(evaluations).toHaveLength(1);
      expect(evaluations[0]).toMatchObject({
        ID: result.evalId,
        TriggeredBy: 'job-register',
        JobID: result.childId,
        Type: 'batch',
      });
    }
    const parentDone = await waitFor('parent counts 3 dead children', async () => {
      const p = await harness.read('process');
      return p.status?.children?.dead === 3 ? p : undefined;
    });
    expect(parentDone.status?.status).toBe('running');
    expect(parentDone.status?.children).toEqual({ pending: 0, running: 0, dead: 3 });
  });

  it('gives one child per idempotency token, across a controller restart and concurrent calls', async () => {
    const parent = await submitted(parameterized('idem'));
    const request = { meta: { customer: 'x' }, idempotencyToken: 'token-1' };
    const first = await dispatchJob(writer, parent, request);
    const second = await dispatchJob(writer, parent, request);
    if (!first.ok || !second.ok) throw new Error('dispatch failed');
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.childId).toBe(first.childId);
    expect(second.evalId).toBe(first.evalId);

    await harness.stop();
    harness = await startController(kc, namespace);
    const third = await dispatchJob(
      writer,
      await harness.read('idem'),
      request,
      new Date(Date.now() + 5_000),
    );
    if (!third.ok) throw new Error(third.message);
    expect(third.created).toBe(false);
    expect(third.childId).toBe(first.childId);

    // Racing dispatches of a new token: exactly one creates, all answer the same child.
    const raced = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        dispatchJob(
          writer,
          parent,
          { meta: { customer: 'y' }, idempotencyToken: 'token-2' },
          new Date(Date.now() + i * 1000),
        ),
      ),
    );
    const oks = raced.filter((r) => r.ok);
    expect(oks).toHaveLength(4);
    expect(new Set(oks.map((r) => r.childId)).size).toBe(1);
    expect(oks.filter((r) => r.created)).toHaveLength(1);

    // A token-less dispatch still makes a new child each time.
    const plain = await dispatchJob(writer, parent, { meta: { customer: 'z' } });
    if (!plain.ok) throw new Error(plain.message);
    expect(plain.created).toBe(true);
    expect(await children('idem')).toHaveLength(3);
    await waitFor('idem children running or done', async () => {
      const list = await children('idem');
      return list.every((c) => c.status?.status === 'running' || c.status?.status === 'dead');
    });
  });

  it("answers Nomad's errors", async () => {
    const plain = await submitted(dockerJob('plain', { Type: 'batch' }));
    expect(await dispatchJob(writer, plain, {})).toEqual({
      ok: false,
      status: 500,
      message: 'Specified job "plain" is not a parameterized job',
    });
    const parent = await submitted(
      parameterized('strict', {
        ParameterizedJob: { Payload: 'required', MetaRequired: ['customer'] },
      }),
    );
    const cases: Array<[Parameters<typeof dispatchJob>[2], string]> = [
      [{ meta: { customer: 'a' } }, 'Payload is not provided but required by parameterized job'],
      [{ payload: b64('x'), meta: {} }, 'Dispatch did not provide required meta keys: [customer]'],
      [
        { payload: b64('x'), meta: { customer: 'a', zeta: '1', alpha: '2' } },
        'Dispatch request included unpermitted metadata keys: [alpha zeta]',
      ],
      [
        { payload: Buffer.alloc(16 * 1024 + 1).toString('base64'), meta: { customer: 'a' } },
        'Payload exceeds maximum size; 16385 > 16384',
      ],
      [
        { payload: b64('x'), meta: { customer: 'a' }, priority: 101 },
        'dispatch job priority must be between [1, 100]',
      ],
    ];
    for (const [request, message] of cases) {
      expect(await dispatchJob(writer, parent, request)).toEqual({ ok: false, status: 500, message });
    }
    expect(await dispatchJob(writer, parent, { payload: '***', meta: { customer: 'a' } })).toMatchObject({
      ok: false,
      status: 400,
    });
    const stopped = await submitted(parameterized('halted', { Stop: true }));
    expect(await dispatchJob(writer, stopped, { meta: { customer: 'a' } })).toEqual({
      ok: false,
      status: 500,
      message: 'Specified job "halted" is stopped',
    });
    expect(await children('strict')).toEqual([]);
  });

  it('purges the children with the parent', async () => {
    const parent = await submitted(parameterized('doomed'));
    for (let i = 0; i < 2; i++) {
      const result = await dispatchJob(writer, parent, { payload: b64('p'), meta: { customer: `${i}` } });
      expect(result.ok).toBe(true);
    }
    expect(await children('doomed')).toHaveLength(2);
    await custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name: 'doomed' });
    await waitFor('children of doomed collected', async () => (await children('doomed')).length === 0);
    await waitFor('their Jobs and Secrets collected', async () => {
      const [jobs, secrets] = await Promise.all([
        batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_PARENT_ID}=doomed` }),
        core.listNamespacedSecret({ namespace, labelSelector: `${LABEL_PARENT_ID}=doomed` }),
      ]);
      return jobs.items.length === 0 && secrets.items.length === 0;
    });
  });
});

async function configMapOf(job: NomadJobObject) {
  const list = await core.listNamespacedConfigMap({
    namespace,
    labelSelector: `${LABEL_JOB}=${job.metadata?.name}`,
  });
  return list.items.find((c) => c.metadata?.name?.endsWith('--evaluations'));
}
