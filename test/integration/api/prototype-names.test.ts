// Names are the user's: a job whose groups and tasks are called `__proto__`, `constructor` or
// `toString` (names JavaScript objects already have) runs and reads back like any other, through the
// real apiserver, the controller and the Nomad API: every group's summary, allocations, evaluation and
// the job read back unchanged.
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { testKubeConfig, waitFor } from '../support/kube.ts';
import { callApi, operatorForFile } from '../support/operator.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const operator = operatorForFile(kc, 'prototype-names');

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const { status, text } = await callApi(operator().api, method, path, body);
  return { status, json: (status === 200 ? JSON.parse(text) : text) as T };
}

const GROUPS = ['__proto__', 'constructor', 'toString'];

// Sent as JSON text: in a JavaScript literal a `__proto__` key would set the prototype.
const job = JSON.parse(`{
  "ID": "names",
  "Datacenters": ["dc1"],
  "Meta": { "__proto__": "job meta" },
  "TaskGroups": ${JSON.stringify(
    GROUPS.map((name) => ({
      Name: name,
      Count: 1,
      Tasks: [{ Name: 'hasOwnProperty', Driver: 'docker', Config: { image: 'registry.example/app:1' } }],
    })),
  )}
}`);
job.TaskGroups[0].Tasks[0].Env = JSON.parse('{ "__proto__": "an env value" }');

interface ReadJob {
  Meta: Record<string, string>;
  TaskGroups: Array<{ Name: string; Tasks: Array<{ Env?: Record<string, string> }> }>;
}

interface Summary {
  Summary: Record<string, { Running: number; Queued: number }>;
}

describe('groups named like JavaScript object properties', () => {
  it('run, and every group is summarized, evaluated and read back', async () => {
    const registered = await api<{ EvalID: string }>('PUT', '/v1/jobs', { Job: job });
    expect(registered.status, JSON.stringify(registered.json)).toBe(200);

    await waitFor(
      'every group running',
      async () => {
        const read = await api<{ Status: string }>('GET', '/v1/job/names');
        const summary = await api<Summary>('GET', '/v1/job/names/summary');
        const running = GROUPS.every(
          (g) => Object.hasOwn(summary.json.Summary, g) && summary.json.Summary[g]?.Running === 1,
        );

        return read.json.Status === 'running' && running ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );

    const summary = (await api<Summary>('GET', '/v1/job/names/summary')).json;
    expect(Object.keys(summary.Summary).sort()).toEqual([...GROUPS].sort());

    const allocations = (
      await api<Array<{ TaskGroup: string; ClientStatus: string; TaskStates: Record<string, unknown> }>>(
        'GET',
        '/v1/job/names/allocations',
      )
    ).json;
    expect(allocations.map((a) => a.TaskGroup).sort()).toEqual([...GROUPS].sort());
    for (const a of allocations) {
      expect(a.ClientStatus).toBe('running');
      expect(Object.keys(a.TaskStates)).toEqual(['hasOwnProperty']);
    }

    const evaluations = (
      await api<Array<{ QueuedAllocations: Record<string, number> | null }>>(
        'GET',
        '/v1/job/names/evaluations',
      )
    ).json;
    const placing = evaluations.find(
      (e) => e.QueuedAllocations !== null && Object.keys(e.QueuedAllocations).length > 0,
    );
    expect(Object.keys(placing?.QueuedAllocations ?? {}).sort()).toEqual([...GROUPS].sort());

    const read = (await api<ReadJob>('GET', '/v1/job/names')).json;
    expect(read.TaskGroups.map((g) => g.Name)).toEqual(GROUPS);
    // Map keys too: the job's meta, and the task's environment in its container.
    expect(Object.entries(read.Meta)).toEqual([['__proto__', 'job meta']]);
    expect(Object.entries(read.TaskGroups[0]?.Tasks[0]?.Env ?? {})).toEqual([['__proto__', 'an env value']]);
    const pods = await core.listNamespacedPod({ namespace: operator().namespace });
    const env = pods.items.flatMap((p) => p.spec?.containers.flatMap((c) => c.env ?? []) ?? []);
    expect(env).toContainEqual({ name: '__proto__', value: 'an env value' });
    // Read back and sent again unchanged: no new version.
    const again = await api<{ JobModifyIndex: number }>('PUT', '/v1/jobs', { Job: read });
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    const versions = (await api<{ Versions: Array<{ Version: number }> }>('GET', '/v1/job/names/versions'))
      .json;
    expect(versions.Versions.map((v) => v.Version)).toEqual([0]);
  });
});
