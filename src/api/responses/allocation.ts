// Allocations are pods: ID = pod UID, the group from the pod's group annotation, the job version from
// its version label, ClientStatus from the phase (the controller's allocationState), TaskStates from
// the container statuses of the group's tasks.

import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { podVersion as podVersionFrom } from '../../jobs/pod-version.ts';
import { allocationState } from '../../jobs/status.ts';
import { goCompareStrings } from '../../nomad/go.ts';
import { keyedBy } from '../../nomad/keyed.ts';
import { ANNOTATION_CONTAINERS, ANNOTATION_GROUP } from '../../nomad/keys.ts';
import { containerNameFor } from '../../translate/pod-template.ts';
import { type Kind, resourceVersionOf } from '../state.ts';
import type { ApiStore, JobEntry } from '../store.ts';
import { rfc3339, unixNanos, uuidFrom, ZERO_TIME } from './common.ts';
import { versionEvalId } from './evaluation.ts';
import type { Json } from './job.ts';

const CLIENT_STATUS: Record<ReturnType<typeof allocationState>, string> = {
  queued: 'pending',
  starting: 'pending',
  running: 'running',
  complete: 'complete',
  failed: 'failed',
  lost: 'lost',
  unknown: 'unknown',
};

export function clientStatusOf(pod: V1Pod): string {
  return CLIENT_STATUS[allocationState(pod)];
}

export function isTerminalPod(pod: V1Pod): boolean {
  const status = clientStatusOf(pod);
  return status === 'complete' || status === 'failed' || status === 'lost';
}

/** The job version a pod runs (see jobs/pod-version.ts). */
export function podVersion(store: ApiStore, pod: V1Pod): number {
  return podVersionFrom((kind, namespace, name) => store.state.get(kind as Kind, namespace, name), pod);
}

export function podGroup(pod: V1Pod): string {
  return pod.metadata?.annotations?.[ANNOTATION_GROUP] ?? '';
}

export function nodeIdFor(nodeName: string | undefined): string {
  return nodeName ? uuidFrom(`node:${nodeName}`) : '';
}

/** Allocation index within the group: the Job completion index, else the pod's rank by creation. */
function allocIndex(store: ApiStore, entry: JobEntry, pod: V1Pod): number {
  const completion = pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'];
  if (completion !== undefined && /^\d+$/.test(completion)) return Number(completion);
  const group = podGroup(pod);
  const peers = store
    .pods(entry)
    .filter((p) => podGroup(p) === group)
    .sort(
      (a, b) =>
        unixNanos(a.metadata?.creationTimestamp) - unixNanos(b.metadata?.creationTimestamp) ||
        goCompareStrings(a.metadata?.name ?? '', b.metadata?.name ?? ''),
    );
  const index = peers.findIndex((p) => p.metadata?.uid === pod.metadata?.uid);
  return Math.max(0, index);
}

function taskEvent(type: string, time: number, extra: Json = {}): Json {
  return {
    Type: type,
    Time: time,
    Message: '',
    DisplayMessage: '',
    Details: {},
    FailsTask: false,
    RestartReason: '',
    SetupError: '',
    DriverError: '',
    ExitCode: 0,
    Signal: 0,
    KillTimeout: 0,
    KillError: '',
    KillReason: '',
    StartDelay: 0,
    DownloadError: '',
    ValidationError: '',
    DiskLimit: 0,
    FailedSibling: '',
    VaultError: '',
    TaskSignalReason: '',
    TaskSignal: '',
    DriverMessage: '',
    GenericSource: '',
    ...extra,
  };
}

function taskState(pod: V1Pod, status: V1ContainerStatus | undefined): Json {
  const created = unixNanos(pod.metadata?.creationTimestamp);
  const events: Json[] = [taskEvent('Received', created, { DisplayMessage: 'Task received by client' })];
  let state = 'pending';
  let failed = false;
  let startedAt: string = ZERO_TIME;
  let finishedAt: string = ZERO_TIME;
  const running = status?.state?.running;
  const terminated = status?.state?.terminated;
  const waiting = status?.state?.waiting;
  if (running) {
    state = 'running';
    startedAt = rfc3339(running.startedAt);
    events.push(
      taskEvent('Started', unixNanos(running.startedAt), { DisplayMessage: 'Task started by client' }),
    );
  } else if (terminated) {
    state = 'dead';
    failed = (terminated.exitCode ?? 0) !== 0;
    startedAt = rfc3339(terminated.startedAt);
    finishedAt = rfc3339(terminated.finishedAt);
    events.push(
      taskEvent('Started', unixNanos(terminated.startedAt), { DisplayMessage: 'Task started by client' }),
    );
    events.push(
      taskEvent('Terminated', unixNanos(terminated.finishedAt), {
        ExitCode: terminated.exitCode ?? 0,
        Signal: terminated.signal ?? 0,
        Message: terminated.message ?? terminated.reason ?? '',
        DisplayMessage: `Exit Code: ${terminated.exitCode ?? 0}`,
        FailsTask: failed,
      }),
    );
  } else if (waiting) {
    events.push(
      taskEvent(
        waiting.reason === 'ErrImagePull' || waiting.reason === 'ImagePullBackOff'
          ? 'Driver Failure'
          : 'Driver',
        created,
        {
          Message: waiting.message ?? waiting.reason ?? '',
          DriverMessage: waiting.reason ?? '',
          DisplayMessage: waiting.message ?? waiting.reason ?? '',
        },
      ),
    );
  }
  if (pod.status?.phase === 'Failed' && state !== 'running') {
    state = 'dead';
    failed = true;
  }
  if (pod.status?.phase === 'Succeeded') state = 'dead';
  const restarts = status?.restartCount ?? 0;
  const lastRestart = restarts > 0 ? rfc3339(status?.lastState?.terminated?.finishedAt) : ZERO_TIME;
  return {
    State: state,
    Failed: failed,
    Restarts: restarts,
    LastRestart: lastRestart,
    StartedAt: startedAt,
    FinishedAt: finishedAt,
    Events: events,
    TaskHandle: null,
  };
}

/** Container name → task name for the pod's group. */
function taskContainers(entry: JobEntry, pod: V1Pod): Array<[task: string, container: string]> {
  const group = (entry.job.TaskGroups ?? []).find((g) => (g.Name ?? '') === podGroup(pod));
  const renamed: Record<string, string> = {};
  const annotation = pod.metadata?.annotations?.[ANNOTATION_CONTAINERS];
  if (annotation) {
    try {
      Object.assign(renamed, JSON.parse(annotation) as Record<string, string>);
    } catch {
      // ignore a malformed annotation
    }
  }
  const byTask = new Map(Object.entries(renamed).map(([container, task]) => [task, container]));
  return (group?.Tasks ?? []).map((task) => {
    const name = task.Name ?? '';
    return [name, byTask.get(name) ?? containerNameFor(name)];
  });
}

function taskStates(entry: JobEntry, pod: V1Pod): Json | null {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const out = keyedBy<unknown>();
  for (const [task, container] of taskContainers(entry, pod)) {
    out[task] = taskState(
      pod,
      statuses.find((s) => s.name === container),
    );
  }
  return Object.keys(out).length > 0 ? out : null;
}

function desiredStatus(entry: JobEntry, pod: V1Pod): string {
  return pod.metadata?.deletionTimestamp || entry.job.Stop ? 'stop' : 'run';
}

/** An AllocationListStub (GET /v1/job/:id/allocations). */
export function allocationStub(store: ApiStore, entry: JobEntry, pod: V1Pod): Json {
  const group = podGroup(pod);
  const version = podVersion(store, pod);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const created = unixNanos(pod.metadata?.creationTimestamp);
  const modified = Math.max(
    created,
    ...(pod.status?.conditions ?? []).map((c) => unixNanos(c.lastTransitionTime)),
  );
  return {
    ID: pod.metadata?.uid ?? '',
    EvalID: versionEvalId(store, entry, version),
    Name: `${entry.id}.${group}[${allocIndex(store, entry, pod)}]`,
    Namespace: entry.namespace,
    NodeID: nodeIdFor(pod.spec?.nodeName),
    NodeName: pod.spec?.nodeName ?? '',
    JobID: entry.id,
    JobType: entry.job.Type ?? 'service',
    JobVersion: version,
    TaskGroup: group,
    DesiredStatus: desiredStatus(entry, pod),
    DesiredDescription: pod.metadata?.deletionTimestamp ? 'alloc is being stopped' : '',
    ClientStatus: clientStatusOf(pod),
    ClientDescription: pod.status?.message ?? pod.status?.reason ?? '',
    TaskStates: taskStates(entry, pod),
    DeploymentStatus:
      entry.job.Type === 'service' && ready
        ? {
            Healthy: ready.status === 'True',
            Timestamp: rfc3339(ready.lastTransitionTime),
            Canary: false,
            ModifyIndex: resourceVersionOf(pod),
          }
        : null,
    FollowupEvalID: '',
    NextAllocation: '',
    RescheduleTracker: null,
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    CreateIndex: store.state.firstSeen(pod) ?? resourceVersionOf(pod),
    ModifyIndex: resourceVersionOf(pod),
    CreateTime: created,
    ModifyTime: modified,
  };
}

/** A full Allocation (GET /v1/allocation/:id): the stub plus the job and a few more fields. */
export function allocationResponse(store: ApiStore, entry: JobEntry, pod: V1Pod, job: Json): Json {
  const stub = allocationStub(store, entry, pod);
  return {
    ...stub,
    Job: job,
    Resources: null,
    SharedResources: null,
    TaskResources: null,
    AllocatedResources: null,
    Metrics: null,
    PreviousAllocation: '',
    DeploymentID: '',
    AllocModifyIndex: stub.ModifyIndex,
    NetworkStatus: pod.status?.podIP ? { InterfaceName: '', Address: pod.status.podIP, DNS: null } : null,
  };
}
