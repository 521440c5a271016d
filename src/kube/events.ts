// Kubernetes Events about a NomadJob ("Created Deployment web--cache", "Dispatched job …"). Events
// are best effort: a failure to record one never fails the work it describes.
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './client.ts';

export async function recordEvent(
  client: KubeClient,
  object: KubernetesObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<boolean> {
  const now = new Date();
  const namespace = object.metadata?.namespace ?? '';
  try {
    const event: CoreV1Event = {
      metadata: { generateName: `${object.metadata?.name}.` },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata?.name,
        namespace: object.metadata?.namespace,
        uid: object.metadata?.uid,
      },
      type,
      reason,
      message,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      source: { component: 'nomad-operator' },
      reportingComponent: 'nomad-operator',
    };
    await client.request({
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      body: event,
    });
    return true;
  } catch {
    return false;
  }
}
