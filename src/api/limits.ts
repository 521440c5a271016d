// Bounds on what one request, or one client, may cost the API: the size of a job (its ID, its JSON,
// its task groups and their total count), how long a client may take to send a request, and how many
// blocking queries are held at once. Every job limit is checked before anything is written.
//
// Decisions (docs/api.md, "Limits"):
// * Total count per job is Nomad's own server option job_max_count, with its default (50,000) and its
//   error, verbatim; 0 turns it off, as in Nomad. A count becomes Deployment/Job replicas: it
//   multiplies the pods the cluster's controllers create, never the objects this process writes.
// * Task groups per job (default 100; Nomad has no such bound) is what bounds the writes of one
//   register: each group is a workload object (Deployment, Job, DaemonSet, CronJob) plus its Services
//   and ConfigMaps. 0 turns it off.
// * Job size (default 1 MiB of canonical job JSON, as Nomad's default job_max_source_size): a
//   NomadJob and its ControllerRevision each hold the whole job, and etcd refuses objects over 1.5 MiB
//   by default ("etcdserver: request is too large", which clients would otherwise get as a 500).
// * Job IDs of at most 1 KiB (UTF-8): the ID is stored in annotations (256 KiB in all per object)
//   and must fit in a request line to be read or stopped again (Node reads at most 16 KiB of request
//   line and headers; percent-encoding triples a byte). Nomad itself has no bound.
// * Nomad answers a job_max_count excess as any other validation error of a register (500, a
//   multierror) and of a scale (500); the limits Nomad does not have are the client's fault: 400.
// * Request timeouts: the request line and headers within 10 s, the whole request (body included)
//   within 60 s, else the connection is closed with 408. Handlers, blocking queries included, are
//   not bound by these: a request that arrived in full is answered however long it waits.
// * Held blocking queries: at most 500 at once (each holds its request, its reply and a listener on
//   the cache); beyond that a blocking query is answered at once with the current result, as if its
//   wait had ended, and the client asks again.
import type { ApiLimits } from '../config.ts';
import type { Job } from '../nomad/schema.ts';
import { formatMultiError } from '../nomad/validate.ts';
import { ApiError, badRequest, internal } from './errors.ts';

/** Nomad's JobDefaultMaxCount. */
export const NOMAD_DEFAULT_JOB_MAX_COUNT = 50_000;

export const DEFAULT_API_LIMITS: Readonly<ApiLimits> = {
  jobMaxCount: NOMAD_DEFAULT_JOB_MAX_COUNT,
  jobMaxTaskGroups: 100,
  jobMaxBytes: 1024 * 1024,
  maxBlockingQueries: 500,
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
};

/** Longest job ID a register accepts, in bytes of UTF-8. */
export const JOB_ID_MAX_BYTES = 1024;

export function resolveLimits(limits: Partial<ApiLimits> = {}): ApiLimits {
  const out = { ...DEFAULT_API_LIMITS };
  for (const [key, value] of Object.entries(limits) as [keyof ApiLimits, number | undefined][]) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Nomad's message for a total count over job_max_count (a register's validation error, a scale's error). */
export function jobMaxCountMessage(total: number, max: number): string {
  return `total count was greater than configured job_max_count: ${total} > ${max}`;
}

function totalCount(job: Job): number {
  let total = 0;
  for (const group of job.TaskGroups ?? []) total += group.Count ?? 0;
  return total;
}

/** 400 for a job ID too long to store and address (checked before the job is decoded further). */
export function checkJobId(id: string): void {
  const bytes = Buffer.byteLength(id);
  if (bytes > JOB_ID_MAX_BYTES) {
    throw badRequest(`job ID length was greater than the limit: ${bytes} > ${JOB_ID_MAX_BYTES} bytes`);
  }
}

/**
 * Refuses a canonical job over the limits: 400 for an ID, size or number of task groups over the
 * bound, Nomad's validation error (500) for a total count over job_max_count.
 */
export function checkJobLimits(job: Job, limits: ApiLimits = DEFAULT_API_LIMITS): void {
  checkJobId(job.ID ?? '');
  const groups = job.TaskGroups?.length ?? 0;
  if (limits.jobMaxTaskGroups > 0 && groups > limits.jobMaxTaskGroups) {
    throw badRequest(
      `number of task groups was greater than configured job_max_task_groups: ${groups} > ${limits.jobMaxTaskGroups}`,
    );
  }
  const bytes = Buffer.byteLength(JSON.stringify(job));
  if (bytes > limits.jobMaxBytes) {
    throw badRequest(
      `job size was greater than configured job_max_size: ${bytes} > ${limits.jobMaxBytes} bytes`,
    );
  }
  const total = totalCount(job);
  if (limits.jobMaxCount > 0 && total > limits.jobMaxCount) {
    throw internal(formatMultiError([jobMaxCountMessage(total, limits.jobMaxCount)]));
  }
}

/**
 * The first limit a canonical job is over, as a message, for /v1/validate/job: Nomad's Validate lists a
 * job_max_count excess among the validation errors, and a job this API would refuse is reported
 * there too rather than only on register.
 */
export function jobLimitProblems(job: Job, limits: ApiLimits = DEFAULT_API_LIMITS): string[] {
  try {
    checkJobLimits(job, limits);
    return [];
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // The job_max_count answer is a multierror; a validation list holds its one message.
    return [
      error.statusCode === 500 ? jobMaxCountMessage(totalCount(job), limits.jobMaxCount) : error.message,
    ];
  }
}

/** A scale to `count` of one group: Nomad's plain error (500) when the job's total would pass job_max_count. */
export function checkScaleCount(
  job: Job,
  group: string,
  count: number,
  limits: ApiLimits = DEFAULT_API_LIMITS,
): void {
  if (limits.jobMaxCount <= 0) return;
  const current = job.TaskGroups?.find((g) => g.Name === group)?.Count ?? 0;
  const total = totalCount(job) - current + count;
  if (total > limits.jobMaxCount) throw new ApiError(500, jobMaxCountMessage(total, limits.jobMaxCount));
}

/**
 * Refuses a dispatch whose child could not be stored or addressed (400): an IdPrefixTemplate over
 * JOB_ID_MAX_BYTES (the child's ID is the parent's, the template and about 30 more characters), or
 * dispatch Meta that takes the child over the job size bound. Nomad bounds neither; its Payload
 * bound (16 KiB) is the dispatch's own check.
 */
export function checkDispatchLimits(
  parent: Job,
  request: { idPrefixTemplate?: string; meta?: Record<string, string> },
  limits: ApiLimits = DEFAULT_API_LIMITS,
): void {
  const template = Buffer.byteLength(request.idPrefixTemplate ?? '');
  if (template > JOB_ID_MAX_BYTES) {
    throw badRequest(
      `dispatch ID prefix template length was greater than the limit: ${template} > ${JOB_ID_MAX_BYTES} bytes`,
    );
  }
  if (!request.meta) return;
  const bytes = Buffer.byteLength(JSON.stringify(parent)) + Buffer.byteLength(JSON.stringify(request.meta));
  if (bytes > limits.jobMaxBytes) {
    throw badRequest(
      `job size was greater than configured job_max_size: ${bytes} > ${limits.jobMaxBytes} bytes`,
    );
  }
}

/**
 * Node HTTP server options for the timeouts: Fastify passes `http` to http.createServer and sets
 * `requestTimeout` itself (its default, 0, would let a slow body hold its connection forever).
 * Node checks its timeouts every `connectionsCheckingInterval` (30 s by default): once a second here,
 * so a timeout fires within a second of being due.
 */
export function serverTimeouts(limits: ApiLimits): {
  requestTimeout: number;
  http: { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number };
} {
  const headersTimeout =
    limits.requestTimeoutMs > 0
      ? Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs)
      : limits.headersTimeoutMs;
  return {
    requestTimeout: limits.requestTimeoutMs,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout,
      connectionsCheckingInterval: 1_000,
    },
  };
}

/**
 * Counts the blocking queries held (waiting for a change) and refuses a slot beyond the bound, so
 * that many held queries cannot hold the process's memory and cache listeners without end.
 */
export class BlockingQueryGate {
  readonly max: number;
  #held = 0;
  #answeredAtOnce = 0;
  /** Called on the first refusal after the gate had room again (to log it once, not per request). */
  onFull: ((held: number) => void) | undefined;
  #warned = false;

  constructor(max: number) {
    this.max = max;
  }

  /** Blocking queries held now. */
  get held(): number {
    return this.#held;
  }

  /** Blocking queries answered at once because the gate was full, since the start. */
  get answeredAtOnce(): number {
    return this.#answeredAtOnce;
  }

  /** A slot (call the returned function once the query is answered), or undefined when full. */
  tryHold(): (() => void) | undefined {
    if (this.#held >= this.max) {
      this.#answeredAtOnce++;
      if (!this.#warned) {
        this.#warned = true;
        this.onFull?.(this.#held);
      }
      return undefined;
    }
    this.#held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      if (this.#held < this.max) this.#warned = false;
    };
  }
}

/**
 * The hook blockingQuery (http.ts) calls before holding a query: a release function when the query
 * may wait, undefined when it must be answered at once. Without a gate (deps built by hand), every
 * query may wait.
 */
export function holdBlockingQuery(gate: BlockingQueryGate | undefined): (() => void) | undefined {
  if (!gate) return () => undefined;
  return gate.tryHold();
}
