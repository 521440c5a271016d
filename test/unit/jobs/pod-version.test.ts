// Which version a DaemonSet's pod runs while the DaemonSet rolls node by node: the DaemonSet's own
// for pods of its current template, the one before for pods of an older template.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podVersion } from '../../../src/jobs/pod-version.ts';
import { LABEL_VERSION } from '../../../src/nomad/keys.ts';

const daemonSet = (version: number, templateGeneration: number): KubernetesObject => ({
  metadata: {
    name: 'agent',
    namespace: 'ops',
    labels: { [LABEL_VERSION]: String(version) },
    annotations: { 'deprecated.daemonset.template.generation': String(templateGeneration) },
  },
});

const pod = (templateGeneration?: number): V1Pod => ({
  metadata: {
    namespace: 'ops',
    labels: templateGeneration === undefined ? {} : { 'pod-template-generation': String(templateGeneration) },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u', controller: true },
    ],
  },
});

const lookupOf =
  (object: KubernetesObject) =>
  (kind: string, namespace: string | undefined, name: string): KubernetesObject | undefined =>
    kind === 'DaemonSet' && namespace === 'ops' && name === 'agent' ? object : undefined;

describe('the version of a DaemonSet’s pod', () => {
  it('is the DaemonSet’s for pods of its current template, the one before for older pods', () => {
    const lookup = lookupOf(daemonSet(3, 5));
    expect(podVersion(lookup, pod(5))).toBe(3);
    expect(podVersion(lookup, pod(4))).toBe(2);
  });

  it('is the DaemonSet’s when a version left the template as it was (updated in place)', () => {
    // Version 4 changed only the update block: the template generation stays 5.
    expect(podVersion(lookupOf(daemonSet(4, 5)), pod(5))).toBe(4);
  });

  it('is the DaemonSet’s when either generation is unknown', () => {
    expect(podVersion(lookupOf(daemonSet(3, 5)), pod())).toBe(3);
    expect(podVersion(lookupOf({ metadata: { labels: { [LABEL_VERSION]: '3' } } }), pod(1))).toBe(3);
  });
});
