// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
// What storage.ts generates, on a real apiserver: a job that uses every storage feature at once
// (templates into a ConfigMap and a Secret written into the task directories with modes, artifacts,
// host and csi volumes with read-only
// and propagation mounts, ephemeral disk, in-memory secrets, a dispatch payload) translates to
// objects that pass server-side validation, and its pod gets exactly the mounts the job asks for.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApplier } from '../../src/kube/apply.ts';
import { canonicalize } from '../../src/nomad/canonicalize.ts';
import { parseJobJson } from '../../src/nomad/validate.ts';
import { translate } from '../../src/translate/index.ts';
import { TEMPLATES_CONTAINER, templateCopies } from '../../src/translate/storage.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { TASK_DIRECTORY_PATHS } from '../support/task-directories.ts';
import { createTestNamespace, testKubeConfig } from './support/kube.ts';

const kc = testKubeConfig();
const applier = makeApplier(operatorConfig(kc), 'nomad-operator-tests');

function job(input: unknown) {
  const parsed = parseJobJson(input);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return canonicalize(parsed.job);
}

const everything = job({
  ID: 'storage-all',
  Type: 'batch',
  ParentID: 'storage-all-parent',
  Dispatched: true,
  Meta: { version: '1.2.3' },
  TaskGroups: [
    {
      Name: 'work',
      EphemeralDisk: { SizeMB: 512 },
      Volumes: {
        data: {
          Type: 'csi',
          Source: 'pg',
          AccessMode: 'multi-node-multi-writer',
          AttachmentMode: 'file-system',
        },
        'ro-data': { Type: 'csi', Source: 'ref', AccessMode: 'multi-node-reader-only', ReadOnly: true },
        plugins: { Type: 'host', Source: 'plugins' },
      },
      Tasks: [
        {
          Name: 'main',
          Driver: 'docker',
          Config: { image: 'busybox:1.37', command: 'true', privileged: true },
          Resources: { SecretsMB: 2 },
          DispatchPayload: { File: 'input/payload.json' },
          Artifacts: [
            {
              GetterSource: 'https://example.com/tool-${NOMAD_META_version}.tar.gz',
              GetterOptions: { checksum: `sha256:${'a'.repeat(64)}` },
              RelativeDest: 'local/tool',
            },
          ],
          Templates: [
            { EmbeddedTmpl: 'port = 8080\n', DestPath: 'local/app.conf' },
            { EmbeddedTmpl: 'TOKEN=x\n', DestPath: 'secrets/token.env', Perms: '0400' },
            { EmbeddedTmpl: '{{ key "a" }}', DestPath: 'alloc/from-consul.txt', Perms: '0755' },
          ],
          VolumeMounts: [
            { Volume: 'data', Destination: '/data' },
            { Volume: 'ro-data', Destination: '/ref' },
            { Volume: 'plugins', Destination: '/plugins', PropagationMode: 'bidirectional' },
          ],
        },
        {
          Name: 'Odd Task Name/2',
          Driver: 'exec',
          Config: { command: '/bin/true' },
          VolumeMounts: [{ Volume: 'plugins', Destination: '/plugins', PropagationMode: 'host-to-task' }],
        },
      ],
    },
  ],
});

let namespace: string;
let removeNamespace: () => Promise<void>;
beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'storage'));
});
afterAll(async () => removeNamespace());

describe('storage objects on the apiserver', () => {
  it('pass server-side validation, with every mount in place', async () => {
    const { objects } = translate(everything, {
      namespace,
      dispatch: { payloadSecretName: 'storage-all-payload' },
    });
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Job',
      'PersistentVolumeClaim',
      'PersistentVolumeClaim',
      'Secret',
    ]);
    for (const object of objects) await applier.apply(object, { dryRun: true });

    const workload = objects.find((o) => o.kind === 'Job') as {
      spec: { template: { spec: import('@kubernetes/client-node').V1PodSpec } };
    };
    const spec = workload.spec.template.spec;
    const main = spec.containers.find((c) => c.name === 'main');
    expect(main?.volumeMounts?.map((m) => m.mountPath)).toEqual([
      ...TASK_DIRECTORY_PATHS,
      '/data',
      '/ref',
      '/plugins',
      '/local/input/payload.json',
    ]);
    // The template files are written into the task directories, after the artifacts are fetched.
    expect(spec.initContainers?.map((c) => c.name)).toEqual(['artifacts--main', TEMPLATES_CONTAINER]);
    const written = templateCopies(spec.initContainers?.[1] ?? { name: '' });
    expect(written.map((c) => [c.destination, c.mode])).toEqual([
      ['/nomad/tasks/0/local/app.conf', 0o644],
      ['/nomad/tasks/0/secrets/token.env', 0o400],
      ['/alloc/from-consul.txt', 0o755],
    ]);
    expect(main?.volumeMounts?.find((m) => m.mountPath === '/plugins')?.mountPropagation).toBe(
      'Bidirectional',
    );
    const fetch = spec.initContainers?.find((c) => c.name === 'artifacts--main');
    expect(fetch?.command?.[2]).toContain("fetch 'https://example.com/tool-1.2.3.tar.gz'");
    // ephemeral_disk.size is a request (Nomad places by it), not an emptyDir limit that would evict.
    expect(spec.volumes?.find((v) => v.name === 'nomad-alloc')?.emptyDir).toEqual({});
    expect(spec.containers[0]?.resources?.requests?.['ephemeral-storage']).toBe('512Mi');
  });

  it('also holds for every corpus job translated as a dispatched child', async () => {
    const dir = new URL('../fixtures/jobspecs/', import.meta.url);
    const parameterized = job(
      JSON.parse(readFileSync(new URL('parameterized-dispatch.canonical.json', dir), 'utf8')),
    );
    const child = {
      ...parameterized,
      ID: 'video-encode/dispatch-1',
      ParentID: 'video-encode',
      Dispatched: true,
    };
    const { objects } = translate(child, { namespace, dispatch: { payloadSecretName: 'payload-1' } });
    expect(objects.map((o) => o.kind)).toContain('Job');
    for (const object of objects) await applier.apply(object, { dryRun: true });
  });
});
