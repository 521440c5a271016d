// The writes a register makes, against the in-memory cluster with the real job actions: the NomadJob
// first, then every write that depends only on it (the version's revision, the evaluation record, the
// index annotations, the submitted source) at once, none waiting for another; the evaluation record
// of a new job without a read. Whatever the order the writes land in, the answer and every read right
// after it agree: version, JobModifyIndex, CreateIndex, the evaluation, and EnforceIndex takes the
// JobModifyIndex it answered exactly once.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { allowAll } from '../../../src/api/acl.ts';
import { makeKubeActions } from '../../../src/api/actions.ts';
import { buildApiApp } from '../../../src/api/app.ts';
import { ClusterState } from '../../../src/api/state.ts';
import { ApiStore } from '../../../src/api/store.ts';
import type { ClusterWriter } from '../../../src/kube/writer.ts';
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

async function registerApi() {
  const cluster = new MemoryCluster();
  // No reconciler: the API records every version itself.
  cluster.controller = false;
  const { writer, calls } = loggingWriter(cluster.writer());
  const store = new ApiStore(new ClusterState(cluster.sources), writer);
  const app = buildApiApp({ store, authorizer: allowAll, actions: makeKubeActions(writer) });
  await app.ready();
  const call = async (method: 'GET' | 'PUT', url: string, body?: Record<string, unknown>) => {
    const res = await app.inject({ method, url, ...(body !== undefined ? { payload: body } : {}) });
    return { status: res.statusCode, text: res.body, json: () => JSON.parse(res.body) };
  };
  return { cluster, calls, call };
}

describe('a register', () => {
  it('writes the NomadJob, then its revision, evaluation, indexes and source at once; reads right after agree', async () => {
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
      'mergePatch NomadJob web',
    ];
    expect(
      calls
        .slice(1)
        .map((c) => c.call)
        .sort(),
    ).toEqual(dependent);
    // The first of them to finish had every other one in flight.
    expect(calls[1]?.overlapping).toEqual(dependent.filter((c) => c !== calls[1]?.call));

    const job = (await call('GET', '/v1/job/web')).json() as {
      Version: number;
      JobModifyIndex: number;
      CreateIndex: number;
      ModifyIndex: number;
    };
    expect(job.Version).toBe(0);
    expect(job.JobModifyIndex).toBe(answer.JobModifyIndex);
    expect(job.CreateIndex).toBe(answer.JobModifyIndex);
    expect(job.ModifyIndex).toBeGreaterThan(job.JobModifyIndex);
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
    const rest = [
      'apply ConfigMap web--evaluations',
      'create ControllerRevision web--v1',
      'mergePatch NomadJob web',
    ];
    expect(
      calls
        .slice(1)
        .map((c) => c.call)
        .sort(),
    ).toEqual(rest);
    expect(calls[1]?.overlapping).toEqual(rest.filter((c) => c !== calls[1]?.call));

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

  it('of a job whose history is full deletes the oldest revision alongside the others', async () => {
    const { calls, call } = await registerApi();
    // The store keeps 6 versions (its default history limit): versions 0 to 5.
    for (let v = 0; v < 6; v++) {
      const reg = await call('PUT', '/v1/jobs', { Job: serviceJob('web', { Meta: { v: String(v) } }) });
      expect(reg.status, reg.text).toBe(200);
    }
    calls.length = 0;
    const reg = await call('PUT', '/v1/jobs', { Job: serviceJob('web', { Meta: { v: '6' } }) });
    expect(reg.status, reg.text).toBe(200);
    const rest = [
      'apply ConfigMap web--evaluations',
      'create ControllerRevision web--v6',
      'delete ControllerRevision web--v0',
      'mergePatch NomadJob web',
    ];
    expect(calls[0]?.call).toBe('replace NomadJob web');
    expect(
      calls
        .slice(1)
        .map((c) => c.call)
        .sort(),
    ).toEqual(rest);
    expect(calls[1]?.overlapping).toEqual(rest.filter((c) => c !== calls[1]?.call));
    const versions = (await call('GET', '/v1/job/web/versions')).json() as {
      Versions: Array<{ Version: number }>;
    };
    expect(versions.Versions.map((v) => v.Version)).toEqual([6, 5, 4, 3, 2, 1]);
  });
});
