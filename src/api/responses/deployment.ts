// Nomad deployments from Kubernetes rollouts. A Nomad deployment is one job version rolling out
// across the job's groups; here each service group is a Deployment whose ReplicaSets carry the job
// version label, so deployment (job, version) = the ReplicaSets of that version, one per group.
// Service jobs get a deployment for their current version at once (before the controller has
// created anything), so it is visible right after register, as in Nomad.
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { ANNOTATION_GROUP } from '../../nomad/ids.ts';
import { LABEL_VERSION } from '../../translate/index.ts';
import { resourceVersionOf } from '../state.ts';
import { type ApiStore, type JobEntry, versionIndexesOf } from '../store.ts';
import { unixNanos, uuidFrom, ZERO_TIME } from './common.ts';
import type { Json } from './job.ts';

export function deploymentIdFor(entry: JobEntry, version: number): string {
  return uuidFrom(`deployment:${entry.object.metadata?.uid ?? ''}:${version}`);
}

function versionOf(rs: V1ReplicaSet): number | undefined {
  const v = Number(rs.metadata?.labels?.[LABEL_VERSION]);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** The job's deployments, newest version first. Only service jobs have deployments. */
export function deploymentsOf(store: ApiStore, entry: JobEntry): Json[] {
  if ((entry.job.Type ?? 'service') !== 'service' || entry.error) return [];
  const history = store.versions(entry);
  const current = store.versionState(entry, history);
  const deployments = store.deployments(entry);
  const replicaSets = store.replicaSets(entry);
  const versions = new Set<number>();
  for (const rs of replicaSets) {
    const v = versionOf(rs);
    if (v !== undefined) versions.add(v);
  }
  if (!entry.job.Stop || versions.size === 0) versions.add(current.version);
  const jobCreateIndex = store.createIndex(entry);
  return [...versions]
    .sort((a, b) => b - a)
    .map((version) => {
      const sets = replicaSets.filter((rs) => versionOf(rs) === version);
      const record = history.find((h) => h.version === version);
      const isCurrent = version === current.version;
      const groups: Json = {};
      let done = true;
      for (const group of entry.job.TaskGroups ?? []) {
        const name = group.Name ?? '';
        const rs = sets.find((s) => s.metadata?.annotations?.[ANNOTATION_GROUP] === name);
        const dep = deployments.find(
          (d: V1Deployment) => d.metadata?.annotations?.[ANNOTATION_GROUP] === name,
        );
        const desired = group.Count ?? 1;
        const healthy = rs?.status?.availableReplicas ?? 0;
        if (healthy < desired || (dep && (dep.status?.updatedReplicas ?? 0) < desired && isCurrent))
          done = false;
        const update = group.Update ?? {};
        groups[name] = {
          AutoRevert: update.AutoRevert ?? false,
          AutoPromote: update.AutoPromote ?? false,
          ProgressDeadline: update.ProgressDeadline ?? 0,
          RequireProgressBy: ZERO_TIME,
          Promoted: false,
          PlacedCanaries: null,
          DesiredCanaries: 0,
          DesiredTotal: desired,
          PlacedAllocs: rs?.status?.replicas ?? 0,
          HealthyAllocs: healthy,
          UnhealthyAllocs: 0,
        };
      }
      let status: string;
      let description: string;
      if (!isCurrent) {
        status = 'successful';
        description = 'Deployment completed successfully';
      } else if (entry.job.Stop) {
        status = 'cancelled';
        description = 'Cancelled because job is stopped';
      } else if (done) {
        status = 'successful';
        description = 'Deployment completed successfully';
      } else {
        status = 'running';
        description = 'Deployment is running';
      }
      const rvs = sets.map(resourceVersionOf);
      const createIndex = Math.min(
        ...sets.map((s) => store.state.firstSeen(s) ?? resourceVersionOf(s)),
        record?.resourceVersion ?? Number.POSITIVE_INFINITY,
        isCurrent && current.pending ? resourceVersionOf(entry.object) : Number.POSITIVE_INFINITY,
      );
      const created = sets.map((s) => unixNanos(s.metadata?.creationTimestamp));
      const jobModifyIndex = isCurrent
        ? current.jobModifyIndex
        : (versionIndexesOf(entry.object)[String(version)] ?? record?.resourceVersion ?? 0);
      return {
        ID: deploymentIdFor(entry, version),
        Namespace: entry.namespace,
        JobID: entry.id,
        JobVersion: version,
        JobModifyIndex: jobModifyIndex,
        JobSpecModifyIndex: jobModifyIndex,
        JobCreateIndex: jobCreateIndex,
        IsMultiregion: false,
        TaskGroups: groups,
        Status: status,
        StatusDescription: description,
        EvalPriority: entry.job.Priority ?? 50,
        CreateIndex: Number.isFinite(createIndex) ? createIndex : resourceVersionOf(entry.object),
        ModifyIndex: Math.max(resourceVersionOf(entry.object) * (isCurrent ? 1 : 0), ...rvs, 0),
        CreateTime:
          created.length > 0 ? Math.min(...created) : unixNanos(entry.object.metadata?.creationTimestamp),
        ModifyTime:
          created.length > 0 ? Math.max(...created) : unixNanos(entry.object.metadata?.creationTimestamp),
      };
    });
}
