// Jobs as Nomad's GET answers show them: the full job (GET /v1/job/:id, versions), the list stub
// (GET /v1/jobs) and the summary (GET /v1/job/:id/summary). Status and summary are computed live
// from the pods in the cache with the controller's own rules (jobs/status.ts), so they are
// current the moment the cache is. The answers of GET /v1/jobs, GET /v1/job/:id and its summary are
// kept per job until one of the job's objects changes (ApiStore.answer), as JSON bytes: the *Json
// functions below are what the read routes serve.
import type { V1DaemonSet } from '@kubernetes/client-node';
import type { GroupSummary, NomadJobObject } from '../../crd/resource.ts';
import {
  desiredAllocations,
  groupsReportedWithoutWorkload,
  isParentJob,
  nomadStatus,
  type Observed,
  summarize,
} from '../../jobs/status.ts';
import { keyedBy } from '../../nomad/keyed.ts';
import { ANNOTATION_PARENT_ID } from '../../nomad/keys.ts';
import { type Job, JobSchema } from '../../nomad/schema.ts';
import { resourceVersionOf } from '../state.ts';
import {
  type ApiStore,
  type JobEntry,
  recordedJobModifyIndex,
  type VersionRecord,
  type VersionState,
} from '../store.ts';
import { nanosNumber } from './common.ts';
import { fillZeroValues } from './zero.ts';

export type Json = Record<string, unknown>;

/** What the controller's status rules need, observed now. */
export function observedOf(store: ApiStore, entry: JobEntry): Observed {
  const job = entry.job;
  const desired = desiredAllocations(job, store.daemonSets(entry) as V1DaemonSet[]);
  const observed: Observed = {
    pods: store.pods(entry),
    deployments: store.deployments(entry),
    jobs: store.batchJobs(entry),
    desired,
  };
  // Groups the controller made no workload for are not waited for (jobs/status.ts).
  if (!job.Stop && !isParentJob(job)) {
    const without = groupsReportedWithoutWorkload(job, entry.object.status?.warnings ?? []);
    if (Object.keys(without).length > 0) observed.notTranslated = without;
  }
  if (isParent(job)) {
    observed.children = childrenOf(store, entry).map((child) => ({ status: jobStatus(store, child) }));
  }
  return observed;
}

/** A periodic (enabled or not: Nomad's IsPeriodic) or parameterized job, whose runs are child jobs. */
export function isParent(job: Job): boolean {
  return job.Periodic !== undefined || job.ParameterizedJob !== undefined;
}

export function childrenOf(store: ApiStore, entry: JobEntry): JobEntry[] {
  return store.state
    .list<NomadJobObject>('NomadJob', entry.k8sNamespace)
    .filter(
      (o) => !o.metadata?.deletionTimestamp && o.metadata?.annotations?.[ANNOTATION_PARENT_ID] === entry.id,
    )
    .map((o) => store.entry(o))
    .filter((child) => child.namespace === entry.namespace);
}

/** Nomad's job status: pending, running or dead. */
export function jobStatus(
  store: ApiStore,
  entry: JobEntry,
  observed?: Observed,
): 'pending' | 'running' | 'dead' {
  if (entry.error) return entry.object.status?.status ?? 'pending';
  return nomadStatus(entry.job, observed ?? observedOf(store, entry));
}

/** The bookkeeping fields of a job as this API reports them. */
function bookkeeping(store: ApiStore, entry: JobEntry, state: VersionState): Json {
  return {
    Status: jobStatus(store, entry),
    StatusDescription: entry.error ?? '',
    Stable: state.stable,
    Version: state.version,
    SubmitTime: nanosNumber(state.submitTime),
    CreateIndex: state.createIndex,
    ModifyIndex: resourceVersionOf(entry.object),
    JobModifyIndex: state.jobModifyIndex,
  };
}

/** The full job (GET /v1/job/:id). */
export function jobResponse(store: ApiStore, entry: JobEntry, history?: VersionRecord[]): Json {
  const state = store.versionState(entry, history);
  return fillZeroValues({ ...entry.job, ...bookkeeping(store, entry, state) }, JobSchema) as Json;
}

/** One recorded version of a job (GET /v1/job/:id/versions). */
export function versionResponse(
  store: ApiStore,
  entry: JobEntry,
  record: VersionRecord,
  current: VersionState,
): Json {
  const job = { ...(record.job as Job) };
  job.ID = entry.id;
  job.Namespace = entry.namespace;
  const isCurrent = record.version === current.version;
  return fillZeroValues(
    {
      ...job,
      Status: isCurrent ? jobStatus(store, entry) : 'dead',
      StatusDescription: '',
      Stable: record.stable,
      Version: record.version,
      SubmitTime: nanosNumber(record.submitTime),
      CreateIndex: current.createIndex,
      ModifyIndex: isCurrent ? resourceVersionOf(entry.object) : (record.resourceVersion ?? 0),
      JobModifyIndex: isCurrent ? current.jobModifyIndex : recordedJobModifyIndex(record),
    },
    JobSchema,
  ) as Json;
}

function groupSummaries(summary: Record<string, GroupSummary>): Json {
  const out = keyedBy<unknown>();
  for (const [group, s] of Object.entries(summary)) {
    out[group] = {
      Queued: s.queued,
      Complete: s.complete,
      Failed: s.failed,
      Running: s.running,
      Starting: s.starting,
      Lost: s.lost,
      Unknown: s.unknown,
    };
  }
  return out;
}

/** The summary's index: the job and its pods. */
export function summaryIndex(store: ApiStore, entry: JobEntry): number {
  let max = resourceVersionOf(entry.object);
  for (const pod of store.pods(entry)) max = Math.max(max, resourceVersionOf(pod));
  if (isParent(entry.job))
    for (const child of childrenOf(store, entry)) max = Math.max(max, resourceVersionOf(child.object));
  return max;
}

/** GET /v1/job/:id/summary. */
export function summaryResponse(
  store: ApiStore,
  entry: JobEntry,
  observed = observedOf(store, entry),
  createIndex = store.createIndex(entry),
): Json {
  const children = { Pending: 0, Running: 0, Dead: 0 };
  for (const child of observed.children ?? []) {
    if (child.status === 'running') children.Running++;
    else if (child.status === 'dead') children.Dead++;
    else children.Pending++;
  }
  return {
    JobID: entry.id,
    Namespace: entry.namespace,
    Summary: groupSummaries(summarize(entry.job, observed)),
    Children: children,
    CreateIndex: createIndex,
    ModifyIndex: summaryIndex(store, entry),
  };
}

/** One entry of GET /v1/jobs. */
export function listStub(store: ApiStore, entry: JobEntry, withMeta: boolean): Json {
  const job = entry.job;
  const state = store.versionState(entry);
  const observed = observedOf(store, entry);
  const stub: Json = {
    ID: entry.id,
    ParentID: job.ParentID ?? '',
    Name: job.Name ?? entry.id,
    Namespace: entry.namespace,
    Datacenters: job.Datacenters ?? null,
    NodePool: job.NodePool ?? '',
    Multiregion: job.Multiregion ?? null,
    Type: job.Type ?? 'service',
    Priority: job.Priority ?? 50,
    // Nomad's IsPeriodic (a Periodic block, enabled or not) and IsParameterized (not a dispatched child).
    Periodic: job.Periodic !== undefined,
    ParameterizedJob: job.ParameterizedJob !== undefined && job.Dispatched !== true,
    Stop: job.Stop === true,
    Status: jobStatus(store, entry, observed),
    StatusDescription: entry.error ?? '',
    JobSummary: summaryResponse(store, entry, observed, state.createIndex),
    CreateIndex: state.createIndex,
    ModifyIndex: resourceVersionOf(entry.object),
    JobModifyIndex: state.jobModifyIndex,
    SubmitTime: nanosNumber(state.submitTime),
  };
  if (withMeta && job.Meta && Object.keys(job.Meta).length > 0) stub.Meta = job.Meta;
  return stub;
}

/** The full job as go-bexpr filters see it (GET /v1/jobs?filter=): Nomad's struct, every field set. */
export function filterView(store: ApiStore, entry: JobEntry): Json {
  return jobResponse(store, entry);
}

// The kept answers are UTF-8 JSON bytes: a list is their concatenation, and nothing is encoded again
// for a request. Only the bytes are kept (a few KiB per job), not the objects they were made of.

const utf8 = new TextEncoder();

/**
 * The JSON of `value` in a buffer of its own: kept for long, it must not hold on to a slab of
 * Buffer's shared pool (8 KiB for each answer of a few hundred bytes).
 */
function jsonBytes(value: unknown): Buffer {
  const bytes = utf8.encode(JSON.stringify(value));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The JSON of GET /v1/job/:id, kept until the job changes: shared, never modify it. */
export function jobResponseJson(store: ApiStore, entry: JobEntry): Buffer {
  return store.answer(entry, 'job.json', () => jsonBytes(jobResponse(store, entry)));
}

/** The JSON of one entry of GET /v1/jobs, kept until the job changes: shared, never modify it. */
export function listStubJson(store: ApiStore, entry: JobEntry, withMeta: boolean): Buffer {
  return store.answer(entry, withMeta ? 'stub+meta.json' : 'stub.json', () =>
    jsonBytes(listStub(store, entry, withMeta)),
  );
}

/** The JSON of GET /v1/job/:id/summary with its index, kept until the job changes. */
export function summaryResponseJson(store: ApiStore, entry: JobEntry): { index: number; json: Buffer } {
  return store.answer(entry, 'summary.json', () => ({
    index: summaryIndex(store, entry),
    json: jsonBytes(summaryResponse(store, entry)),
  }));
}

const OPEN = 0x5b; // [
const COMMA = 0x2c; // ,
const CLOSE = 0x5d; // ]

/**
 * A JSON array of JSON values (`[a,b,…]`), in one buffer. Written byte by byte rather than through
 * Buffer.concat of the items and separators: half the time for the 2,000 kept stubs of a list
 * (about 1.2 MB), which a woken blocking query answers while a register waits on it.
 */
export function jsonArray(items: readonly Buffer[]): Buffer {
  let length = 2 + Math.max(0, items.length - 1);
  for (const item of items) length += item.length;
  // Every byte is written below. Its own memory: the list is kept while requests of the same state
  // share it (with its gzip), and a slice of Buffer's shared pool would keep all 8 KiB of the pool.
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  out[at++] = OPEN;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out[at++] = COMMA;
    const item = items[i] as Buffer;
    out.set(item, at);
    at += item.length;
  }
  out[at] = CLOSE;
  return out;
}
