// Services shared by the NomadJobs of a namespace. The translator names a Service after the Nomad
// service name (src/translate/networking.ts), so two jobs registering `api` both want the Service `api`.
// Ownership is shared the Kubernetes way:
//   * each declaring NomadJob is a non-controller ownerReference of the Service, so the garbage collector
//     deletes the Service when the last of them is deleted, and drops the reference of a deleted one
//     while others remain;
//   * each job applies its intent with its own server-side apply field manager (`jobFieldManager`), so the
//     apiserver merges the intents (ownerReferences are a map keyed by uid, ports by port/protocol) and a
//     job that stops declaring the service (or is stopped) removes exactly its own fields by applying an
//     empty intent; when no other job owns it, it deletes the Service instead, on the condition that
//     the Service is still as the cache saw it (a claim the cache has not seen yet wins);
//   * each job records the hash of its last intent under its own annotation (`appliedKey`), so a job
//     re-applies only when its own intent changed, never because another job applied.
// Ports: a port label another owner already serves on another number keeps that number (two entries of
// one name are invalid; the named targetPort reaches this job's pods anyway): ServicePort Warning event.
// Conflicts: two jobs registering the name on different port labels make a Service with both ports,
// each reaching only the pods that have it (Warning event ServicePorts). When two jobs want different
// values for the same field (tags for the same service), the apply without force is refused; the job then records a ServiceConflict Warning event
// naming the fields and applies with force (the last job applied wins those fields; the other keeps its
// hash and does not fight back). A conflict with a manager that is not this operator (a Service someone
// else made under that name) is never forced: NameConflict event, the Service is left alone.
// Readiness: `publishNotReadyAddresses` is one value for every job's pods, and jobs may want different
// ones (the translator says true for a service without checks on pods made ready by another check,
// false for one with checks, nothing when readiness does not matter: networking.ts). Each job records
// its wish under its own annotation (`publishNotReadyKey`) and applies the value they agree on: true
// only when every job that has a wish wants true, as an instance that has checks must not get traffic
// before they pass (Warning event ServiceReadiness to the jobs that wanted true). The value follows the
// wishes of the jobs that still own the Service, so it turns true again when the last job with checks
// goes; a conflict on this field alone is the move to the agreed value and is forced without an event.

import { createHash } from 'node:crypto';
import type { KubernetesObject, V1Service } from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';
import { fieldManager } from '../kube/apply.ts';
import { kubeErrorCode, kubeErrorMessage } from '../kube/errors.ts';
import { ownerReference } from '../kube/owner-reference.ts';
import type { ClusterReader } from '../kube/reader.ts';
import { type ClusterWriter, isWriteError } from '../kube/writer.ts';
import { HASH_LENGTH, hashToken } from '../nomad/ids.ts';
import {
  APPLIED_ANNOTATION_PREFIX,
  LABEL_SERVICE,
  PUBLISH_NOT_READY_ANNOTATION_PREFIX,
} from '../nomad/keys.ts';

/** Field manager of one NomadJob's intent for shared Services. */
export function jobFieldManager(jobName: string): string {
  return `${fieldManager}/job/${jobName}`;
}

/** Annotation holding the hash of one job's last applied intent. */
export function appliedKey(jobName: string): string {
  return `${APPLIED_ANNOTATION_PREFIX}${annotationNameOf(jobName)}`;
}

/**
 * A NomadJob's name as the name part of an annotation key, which holds at most 63 characters: the
 * name itself when it fits (the API's job names always do), else its start and a hash of all of it
 * (a NomadJob applied with kubectl may be named with up to 253).
 */
export function annotationNameOf(jobName: string): string {
  if (jobName.length <= 63) return jobName;
  const stem = jobName.slice(0, 63 - 2 - HASH_LENGTH).replace(/[^a-z0-9]+$/u, '');
  return `${stem}--${hashToken(jobName)}`;
}

/** The job's intent for a shared Service: its ownerReference and the hash of the rest. */
export function withSharedOwnership(desired: KubernetesObject, owner: NomadJobObject): KubernetesObject {
  const object = structuredClone(desired);
  object.metadata ??= {};
  object.metadata.ownerReferences = [ownerReference(owner, { controller: false })];
  const hash = createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 32);
  object.metadata.annotations = {
    ...object.metadata.annotations,
    [appliedKey(owner.metadata?.name ?? '')]: hash,
  };
  return object;
}

/** Annotation holding one job's wish for the Service's `publishNotReadyAddresses`. */
export function publishNotReadyKey(jobName: string): string {
  return `${PUBLISH_NOT_READY_ANNOTATION_PREFIX}${annotationNameOf(jobName)}`;
}

/**
 * Turns the job's `publishNotReadyAddresses` into the value every job declaring the Service agrees on
 * (see the module comment): records the job's own wish under its annotation and sets the field to
 * true only when every wish of the jobs that own the live Service (this one's included) is true, to
 * false when one is false, and leaves it unset when nobody has one. Changes `desired` in place;
 * returns the job's wish, the agreed value and the other jobs that want false.
 */
export function agreeNotReadyAddresses(
  desired: V1Service,
  live: V1Service | undefined,
  jobName: string,
): { wanted?: boolean; agreed?: boolean; holdouts: string[] } {
  const wanted = desired.spec?.publishNotReadyAddresses;
  // Owners by the name their annotations carry.
  const owners = new Map(
    (live?.metadata?.ownerReferences ?? [])
      .filter((r) => r.kind === 'NomadJob')
      .map((r) => [annotationNameOf(r.name), r.name] as const),
  );
  const own = annotationNameOf(jobName);
  const wishes = new Map<string, boolean>();
  for (const [key, value] of Object.entries(live?.metadata?.annotations ?? {})) {
    if (!key.startsWith(PUBLISH_NOT_READY_ANNOTATION_PREFIX)) continue;
    const job = owners.get(key.slice(PUBLISH_NOT_READY_ANNOTATION_PREFIX.length));
    // A job deleted without releasing the Service left its annotation behind: not an owner any more.
    if (job === undefined || key.slice(PUBLISH_NOT_READY_ANNOTATION_PREFIX.length) === own) continue;
    wishes.set(job, value === 'true');
  }
  if (wanted !== undefined) {
    wishes.set(jobName, wanted);
    desired.metadata ??= {};
    desired.metadata.annotations = {
      ...desired.metadata.annotations,
      [publishNotReadyKey(jobName)]: String(wanted),
    };
  }
  const holdouts = [...wishes].filter(([job, wish]) => job !== jobName && !wish).map(([job]) => job);
  const agreed = wishes.size === 0 ? undefined : [...wishes.values()].every((wish) => wish);
  if (desired.spec) {
    if (agreed === undefined) delete desired.spec.publishNotReadyAddresses;
    else desired.spec.publishNotReadyAddresses = agreed;
  }
  return {
    ...(wanted !== undefined ? { wanted } : {}),
    ...(agreed !== undefined ? { agreed } : {}),
    holdouts: holdouts.sort(),
  };
}

/** The causes of a server-side apply conflict as the apiserver's Status lists them; undefined if unreadable. */
function conflictCauses(error: unknown): { field?: string; message?: string }[] | undefined {
  const body = (error as { body?: unknown } | undefined)?.body;
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as {
      details?: { causes?: { field?: string; message?: string }[] };
    } | null;
    const causes = status?.details?.causes ?? [];
    return Array.isArray(causes) ? causes : undefined;
  } catch {
    return undefined;
  }
}

/** Every cause's value, once each; undefined when a cause lacks it or there is none. */
function eachOnce(values: (string | undefined)[] | undefined): string[] | undefined {
  if (!values || values.length === 0 || values.some((v) => v === undefined)) return undefined;
  return [...new Set(values as string[])];
}

/** The fields named in a server-side apply conflict; undefined if unreadable. */
export function conflictFields(error: unknown): string[] | undefined {
  return eachOnce(conflictCauses(error)?.map((c) => c.field));
}

const PUBLISH_NOT_READY_FIELD = '.spec.publishNotReadyAddresses';

function ownsShared(live: KubernetesObject, uid: string | undefined): boolean {
  return !!uid && (live.metadata?.ownerReferences ?? []).some((ref) => ref.uid === uid);
}

/** Managers named in a server-side apply conflict (`conflict with "manager" …`); undefined if unreadable. */
export function conflictManagers(error: unknown): string[] | undefined {
  return eachOnce(conflictCauses(error)?.map((c) => /conflict with "([^"]*)"/.exec(c.message ?? '')?.[1]));
}

/**
 * Keeps the port numbers of a live shared Service: a port (by name, i.e. Nomad port label) another job
 * already serves on another number stays on that number, as two entries of one name are invalid and the
 * named targetPort reaches this job's pods whatever their container port. A port that targets a
 * container port by number (the UDP twin of a named port: a port name belongs to one protocol) keeps
 * the number the live Service sends it to, so two jobs do not fight over it. Changes `desired` in place
 * and returns what it changed: `number` and `wanted` are Service port numbers, or container port
 * numbers for a `target`.
 */
export function adoptPortNumbers(
  desired: V1Service,
  live: V1Service,
): { name: string; number: number; wanted: number; target?: true }[] {
  const adopted: { name: string; number: number; wanted: number; target?: true }[] = [];
  const ports = desired.spec?.ports ?? [];
  ports.forEach((port, i) => {
    const existing = live.spec?.ports?.find((p) => p.name === port.name);
    const sibling = ports[i - 1];
    if (port.protocol === 'UDP' && sibling && (sibling.protocol ?? 'TCP') === 'TCP') {
      // A UDP twin (networking.ts) follows its TCP port's number, adopted or not.
      port.port = sibling.port;
    } else if (existing && existing.port !== port.port) {
      const protocol = port.protocol ?? 'TCP';
      const taken = ports.some(
        (p) => p !== port && p.port === existing.port && (p.protocol ?? 'TCP') === protocol,
      );
      if (!taken) {
        adopted.push({ name: port.name ?? '', number: existing.port, wanted: port.port });
        port.port = existing.port;
      }
    }
    if (
      existing &&
      typeof port.targetPort === 'number' &&
      typeof existing.targetPort === 'number' &&
      existing.targetPort !== port.targetPort
    ) {
      adopted.push({
        name: port.name ?? '',
        number: existing.targetPort,
        wanted: port.targetPort,
        target: true,
      });
      port.targetPort = existing.targetPort;
    }
  });
  return adopted;
}

/**
 * Applies the job's shared Services and releases the ones it no longer declares (see the module
 * comment). Returns whether anything was written.
 */
export async function reconcileSharedServices(
  owner: NomadJobObject,
  services: KubernetesObject[],
  view: ClusterReader,
  writer: ClusterWriter,
): Promise<boolean> {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  const uid = owner.metadata?.uid;
  const manager = jobFieldManager(jobName);
  const live = view
    .owned('Service', namespace, jobName)
    .filter((s) => s.metadata?.labels?.[LABEL_SERVICE] !== undefined);
  let changed = false;
  for (const service of services) {
    const name = service.metadata?.name ?? '';
    const current = view.get<V1Service>('Service', namespace, name);
    // Port numbers other jobs already serve stay; a sole owner changes its own freely.
    const intent = structuredClone(service) as V1Service;
    const shared = (current?.metadata?.ownerReferences ?? []).some((ref) => ref.uid !== uid);
    const adopted = current && shared ? adoptPortNumbers(intent, current) : [];
    const readiness = agreeNotReadyAddresses(intent, current, jobName);
    const desired = withSharedOwnership(intent, owner);
    const key = appliedKey(jobName);
    if (
      current &&
      ownsShared(current, uid) &&
      current.metadata?.annotations?.[key] === desired.metadata?.annotations?.[key] &&
      // Another job may have moved the field since (to the value it agreed then).
      (readiness.agreed === undefined ||
        (current.spec?.publishNotReadyAddresses ?? false) === readiness.agreed)
    )
      continue;
    let applied: KubernetesObject | undefined;
    try {
      applied = await writer.apply(desired, { fieldManager: manager, force: false });
    } catch (error) {
      if (kubeErrorCode(error) !== 409) throw error;
      const managers = conflictManagers(error);
      const ours = managers?.every((m) => m.startsWith(`${fieldManager}/job/`)) ?? false;
      const fields = conflictFields(error);
      if (ours && fields?.every((f) => f === PUBLISH_NOT_READY_FIELD)) {
        // Other jobs applied the value agreed before this job's wish changed it: see the module comment.
        applied = await writer.apply(desired, { fieldManager: manager, force: true });
      } else if (!ours) {
        await writer.event(
          owner,
          'Warning',
          'NameConflict',
          `Service ${name} exists and is managed by someone else (${kubeErrorMessage(error)}); left alone`,
        );
        continue;
      } else {
        await writer.event(
          owner,
          'Warning',
          'ServiceConflict',
          `Service ${name} is also declared by other jobs with other values; this job's values win: ${kubeErrorMessage(error)}`,
        );
        applied = await writer.apply(desired, { fieldManager: manager, force: true });
      }
    }
    changed = true;
    await writer.event(owner, 'Normal', current ? 'Updated' : 'Applied', `Applied shared Service ${name}`);
    const own = new Set(((desired as V1Service).spec?.ports ?? []).map((p) => p.name));
    // The Service as the apiserver merged it (the cache may not have seen another job's apply yet).
    const merged = (applied ?? current) as V1Service | undefined;
    // By label: a port's UDP twin goes with it.
    const foreign = (merged?.spec?.ports ?? [])
      .filter((p) => p.protocol !== 'UDP')
      .map((p) => p.name ?? '')
      .filter((p) => !own.has(p));
    if (foreign.length > 0) {
      await writer.event(
        owner,
        'Warning',
        'ServicePorts',
        `Service ${name} also has port(s) ${foreign.join(', ')} from other jobs, which this job's pods do not serve (another port label for the same service name); use the same port label in every job`,
      );
    }
    if (readiness.wanted === true && readiness.agreed === false) {
      await writer.event(
        owner,
        'Warning',
        'ServiceReadiness',
        `Service ${name} also selects the pods of job(s) ${readiness.holdouts.join(', ')}, which register the service with checks, so it routes to ready pods only: this job's pods, which have no check for it, are reached only once their readiness probe (another service's check) passes, where Consul counts them as passing; give the service another name in one of the jobs`,
      );
    }
    for (const { name: port, number, wanted, target } of adopted) {
      if (target) {
        await writer.event(
          owner,
          'Warning',
          'ServicePort',
          `Service ${name} already sends port ${port} to container port ${number} for another job; this job's pods listen on ${wanted} and get none of its traffic; map the port to the same container port in every job`,
        );
        continue;
      }
      await writer.event(
        owner,
        'Warning',
        'ServicePort',
        `Service ${name} already serves port ${port} on ${number} for another job; this job's pods are reached through it (targetPort ${port}), not on ${wanted}`,
      );
    }
  }

  const wanted = new Set(services.map((s) => s.metadata?.name));
  for (const current of live) {
    const name = current.metadata?.name ?? '';
    if (wanted.has(name) || !ownsShared(current, uid)) continue;
    const others = (current.metadata?.ownerReferences ?? []).filter((ref) => ref.uid !== uid);
    changed = true;
    if (others.length === 0) {
      // The sole owner as far as the cache knows. Another job may have just applied its intent (and
      // its ownerReference), which the cache has not seen yet: deleted only as it was seen. When it
      // has changed since, its watch event brings this job (one of its owners) back to decide again.
      const deleted = await writer
        .delete(
          { apiVersion: 'v1', kind: 'Service', namespace, name },
          {
            ...(current.metadata?.uid ? { uid: current.metadata.uid } : {}),
            ...(current.metadata?.resourceVersion
              ? { resourceVersion: current.metadata.resourceVersion }
              : {}),
          },
        )
        .then(
          () => true,
          (error: unknown) => {
            if (isWriteError(error, 'conflict')) return false;
            throw error;
          },
        );
      if (deleted) await writer.event(owner, 'Normal', 'Deleted', `Deleted Service ${name}`);
    } else {
      // An empty intent: the apiserver removes every field only this job's manager held.
      await writer.apply(
        { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace } },
        { fieldManager: manager, force: true },
      );
      await writer.event(
        owner,
        'Normal',
        'Released',
        `Released Service ${name}, still declared by ${others.map((r) => r.name).join(', ')}`,
      );
    }
  }
  return changed;
}
