// /v1/job/* routed the way Nomad routes it: the raw path (query dropped) is percent-decoded once,
// `/v1/job/` is stripped and the sub-resource is matched by suffix in Nomad's order, so job IDs may
// contain `/` (dispatched and periodic children), escaped (Go client) or raw (python-nomad).

import type { V1Pod } from '@kubernetes/client-node';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { nextVersion } from '../../jobs/versions.ts';
import { type NomadJson, planDiff, versionDiffs } from '../../nomad/diff.ts';
import { ANNOTATION_EVALUATE, ANNOTATION_GROUP, ANNOTATION_SCALING_EVENTS } from '../../nomad/keys.ts';
import { type Job, JobSchema } from '../../nomad/schema.ts';
import type { JobActions } from '../actions.ts';
import {
  boolField,
  field,
  intField,
  objectBody,
  objectField,
  optionalIntField,
  stringField,
  stringMapField,
} from '../body.ts';
import { ApiError, badRequest, internal, notFound } from '../errors.ts';
import { evaluationsOfJob, recordEval } from '../evals.ts';
import {
  type ApiDeps,
  blockingQuery,
  checkRegion,
  query,
  READ,
  requestNamespace,
  requireInNamespace,
  sendPlain,
  sendWrite,
  sendWriteWithMeta,
} from '../http.ts';
import {
  awaitCache,
  CREATE,
  DELETE,
  prepareJob,
  recordIndexes,
  recordVersion,
  UPDATE,
  updateJob,
  withoutBookkeeping,
} from '../jobwrite.ts';
import { parseGoBool, parseGoInt, parseGoUint, queryValue } from '../params.ts';
import { nextPeriodicLaunch } from '../periodic.ts';
import { plannedPlacement } from '../plan-evals.ts';
import { allocationStub, clientStatusOf } from '../responses/allocation.ts';
import { ZERO_TIME } from '../responses/common.ts';
import { deploymentsOf } from '../responses/deployment.ts';
import { newEvalId } from '../responses/evaluation.ts';
import { isParent, jobResponse, summaryIndex, summaryResponse, versionResponse } from '../responses/job.ts';
import { serviceRegistrations } from '../responses/service.ts';
import { fillZeroValues } from '../responses/zero.ts';
import { resourceVersionOf } from '../state.ts';
import { type JobEntry, jobModifyIndexOf } from '../store.ts';
import { handleRegister } from './jobs.ts';

/** Nomad's suffix order (command/agent/http.go jobSpecificRequest). */
const SUFFIXES = [
  '/evaluate',
  '/allocations',
  '/evaluations',
  '/periodic/force',
  '/plan',
  '/summary',
  '/dispatch',
  '/versions',
  '/revert',
  '/deployments',
  '/deployment',
  '/stable',
  '/scale',
  '/services',
  '/submission',
  '/actions',
  '/action',
  '/tag',
] as const;

export type JobSuffix = (typeof SUFFIXES)[number] | '';

/** Splits the path after `/v1/job/` into (job ID, sub-resource), as Nomad does. */
export function routeJobPath(rawUrl: string): { id: string; suffix: JobSuffix } {
  const rawPath = rawUrl.split('?')[0] ?? '';
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw badRequest(`invalid URL escape in ${JSON.stringify(rawPath)}`);
  }
  const rest = path.startsWith('/v1/job/') ? path.slice('/v1/job/'.length) : '';
  for (const suffix of SUFFIXES) {
    if (rest.endsWith(suffix)) return { id: rest.slice(0, -suffix.length), suffix };
  }
  return { id: rest, suffix: '' };
}

const methodNotAllowed = () => new ApiError(405, 'Invalid method');
const isWrite = (method: string) => method === 'PUT' || method === 'POST';

/** Scaling events kept per group (Nomad keeps 20). */
const MAX_SCALING_EVENTS = 20;

type ScalingEvents = Record<string, Array<Record<string, unknown>>>;

function scalingEventsOf(entry: JobEntry): ScalingEvents {
  const raw = entry.object.metadata?.annotations?.[ANNOTATION_SCALING_EVENTS];
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ScalingEvents) : {};
  } catch {
    return {};
  }
}

function boolQuery(request: FastifyRequest, name: string): boolean {
  const raw = queryValue(query(request), name);
  if (raw === undefined || raw === '') return false;
  const value = parseGoBool(raw);
  if (value === undefined) {
    throw badRequest(
      `Failed to parse value of "${name}" (${raw}) as a bool: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`,
    );
  }
  return value;
}

export async function jobRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const store = deps.store;

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    checkRegion(request, deps);
    const { id, suffix } = routeJobPath(request.raw.url ?? request.url);
    const namespace = requestNamespace(request);
    const method = request.method;
    const find = () => store.findJob(namespace, id);

    const readOnly = async () => {
      if (method !== 'GET') throw methodNotAllowed();
      await requireInNamespace(request, deps, namespace, READ);
    };

    switch (suffix) {
      case '': {
        if (method === 'GET') {
          await requireInNamespace(request, deps, namespace, READ);
          return blockingQuery(request, reply, deps, () => {
            const entry = find();
            if (!entry) return { index: store.state.index('NomadJob'), error: notFound('job not found') };
            return { index: resourceVersionOf(entry.object), body: jobResponse(store, entry) };
          });
        }
        if (isWrite(method)) {
          if (id === '') throw badRequest("Job ID hasn't been provided");
          return handleRegister(deps, request, reply, id);
        }
        if (method === 'DELETE') return deregister(request, reply, namespace, id);
        throw methodNotAllowed();
      }
      case '/summary':
        await readOnly();
        return blockingQuery(request, reply, deps, () => {
          const entry = find();
          if (!entry)
            return { index: store.state.index('NomadJob', 'Pod'), error: notFound('job not found') };
          return { index: summaryIndex(store, entry), body: summaryResponse(store, entry) };
        });
      case '/versions': {
        await readOnly();
        const q = query(request);
        const diffs = boolQuery(request, 'diffs');
        const diffVersionText = queryValue(q, 'diff_version');
        let diffVersion: number | undefined;
        if (diffVersionText !== undefined && diffVersionText !== '') {
          diffVersion = parseGoUint(diffVersionText);
          if (diffVersion === undefined)
            throw badRequest(`Failed to parse value of "diff_version" (${diffVersionText}) as a uint64`);
        }
        const diffTag = queryValue(q, 'diff_tag') ?? '';
        return blockingQuery(request, reply, deps, () => {
          const entry = find();
          if (!entry)
            return {
              index: store.state.index('NomadJob', 'ControllerRevision'),
              error: notFound('job versions not found'),
            };
          const history = store.versions(entry);
          const current = store.versionState(entry, history);
          const versions = history.map((record) => versionResponse(store, entry, record, current));
          if (current.pending || versions.length === 0) versions.unshift(jobResponse(store, entry, history));
          let diffList: unknown = null;
          if (diffs || diffVersion !== undefined || diffTag !== '') {
            let compareTo: NomadJson | undefined;
            if (diffVersion !== undefined) {
              compareTo = versions.find((v) => v.Version === diffVersion);
              if (!compareTo) throw badRequest(`version ${diffVersion} not found`);
            } else if (diffTag !== '') {
              compareTo = versions.find((v) => (v.VersionTag as { Name?: string } | null)?.Name === diffTag);
              if (!compareTo) throw badRequest(`tag ${diffTag} not found`);
            }
            diffList = versionDiffs(versions, compareTo);
          }
          let index = resourceVersionOf(entry.object);
          for (const h of history) index = Math.max(index, h.resourceVersion ?? 0);
          return {
            index,
            body: {
              Versions: versions,
              Diffs: diffList,
              Index: index,
              LastContact: 0,
              KnownLeader: true,
              NextToken: '',
            },
          };
        });
      }
      case '/allocations':
        await readOnly();
        boolQuery(request, 'all');
        return blockingQuery(request, reply, deps, () => {
          const entry = find();
          const index = store.state.index('Pod');
          if (!entry) return { index, body: [] };
          const pods = store.pods(entry);
          return { index, body: pods.map((pod: V1Pod) => allocationStub(store, entry, pod)) };
        });
      case '/deployments':
        await readOnly();
        boolQuery(request, 'all');
        return blockingQuery(request, reply, deps, () => {
          const entry = find();
          const index = store.state.index('Deployment', 'ReplicaSet', 'NomadJob');
          return { index, body: entry ? deploymentsOf(store, entry) : [] };
        });
      case '/deployment':
        await readOnly();
        return blockingQuery(request, reply, deps, () => {
          const entry = find();
          const index = store.state.index('Deployment', 'ReplicaSet', 'NomadJob');
          return { index, body: entry ? (deploymentsOf(store, entry)[0] ?? null) : null };
        });
      case '/services':
        await readOnly();
        return blockingQuery(request, reply, deps, () => {
          const entry = find();
          const index = store.state.index('Service', 'Pod');
          if (!entry) return { index, error: notFound('job not found') };
          return { index, body: serviceRegistrations(store, entry) };
        });
      case '/submission': {
        await readOnly();
        const versionText = queryValue(query(request), 'version') ?? '';
        const version = parseGoUint(versionText);
        if (version === undefined) throw badRequest('Unable to parse job submission version parameter');
        const entry = find();
        const index = entry ? resourceVersionOf(entry.object) : store.state.index('NomadJob');
        reply
          .header('X-Nomad-Index', String(index))
          .header('X-Nomad-LastContact', '0')
          .header('X-Nomad-KnownLeader', 'true');
        if (!entry) throw notFound('job source not found');
        const submission = await store.writer.readSubmission(entry.object, version);
        if (!submission) throw notFound('job source not found');
        const versionRecord = store.versions(entry).find((v) => v.version === version);
        return reply.type('application/json').send(
          JSON.stringify({
            ...submission,
            Namespace: entry.namespace,
            JobID: entry.id,
            Version: version,
            JobModifyIndex: versionRecord?.resourceVersion ?? store.versionState(entry).jobModifyIndex,
          }),
        );
      }
      case '/scale':
        if (method === 'GET') {
          await requireInNamespace(request, deps, namespace, READ);
          return blockingQuery(request, reply, deps, () => {
            const entry = find();
            if (!entry) return { index: store.state.index('NomadJob'), error: notFound('job not found') };
            return { index: store.jobTreeIndex(entry), body: scaleStatus(entry) };
          });
        }
        if (isWrite(method)) return scale(request, reply, namespace, id);
        throw methodNotAllowed();
      case '/plan':
        if (!isWrite(method)) throw methodNotAllowed();
        return plan(request, reply, namespace, id);
      case '/evaluate':
        if (!isWrite(method)) throw methodNotAllowed();
        return evaluate(request, reply, namespace, id);
      case '/evaluations':
        if (!deps.actions) break;
        await readOnly();
        return blockingQuery(request, reply, deps, () => {
          const entry = find();
          const index = store.state.index('ConfigMap', 'NomadJob');
          return { index, body: entry ? evaluationsOfJob(deps, entry) : [] };
        });
      case '/dispatch':
        if (!deps.actions || !isWrite(method)) break;
        return dispatch(request, reply, namespace, id);
      case '/periodic/force':
        if (!deps.actions || !isWrite(method)) break;
        return periodicForce(request, reply, namespace, id);
      case '/revert':
        if (!deps.actions || !isWrite(method)) break;
        return revert(request, reply, namespace, id);
      case '/stable':
        if (!deps.actions || !isWrite(method)) break;
        return stable(request, reply, namespace, id);
      default:
        break;
    }
    // Not served: answered like a path without a route.
    throw new ApiError(404, '404 page not found');
  };

  function scaleStatus(entry: JobEntry): Record<string, unknown> {
    const pods = store.pods(entry);
    const events = scalingEventsOf(entry);
    const groups: Record<string, unknown> = {};
    for (const group of entry.job.TaskGroups ?? []) {
      const name = group.Name ?? '';
      const mine = pods.filter((p) => p.metadata?.annotations?.[ANNOTATION_GROUP] === name);
      const live = mine.filter((p) => !['complete', 'failed', 'lost'].includes(clientStatusOf(p)));
      const ready = live.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      groups[name] = {
        Desired: group.Count ?? 1,
        Placed: live.length,
        Running: live.filter((p) => clientStatusOf(p) === 'running').length,
        Healthy: ready.length,
        Unhealthy: mine.filter((p) => clientStatusOf(p) === 'failed').length,
        Events: events[name] ?? null,
      };
    }
    return {
      JobID: entry.id,
      Namespace: entry.namespace,
      JobCreateIndex: store.createIndex(entry),
      JobModifyIndex: store.versionState(entry).jobModifyIndex,
      JobStopped: entry.job.Stop === true,
      TaskGroups: groups,
    };
  }

  async function deregister(request: FastifyRequest, reply: FastifyReply, namespace: string, id: string) {
    const purge = boolQuery(request, 'purge');
    boolQuery(request, 'global');
    boolQuery(request, 'no_shutdown_delay');
    const priorityText = queryValue(query(request), 'eval_priority');
    let evalPriority = 0;
    if (priorityText !== undefined && priorityText !== '') {
      const priority = parseGoInt(priorityText);
      if (priority === undefined) {
        throw badRequest(
          `Failed to parse value of "eval_priority" (${priorityText}) as a int: strconv.Atoi: parsing ${JSON.stringify(priorityText)}: invalid syntax`,
        );
      }
      if (priority !== 0 && (priority < 1 || priority > 100)) {
        throw badRequest('Eval priority must be between 1 and 100 inclusively');
      }
      evalPriority = priority;
    }
    if (id === '') throw badRequest("Job ID hasn't been provided");
    await requireInNamespace(request, deps, namespace, purge ? DELETE : UPDATE);
    const entry = store.findJob(namespace, id);
    if (!entry) {
      return sendWriteWithMeta(reply, store.state.index('NomadJob'), {
        EvalID: '',
        EvalCreateIndex: 0,
        JobModifyIndex: 0,
        VolumeEvalID: '',
        VolumeEvalIndex: 0,
      });
    }
    const noEval = isParent(entry.job);
    if (purge) {
      const recorded = noEval
        ? { id: '', createIndex: 0 }
        : await recordEval(
            request,
            deps,
            entry.object,
            { triggeredBy: 'job-deregister', ...(evalPriority ? { priority: evalPriority } : {}) },
            { id: newEvalId(), createIndex: 0 },
          );
      if ('evaluation' in recorded && recorded.evaluation) {
        store.rememberEvaluation(
          entry.k8sNamespace,
          recorded.evaluation as unknown as Record<string, unknown>,
        );
      }
      await store.writer.deleteJob(entry.k8sNamespace, entry.name, entry.object.metadata?.uid);
      await store.state.waitUntil(() => store.findJob(namespace, id) === undefined);
      const index = store.state.index('NomadJob');
      return sendWriteWithMeta(reply, index, {
        EvalID: recorded.id,
        EvalCreateIndex: recorded.id ? recorded.createIndex || index : 0,
        JobModifyIndex: index,
        VolumeEvalID: '',
        VolumeEvalIndex: 0,
      });
    }
    let recorded: { id: string; createIndex: number } = { id: '', createIndex: 0 };
    const { entry: stopped, written } = await updateJob(
      deps,
      entry,
      (job) => ({ job: { ...job, Stop: true } }),
      async (object, specChanged) => {
        if (noEval) return;
        const early = store.versionState(store.entry(object));
        recorded = await recordEval(
          request,
          deps,
          object,
          {
            triggeredBy: 'job-deregister',
            version: early.version,
            jobModifyIndex: specChanged ? resourceVersionOf(object) : jobModifyIndexOf(object),
            ...(evalPriority ? { priority: evalPriority } : {}),
          },
          { id: newEvalId(), createIndex: resourceVersionOf(object) },
        );
      },
    );
    const stoppedState = store.versionState(stopped);
    const index = Math.max(resourceVersionOf(written), recorded.createIndex);
    return sendWriteWithMeta(reply, index, {
      EvalID: recorded.id,
      EvalCreateIndex: recorded.createIndex,
      JobModifyIndex: stoppedState.jobModifyIndex,
      VolumeEvalID: '',
      VolumeEvalIndex: 0,
    });
  }

  async function scale(request: FastifyRequest, reply: FastifyReply, queryNamespace: string, id: string) {
    const body = objectBody(request.body, 'api.ScalingRequest', 'Request body is empty');
    const bodyNamespace = stringField(body, 'Namespace');
    const namespace = queryValue(query(request), 'namespace')
      ? queryNamespace
      : bodyNamespace || queryNamespace;
    const target = objectField(body, 'Target', 'map[string]string') ?? {};
    const groupName = typeof target.Group === 'string' ? target.Group : '';
    if (groupName === '') throw badRequest('missing task group name for scaling action');
    if (typeof target.Job === 'string' && target.Job !== '' && target.Job !== id) {
      throw badRequest('job ID in payload did not match URL');
    }
    if (id === '') throw badRequest("Job ID hasn't been provided");
    const count = optionalIntField(body, 'Count', 'int64');
    const isError = boolField(body, 'Error');
    const message = stringField(body, 'Message');
    const meta = objectField(body, 'Meta', 'map[string]interface {}') ?? null;
    if (count !== undefined && count < 0) throw badRequest("scaling action count can't be negative");
    if (isError && count !== undefined)
      throw badRequest('scaling action should not contain count if error is true');
    const entry = store.findJob(namespace, id);
    await requireInNamespace(request, deps, namespace, [{ verb: 'update', subresource: 'scale' }, ...UPDATE]);
    if (!entry) throw notFound(`job "${id}" not found`);
    const group = (entry.job.TaskGroups ?? []).find((g) => g.Name === groupName);
    if (!group) throw badRequest(`task group "${groupName}" specified for scaling does not exist in job`);
    if (count !== undefined && group.Scaling) {
      const min = group.Scaling.Min ?? 0;
      const max = group.Scaling.Max ?? Number.MAX_SAFE_INTEGER;
      if (count < min)
        throw badRequest(`group count was less than scaling policy minimum: ${count} < ${min}`);
      if (count > max)
        throw badRequest(`group count was greater than scaling policy maximum: ${count} > ${max}`);
    }
    const changesCount = count !== undefined && !isError;
    let evalId: string | null = null;
    let evalIndex = 0;
    if (changesCount && !isParent(entry.job)) {
      // The evaluation of the version the new count makes, recorded first so the event can name it.
      const next = structuredClone(entry.job);
      for (const g of next.TaskGroups ?? []) if (g.Name === groupName) g.Count = count;
      const version = nextVersion(store.versions(entry), next as Record<string, unknown>).version;
      const recorded = await recordEval(
        request,
        deps,
        entry.object,
        { triggeredBy: 'job-scaling', version },
        { id: newEvalId(), createIndex: 0 },
      );
      evalId = recorded.id;
      evalIndex = recorded.createIndex;
    }
    const previous = group.Count ?? 1;
    const { entry: updated, written } = await updateJob(deps, entry, (job: Job, object) => {
      const events = scalingEventsOf(store.entry(object));
      const event = {
        Time: Date.now() * 1_000_000,
        Count: count ?? null,
        PreviousCount: previous,
        Message: message,
        Error: isError,
        Meta: meta,
        EvalID: evalId,
        CreateIndex: resourceVersionOf(object),
      };
      events[groupName] = [event, ...(events[groupName] ?? [])].slice(0, MAX_SCALING_EVENTS);
      if (changesCount) {
        for (const g of job.TaskGroups ?? []) if (g.Name === groupName) g.Count = count;
      }
      return { job, annotations: { [ANNOTATION_SCALING_EVENTS]: JSON.stringify(events) } };
    });
    const index = resourceVersionOf(written);
    return sendWriteWithMeta(reply, index, {
      EvalID: evalId ?? '',
      EvalCreateIndex: evalId ? evalIndex || index : 0,
      JobModifyIndex: store.versionState(updated).jobModifyIndex,
      Warnings: '',
    });
  }

  async function plan(request: FastifyRequest, reply: FastifyReply, queryNamespace: string, id: string) {
    const body = objectBody(request.body, 'api.JobPlanRequest', 'Request body is empty');
    const rawJob = field(body, 'Job');
    if (rawJob === undefined) throw badRequest('Job must be specified');
    if (typeof rawJob !== 'object' || Array.isArray(rawJob))
      throw badRequest('json: cannot unmarshal into Go struct field JobPlanRequest.Job of type api.Job');
    const rawId = field(rawJob as Record<string, unknown>, 'ID');
    if (rawId === undefined || rawId !== id) throw badRequest('Job ID does not match');
    const wantDiff = boolField(body, 'Diff');
    boolField(body, 'PolicyOverride');
    const bodyNamespace = stringField(body, 'Namespace');
    const namespace = queryValue(query(request), 'namespace')
      ? queryNamespace
      : bodyNamespace || queryNamespace;
    const job = prepareJob(rawJob, namespace);
    const jobNamespace = job.Namespace ?? namespace;
    const existing = store.findJob(jobNamespace, id);
    await requireInNamespace(request, deps, jobNamespace, existing ? UPDATE : CREATE);
    // Nomad diffs Go structs, where every plain field holds a value: both sides get their zero
    // values filled in, so a job read with GET (which prints them) diffs as unchanged.
    const asStruct = (j: Job) => fillZeroValues(withoutBookkeeping(j), JobSchema) as NomadJson;
    const oldJob = existing && !existing.error ? asStruct(existing.job) : null;
    const { diff, annotations } = planDiff(oldJob, asStruct(job));
    // As Nomad: the plan's index is the stored job's JobModifyIndex (0 for a new job), and its
    // evaluation's JobModifyIndex the next one when the spec changes.
    const index = existing ? store.versionState(existing).jobModifyIndex : 0;
    const changed = existing !== undefined && (diff as { Type?: string }).Type !== 'None';
    const placement = plannedPlacement(store, existing, job, changed ? index + 1 : 0);
    reply.header('X-Nomad-Index', String(index));
    return sendPlain(reply, {
      Annotations: annotations,
      FailedTGAllocs: placement.FailedTGAllocs,
      JobModifyIndex: index,
      CreatedEvals: placement.CreatedEvals,
      Diff: wantDiff ? diff : null,
      NextPeriodicLaunch: job.Periodic?.Enabled
        ? (nextPeriodicLaunch(job, new Date()) ?? ZERO_TIME)
        : ZERO_TIME,
      Warnings: '',
      Index: index,
    });
  }

  async function evaluate(request: FastifyRequest, reply: FastifyReply, namespace: string, id: string) {
    const body = objectBody(request.body, 'api.JobEvaluateRequest');
    const options = objectField(body, 'EvalOptions', 'api.EvalOptions') ?? {};
    const forceReschedule = boolField(options, 'ForceReschedule');
    const bodyJobId = stringField(body, 'JobID');
    if (bodyJobId !== '' && bodyJobId !== id) throw badRequest('Job ID does not match');
    await requireInNamespace(request, deps, namespace, UPDATE);
    const entry = store.findJob(namespace, id);
    if (!entry) throw internal('job not found');
    if (entry.job.Periodic?.Enabled) throw internal("can't evaluate periodic job");
    if (entry.job.ParameterizedJob) throw internal("can't evaluate parameterized job");
    const recorded = await recordEval(
      request,
      deps,
      entry.object,
      { triggeredBy: 'job-register' },
      { id: newEvalId(), createIndex: 0 },
    );
    const evalId = recorded.id;
    if (forceReschedule) {
      const failed = store
        .pods(entry)
        .filter((p) => clientStatusOf(p) === 'failed' || clientStatusOf(p) === 'lost');
      await store.writer.deletePods(
        entry.k8sNamespace,
        failed.map((p) => p.metadata?.name ?? ''),
      );
    }
    const written = await store.writer.annotateJob(entry.k8sNamespace, entry.name, {
      [ANNOTATION_EVALUATE]: evalId,
    });
    const index = resourceVersionOf(written);
    return sendWriteWithMeta(reply, index, {
      EvalID: evalId,
      EvalCreateIndex: recorded.createIndex || index,
      JobModifyIndex: store.versionState(entry).jobModifyIndex,
      Warnings: '',
    });
  }

  /**
   * The job once the controller has recorded its current version (revert and stability work on the
   * recorded history; a register answers before the controller records): waits up to 5 seconds.
   */
  async function recordedJob(namespace: string, id: string): Promise<JobEntry | undefined> {
    await store.state.waitUntil(() => {
      const entry = store.findJob(namespace, id);
      return !entry || !store.versionState(entry).pending;
    }, 5_000);
    return store.findJob(namespace, id);
  }

  async function dispatch(request: FastifyRequest, reply: FastifyReply, namespace: string, id: string) {
    const actions = deps.actions as JobActions;
    const body = objectBody(request.body, 'api.JobDispatchRequest');
    // Nomad's request embeds its WriteRequest, so the token is a body field too; a non-empty
    // `?idempotency_token=` overrides it, as Nomad parses the query after decoding the body.
    const bodyToken = stringField(body, 'IdempotencyToken');
    const bodyJobId = stringField(body, 'JobID');
    if (bodyJobId !== '' && bodyJobId !== id) throw badRequest('Job ID does not match');
    const payload = field(body, 'Payload');
    if (payload !== undefined && typeof payload !== 'string') {
      throw badRequest(
        'json: cannot unmarshal into Go struct field JobDispatchRequest.Payload of type []uint8',
      );
    }
    const meta = stringMapField(body, 'Meta');
    const priority = intField(body, 'Priority');
    const idPrefixTemplate = stringField(body, 'IdPrefixTemplate');
    const token = queryValue(query(request), 'idempotency_token') || bodyToken;
    await requireInNamespace(request, deps, namespace, [
      { verb: 'create', subresource: 'dispatch' },
      ...CREATE,
    ]);
    const parent = store.findJob(namespace, id);
    if (!parent) throw internal('parameterized job not found');
    const result = await actions.dispatch(parent.object, {
      ...(payload !== undefined ? { payload } : {}),
      ...(meta ? { meta } : {}),
      ...(token ? { idempotencyToken: token } : {}),
      ...(priority ? { priority } : {}),
      ...(idPrefixTemplate ? { idPrefixTemplate } : {}),
    });
    if (!result.ok) throw new ApiError(result.status, result.message);
    await awaitCache(store, result.child);
    const child = store.findJob(namespace, result.childId);
    const childIndex = child ? store.createIndex(child) : resourceVersionOf(result.child);
    if (!result.created) {
      // The token had dispatched this child already: Nomad answers with the child and its modify
      // index, and no evaluation (it creates none).
      const modifyIndex = resourceVersionOf(child?.object ?? result.child);
      return sendWrite(reply, modifyIndex, {
        DispatchedJobID: result.childId,
        EvalID: '',
        EvalCreateIndex: 0,
        JobCreateIndex: childIndex,
        Index: modifyIndex,
      });
    }
    const evaluation = child ? evaluationsOfJob(deps, child).find((e) => e.ID === result.evalId) : undefined;
    const index = Math.max(resourceVersionOf(result.child), evaluation?.CreateIndex ?? 0);
    return sendWrite(reply, index, {
      DispatchedJobID: result.childId,
      EvalID: result.evalId ?? '',
      EvalCreateIndex: result.evalId ? (evaluation?.CreateIndex ?? index) : 0,
      JobCreateIndex: childIndex,
      Index: index,
    });
  }

  async function periodicForce(request: FastifyRequest, reply: FastifyReply, namespace: string, id: string) {
    const actions = deps.actions as JobActions;
    await requireInNamespace(request, deps, namespace, [
      { verb: 'create', subresource: 'dispatch' },
      ...UPDATE,
    ]);
    const parent = store.findJob(namespace, id);
    const result = await actions.forcePeriodic(parent?.object);
    if (!result.ok) throw new ApiError(result.status, result.message);
    await awaitCache(store, result.child);
    const child = store.findJob(namespace, result.childId);
    const evaluation = child ? evaluationsOfJob(deps, child).find((e) => e.ID === result.evalId) : undefined;
    const index = Math.max(resourceVersionOf(result.child), evaluation?.CreateIndex ?? 0);
    return sendWrite(reply, index, {
      EvalID: result.evalId ?? '',
      EvalCreateIndex: result.evalId ? (evaluation?.CreateIndex ?? index) : 0,
      Index: index,
    });
  }

  async function revert(request: FastifyRequest, reply: FastifyReply, namespace: string, id: string) {
    const actions = deps.actions as JobActions;
    const body = objectBody(request.body, 'api.JobRevertRequest', 'Request body is empty');
    const bodyJobId = stringField(body, 'JobID');
    if (bodyJobId !== '' && bodyJobId !== id) throw badRequest('Job ID does not match');
    const version = intField(body, 'JobVersion', 'uint64');
    const enforcePriorVersion = optionalIntField(body, 'EnforcePriorVersion', 'uint64');
    await requireInNamespace(request, deps, namespace, UPDATE);
    const entry = await recordedJob(namespace, id);
    if (!entry) throw internal(`job "${id}" not found`);
    const result = await actions.revert(entry.object, {
      version,
      ...(enforcePriorVersion !== undefined ? { enforcePriorVersion } : {}),
    });
    if (!result.ok) throw new ApiError(result.status, result.message);
    await recordVersion(store, result.object, request.log);
    const written = await recordIndexes(store, result.object, false);
    await awaitCache(store, written);
    const reverted = store.findJob(namespace, id) ?? store.entry(written);
    const state = store.versionState(reverted);
    const recorded = await recordEval(
      request,
      deps,
      reverted.object,
      { triggeredBy: 'job-register', version: state.version, jobModifyIndex: state.jobModifyIndex },
      { id: newEvalId(), createIndex: resourceVersionOf(result.object) },
    );
    const index = Math.max(resourceVersionOf(written), recorded.createIndex);
    return sendWriteWithMeta(reply, index, {
      EvalID: isParent(reverted.job) ? '' : recorded.id,
      EvalCreateIndex: isParent(reverted.job) ? 0 : recorded.createIndex,
      JobModifyIndex: state.jobModifyIndex,
      Warnings: '',
    });
  }

  async function stable(request: FastifyRequest, reply: FastifyReply, namespace: string, id: string) {
    const actions = deps.actions as JobActions;
    const body = objectBody(request.body, 'api.JobStabilityRequest', 'Request body is empty');
    const bodyJobId = stringField(body, 'JobID');
    if (bodyJobId !== '' && bodyJobId !== id) throw badRequest('Job ID does not match');
    const version = intField(body, 'JobVersion', 'uint64');
    const isStable = boolField(body, 'Stable');
    await requireInNamespace(request, deps, namespace, UPDATE);
    const entry = await recordedJob(namespace, id);
    if (!entry) throw internal(`job "${id}" not found`);
    const result = await actions.setStable(entry.object, version, isStable);
    if (!result.ok) throw new ApiError(result.status, result.message);
    await store.state.waitUntil(() => {
      const now = store.findJob(namespace, id);
      return !!now && store.versions(now).some((v) => v.version === version && v.stable === isStable);
    }, 2_000);
    const now = store.findJob(namespace, id) ?? entry;
    const index = Math.max(store.jobTreeIndex(now), 1);
    return sendWrite(reply, index, { JobModifyIndex: store.versionState(now).jobModifyIndex, Index: index });
  }

  app.all('/v1/job/*', handler);
  app.all('/v1/job/', handler);
}
