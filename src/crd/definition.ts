// The NomadJob CustomResourceDefinition, built from the job model. `npm run generate:crd` writes it
// to crds/; a unit test fails when the committed file differs from what this builds.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { OpenApiSchema } from './openapi.ts';
import { specSchema } from './openapi.ts';
import { crdName, group, kind, plural, shortNames, singular, version } from './resource.ts';

const count = (description: string): OpenApiSchema => ({ type: 'integer', format: 'int64', description });

const groupSummary: OpenApiSchema = {
  type: 'object',
  description: "Allocation counts of one task group, as in Nomad's job summary.",
  properties: Object.fromEntries(
    ['queued', 'starting', 'running', 'complete', 'failed', 'lost', 'unknown'].map((k) => [
      k,
      count(`${k} allocations`),
    ]),
  ),
};

const statusSchema: OpenApiSchema = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  properties: {
    status: { type: 'string', enum: ['pending', 'running', 'dead'], description: "Nomad's job status." },
    statusDescription: { type: 'string' },
    version: count('Nomad job version: 0 when first registered, one more per spec change.'),
    jobModifyIndex: count('Index of the last change of the job spec.'),
    stable: { type: 'boolean', description: 'Whether this version has been marked stable.' },
    submitTime: { type: 'string', description: 'Submit time of this version, Unix nanoseconds.' },
    allocations: { type: 'string', description: 'Running/desired allocations over all groups.' },
    summary: {
      type: 'object',
      description: 'Per task group allocation counts.',
      additionalProperties: groupSummary,
    },
    children: {
      type: 'object',
      description: 'Child jobs of a periodic or parameterized job.',
      properties: {
        pending: count('pending children'),
        running: count('running children'),
        dead: count('dead children'),
      },
    },
    warnings: {
      type: 'array',
      description: 'What could not be translated to Kubernetes, one line per field.',
      items: { type: 'string' },
    },
    observedGeneration: count('The spec generation this status describes.'),
    conditions: {
      type: 'array',
      description:
        "Ready (all allocations running), Scheduled (every allocation placed on a node; False with reason Unschedulable and the scheduler's message when no node can run one), Progressing and Degraded.",
      items: {
        type: 'object',
        required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
        properties: {
          type: { type: 'string' },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string' },
          message: { type: 'string' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
          observedGeneration: count('The spec generation this condition was set for.'),
        },
      },
    },
  },
};

export function nomadJobCrd(): V1CustomResourceDefinition {
  const spec = specSchema();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular, shortNames, listKind: `${kind}List`, categories: ['nomad'] },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Type', type: 'string', jsonPath: '.spec.type' },
            { name: 'Status', type: 'string', jsonPath: '.status.status' },
            { name: 'Version', type: 'integer', jsonPath: '.status.version' },
            {
              name: 'Running/Desired',
              type: 'string',
              jsonPath: '.status.allocations',
              description: 'Running allocations / desired allocations',
            },
            {
              name: 'Reason',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
              description:
                'Why the job is or is not ready, e.g. Unschedulable when no node can run an allocation',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            {
              name: 'Message',
              type: 'string',
              priority: 1,
              jsonPath: '.status.conditions[?(@.type=="Ready")].message',
              description: "Allocations running, and the scheduler's message when some cannot be placed",
            },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'A HashiCorp Nomad job run as Kubernetes workloads. The spec is the Nomad job (as in the jobspec and the /v1 API) with camelCase field names and durations written as Go duration strings.',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: { ...spec, description: 'The Nomad job.' },
                status: statusSchema,
              },
              required: ['spec'],
              // biome-ignore lint/suspicious/noExplicitAny: the client's V1JSONSchemaProps is a superset we fill structurally
            } as any,
          },
        },
      ],
    },
  };
}

export function nomadJobCrdYaml(): string {
  return `# Generated by \`npm run generate:crd\` from the job model in src/nomad/schema. Do not edit.\n${yaml.dump(
    nomadJobCrd(),
    { lineWidth: -1, noRefs: true, sortKeys: false },
  )}`;
}
