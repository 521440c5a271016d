import { describe, expect, it } from 'vitest';
import { nomadJobObject } from '../../../src/crd/object.ts';
import { cacheTransformFor } from '../../../src/jobs/cache-transforms.ts';
import {
  nextVersion,
  revisionObject,
  type StoredVersion,
  specFingerprint,
  storedVersionOf,
  versionsToPrune,
} from '../../../src/jobs/versions.ts';

const job = (count: number, extra: Record<string, unknown> = {}) => ({
  ID: 'web',
  Type: 'service',
  TaskGroups: [{ Name: 'api', Count: count }],
  ...extra,
});
const stored = (version: number, j: Record<string, unknown>): StoredVersion => ({
  version,
  stable: false,
  submitTime: '1',
  job: j,
});

describe('job versions', () => {
  it('starts at version 0 and adds one per spec change', () => {
    expect(nextVersion([], job(1))).toEqual({ version: 0, isNew: true });
    const history = [stored(0, job(1)), stored(1, job(2))];
    expect(nextVersion(history, job(2))).toMatchObject({ version: 1, isNew: false });
    expect(nextVersion(history, job(3))).toMatchObject({ version: 2, isNew: true });
    // Going back to an old spec is still a new version, as a Nomad revert is.
    expect(nextVersion(history, job(1))).toMatchObject({ version: 2, isNew: true });
  });

  it('ignores bookkeeping fields and key order when comparing specs', () => {
    const a = job(1, { Version: 3, ModifyIndex: 9, Status: 'running', SubmitTime: 5 });
    const b = { TaskGroups: [{ Count: 1, Name: 'api' }], Type: 'service', ID: 'web' };
    expect(specFingerprint(a)).toBe(specFingerprint(b));
    expect(specFingerprint(job(1, { Stop: true }))).not.toBe(specFingerprint(job(1)));
  });

  it('keeps the newest versions within the history limit', () => {
    const history = [0, 1, 2, 3, 4, 5, 6, 7].map((v) => stored(v, job(v)));
    expect(versionsToPrune(history, 6)).toEqual([1, 0]);
    expect(versionsToPrune(history.slice(0, 3), 6)).toEqual([]);
  });

  it('keeps the newest stable version in place of the oldest kept one, as Nomad does', () => {
    const history = [0, 1, 2, 3, 4, 5, 6, 7].map((v) => ({ ...stored(v, job(v)), stable: v === 1 }));
    expect(versionsToPrune(history, 6)).toEqual([2, 0]);
    // A stable version within the limit changes nothing.
    const recent = history.map((v) => ({ ...v, stable: v.version === 6 }));
    expect(versionsToPrune(recent, 6)).toEqual([1, 0]);
    // Only the newest stable version is kept.
    const two = history.map((v) => ({ ...v, stable: v.version <= 1 }));
    expect(versionsToPrune(two, 6)).toEqual([2, 0]);
    // The current version always stays; with a limit of 1 the stable one stays beside it.
    expect(versionsToPrune(history.slice(0, 3), 1)).toEqual([0]);
  });

  it('stores a version in a ControllerRevision owned by the NomadJob, and reads it back', () => {
    const owner = nomadJobObject(job(2));
    owner.metadata!.uid = 'uid-1';
    owner.metadata!.namespace = 'apps';
    const revision = revisionObject(owner, stored(4, job(2)));
    expect(revision.metadata?.name).toBe('web--v4');
    expect(revision.revision).toBe(5);
    expect(revision.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'NomadJob', name: 'web', uid: 'uid-1', controller: true }),
    ]);
    expect(storedVersionOf(revision)).toEqual(stored(4, job(2)));
  });

  it('is cached with its job decoded in place of the base64 text, and reads back the same', () => {
    const owner = nomadJobObject(job(2));
    owner.metadata!.uid = 'uid-1';
    owner.metadata!.namespace = 'apps';
    const written = revisionObject(owner, {
      ...stored(3, job(2, { Meta: { note: '<a & b>' } })),
      stable: true,
    });
    const fromApiserver = {
      ...structuredClone(written),
      metadata: { ...written.metadata, resourceVersion: '7', managedFields: [{ manager: 'nomad-operator' }] },
    };
    const cached = cacheTransformFor('ControllerRevision')(structuredClone(fromApiserver));
    expect(cached.data).toEqual({
      version: 3,
      stable: true,
      submitTime: '1',
      job: job(2, { Meta: { note: '<a & b>' } }),
    });
    expect(cached.metadata?.managedFields).toBeUndefined();
    expect(storedVersionOf(cached)).toEqual(storedVersionOf(written));
    // Text that is not a job stays as it came, and reads as no version, as before.
    const broken = structuredClone(fromApiserver);
    (broken.data as Record<string, unknown>).jobBase64 = 'not base64 json';
    const kept = cacheTransformFor('ControllerRevision')(structuredClone(broken));
    expect((kept.data as Record<string, unknown>).jobBase64).toBe('not base64 json');
    expect(storedVersionOf(kept)).toBeUndefined();
  });
});
