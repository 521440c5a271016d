// Revert and stability on the real cluster: three spec changes make versions 0, 1, 2; reverting to 0
// registers version 3 with version 0's spec; Nomad's errors; stability flips on a version.
import { AppsV1Api, type V1ControllerRevision } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revertJob, setStable } from '../../../src/jobs/history.ts';
import { specFingerprint, storedVersionOf } from '../../../src/jobs/versions.ts';
import { makeKubeWriter } from '../../../src/kube/kube-writer.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob, type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const writer = makeKubeWriter(operatorConfig(kc));
const apps = kc.makeApiClient(AppsV1Api);

let namespace: string;
let removeNamespace: () => Promise<void>;
let harness: Harness;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'history'));
  harness = await startController(kc, namespace);
});
afterAll(async () => {
  await harness?.stop();
  await removeNamespace();
});

const withImage = (image: string) =>
  dockerJob('rev', {
    TaskGroups: [{ Name: 'app', Count: 1, Tasks: [{ Name: 'main', Driver: 'docker', Config: { image } }] }],
  });

async function versions(): Promise<Map<number, V1ControllerRevision>> {
  const list = await apps.listNamespacedControllerRevision({ namespace, labelSelector: `${LABEL_JOB}=rev` });
  return new Map(list.items.map((r) => [storedVersionOf(r)?.version ?? -1, r]));
}

const fingerprint = (r: V1ControllerRevision | undefined) => specFingerprint(storedVersionOf(r!)!.job);

describe('revert', () => {
  it('writes an old version back as a new version with the same spec', async () => {
    for (const [i, image] of ['a:1', 'a:2', 'a:3'].entries()) {
      await harness.submit(withImage(image));
      await waitFor(`rev at version ${i}`, async () => (await harness.read('rev')).status?.version === i);
    }
    const before = await versions();
    expect([...before.keys()].sort()).toEqual([0, 1, 2]);

    const result = await revertJob(writer, await harness.read('rev'), { version: 0, enforcePriorVersion: 2 });
    if (!result.ok) throw new Error(result.message);
    expect(result.version).toBe(3);
    const reverted = await waitFor('rev at version 3', async () => {
      const job = await harness.read('rev');
      return job.status?.version === 3 ? job : undefined;
    });
    expect(reverted.status?.stable).toBe(false);
    const after = await versions();
    expect([...after.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect(fingerprint(after.get(3))).toBe(fingerprint(after.get(0)));
    expect(fingerprint(after.get(3))).not.toBe(fingerprint(after.get(2)));
    const pods = await waitFor('a pod of version 3 running image a:1', async () => {
      const deployments = await apps.listNamespacedDeployment({
        namespace,
        labelSelector: `${LABEL_JOB}=rev`,
      });
      const image = deployments.items[0]?.spec?.template.spec?.containers[0]?.image;
      return image === 'a:1' ? image : undefined;
    });
    expect(pods).toBe('a:1');
  });

  it("answers Nomad's errors", async () => {
    const object = await harness.read('rev');
    expect(await revertJob(writer, object, { version: 3 })).toEqual({
      ok: false,
      status: 500,
      message: "can't revert to current version",
    });
    expect(await revertJob(writer, object, { version: 9 })).toEqual({
      ok: false,
      status: 500,
      message: 'job "rev" in namespace "default" at version 9 not found',
    });
    expect(await revertJob(writer, object, { version: 1, enforcePriorVersion: 2 })).toEqual({
      ok: false,
      status: 500,
      message: 'Current job has version 3; enforcing version 2',
    });
    expect(
      await revertJob(writer, { ...object, metadata: { ...object.metadata, name: 'gone' } }, { version: 0 }),
    ).toEqual({ ok: false, status: 500, message: 'job "rev" not found' });
  });
});

describe('stability', () => {
  it('flips stable on a version and on the status when it is the current one', async () => {
    const object = await harness.read('rev');
    expect(await setStable(writer, object, 3, true)).toEqual({ ok: true, version: 3, stable: true });
    expect(await setStable(writer, object, 1, true)).toEqual({ ok: true, version: 1, stable: true });
    const all = await versions();
    expect(storedVersionOf(all.get(3)!)?.stable).toBe(true);
    expect(storedVersionOf(all.get(1)!)?.stable).toBe(true);
    expect(storedVersionOf(all.get(2)!)?.stable).toBe(false);
    // The reconciler keeps it (it reads the revision back), also after a resync.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await harness.read('rev')).status?.stable).toBe(true);
    expect(await setStable(writer, object, 3, false)).toEqual({ ok: true, version: 3, stable: false });
    await waitFor('rev unstable', async () => (await harness.read('rev')).status?.stable === false);
    expect(await setStable(writer, object, 42, true)).toEqual({
      ok: false,
      status: 500,
      message: 'job "rev" in namespace "default" at version 42 not found',
    });
  });
});
