// The source a job version was submitted from (`/v1/job/:id/submission`): HCL or JSON with its
// variables, one ConfigMap per version, `<job>--source--v<version>`. Owned by the NomadJob but not as
// its controller (the reconciler prunes only objects it controls, and keeps no list of these), so
// purging the job purges its sources. Not labelled managed-by: no informer caches them; they are read
// from the apiserver when asked for.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';
import { ownerReference } from '../kube/owner-reference.ts';
import { type ClusterWriter, isWriteError } from '../kube/writer.ts';
import { childName } from '../nomad/ids.ts';
import { LABEL_JOB, LABEL_SUBMISSION_OF } from '../nomad/keys.ts';

/** Nomad's api.JobSubmission. */
export interface JobSubmission {
  Source: string;
  Format: string;
  VariableFlags: Record<string, string> | null;
  Variables: string;
}

export function submissionName(jobName: string, jobVersion: number): string {
  return childName(jobName, 'source', `v${jobVersion}`);
}

/** Stores the submitted source of one job version (replacing one stored before). */
export async function writeSubmission(
  writer: ClusterWriter,
  owner: NomadJobObject,
  jobVersion: number,
  submission: JobSubmission,
): Promise<void> {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: submissionName(jobName, jobVersion),
      namespace,
      labels: { [LABEL_SUBMISSION_OF]: jobName, [LABEL_JOB]: jobName },
      ownerReferences: [ownerReference(owner, { controller: false })],
    },
    data: {
      version: String(jobVersion),
      submission: JSON.stringify(submission),
    },
  };
  try {
    await writer.create(body);
  } catch (error) {
    if (!isWriteError(error, 'already-exists', 'conflict')) throw error;
    await writer.replace(body);
  }
}

/** The submitted source of one version of this very job (not a purged namesake's), if stored. */
export async function readSubmission(
  writer: ClusterWriter,
  owner: NomadJobObject,
  jobVersion: number,
): Promise<JobSubmission | undefined> {
  const map = await writer.read<V1ConfigMap>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: owner.metadata?.namespace ?? '',
    name: submissionName(owner.metadata?.name ?? '', jobVersion),
  });
  const uid = owner.metadata?.uid;
  if (!map || (uid && !(map.metadata?.ownerReferences ?? []).some((r) => r.uid === uid))) return undefined;
  const text = map.data?.submission;
  return text ? (JSON.parse(text) as JobSubmission) : undefined;
}
