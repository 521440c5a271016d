// Nomad deployments from Kubernetes rollouts. A Nomad deployment is one job version rolling out
// across the job's groups; here each service group is a Deployment (labelled with the job version it
// was last applied for), so the deployment of the current version is the state of those Deployments
// once they carry that version, and every older recorded version had its deployment, finished.
// Service jobs get a deployment for their current version at once (before the controller has updated
// anything), so it is visible right after register, as in Nomad.
import type { V1Deployment } from '@kubernetes/client-node';
import { keyedBy } from '../../nomad/keyed.ts';
import type { Job } from '../../nomad/schema.ts';
import { resourceVersionOf } from '../state.ts';
import { type ApiStore, type JobEntry, recordedJobModifyIndex } from '../store.ts';
import { unixNanos, uuidFrom, ZERO_TIME } from './common.ts';
import type { Json } from './job.ts';

export function deploymentIdFor(entry: JobEntry, version: number): string {
  return uuidFrom(`deployment:${entry.object.metadata?.uid ?? ''}:${version}`);
}

import { versionLabelOf } from '../../jobs/pod-version.ts';
import { ANNOTATION_GROUP } from '../../nomad/keys.ts';

export { versionLabelOf };

/** Is the Deployment's rollout of its current template complete (all replicas updated and available)? */
function rolledOut(d: V1Deployment, desired: number): boolean {
  const status = d.status ?? {};
  return (
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (status.updatedReplicas ?? 0) >= desired &&
    (status.availableReplicas ?? 0) >= desired &&
    (status.replicas ?? 0) <= desired
  );
}

function groupState(job: Job, name: string, placed: number, healthy: number): Json {
  const group = (job.TaskGroups ?? []).find((g) => (g.Name ?? '') === name);
  const update = group?.Update ?? {};
  return {
    AutoRevert: update.AutoRevert ?? false,
    AutoPromote: update.AutoPromote ?? false,
    ProgressDeadline: update.ProgressDeadline ?? 0,
    RequireProgressBy: ZERO_TIME,
    Promoted: false,
    PlacedCanaries: null,
    DesiredCanaries: 0,
    DesiredTotal: group?.Count ?? 1,
    PlacedAllocs: placed,
    HealthyAllocs: healthy,
    UnhealthyAllocs: 0,
  };
}

/** The job's deployments, newest version first. Only service jobs have deployments. */
export function deploymentsOf(store: ApiStore, entry: JobEntry): Json[] {
  if ((entry.job.Type ?? 'service') !== 'service' || entry.error) return [];
  const history = store.versions(entry);
  const current = store.versionState(entry, history);
  const deployments = store.deployments(entry);
  const jobCreateIndex = current.createIndex;
  const out: Json[] = [];

  // The current version: live from the Deployments once they were applied for it.
  const groups = keyedBy<unknown>();
  let done = true;
  let modifyIndex = current.jobModifyIndex;
  let modifyTime = 0;
  for (const group of entry.job.TaskGroups ?? []) {
    const name = group.Name ?? '';
    const desired = group.Count ?? 1;
    const d = deployments.find((x) => x.metadata?.annotations?.[ANNOTATION_GROUP] === name);
    const applied = d !== undefined && versionLabelOf(d) === current.version;
    const placed = applied ? (d.status?.updatedReplicas ?? 0) : 0;
    const healthy = applied ? Math.min(placed, d.status?.availableReplicas ?? 0) : 0;
    if (!applied || !rolledOut(d, desired)) done = false;
    if (applied) {
      modifyIndex = Math.max(modifyIndex, resourceVersionOf(d));
      for (const c of d.status?.conditions ?? [])
        modifyTime = Math.max(modifyTime, unixNanos(c.lastUpdateTime));
    }
    groups[name] = groupState(entry.job, name, placed, healthy);
  }
  const currentRecord = history.find((h) => h.version === current.version);
  const created = currentRecord
    ? Number(currentRecord.submitTime) || 0
    : unixNanos(entry.object.metadata?.creationTimestamp);
  const stopped = entry.job.Stop === true;
  out.push({
    ID: deploymentIdFor(entry, current.version),
    Namespace: entry.namespace,
    JobID: entry.id,
    JobVersion: current.version,
    JobModifyIndex: current.jobModifyIndex,
    JobSpecModifyIndex: current.jobModifyIndex,
    JobCreateIndex: jobCreateIndex,
    IsMultiregion: false,
    TaskGroups: groups,
    Status: stopped ? 'cancelled' : done ? 'successful' : 'running',
    StatusDescription: stopped
      ? 'Cancelled because job is stopped'
      : done
        ? 'Deployment completed successfully'
        : 'Deployment is running',
    EvalPriority: entry.job.Priority ?? 50,
    CreateIndex: current.jobModifyIndex,
    ModifyIndex: modifyIndex,
    CreateTime: created,
    ModifyTime: Math.max(created, modifyTime),
  });

  // Older versions: their rollouts are over.
  for (const record of history) {
    if (record.version >= current.version) continue;
    const job = record.job as Job;
    const jobModifyIndex = recordedJobModifyIndex(record);
    const old: Json = {};
    for (const group of job.TaskGroups ?? []) {
      const count = group.Count ?? 1;
      old[group.Name ?? ''] = groupState(job, group.Name ?? '', count, count);
    }
    const time = Number(record.submitTime) || 0;
    out.push({
      ID: deploymentIdFor(entry, record.version),
      Namespace: entry.namespace,
      JobID: entry.id,
      JobVersion: record.version,
      JobModifyIndex: jobModifyIndex,
      JobSpecModifyIndex: jobModifyIndex,
      JobCreateIndex: jobCreateIndex,
      IsMultiregion: false,
      TaskGroups: old,
      Status: 'successful',
      StatusDescription: 'Deployment completed successfully',
      EvalPriority: job.Priority ?? 50,
      CreateIndex: jobModifyIndex,
      ModifyIndex: Math.max(jobModifyIndex, record.resourceVersion ?? 0),
      CreateTime: time,
      ModifyTime: time,
    });
  }
  return out;
}
