// A Nomad job as a NomadJob object: named and placed through the identity mapping, with the exact
// Nomad namespace and job ID kept in annotations (names may be hashed; annotations never are).
import {
  createNamespaceMapper,
  identityAnnotations,
  identityLabels,
  type NamespaceMapper,
  NOMAD_DEFAULT_NAMESPACE,
  objectRefFor,
  readIdentity,
} from '../nomad/ids.ts';
import { type SpecResult, toNomad, toSpec } from './codec.ts';
import { apiVersion, kind, type NomadJobObject } from './resource.ts';

export function nomadJobObject(
  job: Record<string, unknown>,
  mapNamespace: NamespaceMapper = createNamespaceMapper(),
): NomadJobObject {
  const jobId = String(job.ID ?? '');
  const nomadNamespace =
    typeof job.Namespace === 'string' && job.Namespace !== '' ? job.Namespace : NOMAD_DEFAULT_NAMESPACE;
  const parentId = typeof job.ParentID === 'string' && job.ParentID !== '' ? job.ParentID : undefined;
  const identity = { namespace: nomadNamespace, jobId, ...(parentId ? { parentId } : {}) };
  const { namespace, name } = objectRefFor(nomadNamespace, jobId, mapNamespace);
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      labels: identityLabels(identity),
      annotations: identityAnnotations(identity),
    },
    spec: toSpec(job),
  };
}

/**
 * The Nomad job a NomadJob object holds. Objects applied with kubectl may leave out `id` and
 * `namespace`: the exact identity annotations win, then the spec, then the object's own name.
 */
export function jobOfObject(object: Pick<NomadJobObject, 'metadata' | 'spec'>): SpecResult {
  const result = toNomad(object.spec ?? {});
  if (!result.ok) return result;
  const identity = readIdentity(object.metadata ?? {});
  const job = result.job;
  if (identity) {
    job.ID = identity.jobId;
    job.Namespace = identity.namespace;
    if (identity.parentId !== undefined) job.ParentID = identity.parentId;
  } else {
    job.ID ??= object.metadata?.name;
    job.Namespace ??= NOMAD_DEFAULT_NAMESPACE;
  }
  return { ok: true, job };
}
