// Job history operations on the apiserver: revert (Nomad's Job.Revert) and stability (Job.Stable).
//
// Versions are ControllerRevisions (versions.ts). Revert does what Nomad does — registers the old
// version's job again — by writing that version's job back as the NomadJob's spec: the reconciler
// then records it as a new version (current + 1) whose spec equals the old one. Stability is an
// annotation on the version's revision (a ControllerRevision's data is immutable), which the
// reconciler reads back into status.stable.
import type { V1ControllerRevision } from '@kubernetes/client-node';
import { toSpec } from '../crd/codec.ts';
import type { NomadJobObject } from '../crd/resource.ts';
import { kubeErrorMessage } from '../kube/errors.ts';
import { isOwnedBy } from '../kube/owner-reference.ts';
import { type ClusterWriter, isWriteError, nomadJobRef } from '../kube/writer.ts';
import { REGISTRATION_FIELDS } from '../nomad/bookkeeping.ts';
import { goQuote } from '../nomad/go.ts';
import { NOMAD_DEFAULT_NAMESPACE, readIdentity } from '../nomad/ids.ts';
import { ANNOTATION_STABLE, ANNOTATION_SUBMIT_TIME, LABEL_JOB } from '../nomad/keys.ts';
import { checkSpec } from './spec.ts';
import { nextVersion, type StoredVersion, storedVersionOf, submitTimeAnnotation } from './versions.ts';

export type HistoryFailure = { ok: false; status: 400 | 404 | 500; message: string };

export type RevertResult =
  | {
      ok: true;
      /** The NomadJob as written (its spec is the old version's job). */
      object: NomadJobObject;
      /** The version the reverted spec will be registered as (current + 1). */
      version: number;
    }
  | HistoryFailure;

export type StableResult = { ok: true; version: number; stable: boolean } | HistoryFailure;

const fail = (message: string, status: 400 | 404 | 500 = 500): HistoryFailure => ({
  ok: false,
  status,
  message,
});

function nomadIdentity(object: NomadJobObject): { jobId: string; namespace: string } {
  const identity = readIdentity(object.metadata ?? {});
  return {
    jobId: identity?.jobId ?? object.metadata?.name ?? '',
    namespace: identity?.namespace ?? NOMAD_DEFAULT_NAMESPACE,
  };
}

/** The job's revisions, read from the apiserver (not a cache): only those owned by this very object. */
export async function listRevisions(
  writer: ClusterWriter,
  object: NomadJobObject,
): Promise<V1ControllerRevision[]> {
  const items = await writer.list<V1ControllerRevision>(
    { apiVersion: 'apps/v1', kind: 'ControllerRevision', namespace: object.metadata?.namespace ?? '' },
    `${LABEL_JOB}=${object.metadata?.name ?? ''}`,
  );
  return items.filter((r) => isOwnedBy(r, object.metadata?.uid));
}

/** Versions from revisions, oldest first. */
export function versionsOf(revisions: V1ControllerRevision[]): StoredVersion[] {
  return revisions
    .map(storedVersionOf)
    .filter((v): v is StoredVersion => v !== undefined)
    .sort((a, b) => a.version - b.version);
}

/**
 * The job's current version: the version its spec has (or will get once reconciled — a spec applied
 * but not yet reconciled is already the current job for Nomad), else the latest recorded one.
 */
export function currentVersion(object: NomadJobObject, history: StoredVersion[]): number {
  const checked = checkSpec(object);
  if (checked.ok) return nextVersion(history, checked.job as Record<string, unknown>).version;
  return history.reduce((max, v) => Math.max(max, v.version), object.status?.version ?? 0);
}

/** The spec that re-registers a stored version's job. */
export function specOfVersion(stored: StoredVersion): Record<string, unknown> {
  const job = { ...stored.job };
  for (const field of REGISTRATION_FIELDS) delete job[field];
  return toSpec(job);
}

function readObject(writer: ClusterWriter, object: NomadJobObject): Promise<NomadJobObject | undefined> {
  return writer.read<NomadJobObject>(
    nomadJobRef(object.metadata?.namespace ?? '', object.metadata?.name ?? ''),
  );
}

/**
 * Nomad's revert: registers version `version` of the job again, as a new version. Checks in Nomad's
 * order and with its messages: `job "x" not found`, `can't revert to current version`,
 * `job "x" in namespace "ns" at version N not found`, `Current job has version N; enforcing version M`
 * (all 500, as Nomad answers). The write is a replace conditioned on the resourceVersion read, retried
 * on conflicts, so a concurrent change is never overwritten unchecked.
 */
export async function revertJob(
  writer: ClusterWriter,
  object: NomadJobObject,
  options: { version: number; enforcePriorVersion?: number },
): Promise<RevertResult> {
  const { jobId, namespace: nomadNamespace } = nomadIdentity(object);
  try {
    for (let attempt = 0; ; attempt++) {
      const live = await readObject(writer, object);
      if (!live || live.metadata?.deletionTimestamp) return fail(`job ${goQuote(jobId)} not found`);
      const history = versionsOf(await listRevisions(writer, live));
      const current = currentVersion(live, history);
      if (options.version === current) return fail("can't revert to current version");
      const target = history.find((v) => v.version === options.version);
      if (!target) {
        return fail(
          `job ${goQuote(jobId)} in namespace ${goQuote(nomadNamespace)} at version ${options.version} not found`,
        );
      }
      if (options.enforcePriorVersion !== undefined && options.enforcePriorVersion !== current)
        return fail(`Current job has version ${current}; enforcing version ${options.enforcePriorVersion}`);
      // A revert registers the old spec as a new version, submitted now; the stamp names the generation
      // this write makes, so the API and the reconciler record that version alike (versions.ts).
      const annotations = {
        ...live.metadata?.annotations,
        [ANNOTATION_SUBMIT_TIME]: submitTimeAnnotation(new Date(), (live.metadata?.generation ?? 0) + 1),
      };
      const body: NomadJobObject = {
        ...live,
        metadata: { ...live.metadata, annotations },
        spec: specOfVersion(target),
      };
      delete body.status;
      try {
        const written = await writer.replace(body);
        return { ok: true, object: written, version: current + 1 };
      } catch (error) {
        // The reconciler patches the job's status while its workloads come up: each patch is a new
        // resourceVersion. Read the job again after a pause that grows, as the evaluation record does.
        if (!isWriteError(error, 'conflict') || attempt >= 8) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
      }
    }
  } catch (error) {
    // The job deleted since it was read.
    if (isWriteError(error, 'not-found')) return fail(`job ${goQuote(jobId)} not found`);
    return fail(kubeErrorMessage(error));
  }
}

/**
 * Nomad's job stability: marks version `version` stable (or not). Error for an unknown version:
 * `job "x" in namespace "ns" at version N not found` (500). When it is the current version,
 * status.stable is set at once too (the reconciler derives the same from the revision).
 */
export async function setStable(
  writer: ClusterWriter,
  object: NomadJobObject,
  version: number,
  stable: boolean,
): Promise<StableResult> {
  const { jobId, namespace: nomadNamespace } = nomadIdentity(object);
  try {
    const live = await readObject(writer, object);
    if (!live) return fail(`job ${goQuote(jobId)} not found`);
    const revisions = await listRevisions(writer, live);
    const revision = revisions.find((r) => storedVersionOf(r)?.version === version);
    const versionNotFound = () =>
      fail(`job ${goQuote(jobId)} in namespace ${goQuote(nomadNamespace)} at version ${version} not found`);
    if (!revision) return versionNotFound();
    try {
      await writer.mergePatch(
        {
          apiVersion: 'apps/v1',
          kind: 'ControllerRevision',
          namespace: revision.metadata?.namespace ?? '',
          name: revision.metadata?.name ?? '',
        },
        { metadata: { annotations: { [ANNOTATION_STABLE]: String(stable) } } },
      );
    } catch (error) {
      // Pruned or purged since it was listed: the version is gone, as Nomad would find it.
      if (isWriteError(error, 'not-found')) return versionNotFound();
      throw error;
    }
    const latest = versionsOf(revisions).at(-1)?.version;
    if (latest === version && live.status?.version === version && live.status.stable !== stable) {
      await writer.mergePatch(
        nomadJobRef(live.metadata?.namespace ?? '', live.metadata?.name ?? ''),
        { status: { stable } },
        { status: true },
      );
    }
    return { ok: true, version, stable };
  } catch (error) {
    // The job deleted since it was read.
    if (isWriteError(error, 'not-found')) return fail(`job ${goQuote(jobId)} not found`);
    return fail(kubeErrorMessage(error));
  }
}
