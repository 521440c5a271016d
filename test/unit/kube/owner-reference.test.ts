import { describe, expect, it } from 'vitest';
import { ownerReference } from '../../../src/kube/owner-reference.ts';

const job = {
  apiVersion: 'nomadoperator.dev/v1alpha1',
  kind: 'NomadJob',
  metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
};

describe('ownerReference', () => {
  // Desired objects are hashed as JSON (controller/reconcile.ts): the text of a reference must not move.
  it('serialises a controller reference field by field in a fixed order', () => {
    expect(JSON.stringify(ownerReference(job, { controller: true, blockOwnerDeletion: true }))).toBe(
      '{"apiVersion":"nomadoperator.dev/v1alpha1","kind":"NomadJob","name":"web","uid":"u-1","controller":true,"blockOwnerDeletion":true}',
    );
  });

  it('leaves blockOwnerDeletion out when not given (shared Services)', () => {
    expect(ownerReference(job, { controller: false })).toEqual({
      apiVersion: 'nomadoperator.dev/v1alpha1',
      kind: 'NomadJob',
      name: 'web',
      uid: 'u-1',
      controller: false,
    });
  });

  it('names an owner read from a cache by the kind the caller gives', () => {
    const launched = { metadata: { name: 'report-1', uid: 'u-2' } };
    expect(
      ownerReference(
        { apiVersion: 'batch/v1', kind: 'Job', ...launched },
        { controller: false, blockOwnerDeletion: false },
      ),
    ).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: 'report-1',
      uid: 'u-2',
      controller: false,
      blockOwnerDeletion: false,
    });
  });
});
