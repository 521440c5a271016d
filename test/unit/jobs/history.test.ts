import { describe, expect, it } from 'vitest';
import { toNomad } from '../../../src/crd/codec.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import { currentVersion, specOfVersion, versionsOf } from '../../../src/jobs/history.ts';
import { revisionObject, type StoredVersion, specFingerprint } from '../../../src/jobs/versions.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { ANNOTATION_STABLE } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';

const job = (image: string): Job =>
  canonicalize({
    ID: 'web',
    Datacenters: ['*'],
    TaskGroups: [{ Name: 'app', Tasks: [{ Name: 't', Driver: 'docker', Config: { image } }] }],
  });

const stored = (version: number, image: string): StoredVersion => ({
  version,
  stable: false,
  submitTime: '1',
  job: { ...(job(image) as Record<string, unknown>), Version: version, Stable: true, SubmitTime: 5 },
});

describe('history', () => {
  it("re-registers a version's job without its registration bookkeeping", () => {
    const spec = specOfVersion(stored(0, 'a:1'));
    const back = toNomad(spec);
    if (!back.ok) throw new Error(back.errors.join('; '));
    expect(specFingerprint(back.job)).toBe(specFingerprint(job('a:1') as Record<string, unknown>));
    for (const field of ['Version', 'Stable', 'SubmitTime']) expect(back.job[field]).toBeUndefined();
  });

  it('knows the current version: the one the spec has, or will get once reconciled', () => {
    const history = [stored(0, 'a:1'), stored(1, 'a:2')];
    const object = nomadJobObject(job('a:2') as Record<string, unknown>);
    expect(currentVersion(object, history)).toBe(1);
    expect(currentVersion(nomadJobObject(job('a:3') as Record<string, unknown>), history)).toBe(2);
    expect(currentVersion({ ...object, spec: { bogus: 1 }, status: { version: 7 } }, history)).toBe(7);
  });

  it('reads stability from the revision annotation over the data', () => {
    const owner = {
      ...nomadJobObject(job('a:1') as Record<string, unknown>),
      metadata: { name: 'web', uid: 'u' },
    };
    const revision = revisionObject(owner as ReturnType<typeof nomadJobObject>, stored(0, 'a:1'));
    expect(versionsOf([revision])[0]?.stable).toBe(false);
    revision.metadata = { ...revision.metadata, annotations: { [ANNOTATION_STABLE]: 'true' } };
    expect(versionsOf([revision])[0]?.stable).toBe(true);
  });
});
