// What the status tests share: a job's status computed from what the reconciler observed (the
// bookkeeping fields fixed, as the status under test does not depend on them), a running pod of a
// group, and one condition of a status.
import type { V1Pod } from '@kubernetes/client-node';
import { computeStatus, type Observed } from '../../../src/jobs/status.ts';
import { labelValueFor } from '../../../src/nomad/ids.ts';
import { LABEL_GROUP } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';

export type Status = ReturnType<typeof computeStatus>;

export function statusOf(job: Job, observed: Observed, generation = 1): Status {
  return computeStatus({
    job,
    generation,
    observed,
    now: '2026-01-01T00:00:00Z',
    warnings: [],
    version: 0,
    jobModifyIndex: 1,
    submitTime: '0',
    stable: false,
  });
}

/** A pod of `group` running on a node. */
export function runningPod(group: string): V1Pod {
  return {
    metadata: { labels: { [LABEL_GROUP]: labelValueFor(group) } },
    spec: { containers: [], nodeName: 'kwok-node-0' },
    status: { phase: 'Running' },
  };
}

export function conditionOf(status: Status, type: string) {
  return status.conditions?.find((c) => c.type === type);
}
