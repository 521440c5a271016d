// ClusterWriter on the Kubernetes API, with the operator's credentials (only ever called after the
// caller was authorized for the same verb on the same namespace, see acl.ts).

import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { group, type NomadJobObject, plural, version } from '../crd/resource.ts';
import { kubeErrorCode, kubeErrorMessage } from '../kube/errors.ts';
import { ownerReference } from '../kube/owner-reference.ts';
import { childName } from '../nomad/ids.ts';
import { LABEL_JOB, LABEL_SUBMISSION_OF } from '../nomad/keys.ts';
import { type ClusterWriter, type JobSubmission, WriteError } from './writer.ts';

export function submissionName(jobName: string, jobVersion: number): string {
  return childName(jobName, 'source', `v${jobVersion}`);
}

function translateError(error: unknown): WriteError {
  const code = kubeErrorCode(error);
  const message = kubeErrorMessage(error);
  if (code === 409 && /already exists/i.test(message)) return new WriteError('already-exists', message);
  if (code === 409) return new WriteError('conflict', message);
  if (code === 404 && /namespaces? "[^"]*" not found/i.test(message))
    return new WriteError('namespace-missing', message);
  if (code === 404) return new WriteError('not-found', message);
  if (code === 422 || code === 400) return new WriteError('invalid', message);
  return new WriteError('other', message);
}

/**
 * The resourceVersion a delete answered with (the object as it is being deleted), undefined when the
 * object was already gone; other failures as WriteErrors.
 */
async function deleted(request: Promise<unknown>): Promise<number | undefined> {
  try {
    const result = (await request) as { metadata?: { resourceVersion?: string } } | undefined;
    const rv = Number(result?.metadata?.resourceVersion);
    return Number.isFinite(rv) && rv > 0 ? rv : undefined;
  } catch (error) {
    const translated = translateError(error);
    if (translated.kind === 'not-found') return undefined;
    throw translated;
  }
}

export function makeKubeWriter(kc: KubeConfig, fieldManager = 'nomad-operator-api'): ClusterWriter {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const coords = { group, version, plural };
  return {
    async createJob(object) {
      try {
        return (await custom.createNamespacedCustomObject({
          ...coords,
          namespace: object.metadata?.namespace ?? '',
          body: object,
          fieldManager,
        })) as NomadJobObject;
      } catch (error) {
        throw translateError(error);
      }
    },
    async replaceJob(object) {
      try {
        return (await custom.replaceNamespacedCustomObject({
          ...coords,
          namespace: object.metadata?.namespace ?? '',
          name: object.metadata?.name ?? '',
          body: object,
          fieldManager,
        })) as NomadJobObject;
      } catch (error) {
        throw translateError(error);
      }
    },
    deleteJob(namespace, name, uid) {
      return deleted(
        custom.deleteNamespacedCustomObject({
          ...coords,
          namespace,
          name,
          propagationPolicy: 'Background',
          ...(uid ? { body: { preconditions: { uid } } } : {}),
        }),
      );
    },
    async annotateJob(namespace, name, annotations) {
      try {
        return (await custom.patchNamespacedCustomObject(
          { ...coords, namespace, name, body: { metadata: { annotations } }, fieldManager },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )) as NomadJobObject;
      } catch (error) {
        throw translateError(error);
      }
    },
    async writeSubmission(owner, jobVersion, submission) {
      const namespace = owner.metadata?.namespace ?? '';
      const jobName = owner.metadata?.name ?? '';
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: submissionName(jobName, jobVersion),
          namespace,
          labels: { [LABEL_SUBMISSION_OF]: jobName, [LABEL_JOB]: jobName },
          // Not the controller: the reconciler prunes only objects it controls.
          ownerReferences: [ownerReference(owner, { controller: false })],
        },
        data: {
          version: String(jobVersion),
          submission: JSON.stringify(submission),
        },
      };
      try {
        await core.createNamespacedConfigMap({ namespace, body, fieldManager });
      } catch (error) {
        if (kubeErrorCode(error) !== 409) throw translateError(error);
        await core
          .replaceNamespacedConfigMap({ namespace, name: body.metadata?.name ?? '', body, fieldManager })
          .catch((e: unknown) => {
            throw translateError(e);
          });
      }
    },
    async readSubmission(owner, jobVersion) {
      const namespace = owner.metadata?.namespace ?? '';
      const name = submissionName(owner.metadata?.name ?? '', jobVersion);
      try {
        const map = await core.readNamespacedConfigMap({ namespace, name });
        const uid = owner.metadata?.uid;
        if (uid && !(map.metadata?.ownerReferences ?? []).some((r) => r.uid === uid)) return undefined;
        const text = map.data?.submission;
        return text ? (JSON.parse(text) as JobSubmission) : undefined;
      } catch (error) {
        if (kubeErrorCode(error) === 404) return undefined;
        throw translateError(error);
      }
    },
    async createRevision(revision) {
      try {
        return await apps.createNamespacedControllerRevision({
          namespace: revision.metadata?.namespace ?? '',
          body: revision,
          fieldManager,
        });
      } catch (error) {
        throw translateError(error);
      }
    },
    async deleteRevision(namespace, name) {
      await apps.deleteNamespacedControllerRevision({ namespace, name }).catch((error: unknown) => {
        if (kubeErrorCode(error) !== 404) throw translateError(error);
      });
    },
    async deletePods(namespace, names) {
      for (const name of names) {
        await core.deleteNamespacedPod({ namespace, name }).catch((error: unknown) => {
          if (kubeErrorCode(error) !== 404) throw translateError(error);
        });
      }
    },
    async createNamespace(name, annotations) {
      try {
        return await core.createNamespace({
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } },
          fieldManager,
        });
      } catch (error) {
        throw translateError(error);
      }
    },
    async annotateNamespace(name, annotations) {
      try {
        return await core.patchNamespace(
          { name, body: { metadata: { annotations } }, fieldManager },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (error) {
        throw translateError(error);
      }
    },
    deleteNamespace(name) {
      return deleted(core.deleteNamespace({ name }));
    },
  };
}
