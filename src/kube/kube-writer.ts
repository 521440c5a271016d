// The ClusterWriter (writer.ts) on the Kubernetes API, for every component of the process: each write
// first takes a token from one bucket (rate-limit.ts; shared by every writer made for the same
// KubeConfig unless one is given), is counted as a write of its kind (metrics.ts), and fails as a
// WriteError. Objects go and come as the apiserver's JSON (as the informer caches hold them), through
// the object API of objects.ts (NomadJobs by their known resource, other kinds by discovery). Writes
// are never retried here; each request has the client's deadline (client.ts), so a write to a frozen
// apiserver fails instead of hanging.
import type { KubernetesObject } from '@kubernetes/client-node';
import { group, plural, version } from '../crd/resource.ts';
import { defaultMetrics, type WriteCounter } from '../metrics.ts';
import { makeApplier, fieldManager as operatorFieldManager } from './apply.ts';
import { contentTypes } from './client.ts';
import { recordEvent } from './events.ts';
import type { KubeConfig } from './kubeconfig.ts';
import { kubeObjects, type ObjectAddress } from './objects.ts';
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

/** Where an object is: NomadJobs by their known resource (no discovery), other kinds by discovery. */
function addressOf(ref: {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name: string;
}): ObjectAddress & {
  name: string;
} {
  return {
    apiVersion: ref.apiVersion ?? '',
    kind: ref.kind ?? '',
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
    ...(isNomadJob(ref) ? { resource: { plural, namespaced: true } } : {}),
  };
}

/** The NomadJob resource when `object` is one: written without discovery, as before it is served. */
const knownResource = (object: KubernetesObject) =>
  isNomadJob(object) ? { resource: { plural, namespaced: true } } : {};

export function makeKubeWriter(kc: KubeConfig, options: KubeWriterOptions = {}): ClusterWriter {
  const manager = options.fieldManager ?? operatorFieldManager;
  const limiter = options.limiter ?? sharedWriteLimiter(kc);
  const metrics = options.metrics ?? defaultMetrics();
  const objects = kubeObjects(kc);
  const applier = makeApplier(kc, manager, metrics);

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
        return await objects.read<T>(addressOf(ref));
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
        const { name: _name, ...collection } = addressOf({ ...of, name: '' });
        return await objects.list<T>(collection, { labelSelector });
      } catch (error) {
        throw writeErrorOf(error);
      }
    },
    create: (object) =>
      write('create', object.kind ?? '', () =>
        objects.create(object, { fieldManager: manager, ...knownResource(object) }),
      ),
    replace: (object) =>
      write('update', object.kind ?? '', () =>
        objects.replace(object, { fieldManager: manager, ...knownResource(object) }),
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
        if (patchOptions.status && !isNomadJob(ref))
          throw new Error(`status patches of ${ref.kind} are not supported`);
        return await objects.patch<T>(addressOf(ref), patch, contentTypes.mergePatch, {
          // The status subresource ignores the field manager client-node never sent for it either.
          ...(patchOptions.status ? { subresource: 'status' } : { fieldManager: manager }),
        });
      }),
    delete: (ref, deleteOptions = {}) =>
      write('delete', ref.kind, async () => {
        try {
          const { uid, resourceVersion } = deleteOptions;
          const preconditions = { ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) };
          const result = await objects.delete(addressOf(ref), {
            propagationPolicy: 'Background',
            ...(uid || resourceVersion ? { preconditions } : {}),
          });
          return deletedAt(result);
        } catch (error) {
          if (writeErrorOf(error).kind === 'not-found') return undefined;
          throw error;
        }
      }),
    async event(object, type, reason, message) {
      await limiter.take();
      metrics.countWrite('create', 'Event');
      if (!(await recordEvent(objects.client, object, type, reason, message)))
        options.onEventFailure?.(reason);
    },
  };
}
