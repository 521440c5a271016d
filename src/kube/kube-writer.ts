// The ClusterWriter (writer.ts) on the Kubernetes API, for every component of the process: each write
// first takes a token from one bucket (rate-limit.ts; shared by every writer made for the same
// KubeConfig unless one is given), is counted as a write of its kind (metrics.ts), and fails as a
// WriteError. NomadJobs go through the custom-objects client, so they come back as the apiserver's
// JSON (as the informer caches hold them); other kinds through the generic object client.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { group, plural, version } from '../crd/resource.ts';
import { defaultMetrics, type WriteCounter } from '../metrics.ts';
import { makeApplier, fieldManager as operatorFieldManager } from './apply.ts';
import { recordEvent } from './events.ts';
import { sharedWriteLimiter, type TokenBucket } from './rate-limit.ts';
import { type ClusterWriter, type ObjectRef, writeErrorOf } from './writer.ts';

export interface KubeWriterOptions {
  /** Field manager of creates, replaces, patches and applies. Default `nomad-operator`. */
  fieldManager?: string;
  /** Default: the bucket shared by every writer of this KubeConfig (sharedWriteLimiter). */
  limiter?: TokenBucket;
  /** Default: the process's default metrics. */
  metrics?: WriteCounter;
  /** Told when an Event could not be recorded (events are best effort). */
  onEventFailure?: (reason: string) => void;
}

const nomadJobApiVersion = `${group}/${version}`;
const isNomadJob = (ref: { apiVersion?: string; kind?: string }) =>
  ref.kind === 'NomadJob' && ref.apiVersion === nomadJobApiVersion;

/** The resourceVersion a delete answered with (the object as it is being deleted, or a Status). */
function deletedAt(result: unknown): number | undefined {
  const rv = Number(
    (result as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion,
  );
  return Number.isFinite(rv) && rv > 0 ? rv : undefined;
}

/** What the generic client needs to address an object. */
function specOf(ref: ObjectRef): KubernetesObject {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
  };
}

export function makeKubeWriter(kc: KubeConfig, options: KubeWriterOptions = {}): ClusterWriter {
  const manager = options.fieldManager ?? operatorFieldManager;
  const limiter = options.limiter ?? sharedWriteLimiter(kc);
  const metrics = options.metrics ?? defaultMetrics();
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const applier = makeApplier(kc, manager, metrics);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const coords = { group, version, plural };
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  /** One write: a token, a count, the call, failures mapped. */
  async function write<T>(
    verb: 'create' | 'update' | 'patch' | 'apply' | 'delete',
    kind: string,
    call: () => Promise<T>,
  ) {
    await limiter.take();
    metrics.countWrite(verb, kind || 'Unknown');
    try {
      return await call();
    } catch (error) {
      throw writeErrorOf(error);
    }
  }

  return {
    async read<T extends KubernetesObject>(ref: ObjectRef) {
      try {
        if (isNomadJob(ref))
          return (await custom.getNamespacedCustomObject({
            ...coords,
            namespace: ref.namespace ?? '',
            name: ref.name,
          })) as T;
        return await objects.read<T>({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
        } as Parameters<typeof objects.read<T>>[0]);
      } catch (error) {
        const failure = writeErrorOf(error);
        if (failure.code === 404) return undefined;
        throw failure;
      }
    },
    async list<T extends KubernetesObject>(
      of: { apiVersion: string; kind: string; namespace: string },
      labelSelector: string,
    ) {
      try {
        const list = await objects.list(
          of.apiVersion,
          of.kind,
          of.namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelSelector,
        );
        return list.items as T[];
      } catch (error) {
        throw writeErrorOf(error);
      }
    },
    create: (object) =>
      write('create', object.kind ?? '', async () =>
        isNomadJob(object)
          ? ((await custom.createNamespacedCustomObject({
              ...coords,
              namespace: object.metadata?.namespace ?? '',
              body: object,
              fieldManager: manager,
            })) as typeof object)
          : await objects.create(object, undefined, undefined, manager),
      ),
    replace: (object) =>
      write('update', object.kind ?? '', async () =>
        isNomadJob(object)
          ? ((await custom.replaceNamespacedCustomObject({
              ...coords,
              namespace: object.metadata?.namespace ?? '',
              name: object.metadata?.name ?? '',
              body: object,
              fieldManager: manager,
            })) as typeof object)
          : await objects.replace(object, undefined, undefined, manager),
      ),
    async apply(object, applyOptions = {}) {
      await limiter.take();
      try {
        // Counted by the applier (apply.ts), the one server-side apply of the code base.
        return await applier.apply(object, applyOptions);
      } catch (error) {
        throw writeErrorOf(error);
      }
    },
    mergePatch: <T extends KubernetesObject>(
      ref: ObjectRef,
      patch: Record<string, unknown>,
      patchOptions: { status?: boolean } = {},
    ) =>
      write('patch', ref.kind, async () => {
        if (isNomadJob(ref)) {
          const request = { ...coords, namespace: ref.namespace ?? '', name: ref.name, body: patch };
          return (
            patchOptions.status
              ? await custom.patchNamespacedCustomObjectStatus(request, merge)
              : await custom.patchNamespacedCustomObject({ ...request, fieldManager: manager }, merge)
          ) as T;
        }
        if (patchOptions.status) throw new Error(`status patches of ${ref.kind} are not supported`);
        // The generic client addresses the object by the body's own apiVersion, kind and metadata.
        const addressed = specOf(ref);
        const patchMetadata = (patch.metadata ?? {}) as Record<string, unknown>;
        const body = { ...patch, ...addressed, metadata: { ...patchMetadata, ...addressed.metadata } };
        return (await objects.patch(
          body,
          undefined,
          undefined,
          manager,
          undefined,
          PatchStrategy.MergePatch,
        )) as T;
      }),
    delete: (ref, deleteOptions = {}) =>
      write('delete', ref.kind, async () => {
        const preconditions = deleteOptions.uid ? { preconditions: { uid: deleteOptions.uid } } : undefined;
        try {
          const result = isNomadJob(ref)
            ? await custom.deleteNamespacedCustomObject({
                ...coords,
                namespace: ref.namespace ?? '',
                name: ref.name,
                propagationPolicy: 'Background',
                ...(preconditions ? { body: preconditions } : {}),
              })
            : await objects.delete(
                specOf(ref),
                undefined,
                undefined,
                undefined,
                undefined,
                'Background',
                preconditions,
              );
          return deletedAt(result);
        } catch (error) {
          if (writeErrorOf(error).kind === 'not-found') return undefined;
          throw error;
        }
      }),
    async event(object, type, reason, message) {
      await limiter.take();
      metrics.countWrite('create', 'Event');
      if (!(await recordEvent(core, object, type, reason, message))) options.onEventFailure?.(reason);
    },
  };
}
