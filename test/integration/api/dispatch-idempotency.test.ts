// Dispatch idempotency through the Nomad API on a real HTTP server backed by the real apiserver: a
// token sent in the body (`IdempotencyToken`) or in `?idempotency_token=` makes concurrent retries of
// one dispatch yield exactly one child job, as Nomad's server does; distinct tokens yield distinct
// children; the query token wins when both are given.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../../src/api/server.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { ANNOTATION_PARENT_ID } from '../../../src/nomad/keys.ts';
import { startTestApiServer } from '../support/api-server.ts';
import { createTestNamespace, testKubeConfig } from '../support/kube.ts';

const kc = testKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);

let ns: { name: string; remove: () => Promise<void> };
let server: ApiServer;

const PARENT = 'render';

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(server.url + path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, text: await res.text() };
}

interface DispatchAnswer {
  DispatchedJobID: string;
  EvalID: string;
  EvalCreateIndex: number;
  JobCreateIndex: number;
}

/** `count` dispatches sent at once; every one must answer 200. */
async function concurrentDispatches(count: number, query: string, body: unknown): Promise<DispatchAnswer[]> {
  const answers = await Promise.all(
    Array.from({ length: count }, () => api('PUT', `/v1/job/${PARENT}/dispatch${query}`, body)),
  );
  for (const answer of answers) expect(answer.status, answer.text).toBe(200);
  return answers.map((a) => JSON.parse(a.text) as DispatchAnswer);
}

/** The child NomadJobs of the parent, as the apiserver holds them. */
async function children(): Promise<NomadJobObject[]> {
  const list = (await custom.listNamespacedCustomObject({ group, version, plural, namespace: ns.name })) as {
    items: NomadJobObject[];
  };
  return list.items.filter((o) => o.metadata?.annotations?.[ANNOTATION_PARENT_ID] === PARENT);
}

const tokenOf = (child: NomadJobObject) =>
  (child.spec as Record<string, unknown> | undefined)?.dispatchIdempotencyToken;

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'dispatch-token');
  server = await startTestApiServer(kc, ns.name);
  const register = await api('PUT', '/v1/jobs', {
    Job: {
      ID: PARENT,
      Type: 'batch',
      Datacenters: ['*'],
      ParameterizedJob: { Payload: 'optional' },
      TaskGroups: [
        {
          Name: 'work',
          Count: 1,
          Tasks: [{ Name: 'run', Driver: 'docker', Config: { image: 'registry.example/worker:1' } }],
        },
      ],
    },
  });
  expect(register.status, register.text).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await ns?.remove();
});

describe('dispatch idempotency through the API', () => {
  it('20 concurrent dispatches with the same body token make exactly one child', async () => {
    const answers = await concurrentDispatches(20, '', { IdempotencyToken: 'body-token' });
    const ids = new Set(answers.map((a) => a.DispatchedJobID));
    expect(ids.size).toBe(1);
    // As Nomad answers: the one dispatch that made the child has its evaluation; the retries get the
    // child without one (Nomad creates none for them).
    const withEval = answers.filter((a) => a.EvalID !== '');
    expect(withEval).toHaveLength(1);
    expect(withEval[0]?.EvalID).toMatch(/^[0-9a-f-]{36}$/);
    for (const retry of answers.filter((a) => a.EvalID === '')) expect(retry.EvalCreateIndex).toBe(0);
    expect(new Set(answers.map((a) => a.JobCreateIndex)).size).toBe(1);
    const withToken = (await children()).filter((c) => tokenOf(c) === 'body-token');
    expect(withToken).toHaveLength(1);
    expect(withToken[0]?.metadata?.annotations?.['nomadoperator.dev/job-id']).toBe([...ids][0]);
  });

  it('20 concurrent dispatches with the same query token make exactly one child', async () => {
    const answers = await concurrentDispatches(20, '?idempotency_token=query-token', {});
    const ids = new Set(answers.map((a) => a.DispatchedJobID));
    expect(ids.size).toBe(1);
    const withToken = (await children()).filter((c) => tokenOf(c) === 'query-token');
    expect(withToken).toHaveLength(1);
    expect(withToken[0]?.metadata?.annotations?.['nomadoperator.dev/job-id']).toBe([...ids][0]);
  });

  it('different tokens make different children, and the query token wins over the body one', async () => {
    const tokens = ['t-1', 't-2', 't-3', 't-4', 't-5'];
    const answers = await Promise.all(
      tokens.map((token, i) =>
        i % 2 === 0
          ? api('PUT', `/v1/job/${PARENT}/dispatch`, { IdempotencyToken: token })
          : api('PUT', `/v1/job/${PARENT}/dispatch?idempotency_token=${token}`, {}),
      ),
    );
    const ids = answers.map((a) => (JSON.parse(a.text) as DispatchAnswer).DispatchedJobID);
    expect(new Set(ids).size).toBe(tokens.length);

    // Both given: the query's token is the one in force, so this is a retry of t-2's dispatch.
    const both = await api('PUT', `/v1/job/${PARENT}/dispatch?idempotency_token=t-2`, {
      IdempotencyToken: 'never-used',
    });
    expect(both.status, both.text).toBe(200);
    expect((JSON.parse(both.text) as DispatchAnswer).DispatchedJobID).toBe(ids[1]);
    // The same token through the other door is the same dispatch.
    const viaBody = await api('PUT', `/v1/job/${PARENT}/dispatch`, { IdempotencyToken: 't-2' });
    expect((JSON.parse(viaBody.text) as DispatchAnswer).DispatchedJobID).toBe(ids[1]);

    const all = await children();
    expect(all.filter((c) => tokenOf(c) === 'never-used')).toHaveLength(0);
    for (const token of tokens) expect(all.filter((c) => tokenOf(c) === token)).toHaveLength(1);
    // Two children from the earlier tests, five here, none more.
    expect(all).toHaveLength(2 + tokens.length);
  });
});
