// Kubernetes Events about a NomadJob ("Created Deployment web--cache", "Dispatched job …"). Events
// are best effort: a failure to record one never fails the work it describes.
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';

export async function recordEvent(
  core: CoreV1Api,
  object: KubernetesObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<boolean> {
  const now = new Date();
  try {
    await core.createNamespacedEvent({
      namespace: object.metadata?.namespace ?? '',
      body: {
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
      },
    });
    return true;
  } catch {
    return false;
  }
}
