import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import {
  countOnlyChange,
  EVALUATION_LIMIT,
  type EvaluationInput,
  type EvaluationRecord,
  emptyRecord,
  entryOfVersion,
  evaluationsOf,
  groupOfPodFor,
  newEvaluation,
  nextRecord,
  placementOf,
  readRecord,
  recordConfigMap,
  recordEvaluation,
  registrationTrigger,
  serializeRecord,
  withEvaluation,
} from '../../../src/jobs/evaluations.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { LABEL_GROUP, LABEL_JOB } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { MemoryCluster } from '../controller/support/memory-cluster.ts';

function job(count = 2, extra: Partial<Job> = {}): Job {
  return canonicalize({
    ID: 'web',
    Datacenters: ['*'],
    TaskGroups: [
      { Name: 'app', Count: count, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }] },
    ],
    ...extra,
  });
}

function pod(state: 'unscheduled' | 'unschedulable' | 'scheduled' | 'succeeded', group = 'app'): V1Pod {
  const base: V1Pod = { metadata: { labels: { [LABEL_GROUP]: group } }, spec: { containers: [] } };
  switch (state) {
    case 'unschedulable':
      return {
        ...base,
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
            },
          ],
        },
      };
    case 'scheduled':
      return { ...base, spec: { containers: [], nodeName: 'n1' }, status: { phase: 'Running' } };
    case 'succeeded':
      return { ...base, status: { phase: 'Succeeded' } };
    default:
      return { ...base, status: { phase: 'Pending' } };
  }
}

function owner(): NomadJobObject {
  const object = nomadJobObject(job() as Record<string, unknown>);
  return { ...object, metadata: { ...object.metadata, namespace: 'ns' } } as NomadJobObject;
}

let ids = 0;
function input(overrides: Partial<EvaluationInput> = {}): EvaluationInput {
  const j = overrides.job ?? job();
  return {
    job: j,
    version: 0,
    isParent: false,
    jobModifyIndex: 10,
    pods: [],
    desired: { app: j.TaskGroups?.[0]?.Count ?? 1 },
    groupOfPod: groupOfPodFor(j),
    failedAllocations: 0,
    index: 100,
    now: new Date('2026-01-01T00:00:00Z'),
    newId: () => `id-${++ids}`,
    ...overrides,
  };
}

describe('registration triggers', () => {
  it('tell registration, scaling, deregistration and periodic launches apart; none for parents', () => {
    expect(registrationTrigger(job(), undefined, false)).toBe('job-register');
    expect(registrationTrigger(job(3), job(2), false)).toBe('job-scaling');
    expect(registrationTrigger(job(2, { Meta: { a: 'b' } }), job(2), false)).toBe('job-register');
    expect(registrationTrigger(job(3, { Meta: { a: 'b' } }), job(2), false)).toBe('job-register');
    expect(registrationTrigger(job(2, { Stop: true }), job(2), false)).toBe('job-deregister');
    expect(registrationTrigger(job(2), job(2, { Stop: true }), false)).toBe('job-register');
    expect(registrationTrigger(job(2, { ParentID: 'p', ID: 'p/periodic-1' }), undefined, false)).toBe(
      'periodic-job',
    );
    expect(
      registrationTrigger(
        job(2, { ParentID: 'p', ID: 'p/dispatch-1-a', Dispatched: true }),
        undefined,
        false,
      ),
    ).toBe('job-register');
    expect(registrationTrigger(job(), undefined, true)).toBeUndefined();
    expect(countOnlyChange(job(2), job(5))).toBe(true);
    expect(countOnlyChange(job(2), job(2))).toBe(false);
  });
});

describe('placement', () => {
  const groupOf = groupOfPodFor(job());
  it('is blocked while a pod cannot be scheduled, with an AllocMetric per group in FailedTGAllocs', () => {
    const placement = placementOf(
      [pod('unschedulable'), pod('unschedulable'), pod('scheduled')],
      { app: 3 },
      groupOf,
    );
    expect(placement.status).toBe('blocked');
    expect(placement.queued).toEqual({ app: 2 });
    expect(placement.failed?.app).toMatchObject({
      NodesEvaluated: 3,
      NodesFiltered: 3,
      NodesInPool: 3,
      NodePool: 'default',
      CoalescedFailures: 1,
      ConstraintFiltered: { "node(s) didn't match Pod's node affinity/selector": 3 },
      DimensionExhausted: null,
    });
    expect(placement.messages).toEqual({
      app: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    });
  });
  it('is complete once every group has its count placed (finished pods count), else pending', () => {
    expect(placementOf([pod('scheduled'), pod('succeeded')], { app: 2 }, groupOf)).toMatchObject({
      status: 'complete',
      queued: { app: 0 },
      failed: null,
    });
    expect(placementOf([pod('scheduled'), pod('unscheduled')], { app: 2 }, groupOf).status).toBe('pending');
    expect(placementOf([], { app: 0 }, groupOf).status).toBe('complete');
    // Pods of unknown groups are ignored.
    expect(placementOf([pod('scheduled', 'other')], { app: 1 }, groupOf).status).toBe('pending');
  });
});

describe('nextRecord', () => {
  it('records a job-register evaluation for a new version, pending, then complete once placed', () => {
    const first = nextRecord(emptyRecord(), input());
    expect(first.lastVersion).toBe(0);
    expect(first.entries).toHaveLength(1);
    expect(first.entries[0]).toMatchObject({
      version: 0,
      evaluation: {
        TriggeredBy: 'job-register',
        Status: 'pending',
        JobID: 'web',
        Namespace: 'default',
        Type: 'service',
        Priority: 50,
        JobModifyIndex: 10,
        CreateIndex: 100,
        CreateTime: Date.parse('2026-01-01T00:00:00Z') * 1_000_000,
        QueuedAllocations: { app: 2 },
      },
    });
    // Nothing new: the same record, serialized identically (no write).
    const same = nextRecord(first, input());
    expect(serializeRecord(same)).toBe(serializeRecord(first));
    const placed = nextRecord(first, input({ pods: [pod('scheduled'), pod('scheduled')], index: 50 }));
    expect(placed.entries[0]?.evaluation).toMatchObject({
      Status: 'complete',
      QueuedAllocations: { app: 0 },
      CreateIndex: 100,
      ModifyIndex: 101,
    });
    // Terminal evaluations stay as they are.
    const later = nextRecord(placed, input({ pods: [pod('unschedulable')] }));
    expect(serializeRecord(later)).toBe(serializeRecord(placed));
  });

  it('completes the evaluation and hands over to a blocked one while pods cannot be placed, as Nomad does', () => {
    let record = nextRecord(emptyRecord(), input());
    record = nextRecord(record, input({ pods: [pod('unschedulable'), pod('unschedulable')] }));
    expect(record.entries).toHaveLength(2);
    const [first, blocked] = record.entries;
    expect(first?.evaluation).toMatchObject({
      TriggeredBy: 'job-register',
      Status: 'complete',
      StatusDescription: '',
      BlockedEval: blocked?.evaluation.ID,
      QueuedAllocations: { app: 2 },
      CreateIndex: 100,
      ModifyIndex: 101,
    });
    expect(first?.evaluation.FailedTGAllocs?.app).toMatchObject({ NodesEvaluated: 3, CoalescedFailures: 1 });
    expect(blocked).toMatchObject({ version: 0, followUpOf: first?.evaluation.ID });
    expect(blocked?.schedulerMessages?.app).toContain("didn't match Pod's node affinity/selector");
    expect(blocked?.evaluation).toMatchObject({
      TriggeredBy: 'queued-allocs',
      Status: 'blocked',
      StatusDescription: 'created to place remaining allocations',
      PreviousEval: first?.evaluation.ID,
      JobModifyIndex: 10,
      QueuedAllocations: { app: 2 },
      CreateIndex: 101,
      ModifyIndex: 101,
    });
    expect(blocked?.evaluation.FailedTGAllocs).toEqual(first?.evaluation.FailedTGAllocs);
    // Newest first: the blocked evaluation leads; the version's evaluation is still the first one.
    expect(
      evaluationsOf({ metadata: {} } as NomadJobObject, recordConfigMap(owner(), record))[0]?.Status,
    ).toBe('blocked');
    expect(entryOfVersion(record, 0)?.evaluation.ID).toBe(first?.evaluation.ID);

    // Unchanged pods: no write.
    const same = nextRecord(record, input({ pods: [pod('unschedulable'), pod('unschedulable')] }));
    expect(serializeRecord(same)).toBe(serializeRecord(record));
    // One placed, one still failing: the blocked evaluation keeps current metrics.
    record = nextRecord(record, input({ pods: [pod('scheduled'), pod('unschedulable')] }));
    expect(record.entries[1]?.evaluation).toMatchObject({
      Status: 'blocked',
      QueuedAllocations: { app: 1 },
      ModifyIndex: 102,
    });
    expect(record.entries[1]?.evaluation.FailedTGAllocs?.app?.CoalescedFailures).toBe(0);
    // Everything placed: the blocked evaluation completes; the first one is left as it was.
    record = nextRecord(record, input({ pods: [pod('scheduled'), pod('scheduled')] }));
    expect(record.entries[1]?.evaluation).toMatchObject({
      Status: 'complete',
      StatusDescription: '',
      FailedTGAllocs: null,
      QueuedAllocations: { app: 0 },
    });
    expect(record.entries[1]?.schedulerMessages).toBeUndefined();
    expect(record.entries[0]?.evaluation).toEqual(first?.evaluation);
  });

  it('blocks a fresh evaluation at once when the pods are already unschedulable', () => {
    const record = nextRecord(emptyRecord(), input({ pods: [pod('unschedulable')] }));
    expect(record.entries.map((e) => [e.evaluation.TriggeredBy, e.evaluation.Status])).toEqual([
      ['job-register', 'complete'],
      ['queued-allocs', 'blocked'],
    ]);
    expect(record.entries[0]?.evaluation.BlockedEval).toBe(record.entries[1]?.evaluation.ID);
  });

  it('cancels a blocked evaluation when a newer version is registered', () => {
    let record = nextRecord(emptyRecord(), input({ pods: [pod('unschedulable')] }));
    record = nextRecord(record, input({ job: job(2, { Meta: { a: 'b' } }), version: 1, previous: job() }));
    expect(record.entries.map((e) => [e.version, e.evaluation.TriggeredBy, e.evaluation.Status])).toEqual([
      [0, 'job-register', 'complete'],
      [0, 'queued-allocs', 'canceled'],
      [1, 'job-register', 'pending'],
    ]);
  });

  it('records scaling and deregistration, cancelling what the older version left pending', () => {
    let record = nextRecord(emptyRecord(), input());
    record = nextRecord(record, input({ job: job(4), version: 1, previous: job(2) }));
    expect(record.entries.map((e) => [e.version, e.evaluation.TriggeredBy, e.evaluation.Status])).toEqual([
      [0, 'job-register', 'canceled'],
      [1, 'job-scaling', 'pending'],
    ]);
    record = nextRecord(record, input({ job: job(4, { Stop: true }), version: 2, previous: job(4) }));
    expect(record.entries.at(-1)?.evaluation).toMatchObject({
      TriggeredBy: 'job-deregister',
      Status: 'complete',
      Type: 'service',
    });
  });

  it('records no evaluation for parents, only the version watermark', () => {
    const record = nextRecord(emptyRecord(), input({ isParent: true }));
    expect(record.entries).toEqual([]);
    expect(record.lastVersion).toBe(0);
  });

  it('keeps an evaluation recorded for the version by someone else (dispatch, API)', () => {
    const j = job();
    const recorded = withEvaluation(emptyRecord(), {
      version: 0,
      evaluation: newEvaluation(j, {
        triggeredBy: 'job-register',
        jobModifyIndex: 1,
        index: 5,
        nowNs: 1,
        id: 'mine',
      }),
    });
    const record = nextRecord(recorded, input());
    expect(record.entries.map((e) => e.evaluation.ID)).toEqual(['mine']);
  });

  it('answers new failed allocations with an alloc-failure evaluation, once', () => {
    let record = nextRecord(emptyRecord(), input({ pods: [pod('scheduled'), pod('scheduled')] }));
    record = nextRecord(record, input({ failedAllocations: 1 }));
    expect(record.entries.at(-1)?.evaluation).toMatchObject({
      TriggeredBy: 'alloc-failure',
      Status: 'complete',
    });
    expect(record.failedSeen).toBe(1);
    const again = nextRecord(
      record,
      input({ failedAllocations: 1, pods: [pod('scheduled'), pod('scheduled')] }),
    );
    expect(serializeRecord(again)).toBe(serializeRecord(record));
    const fewer = nextRecord(record, input({ failedAllocations: 0 }));
    expect(fewer.entries).toHaveLength(record.entries.length);
    expect(fewer.failedSeen).toBe(0);
  });

  it(`keeps the last ${EVALUATION_LIMIT}`, () => {
    let record: EvaluationRecord = emptyRecord();
    for (let v = 0; v < 15; v++)
      record = nextRecord(record, input({ job: job(2, { Meta: { v: `${v}` } }), version: v }));
    expect(record.entries).toHaveLength(EVALUATION_LIMIT);
    expect(record.entries.map((e) => e.version)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(record.lastVersion).toBe(14);
  });
});

describe('the ConfigMap', () => {
  const owner = {
    ...nomadJobObject(job() as Record<string, unknown>),
    metadata: {
      ...nomadJobObject(job() as Record<string, unknown>).metadata,
      namespace: 'ns',
      uid: 'uid-1',
    },
  } as NomadJobObject;

  it('round-trips the record and is labelled and owned for the cache and garbage collection', () => {
    const record = nextRecord(emptyRecord(), input());
    const configMap = recordConfigMap(owner, record, '42');
    expect(configMap.metadata).toMatchObject({
      name: 'web--evaluations',
      namespace: 'ns',
      resourceVersion: '42',
      labels: { [LABEL_JOB]: 'web' },
      ownerReferences: [{ uid: 'uid-1', controller: true, kind: 'NomadJob' }],
    });
    expect(readRecord(configMap)).toEqual(record);
    expect(readRecord(undefined)).toEqual(emptyRecord());
    expect(readRecord({ data: { 'evaluations.json': '{not json' } })).toEqual(emptyRecord());
  });

  it('evaluationsOf lists newest first, from a ConfigMap or a cache view, only the job’s own', () => {
    let record = nextRecord(emptyRecord(), input());
    record = nextRecord(record, input({ job: job(3), version: 1, previous: job(2), index: 200 }));
    const configMap = recordConfigMap(owner, record);
    expect(evaluationsOf(owner, configMap).map((e) => e.TriggeredBy)).toEqual([
      'job-scaling',
      'job-register',
    ]);
    const view = {
      owned: <T>(kind: string, namespace: string, jobName: string) =>
        (kind === 'ConfigMap' && namespace === 'ns' && jobName === 'web' ? [configMap] : []) as T[],
    };
    expect(evaluationsOf(owner, view)).toHaveLength(2);
    const stranger: V1ConfigMap = { ...configMap, metadata: { ...configMap.metadata, ownerReferences: [] } };
    expect(evaluationsOf(owner, stranger)).toEqual([]);
    expect(evaluationsOf(owner, undefined)).toEqual([]);
  });
});

describe('recordEvaluation', () => {
  /** A stored NomadJob, its evaluations ConfigMap name, and the cluster's writer counting its reads. */
  function setup() {
    const cluster = new MemoryCluster();
    const job = cluster.put(owner());
    const reads: string[] = [];
    const writer = {
      ...cluster.writer,
      read: (ref: Parameters<typeof cluster.writer.read>[0]) => {
        reads.push(`${ref.kind} ${ref.name}`);
        return cluster.writer.read(ref);
      },
    } as typeof cluster.writer;
    const stored = () => cluster.get<V1ConfigMap>('ConfigMap', 'ns', 'web--evaluations');
    return { cluster, job, reads, writer, stored };
  }

  it('reads the record from the apiserver, then writes it conditioned on that copy', async () => {
    const { cluster, job, reads, writer, stored } = setup();
    const first = await recordEvaluation(writer, job, { triggeredBy: 'job-register', version: 0 });
    expect(reads).toEqual(['ConfigMap web--evaluations']);
    expect(cluster.changes.map((w) => `${w.verb} ${w.kind}`)).toEqual(['create ConfigMap']);
    expect(readRecord(stored()).entries.map((e) => e.evaluation.ID)).toEqual([first.ID]);
  });

  it('with the cache holding no record, creates it without reading (one write, no read)', async () => {
    const { cluster, job, reads, writer, stored } = setup();
    const evaluation = await recordEvaluation(writer, job, {
      triggeredBy: 'job-register',
      version: 0,
      cached: null,
    });
    expect(reads).toEqual([]);
    expect(cluster.changes.map((w) => `${w.verb} ${w.kind}`)).toEqual(['create ConfigMap']);
    expect(readRecord(stored()).entries).toMatchObject([{ version: 0, evaluation: { ID: evaluation.ID } }]);
  });

  it('with a current cached record, writes once conditioned on it, without reading', async () => {
    const { cluster, job, reads, writer, stored } = setup();
    await recordEvaluation(writer, job, { triggeredBy: 'job-register', version: 0 });
    const cached = stored();
    reads.length = 0;
    cluster.clearWrites();
    const second = await recordEvaluation(writer, job, { triggeredBy: 'job-scaling', version: 1, cached });
    expect(reads).toEqual([]);
    expect(cluster.changes).toMatchObject([
      {
        verb: 'apply',
        kind: 'ConfigMap',
        object: { metadata: { resourceVersion: cached?.metadata?.resourceVersion } },
      },
    ]);
    expect(readRecord(stored()).entries.map((e) => e.version)).toEqual([0, 1]);
    expect(second.TriggeredBy).toBe('job-scaling');
  });

  it('answers the version’s evaluation from a current cached record, writing nothing', async () => {
    const { cluster, job, reads, writer, stored } = setup();
    const first = await recordEvaluation(writer, job, { triggeredBy: 'job-register', version: 0 });
    reads.length = 0;
    cluster.clearWrites();
    const again = await recordEvaluation(writer, job, {
      triggeredBy: 'job-register',
      version: 0,
      cached: stored() ?? null,
    });
    expect(again.ID).toBe(first.ID);
    expect(reads).toEqual([]);
    expect(cluster.changes).toEqual([]);
  });

  it('with a stale cache (no record cached, or an older copy), reads the apiserver’s and keeps what another writer recorded', async () => {
    const { job, reads, writer, stored } = setup();
    const older = await recordEvaluation(writer, job, { triggeredBy: 'job-register', version: 0 });
    const staleCopy = stored();
    // Someone else (the reconciler) records version 1 after the cache's copy.
    const theirs = await recordEvaluation(writer, job, { triggeredBy: 'job-register', version: 1 });
    reads.length = 0;

    // The cache has not seen the record at all: the create fails, the record is read, version 1 is theirs.
    const same = await recordEvaluation(writer, job, {
      triggeredBy: 'job-register',
      version: 1,
      cached: null,
    });
    expect(same.ID).toBe(theirs.ID);
    expect(reads).toEqual(['ConfigMap web--evaluations']);

    // The cache holds an older copy: the conditional write is refused, the record is read and the
    // new evaluation is added to what is there now.
    reads.length = 0;
    const mine = await recordEvaluation(writer, job, {
      triggeredBy: 'job-scaling',
      version: 2,
      cached: staleCopy ?? null,
    });
    expect(reads).toEqual(['ConfigMap web--evaluations']);
    expect(readRecord(stored()).entries.map((e) => e.evaluation.ID)).toEqual([older.ID, theirs.ID, mine.ID]);
  });
});
