// The writes a register makes, against the in-memory cluster with the real job actions: the NomadJob
// first, then every write that depends only on it (the version's revision, which records the
// version's JobModifyIndex and the job's CreateIndex, the evaluation record, the submitted source) at
// once, none waiting for another; the evaluation record of a new job without a read; no second write
// of the NomadJob. Whatever the order the writes land in, the answer and every read right after it
// agree: version, JobModifyIndex, CreateIndex, the evaluation, and EnforceIndex takes the
// JobModifyIndex it answered exactly once. Two registers in a row each answer their own index. A
// revert writes the same way; a dispatched or forced child's evaluation is recorded from the cache,
// without a read first.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { allowAll } from '../../../src/api/acl.ts';
import { makeKubeActions } from '../../../src/api/actions.ts';
import { buildApiApp } from '../../../src/api/app.ts';
import { ClusterState } from '../../../src/api/state.ts';
import { ApiStore } from '../../../src/api/store.ts';
import type { ClusterWriter } from '../../../src/kube/writer.ts';
import { holdingWriter } from '../../support/holding-writer.ts';
import { MemoryCluster, serviceJob } from './support.ts';

interface Call {
  call: string;
  /** The calls in flight (started, not finished) when this one finished. */
  overlapping: string[];
}

/**
 * The cluster's writer, logging every call: each one is answered a turn of the event loop after it
 * was made (as a round trip to the apiserver is), and notes which others were in flight meanwhile.
 */
function loggingWriter(inner: ClusterWriter): { writer: ClusterWriter; calls: Call[] } {
  const calls: Call[] = [];
  const inFlight = new Set<string>();
  const logged = <F extends (...args: never[]) => Promise<unknown>>(
    verb: string,
    of: (first: Parameters<F>[0]) => string,
    run: F,
  ): F =>
    (async (...args: Parameters<F>) => {
      const call = `${verb} ${of(args[0] as Parameters<F>[0])}`;
      inFlight.add(call);
      await new Promise((resolve) => setImmediate(resolve));
      try {
        return await run(...args);
      } finally {
        inFlight.delete(call);
        calls.push({ call, overlapping: [...inFlight].sort() });
      }
    }) as F;
  const named = (object: KubernetesObject) => `${object.kind} ${object.metadata?.name}`;
  const ref = (r: { kind: string; name: string }) => `${r.kind} ${r.name}`;
  const writer: ClusterWriter = {
    read: logged('read', ref, inner.read),
    list: inner.list,
    create: logged('create', named, inner.create),
    replace: logged('replace', named, inner.replace),
    apply: logged('apply', named, inner.apply),
    mergePatch: logged('mergePatch', ref, inner.mergePatch),
    delete: logged('delete', ref, inner.delete),
    event: inner.event,
  } as ClusterWriter;
  return { writer, calls };
}

/**
 * `writes` are exactly `expected` (in any order), all made at once: the first of them to finish had
 * every other one in flight.
 */
function expectAllAtOnce(writes: Call[], expected: string[]): void {
  expect(writes.map((c) => c.call).sort()).toEqual(expected);
  expect(writes[0]?.overlapping).toEqual(expected.filter((c) => c !== writes[0]?.call));
}

async function registerApi() {
  const cluster = new MemoryCluster();
  // No reconciler: the API records every version itself.
  cluster.controller = false;
  const holding = holdingWriter(cluster.writer());
  const { writer, calls } = loggingWriter(holding.writer);
  const store = new ApiStore(new ClusterState(cluster.sources), writer);
  const app = buildApiApp({ store, authorizer: allowAll, actions: makeKubeActions(writer) });
  await app.ready();
  const call = async (method: 'GET' | 'PUT', url: string, body?: Record<string, unknown>) => {
    const res = await app.inject({ method, url, ...(body !== undefined ? { payload: body } : {}) });
    return { status: res.statusCode, text: res.body, json: () => JSON.parse(res.body) };
  };
  return {
    cluster,
    store,
    calls,
    call,
    holdNextCreate: holding.holdNextCreate,
  };
}

describe('a register', () => {
  it('writes the NomadJob, then its revision, evaluation and source at once; reads right after agree', async () => {
    const { calls, call } = await registerApi();
    const submission = { Source: 'job "web" {}', Format: 'hcl2', VariableFlags: {}, Variables: '' };
    const reg = await call('PUT', '/v1/jobs', { Job: serviceJob('web'), Submission: submission });
    expect(reg.status, reg.text).toBe(200);
    const answer = reg.json() as { EvalID: string; JobModifyIndex: number; Index: number };

    expect(calls[0]).toEqual({ call: 'create NomadJob web', overlapping: [] });
    // No read of the evaluation record: the cache holds none, so it is created.
    const dependent = [
      'create ConfigMap web--evaluations',
      'create ConfigMap web--source--v0',
      'create ControllerRevision web--v0',
    ];
    expectAllAtOnce(calls.slice(1), dependent);

    const job = (await call('GET', '/v1/job/web')).json() as {
      Version: number;
      JobModifyIndex: number;
      CreateIndex: number;
      ModifyIndex: number;
    };
    expect(job.Version).toBe(0);
    expect(job.JobModifyIndex).toBe(answer.JobModifyIndex);
    expect(job.CreateIndex).toBe(answer.JobModifyIndex);
    // No write of the NomadJob after its spec's: its ModifyIndex is that write's (no controller here).
    expect(job.ModifyIndex).toBe(job.JobModifyIndex);
    expect(answer.Index).toBeGreaterThanOrEqual(job.ModifyIndex);
    const versions = (await call('GET', '/v1/job/web/versions')).json() as {
      Versions: Array<{ Version: number }>;
    };
    expect(versions.Versions.map((v) => v.Version)).toEqual([0]);
    const evaluations = (await call('GET', '/v1/job/web/evaluations')).json() as Array<{ ID: string }>;
    expect(evaluations.map((e) => e.ID)).toEqual([answer.EvalID]);
    const source = (await call('GET', '/v1/job/web/submission?version=0')).json() as { Source: string };
    expect(source.Source).toBe(submission.Source);
  });

  it('of a new spec with EnforceIndex: the replace, then its writes at once; the index it answers is taken once', async () => {
    const { calls, call } = await registerApi();
    const first = (await call('PUT', '/v1/jobs', { Job: serviceJob('web') })).json() as {
      JobModifyIndex: number;
    };
    calls.length = 0;

    const second = await call('PUT', '/v1/jobs', {
      Job: serviceJob('web', { Meta: { v: '2' } }),
      EnforceIndex: true,
      JobModifyIndex: first.JobModifyIndex,
    });
    expect(second.status, second.text).toBe(200);
    const answer = second.json() as { EvalID: string; JobModifyIndex: number };
    expect(answer.JobModifyIndex).toBeGreaterThan(first.JobModifyIndex);
    expect(calls[0]?.call).toBe('replace NomadJob web');
    // The cached record is written to conditioned on its resourceVersion, without reading it first.
    const rest = ['apply ConfigMap web--evaluations', 'create ControllerRevision web--v1'];
    expectAllAtOnce(calls.slice(1), rest);

    const job = (await call('GET', '/v1/job/web')).json() as {
      Version: number;
      JobModifyIndex: number;
      CreateIndex: number;
    };
    expect(job).toMatchObject({
      Version: 1,
      JobModifyIndex: answer.JobModifyIndex,
      CreateIndex: first.JobModifyIndex,
    });
    const evaluations = (await call('GET', '/v1/job/web/evaluations')).json() as Array<{ ID: string }>;
    expect(evaluations.map((e) => e.ID)).toContain(answer.EvalID);

    const stale = await call('PUT', '/v1/jobs', {
      Job: serviceJob('web', { Meta: { v: '3' } }),
      EnforceIndex: true,
      JobModifyIndex: first.JobModifyIndex,
    });
    expect([stale.status, stale.text]).toEqual([
      500,
      `Enforcing job modify index ${first.JobModifyIndex}: job exists with conflicting job modify index: ${answer.JobModifyIndex}`,
    ]);
    const third = await call('PUT', '/v1/jobs', {
      Job: serviceJob('web', { Meta: { v: '3' } }),
      EnforceIndex: true,
      JobModifyIndex: answer.JobModifyIndex,
    });
    expect(third.status, third.text).toBe(200);
    const again = await call('PUT', '/v1/jobs', {
      Job: serviceJob('web', { Meta: { v: '4' } }),
      EnforceIndex: true,
      JobModifyIndex: answer.JobModifyIndex,
    });
    expect(again.status).toBe(500);
  });

  it('right after another register of the job, before that version is in the cache, makes the next version', async () => {
    const { store, call, holdNextCreate } = await registerApi();
    const first = await call('PUT', '/v1/jobs', { Job: serviceJob('web', { Meta: { v: '0' } }) });
    expect(first.status, first.text).toBe(200);
    // The older register's spec write lands; its revision (version 1) is held...
    const hold = holdNextCreate('ControllerRevision');
    const older = call('PUT', '/v1/jobs', { Job: serviceJob('web', { Meta: { v: '1' } }) });
    await hold.arrived;
    // ...until the newer register waits for the caches (at the latest: once it has written).
    const waitUntil = store.state.waitUntil.bind(store.state);
    store.state.waitUntil = (predicate, timeoutMs) => {
      hold.release();
      return waitUntil(predicate, timeoutMs);
    };
    const newer = await call('PUT', '/v1/jobs', { Job: serviceJob('web', { Meta: { v: '2' } }) });
    expect(newer.status, newer.text).toBe(200);
    const olderReply = await older;
    expect(olderReply.status, olderReply.text).toBe(200);
    const index = (reply: { json: () => unknown }) =>
      (reply.json() as { JobModifyIndex: number }).JobModifyIndex;
    const [firstIndex, olderIndex, newerIndex] = [index(first), index(olderReply), index(newer)];
    // Each register answers the index of its own spec write, as Nomad does.
    expect(olderIndex).toBeGreaterThan(firstIndex);
    expect(newerIndex).toBeGreaterThan(olderIndex);

    // Every version shows its spec and the index of the write that made it.
    const versions = (await call('GET', '/v1/job/web/versions')).json() as {
      Versions: Array<{ Version: number; Meta: Record<string, string>; JobModifyIndex: number }>;
    };
    expect(versions.Versions.map((v) => [v.Version, v.Meta.v, v.JobModifyIndex])).toEqual([
      [2, '2', newerIndex],
      [1, '1', olderIndex],
      [0, '0', firstIndex],
    ]);
    const job = (await call('GET', '/v1/job/web')).json() as {
      Version: number;
      Meta: Record<string, string>;
      JobModifyIndex: number;
      CreateIndex: number;
    };
    expect([job.Version, job.Meta.v, job.JobModifyIndex, job.CreateIndex]).toEqual([
      2,
      '2',
      newerIndex,
      firstIndex,
    ]);
    // EnforceIndex takes the newer index, not the older one.
    const enforce = (jobModifyIndex: number) =>
      call('PUT', '/v1/jobs', {
        Job: serviceJob('web', { Meta: { v: '3' } }),
        EnforceIndex: true,
        JobModifyIndex: jobModifyIndex,
      });
    expect((await enforce(olderIndex)).status).toBe(500);
    const enforced = await enforce(newerIndex);
    expect(enforced.status, enforced.text).toBe(200);
  });

  it('a revert writes like a register: the NomadJob, then its revision and evaluation at once', async () => {
    const { calls, call } = await registerApi();
    for (const v of ['0', '1']) {
      const reg = await call('PUT', '/v1/jobs', { Job: serviceJob('web', { Meta: { v } }) });
      expect(reg.status, reg.text).toBe(200);
    }
    calls.length = 0;
    const revert = await call('PUT', '/v1/job/web/revert', { JobID: 'web', JobVersion: 0 });
    expect(revert.status, revert.text).toBe(200);
    const answer = revert.json() as { EvalID: string; JobModifyIndex: number; Index: number };

    // The revert reads the live job first (jobs/history.ts), then writes the spec of version 0.
    const replaced = calls.findIndex((c) => c.call === 'replace NomadJob web');
    expect(replaced).toBeGreaterThan(-1);
    const rest = ['apply ConfigMap web--evaluations', 'create ControllerRevision web--v2'];
    expectAllAtOnce(calls.slice(replaced + 1), rest);

    const job = (await call('GET', '/v1/job/web')).json() as {
      Version: number;
      JobModifyIndex: number;
      Meta: Record<string, string>;
    };
    expect(job).toMatchObject({ Version: 2, JobModifyIndex: answer.JobModifyIndex, Meta: { v: '0' } });
    const versions = (await call('GET', '/v1/job/web/versions')).json() as {
      Versions: Array<{ Version: number; JobModifyIndex: number }>;
    };
    expect(versions.Versions.map((v) => v.Version)).toEqual([2, 1, 0]);
    expect(versions.Versions[0]?.JobModifyIndex).toBe(answer.JobModifyIndex);
    const evaluations = (await call('GET', '/v1/job/web/evaluations')).json() as Array<{
      ID: string;
      JobModifyIndex: number;
    }>;
    expect(evaluations.find((e) => e.ID === answer.EvalID)?.JobModifyIndex).toBe(answer.JobModifyIndex);
  });

  it('of a job whose history is full deletes the oldest revision alongside the others; CreateIndex stays', async () => {
    const { calls, call } = await registerApi();
    // The store keeps 6 versions (its default history limit): versions 0 to 5.
    let createIndex = 0;
    for (let v = 0; v < 6; v++) {
      const reg = await call('PUT', '/v1/jobs', { Job: serviceJob('web', { Meta: { v: String(v) } }) });
      expect(reg.status, reg.text).toBe(200);
      if (v === 0) createIndex = (reg.json() as { JobModifyIndex: number }).JobModifyIndex;
    }
    calls.length = 0;
    const reg = await call('PUT', '/v1/jobs', { Job: serviceJob('web', { Meta: { v: '6' } }) });
    expect(reg.status, reg.text).toBe(200);
    const rest = [
      'apply ConfigMap web--evaluations',
      'create ControllerRevision web--v6',
      'delete ControllerRevision web--v0',
    ];
    expect(calls[0]?.call).toBe('replace NomadJob web');
    expectAllAtOnce(calls.slice(1), rest);
    const versions = (await call('GET', '/v1/job/web/versions')).json() as {
      Versions: Array<{ Version: number }>;
    };
    expect(versions.Versions.map((v) => v.Version)).toEqual([6, 5, 4, 3, 2, 1]);
    // Version 0's revision is gone; the job's CreateIndex is still its creation's.
    const job = (await call('GET', '/v1/job/web')).json() as { CreateIndex: number; JobModifyIndex: number };
    expect(job.CreateIndex).toBe(createIndex);
    expect(job.JobModifyIndex).toBe((reg.json() as { JobModifyIndex: number }).JobModifyIndex);
  });
});

describe('a launched child', () => {
  const evaluationReads = (calls: Call[]) =>
    calls.filter((c) => /^read ConfigMap .*--evaluations$/.test(c.call)).map((c) => c.call);
  const batchJob = (id: string, extra: Record<string, unknown>) =>
    serviceJob(id, { Type: 'batch', ...extra });

  it('of a dispatch has its evaluation recorded from the cache: a new child one create, a token replay nothing', async () => {
    const { calls, call } = await registerApi();
    const parent = await call('PUT', '/v1/jobs', {
      Job: batchJob('params', { ParameterizedJob: { Payload: 'optional' } }),
    });
    expect(parent.status, parent.text).toBe(200);
    calls.length = 0;

    const first = await call('PUT', '/v1/job/params/dispatch?idempotency_token=t1', {});
    expect(first.status, first.text).toBe(200);
    const dispatched = first.json() as { DispatchedJobID: string; EvalID: string };
    expect(dispatched.EvalID).not.toBe('');
    expect(evaluationReads(calls)).toEqual([]);
    expect(calls.filter((c) => /^create ConfigMap .*--evaluations$/.test(c.call))).toHaveLength(1);
    const evaluations = (
      await call('GET', `/v1/job/${encodeURIComponent(dispatched.DispatchedJobID)}/evaluations`)
    ).json() as Array<{ ID: string }>;
    expect(evaluations.map((e) => e.ID)).toEqual([dispatched.EvalID]);

    calls.length = 0;
    const again = await call('PUT', '/v1/job/params/dispatch?idempotency_token=t1', {});
    expect(again.status, again.text).toBe(200);
    expect((again.json() as { DispatchedJobID: string }).DispatchedJobID).toBe(dispatched.DispatchedJobID);
    expect(evaluationReads(calls)).toEqual([]);
  });

  it('of a periodic force has its evaluation recorded without a read first', async () => {
    const { calls, call } = await registerApi();
    const parent = await call('PUT', '/v1/jobs', {
      Job: batchJob('nightly', { Periodic: { Enabled: true, Spec: '0 3 * * *', SpecType: 'cron' } }),
    });
    expect(parent.status, parent.text).toBe(200);
    calls.length = 0;

    const forced = await call('PUT', '/v1/job/nightly/periodic/force');
    expect(forced.status, forced.text).toBe(200);
    const answer = forced.json() as { EvalID: string };
    expect(answer.EvalID).not.toBe('');
    expect(evaluationReads(calls)).toEqual([]);
    expect(calls.filter((c) => /^create ConfigMap .*--evaluations$/.test(c.call))).toHaveLength(1);
  });
});
