// Service registrations (GET /v1/job/:id/services): one per (Service of the job, running pod it
// selects), with the pod's IP and the port the Service targets on that pod.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { goCompareStrings } from '../../nomad/go.ts';
import { ANNOTATION_GROUP, ANNOTATION_SERVICE_NAME, ANNOTATION_SERVICE_TAGS } from '../../nomad/keys.ts';
import { resourceVersionOf } from '../state.ts';
import type { ApiStore, JobEntry } from '../store.ts';
import { nodeIdFor, podGroup } from './allocation.ts';
import type { Json } from './job.ts';

function selects(service: V1Service, pod: V1Pod): boolean {
  const selector = service.spec?.selector ?? {};
  const labels = pod.metadata?.labels ?? {};
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

function podPort(pod: V1Pod, target: number | string | undefined): number {
  if (typeof target === 'number') return target;
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (port.name === target) return port.hostPort ?? port.containerPort;
    }
  }
  return 0;
}

export function serviceRegistrations(store: ApiStore, entry: JobEntry): Json[] {
  const pods = store
    .pods(entry)
    .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  const out: Json[] = [];
  for (const service of store.services(entry)) {
    const name = service.metadata?.annotations?.[ANNOTATION_SERVICE_NAME] ?? service.metadata?.name ?? '';
    let tags: string[] | null = null;
    try {
      const raw = service.metadata?.annotations?.[ANNOTATION_SERVICE_TAGS];
      if (raw) tags = JSON.parse(raw) as string[];
    } catch {
      tags = null;
    }
    const group = service.metadata?.annotations?.[ANNOTATION_GROUP];
    const port = service.spec?.ports?.[0];
    for (const pod of pods) {
      if (!selects(service, pod) || (group !== undefined && podGroup(pod) !== group)) continue;
      const allocId = pod.metadata?.uid ?? '';
      out.push({
        ID: `_nomad-task-${allocId}-${podGroup(pod)}-${name}-${port?.name ?? ''}`,
        ServiceName: name,
        Namespace: entry.namespace,
        NodeID: nodeIdFor(pod.spec?.nodeName),
        Datacenter: 'dc1',
        JobID: entry.id,
        AllocID: allocId,
        Tags: tags,
        Address: pod.status?.podIP ?? '',
        Port: port ? podPort(pod, port.targetPort ?? port.port) : 0,
        CreateIndex: Math.min(
          resourceVersionOf(service),
          store.state.firstSeen(pod) ?? resourceVersionOf(pod),
        ),
        ModifyIndex: Math.max(resourceVersionOf(service), resourceVersionOf(pod)),
      });
    }
  }
  return out.sort((a, b) => goCompareStrings(String(a.ID), String(b.ID)));
}
