// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Secret,
  V1Volume,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { translate } from '../../../src/translate/index.ts';
import { ALLOC_DIR, allocPlace, SECRETS_DIR, TASK_DIR, taskPath } from '../../../src/translate/paths.ts';
import {
  ALLOC_VOLUME,
  analyzeTemplate,
  artifactContainerName,
  bindMounts,
  groupStorage,
  groupVolumeName,
  PAYLOAD_VOLUME,
  shQuote,
  sourceSubdir,
  TEMPLATE_COPY_SCRIPT,
  TEMPLATES_CONTAINER,
  type TemplateCopy,
  taskVolumeName,
  templateCopies,
  templateCopyArgs,
} from '../../../src/translate/storage.ts';
import type { GroupStorage } from '../../../src/translate/types.ts';
import { TASK_DIRECTORY_PATHS } from '../../support/task-directories.ts';
import { corpusJob, groupContext, jobOf, MISSING, testOptions, valueAt } from './storage-support.ts';

/** The mounts every task starts with: /alloc, /alloc/data, /alloc/logs, /alloc/tmp, /local, /secrets. */
const DIRECTORY_MOUNTS = 6;

function volume(storage: GroupStorage, name: string): V1Volume {
  const found = storage.volumes.find((v) => v.name === name);
  if (!found) throw new Error(`no volume ${name} in ${storage.volumes.map((v) => v.name).join(', ')}`);
  return found;
}

function ofKind<T>(storage: GroupStorage, kind: string): T[] {
  return storage.objects.filter((o) => o.kind === kind) as T[];
}

/** The files the templates init container writes. */
function copiesOf(storage: GroupStorage): TemplateCopy[] {
  const init = storage.initContainers.find((c) => c.name === TEMPLATES_CONTAINER);
  return init ? templateCopies(init) : [];
}

function script(container: V1Container | undefined): string {
  const command = container?.command ?? [];
  expect(command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
  return command[2] ?? '';
}

/** A job with one group and one docker task, plus whatever the overrides add. */
function simpleJob(
  task: Record<string, unknown>,
  group: Record<string, unknown> = {},
): ReturnType<typeof jobOf> {
  return jobOf({
    ID: 'web',
    Name: 'web',
    Type: 'service',
    TaskGroups: [
      {
        Name: 'app',
        ...group,
        Tasks: [{ Name: 'app', Driver: 'docker', Config: { image: 'nginx:1' }, ...task }],
      },
    ],
  });
}

describe('taskPath', () => {
  it('maps Nomad task-relative paths to the mounted task directories', () => {
    const at = (nomadPath: string) => {
      const resolved = taskPath(nomadPath, 'web');
      return resolved.ok ? { path: resolved.path, dir: resolved.dir, place: resolved.place } : resolved;
    };
    expect(at('local/app.conf')).toEqual({
      path: '/local/app.conf',
      dir: 'local',
      place: ['task', 'web', 'local', 'app.conf'],
    });
    expect(at('secrets/token')).toEqual({
      path: '/secrets/token',
      dir: 'secrets',
      place: ['task', 'web', 'secrets', 'token'],
    });
    expect(at('alloc/data/x')).toEqual({
      path: '/alloc/data/x',
      dir: 'alloc',
      place: ['alloc', 'data', 'x'],
    });
    // The shared alloc directory seen from the task directory, as Nomad's sandbox allows it.
    expect(at('../alloc/data/x')).toEqual({
      path: '/alloc/data/x',
      dir: 'alloc',
      place: ['alloc', 'data', 'x'],
    });
    expect(at('${NOMAD_ALLOC_DIR}/x')).toEqual({ path: '/alloc/x', dir: 'alloc', place: ['alloc', 'x'] });
    expect(at('${NOMAD_SECRETS_DIR}/env')).toMatchObject({ path: '/secrets/env', dir: 'secrets' });
    expect(at('${NOMAD_TASK_DIR}/a/../b')).toMatchObject({ path: '/local/b', dir: 'local' });
    expect(at('/local/x/')).toMatchObject({ path: '/local/x', dir: 'local' });
    expect(at('etc/app.conf')).toEqual({
      path: '/etc/app.conf',
      dir: 'other',
      place: ['task', 'web', 'etc', 'app.conf'],
    });
    expect(at('../escape')).toEqual({
      ok: false,
      reason: 'it leaves the task directory and the shared alloc directory',
    });
    expect(taskPath('../api/local/x', 'web').ok).toBe(false);
    expect(taskPath('../escape').ok).toBe(false);
    expect(taskPath('local/../../x').ok).toBe(false);
    expect(taskPath('.').ok).toBe(false);
    expect(taskPath('${NOMAD_META_dir}/x').ok).toBe(false);
    expect([TASK_DIR, ALLOC_DIR, SECRETS_DIR]).toEqual(['/local', '/alloc', '/secrets']);
  });
});

describe('allocPlace', () => {
  it('resolves task-relative paths as Nomad joins them to the task directory', () => {
    const tasks = ['web', 'api', 'odd/name'];
    const place = (path: string, task = 'web') => {
      const resolved = allocPlace(path, task, tasks);
      return resolved.ok ? resolved.place : resolved.reason;
    };
    expect(place('local/nginx.conf')).toEqual(['task', 'web', 'local', 'nginx.conf']);
    expect(place('secrets')).toEqual(['task', 'web', 'secrets']);
    expect(place('.')).toEqual(['task', 'web']);
    expect(place('alloc/data')).toEqual(['alloc', 'data']);
    expect(place('../alloc/data')).toEqual(['alloc', 'data']);
    expect(place('../api/local/x')).toEqual(['task', 'api', 'local', 'x']);
    expect(place('../../odd/name/secrets/t', 'odd/name')).toEqual(['task', 'odd/name', 'secrets', 't']);
    expect(place('..')).toEqual([]);
    expect(place('../elsewhere')).toEqual(['other', 'elsewhere']);
    expect(place('../../etc')).toBe('leaves the allocation directory');
  });
});

describe('task-relative binds of a driver (docker volumes, bind mounts)', () => {
  const twoTasks = () =>
    jobOf({
      ID: 'web',
      TaskGroups: [
        {
          Name: 'app',
          Tasks: [
            {
              Name: 'nginx',
              Driver: 'docker',
              Config: { image: 'nginx:1' },
              Templates: [
                { EmbeddedTmpl: 'events {}\n', DestPath: 'local/nginx.conf' },
                { EmbeddedTmpl: 'server {}\n', DestPath: 'local/conf.d/site.conf' },
                { EmbeddedTmpl: 'TOKEN=1\n', DestPath: 'secrets/token', Perms: '0600' },
                { EmbeddedTmpl: 'shared\n', DestPath: '../alloc/shared.txt' },
              ],
            },
            { Name: 'api', Driver: 'docker', Config: { image: 'api:1' } },
          ],
        },
      ],
    });
  const bind = (source: string, target: string, readOnly = false) => ({
    source,
    target,
    readOnly,
    path: 'TaskGroups[0].Tasks[0].Config.volumes[0]',
    what: `volume "${source}:${target}"`,
  });

  it('a template file: the file written into its task directory, bound read-write as Nomad binds it', () => {
    const ctx = groupContext(twoTasks());
    const storage = groupStorage(ctx);
    const cm = ofKind<V1ConfigMap>(storage, 'ConfigMap')[0];
    expect(cm?.data?.['0-nginx.conf']).toBe('events {}\n');
    // The file is in the emptyDir (the templates init container writes it there), so the bind is a
    // subPath of the emptyDir, writable unless the bind says `:ro`: not the read-only ConfigMap key.
    expect(
      bindMounts(ctx, storage.sources, 'nginx', bind('local/nginx.conf', '/etc/nginx/nginx.conf')),
    ).toEqual([{ name: 'nomad-local--nginx', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' }]);
    expect(
      bindMounts(ctx, storage.sources, 'nginx', bind('local/nginx.conf', '/etc/nginx/nginx.conf', true)),
    ).toEqual([
      {
        name: 'nomad-local--nginx',
        mountPath: '/etc/nginx/nginx.conf',
        subPath: 'nginx.conf',
        readOnly: true,
      },
    ]);
    // A Secret-backed template (perms without world-read) is a file of the memory-backed secrets/.
    expect(bindMounts(ctx, storage.sources, 'nginx', bind('secrets/token', '/run/token'))).toEqual([
      { name: 'nomad-secrets--nginx', mountPath: '/run/token', subPath: 'token' },
    ]);
    expect(ctx.warnings.filter((w) => w.path.includes('Config'))).toEqual([]);
  });

  it('a directory: the task volume at the target, the template files in it included', () => {
    const ctx = groupContext(twoTasks());
    const storage = groupStorage(ctx);
    expect(
      bindMounts(ctx, storage.sources, 'nginx', bind('local/conf.d', '/etc/nginx/conf.d', true)),
    ).toEqual([
      { name: 'nomad-local--nginx', mountPath: '/etc/nginx/conf.d', subPath: 'conf.d', readOnly: true },
    ]);
    // The whole local/ directory, without subPath.
    expect(bindMounts(ctx, storage.sources, 'nginx', bind('local', '/srv'))).toEqual([
      { name: 'nomad-local--nginx', mountPath: '/srv' },
    ]);
  });

  it('the shared alloc dir (alloc/, ../alloc/) and another task’s directory', () => {
    const ctx = groupContext(twoTasks());
    const storage = groupStorage(ctx);
    // alloc/data is a volume of its own (no subPath the kubelet would make owned by root), and so is
    // found below a bind of the whole alloc directory.
    expect(bindMounts(ctx, storage.sources, 'api', bind('../alloc/data', '/data'))).toEqual([
      { name: 'nomad-alloc-data', mountPath: '/data' },
    ]);
    expect(bindMounts(ctx, storage.sources, 'api', bind('../alloc/data/db', '/db'))).toEqual([
      { name: 'nomad-alloc-data', mountPath: '/db', subPath: 'db' },
    ]);
    expect(
      bindMounts(ctx, storage.sources, 'api', bind('../alloc', '/shared')).map((m) => [m.name, m.mountPath]),
    ).toEqual([
      [ALLOC_VOLUME, '/shared'],
      ['nomad-alloc-data', '/shared/data'],
      ['nomad-alloc-logs', '/shared/logs'],
      ['nomad-alloc-tmp', '/shared/tmp'],
    ]);
    expect(bindMounts(ctx, storage.sources, 'api', bind('alloc/shared.txt', '/etc/shared.txt'))).toEqual([
      { name: ALLOC_VOLUME, mountPath: '/etc/shared.txt', subPath: 'shared.txt' },
    ]);
    expect(bindMounts(ctx, storage.sources, 'api', bind('../nginx/local/nginx.conf', '/x'))).toEqual([
      { name: 'nomad-local--nginx', mountPath: '/x', subPath: 'nginx.conf' },
    ]);
    // The task directory itself: its local/ and secrets/ below the target.
    expect(
      bindMounts(ctx, storage.sources, 'api', bind('.', '/task')).map((m) => [m.name, m.mountPath]),
    ).toEqual([
      ['nomad-local--api', '/task/local'],
      ['nomad-secrets--api', '/task/secrets'],
    ]);
    // A template in the shared alloc dir is written once, into the alloc emptyDir every task mounts.
    expect(copiesOf(storage).filter((c) => c.destination === '/alloc/shared.txt')).toHaveLength(1);
    expect(storage.mounts.api?.map((m) => m.mountPath)).toEqual([...TASK_DIRECTORY_PATHS]);
  });

  it('what nothing stands for, or what leaves the allocation directory: one warning saying what to do', () => {
    const ctx = groupContext(twoTasks());
    const storage = groupStorage(ctx);
    expect(bindMounts(ctx, storage.sources, 'nginx', bind('tmp/cache', '/cache'))).toEqual([]);
    expect(bindMounts(ctx, storage.sources, 'nginx', bind('../../etc/passwd', '/p'))).toEqual([]);
    expect(bindMounts(ctx, storage.sources, 'nginx', bind('local/nginx.conf/x', '/p'))).toEqual([]);
    expect(ctx.warnings.filter((w) => w.path.includes('Config')).map((w) => w.message)).toEqual([
      'volume "tmp/cache:/cache" is not mounted: nothing in the pod stands for "nginx/tmp/cache" of the allocation directory (only local/, secrets/, alloc/ and the files templates write are); bind a path under local/, secrets/ or alloc/',
      'volume "../../etc/passwd:/p" is not mounted: its source leaves the allocation directory; bind a path under local/, secrets/ or alloc/ of the task, or an absolute host path',
      'volume "local/nginx.conf/x:/p" is not mounted: "nginx/local/nginx.conf/x" is inside the file of template 0 of task "nginx"',
    ]);
  });
});

describe('task directories and ephemeral_disk', () => {
  it('gives every task /alloc (shared; ephemeral_disk.size is no sizeLimit), /local and an in-memory /secrets', () => {
    const ctx = groupContext(corpusJob('ephemeral-disk-logs'));
    const storage = groupStorage(ctx);
    // Nomad places by the disk size and never evicts for it: no limit here (pod-template requests it).
    expect(ctx.group.EphemeralDisk?.SizeMB).toBe(2048);
    expect(volume(storage, ALLOC_VOLUME)).toEqual({ name: 'nomad-alloc', emptyDir: {} });
    for (const dir of ['data', 'logs', 'tmp'])
      expect(volume(storage, `nomad-alloc-${dir}`)).toEqual({ name: `nomad-alloc-${dir}`, emptyDir: {} });
    for (const task of ['warm', 'quiet']) {
      expect(volume(storage, taskVolumeName('local', task))).toEqual({
        name: `nomad-local--${task}`,
        emptyDir: {},
      });
      expect(volume(storage, taskVolumeName('secrets', task)).emptyDir).toEqual({ medium: 'Memory' });
      expect(storage.mounts[task]).toEqual([
        { name: 'nomad-alloc', mountPath: '/alloc' },
        // The directories Nomad makes in the alloc directory, each shared and writable by any user.
        { name: 'nomad-alloc-data', mountPath: '/alloc/data' },
        { name: 'nomad-alloc-logs', mountPath: '/alloc/logs' },
        { name: 'nomad-alloc-tmp', mountPath: '/alloc/tmp' },
        { name: `nomad-local--${task}`, mountPath: '/local' },
        { name: `nomad-secrets--${task}`, mountPath: '/secrets' },
      ]);
    }
    expect(storage.objects).toEqual([]);
    expect(storage.initContainers).toEqual([]);
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      'TaskGroups[0].EphemeralDisk.Sticky',
      'TaskGroups[0].EphemeralDisk.Migrate',
    ]);
  });

  it('uses the default 300 MB disk, sizes /secrets from resources.secrets, and keeps odd task names valid', () => {
    const ctx = groupContext(simpleJob({ Name: 'My Task/1', Resources: { SecretsMB: 4 } }));
    const storage = groupStorage(ctx);
    expect(volume(storage, ALLOC_VOLUME).emptyDir).toEqual({});
    const secrets = taskVolumeName('secrets', 'My Task/1');
    expect(secrets).toMatch(/^[a-z][-a-z0-9]{0,61}[a-z0-9]$/);
    expect(volume(storage, secrets).emptyDir).toEqual({ medium: 'Memory', sizeLimit: '4Mi' });
    expect(storage.mounts['My Task/1']?.map((m) => m.mountPath)).toEqual([...TASK_DIRECTORY_PATHS]);
    expect(ctx.warnings).toEqual([]);
  });
});

describe('a task’s own mount at /alloc/data, /alloc/logs or /alloc/tmp', () => {
  it('is what the task sees there: a volume_mount replaces the directory’s emptyDir', () => {
    const ctx = groupContext(
      simpleJob(
        { VolumeMounts: [{ Volume: 'data', Destination: '${NOMAD_ALLOC_DIR}/data' }] },
        {
          Volumes: {
            data: {
              Type: 'csi',
              Source: 'pg',
              AccessMode: 'single-node-writer',
              AttachmentMode: 'file-system',
            },
          },
        },
      ),
    );
    const storage = groupStorage(ctx);
    const at = (path: string) => storage.mounts.app?.filter((m) => m.mountPath === path).map((m) => m.name);
    expect(at('/alloc/data')).toEqual(['nomad-vol--data']);
    expect(at('/alloc/logs')).toEqual(['nomad-alloc-logs']);
    expect(ctx.warnings.filter((w) => w.message.includes('/alloc/data'))).toEqual([]);
  });
});

describe('a volume_mount destination', () => {
  it('is interpolated as Nomad mounts it; one only the running pod knows is not mounted, said once', () => {
    const ctx = groupContext(
      simpleJob(
        {
          Meta: { site: 'eu' },
          VolumeMounts: [
            { Volume: 'data', Destination: '/srv/${NOMAD_JOB_NAME}/${NOMAD_META_site}' },
            { Volume: 'data', Destination: '/runs/${NOMAD_ALLOC_ID}' },
          ],
        },
        { Volumes: { data: { Type: 'host', Source: 'shared' } } },
      ),
    );
    const storage = groupStorage(ctx);
    const mounts = storage.mounts.app?.filter((m) => m.name === 'nomad-vol--data').map((m) => m.mountPath);
    expect(mounts).toEqual([`/srv/${ctx.job.Name}/eu`]);
    expect(
      ctx.warnings
        .filter((w) => w.path === 'TaskGroups[0].Tasks[0].VolumeMounts[1].Destination')
        .map((w) => w.message),
    ).toEqual([
      'volume_mount is not mounted: destination uses runtime interpolation ("/runs/${NOMAD_ALLOC_ID}")',
    ]);
    expect(ctx.warnings).toHaveLength(2);
  });
});

describe('Nomad’s task output files', () => {
  const warningsOf = (task: Record<string, unknown>) => {
    const ctx = groupContext(simpleJob(task));
    groupStorage(ctx);
    return ctx.warnings.filter((w) => w.message.startsWith("reads Nomad's task output files"));
  };

  it('a task reading alloc/logs/<task>.stdout.N (in a template, args or env) is told, once', () => {
    const shipper = warningsOf({
      Templates: [
        {
          DestPath: 'local/fluent-bit.conf',
          EmbeddedTmpl: '[INPUT]\n  Path {{ env "NOMAD_ALLOC_DIR" }}/logs/api.stdout.*\n',
        },
      ],
      Env: { ERRORS: '${NOMAD_ALLOC_DIR}/logs/api.stderr.0' },
    });
    expect(shipper.map((w) => w.path)).toEqual(['TaskGroups[0].Tasks[0]']);
    expect(shipper[0]?.message).toContain('/var/log/pods');
    expect(
      warningsOf({ Config: { image: 'x:1', args: ['--path=/nomad/alloc/*/alloc/logs/*.std*.[0-9]*'] } }),
    ).toHaveLength(1);
  });

  it('a task writing or reading its own log files in /alloc/logs is not: that directory exists', () => {
    expect(
      warningsOf({
        Env: { LOG_FILE: '${NOMAD_ALLOC_DIR}/logs/resizer.log' },
        Templates: [{ DestPath: 'local/x.conf', EmbeddedTmpl: 'Path /alloc/logs/*.log\n' }],
      }),
    ).toEqual([]);
  });
});

describe('templates', () => {
  it('writes static data from a content-named, immutable ConfigMap into the task directories', () => {
    const ctx = groupContext(
      simpleJob({
        Templates: [
          { EmbeddedTmpl: 'listen 8080;\n', DestPath: 'local/nginx.conf' },
          { EmbeddedTmpl: '#!/bin/sh\necho hi\n', DestPath: '${NOMAD_ALLOC_DIR}/hello.sh', Perms: '755' },
        ],
      }),
    );
    const storage = groupStorage(ctx);
    const [configMap, ...others] = ofKind<V1ConfigMap>(storage, 'ConfigMap');
    expect(others).toEqual([]);
    expect(configMap?.metadata?.name).toMatch(/^web--app--tmpl--app--[a-z2-7]{10}$/);
    expect(configMap?.metadata?.namespace).toBe('apps');
    expect(configMap?.metadata?.labels).toEqual(ctx.labels);
    expect(configMap?.metadata?.annotations).toEqual({ 'nomadoperator.dev/task': 'app' });
    expect(configMap?.immutable).toBe(true);
    expect(configMap?.data).toEqual({
      '0-nginx.conf': 'listen 8080;\n',
      '1-hello.sh': '#!/bin/sh\necho hi\n',
    });
    // Only the init container mounts the ConfigMap (keys readable by its user); it sets the modes.
    expect(volume(storage, 'nomad-tmpl--app').configMap).toEqual({
      name: configMap?.metadata?.name,
      items: [
        { key: '0-nginx.conf', path: '0-nginx.conf' },
        { key: '1-hello.sh', path: '1-hello.sh' },
      ],
    });
    const [init, ...moreInit] = storage.initContainers;
    expect(moreInit).toEqual([]);
    expect(init?.name).toBe(TEMPLATES_CONTAINER);
    expect(init?.image).toBe(testOptions.artifactImage);
    expect(init?.command).toEqual(['/bin/sh', '-c', TEMPLATE_COPY_SCRIPT, TEMPLATES_CONTAINER]);
    // Root, as the Nomad client renders: the files are root's unless uid/gid say otherwise.
    expect(init?.securityContext).toEqual({ runAsUser: 0 });
    expect(init?.volumeMounts).toEqual([
      { name: ALLOC_VOLUME, mountPath: '/alloc' },
      { name: 'nomad-alloc-data', mountPath: '/alloc/data' },
      { name: 'nomad-alloc-logs', mountPath: '/alloc/logs' },
      { name: 'nomad-alloc-tmp', mountPath: '/alloc/tmp' },
      { name: 'nomad-local--app', mountPath: '/nomad/tasks/0/local' },
      { name: 'nomad-tmpl--app', mountPath: '/nomad/templates/0', readOnly: true },
    ]);
    expect(init?.args).toEqual([
      '/nomad/templates/0/0-nginx.conf',
      '/nomad/tasks/0/local/nginx.conf',
      '0644',
      '-',
      '-',
      '/nomad/templates/0/1-hello.sh',
      '/alloc/hello.sh',
      '0755',
      '-',
      '-',
    ]);
    // The task sees the files in its directories: no mount of its own for them.
    expect(storage.mounts.app?.map((m) => m.mountPath)).toEqual([...TASK_DIRECTORY_PATHS]);
    expect(ctx.warnings).toEqual([]);

    // The name follows the content, so a changed template rolls the pods.
    const changed = groupStorage(
      groupContext(
        simpleJob({ Templates: [{ EmbeddedTmpl: 'listen 9090;\n', DestPath: 'local/nginx.conf' }] }),
      ),
    );
    expect(changed.objects[0]?.metadata?.name).not.toBe(configMap?.metadata?.name);
    // …and the same input gives the same name.
    expect(groupStorage(groupContext(ctx.job)).objects).toEqual(storage.objects);
  });

  it('puts secrets/ destinations and non-world-readable perms into a Secret, written with their mode', () => {
    const ctx = groupContext(
      simpleJob({
        Templates: [
          { EmbeddedTmpl: 'TOKEN=abc\n', DestPath: 'secrets/token.env' },
          { EmbeddedTmpl: 'key', DestPath: 'local/key.pem', Perms: '0600' },
          { EmbeddedTmpl: 'plain', DestPath: 'local/plain.txt' },
        ],
      }),
    );
    const storage = groupStorage(ctx);
    const [secret] = ofKind<V1Secret>(storage, 'Secret');
    expect(secret?.type).toBe('Opaque');
    expect(secret?.data).toEqual({
      '0-token.env': Buffer.from('TOKEN=abc\n').toString('base64'),
      '1-key.pem': Buffer.from('key').toString('base64'),
    });
    expect(volume(storage, 'nomad-tmpl-secret--app').secret).toEqual({
      secretName: secret?.metadata?.name,
      items: [
        { key: '0-token.env', path: '0-token.env' },
        { key: '1-key.pem', path: '1-key.pem' },
      ],
    });
    expect(ofKind<V1ConfigMap>(storage, 'ConfigMap')[0]?.data).toEqual({ '2-plain.txt': 'plain' });
    expect(copiesOf(storage)).toEqual([
      {
        source: '/nomad/template-secrets/0/0-token.env',
        destination: '/nomad/tasks/0/secrets/token.env',
        mode: 0o644,
      },
      {
        source: '/nomad/template-secrets/0/1-key.pem',
        destination: '/nomad/tasks/0/local/key.pem',
        mode: 0o600,
      },
      {
        source: '/nomad/templates/0/2-plain.txt',
        destination: '/nomad/tasks/0/local/plain.txt',
        mode: 0o644,
      },
    ]);
    // secrets/ is the task's memory-backed emptyDir: the Secret's text stays in memory.
    expect(storage.initContainers[0]?.volumeMounts?.map((m) => [m.name, m.mountPath])).toEqual([
      ['nomad-local--app', '/nomad/tasks/0/local'],
      ['nomad-secrets--app', '/nomad/tasks/0/secrets'],
      ['nomad-tmpl--app', '/nomad/templates/0'],
      ['nomad-tmpl-secret--app', '/nomad/template-secrets/0'],
    ]);
    expect(volume(storage, 'nomad-secrets--app').emptyDir?.medium).toBe('Memory');
  });

  it('writes templates with actions unrendered and warns with the functions they need', () => {
    const ctx = groupContext(corpusJob('templates'));
    const storage = groupStorage(ctx);
    // Template 0 (secrets/app.env, nomadVar + env), template 2 (static marker); template 1 reads a
    // client-side source file and is skipped.
    const [secret] = ofKind<V1Secret>(storage, 'Secret');
    const raw = ctx.job.TaskGroups?.[0]?.Tasks?.[0]?.Templates?.[0]?.EmbeddedTmpl ?? '';
    expect(Buffer.from(secret?.data?.['0-app.env'] ?? '', 'base64').toString()).toBe(raw);
    expect(ofKind<V1ConfigMap>(storage, 'ConfigMap')[0]?.data).toEqual({ '2-marker': 'reload marker' });
    expect(copiesOf(storage).map((c) => c.destination)).toEqual([
      '/nomad/tasks/0/secrets/app.env',
      '/nomad/tasks/0/local/marker',
    ]);
    const byPath = Object.fromEntries(ctx.warnings.map((w) => [w.path, w.message]));
    expect(Object.keys(byPath).sort()).toEqual([
      'TaskGroups[0].Tasks[0].Templates[0].EmbeddedTmpl',
      'TaskGroups[0].Tasks[0].Templates[1].SourcePath',
    ]);
    // One warning says what is unrendered and which env = true variables are missing (the group has no
    // port http: NOMAD_PORT_http is not in the container at all).
    expect(byPath['TaskGroups[0].Tasks[0].Templates[0].EmbeddedTmpl']).toBe(
      `template 0 holds template actions (Nomad: nomadVar; runtime: env) that need Nomad's template engine; it is written to /secrets/app.env as raw, unrendered text; env "NOMAD_PORT_http" is not set in the container (set it in the task's env); of its variables (env = true) DB_PASSWORD, LISTEN are not: set them in the task's env (from a Kubernetes Secret for secret values)`,
    );
    expect(storage.env).toEqual({});
    expect(byPath['TaskGroups[0].Tasks[0].Templates[1].SourcePath']).toBe(
      `template 1 is not created: its source "local/nginx.conf.tpl" is read when the task starts, and no artifact of the task writes it (templates are rendered here, before the pod runs); put its text in the template's data instead (data = file("<the template file>") reads it when the job is parsed)`,
    );
    for (const w of ctx.warnings) expect(valueAt(ctx.job, w.path), w.path).not.toBe(MISSING);
  });

  it('a template whose source is the dispatch payload: not created, the task is told to read the payload', () => {
    const job = simpleJob({
      DispatchPayload: { File: 'input.env' },
      Templates: [{ SourcePath: 'local/input.env', DestPath: 'secrets/app.env', Envvars: true }],
    });
    for (const dispatch of [undefined, { payloadSecretName: 'web--dispatch-1' }]) {
      const ctx = groupContext(job, 0, dispatch ? { dispatch } : {});
      const storage = groupStorage(ctx);
      expect(copiesOf(storage)).toEqual([]);
      expect(ctx.warnings.filter((w) => w.path.endsWith('.SourcePath')).map((w) => w.message)).toEqual([
        `template 0 is not created: its source "local/input.env" is the dispatch payload, which each dispatched job gets at /local/input.env (from its own Secret), not rendered into another file here; have the task read /local/input.env itself (for env = true, source the file in the task's command: set -a; . /local/input.env)`,
      ]);
    }
  });

  it('makes a template with both data and a source from its data, and reports the source', () => {
    const ctx = groupContext(
      simpleJob({
        Templates: [
          {
            EmbeddedTmpl: 'listen 9090;\n',
            SourcePath: 'local/nginx.conf.tpl',
            DestPath: 'local/nginx.conf',
          },
        ],
      }),
    );
    const storage = groupStorage(ctx);
    expect(ofKind<V1ConfigMap>(storage, 'ConfigMap')[0]?.data).toEqual({ '0-nginx.conf': 'listen 9090;\n' });
    expect(ctx.warnings.map((w) => [w.path, w.message])).toEqual([
      [
        'TaskGroups[0].Tasks[0].Templates[0].SourcePath',
        'template 0 is made from its data: its source "local/nginx.conf.tpl" (a file on the Nomad client) is not read; set only one of them',
      ],
    ]);
  });

  it('recognizes template functions by name, honouring custom delimiters and ignoring strings', () => {
    expect(analyzeTemplate('no actions here')).toEqual({ dynamic: false, functions: [] });
    expect(analyzeTemplate('{{ key "a/b" }} {{ with secret "kv/x" }}{{ .Data.key }}{{ end }}')).toEqual({
      dynamic: true,
      functions: ['key', 'secret'],
    });
    expect(analyzeTemplate('{{ "service" }} {{ .env }}')).toEqual({ dynamic: true, functions: [] });
    expect(analyzeTemplate('{{ literal braces }}', '[[', ']]')).toEqual({ dynamic: false, functions: [] });
    expect(analyzeTemplate('[[ range nomadService "db" ]][[ .Address ]][[ end ]]', '[[', ']]')).toEqual({
      dynamic: true,
      functions: ['nomadService'],
    });
  });

  it('refuses escaping, duplicate and directory destinations with warnings, and keeps the pod valid', () => {
    const ctx = groupContext(
      simpleJob({
        Templates: [
          { EmbeddedTmpl: 'a', DestPath: '../outside' },
          { EmbeddedTmpl: 'b', DestPath: 'local/same' },
          { EmbeddedTmpl: 'c', DestPath: 'local/same' },
          { EmbeddedTmpl: 'd', DestPath: 'local/x', Perms: 'rw' },
          { EmbeddedTmpl: 'e', DestPath: 'local' },
          { EmbeddedTmpl: 'f', DestPath: 'alloc/data' },
        ],
      }),
    );
    const storage = groupStorage(ctx);
    expect(storage.mounts.app?.map((m) => m.mountPath)).toEqual([...TASK_DIRECTORY_PATHS]);
    expect(copiesOf(storage).map((c) => [c.destination, c.mode])).toEqual([
      ['/nomad/tasks/0/local/same', 0o644],
      ['/nomad/tasks/0/local/x', 0o644],
    ]);
    expect(ctx.warnings.map((w) => [w.path, w.message])).toEqual([
      ['TaskGroups[0].Tasks[0].Templates[0].DestPath', expect.stringContaining('leaves the task directory')],
      [
        'TaskGroups[0].Tasks[0].Templates[2].DestPath',
        'template 2 is not created: template 1 writes /local/same too (Nomad refuses a job whose templates share a destination)',
      ],
      ['TaskGroups[0].Tasks[0].Templates[3].Perms', 'perms "rw" is not an octal file mode; 0644 is used'],
      [
        'TaskGroups[0].Tasks[0].Templates[4].DestPath',
        'template 4 is not created: its destination "local" is a directory of the task',
      ],
      [
        'TaskGroups[0].Tasks[0].Templates[5].DestPath',
        'template 5 is not created: its destination "alloc/data" is a directory of the task',
      ],
    ]);
  });
});

describe('template files in the pod: written by an init container, as Nomad writes them', () => {
  it('runs after the artifact fetchers and before prestart and sidecar tasks, whose files it writes too', () => {
    const { objects } = translate(
      jobOf({
        ID: 'web',
        TaskGroups: [
          {
            Name: 'app',
            Tasks: [
              {
                Name: 'proxy',
                Driver: 'docker',
                Config: { image: 'envoy:1' },
                Lifecycle: { Hook: 'prestart', Sidecar: true },
                Templates: [{ EmbeddedTmpl: 'admin: {}\n', DestPath: 'local/envoy.yaml' }],
              },
              {
                Name: 'migrate',
                Driver: 'docker',
                Config: { image: 'migrate:1' },
                Lifecycle: { Hook: 'prestart' },
                Templates: [{ EmbeddedTmpl: 'url=db\n', DestPath: 'alloc/db.conf' }],
              },
              {
                Name: 'main',
                Driver: 'docker',
                Config: { image: 'app:1' },
                Artifacts: [{ GetterSource: 'https://example.com/app.conf', RelativeDest: 'local/' }],
                // The template replaces the artifact's file of the same path, as in Nomad.
                Templates: [{ EmbeddedTmpl: 'mine\n', DestPath: 'local/app.conf' }],
              },
            ],
          },
        ],
      }),
      { namespace: 'apps' },
    );
    const spec = (objects.find((o) => o.kind === 'Deployment') as V1Deployment).spec?.template.spec;
    expect(spec?.initContainers?.map((c) => c.name)).toEqual([
      'artifacts--main',
      TEMPLATES_CONTAINER,
      'proxy',
      'migrate',
    ]);
    const init = spec?.initContainers?.[1];
    // The default artifact image: the same pull the artifact step needs.
    expect(init?.image).toBe(spec?.initContainers?.[0]?.image);
    expect(init?.image).toBe('curlimages/curl:8.11.0');
    expect(templateCopies(init as V1Container).map((c) => [c.source, c.destination])).toEqual([
      ['/nomad/templates/0/0-envoy.yaml', '/nomad/tasks/0/local/envoy.yaml'],
      // Written once into the shared alloc directory, which every task mounts.
      ['/nomad/templates/1/0-db.conf', '/alloc/db.conf'],
      ['/nomad/templates/2/0-app.conf', '/nomad/tasks/2/local/app.conf'],
    ]);
    // It mounts the very volumes the tasks mount at /local and /alloc.
    const taskVolume = (container: string, path: string) =>
      [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]
        .find((c) => c.name === container)
        ?.volumeMounts?.find((m) => m.mountPath === path)?.name;
    const mountOf = (path: string) => init?.volumeMounts?.find((m) => m.mountPath === path)?.name;
    expect(mountOf('/nomad/tasks/0/local')).toBe(taskVolume('proxy', '/local'));
    expect(mountOf('/nomad/tasks/2/local')).toBe(taskVolume('main', '/local'));
    expect(mountOf('/alloc')).toBe(taskVolume('main', '/alloc'));
    expect(mountOf('/alloc')).toBe(taskVolume('proxy', '/alloc'));
    // No task mounts a template file: the files are in their writable directories.
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
      expect(c.volumeMounts?.some((m) => m.name.startsWith('nomad-tmpl')) ?? false, c.name).toBe(
        c.name === TEMPLATES_CONTAINER,
      );
    }
  });

  it('honours perms in full and sets uid/gid as root; a negative uid or gid is ignored, as in Nomad', () => {
    const ctx = groupContext(
      simpleJob({
        Templates: [
          { EmbeddedTmpl: '#!/bin/sh\n', DestPath: 'local/run.sh', Perms: '4750', Uid: 1000, Gid: 1000 },
          { EmbeddedTmpl: 'g', DestPath: 'local/g', Gid: 50 },
          { EmbeddedTmpl: 'n', DestPath: 'local/n', Uid: -1, Gid: -1 },
        ],
      }),
    );
    const storage = groupStorage(ctx);
    expect(copiesOf(storage)).toEqual([
      {
        // No world-read: from the Secret.
        source: '/nomad/template-secrets/0/0-run.sh',
        destination: '/nomad/tasks/0/local/run.sh',
        mode: 0o4750,
        uid: 1000,
        gid: 1000,
      },
      { source: '/nomad/templates/0/1-g', destination: '/nomad/tasks/0/local/g', mode: 0o644, gid: 50 },
      { source: '/nomad/templates/0/2-n', destination: '/nomad/tasks/0/local/n', mode: 0o644 },
    ]);
    expect(storage.initContainers[0]?.args?.slice(0, 5)).toEqual([
      '/nomad/template-secrets/0/0-run.sh',
      '/nomad/tasks/0/local/run.sh',
      '4750',
      '1000',
      '1000',
    ]);
    // chown needs root.
    expect(storage.initContainers[0]?.securityContext).toEqual({ runAsUser: 0 });
    expect(ctx.warnings).toEqual([]);
  });

  it('mounts a destination outside local/, secrets/ and alloc/ from its key, saying what is lost', () => {
    const ctx = groupContext(
      simpleJob({
        Driver: 'exec',
        Config: { command: 'app' },
        Templates: [{ EmbeddedTmpl: 'x', DestPath: 'etc/app.conf', Perms: '0640', Uid: 10 }],
      }),
    );
    const storage = groupStorage(ctx);
    expect(storage.initContainers).toEqual([]);
    expect(storage.mounts.app?.slice(DIRECTORY_MOUNTS)).toEqual([
      { name: 'nomad-tmpl-secret--app', mountPath: '/etc/app.conf', subPath: '0-app.conf', readOnly: true },
    ]);
    expect(volume(storage, 'nomad-tmpl-secret--app').secret?.items).toEqual([
      { key: '0-app.conf', path: '0-app.conf', mode: 0o640 },
    ]);
    expect(ctx.warnings.map((w) => w.path)).toEqual(['TaskGroups[0].Tasks[0].Templates[0].Uid']);
  });

  it('copies a source file an artifact writes, as is; a bind of it is a file of the task directory', () => {
    const job = simpleJob({
      Artifacts: [
        { GetterSource: 'https://config.example.com/nginx/site.conf.tpl', RelativeDest: 'local/templates/' },
        { GetterSource: 'https://example.com/bundle.tar.gz', RelativeDest: 'local/bundle' },
      ],
      Templates: [
        { SourcePath: 'local/templates/site.conf.tpl', DestPath: 'local/site.conf', Perms: '0640' },
        { SourcePath: '${NOMAD_TASK_DIR}/bundle/conf/app.env', DestPath: 'secrets/app.env', Envvars: true },
      ],
    });
    const ctx = groupContext(job);
    const storage = groupStorage(ctx);
    expect(storage.initContainers.map((c) => c.name)).toEqual(['artifacts--app', TEMPLATES_CONTAINER]);
    expect(copiesOf(storage)).toEqual([
      {
        source: '/nomad/tasks/0/local/templates/site.conf.tpl',
        destination: '/nomad/tasks/0/local/site.conf',
        mode: 0o640,
      },
      // Anything inside what an archive unpacks.
      {
        source: '/nomad/tasks/0/local/bundle/conf/app.env',
        destination: '/nomad/tasks/0/secrets/app.env',
        mode: 0o644,
      },
    ]);
    expect(storage.objects.filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret')).toEqual([]);
    expect(storage.initContainers[1]?.volumeMounts?.map((m) => m.name)).toEqual([
      'nomad-local--app',
      'nomad-secrets--app',
    ]);
    const bound = bindMounts(ctx, storage.sources, 'app', {
      source: 'local/site.conf',
      target: '/etc/nginx/conf.d/default.conf',
      readOnly: false,
      path: 'TaskGroups[0].Tasks[0].Config.volumes[0]',
      what: 'volume "local/site.conf:/etc/nginx/conf.d/default.conf"',
    });
    expect(bound).toEqual([
      { name: 'nomad-local--app', mountPath: '/etc/nginx/conf.d/default.conf', subPath: 'site.conf' },
    ]);
    expect(ctx.warnings.map((w) => [w.path, w.message])).toEqual([
      [
        'TaskGroups[0].Tasks[0].Templates[0].SourcePath',
        `template 0 is copied as is from "local/templates/site.conf.tpl", which artifact 0 writes, to /local/site.conf when the pod starts (init container nomad-templates), without Nomad's template engine: a file without template actions arrives as Nomad renders it, actions in it stay as written; put the template's text in data (data = file("<the template file>") reads it when the job is parsed) to have the known ones rendered and the others reported`,
      ],
      ['TaskGroups[0].Tasks[0].Templates[1].SourcePath', expect.stringContaining('which artifact 1 writes')],
      [
        'TaskGroups[0].Tasks[0].Templates[1].Envvars',
        "env = true: no variable is set: the variables of template 1 are in its source file, which exists only when the pod starts; put its text in the template's data, or set the variables in the task's env",
      ],
    ]);
  });

  it('does not create a template whose source no artifact writes, nor bind its missing file', () => {
    const job = simpleJob({
      Artifacts: [{ GetterSource: 'https://example.com/other.conf', RelativeDest: 'local/templates/' }],
      Templates: [{ SourcePath: 'local/templates/site.conf.tpl', DestPath: 'local/site.conf' }],
    });
    const ctx = groupContext(job);
    const storage = groupStorage(ctx);
    expect(storage.initContainers.map((c) => c.name)).toEqual(['artifacts--app']);
    const bind = (source: string) => ({
      source,
      target: '/etc/nginx/conf.d/default.conf',
      readOnly: false,
      path: 'TaskGroups[0].Tasks[0].Config.volumes[0]',
      what: `volume "${source}:/etc/nginx/conf.d/default.conf"`,
    });
    // A subPath the emptyDir lacks would be made a directory by the kubelet: mounted over the image's
    // file, the container could not start. No mount, one warning.
    expect(bindMounts(ctx, storage.sources, 'app', bind('local/site.conf'))).toEqual([]);
    expect(ctx.warnings.map((w) => [w.path, w.message])).toEqual([
      [
        'TaskGroups[0].Tasks[0].Templates[0].SourcePath',
        expect.stringContaining('template 0 is not created: its source "local/templates/site.conf.tpl"'),
      ],
      [
        'TaskGroups[0].Tasks[0].Config.volumes[0]',
        'volume "local/site.conf:/etc/nginx/conf.d/default.conf" is not mounted: "app/local/site.conf" is the file of template 0 of task "app", which is not created (the kubelet would make a directory in its place, and the container could not start); make the template from data, or bind another file',
      ],
    ]);
    // The directory holding it is still bound.
    expect(bindMounts(ctx, storage.sources, 'app', bind('local'))).toEqual([
      { name: 'nomad-local--app', mountPath: '/etc/nginx/conf.d/default.conf' },
    ]);
  });

  const tools = ['sh', 'cp', 'chmod', 'chown', 'chgrp', 'mkdir', 'rm'].every(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0,
  );
  it.skipIf(!tools)('runs: writes ordinary, writable files with their mode, replacing what is there', () => {
    const root = mkdtempSync(join(tmpdir(), 'templates-'));
    try {
      // A ConfigMap volume: keys are read-only links into a hidden directory.
      mkdirSync(join(root, 'cm/..data'), { recursive: true });
      writeFileSync(join(root, 'cm/..data/0-app.conf'), 'port 1\n', { mode: 0o444 });
      symlinkSync('..data/0-app.conf', join(root, 'cm/0-app.conf'));
      writeFileSync(join(root, 'cm/1-run.sh'), '#!/bin/sh\n', { mode: 0o444 });
      // An artifact already wrote the first destination.
      mkdirSync(join(root, 'local'));
      writeFileSync(join(root, 'local/app.conf'), 'artifact\n', { mode: 0o444 });
      const root0 = process.getuid?.() === 0;
      const copies: TemplateCopy[] = [
        { source: join(root, 'cm/0-app.conf'), destination: join(root, 'local/app.conf'), mode: 0o644 },
        {
          source: join(root, 'cm/1-run.sh'),
          destination: join(root, 'local/deep/er/run.sh'),
          mode: 0o4750,
          ...(root0 ? { uid: 4321, gid: 4322 } : {}),
        },
      ];
      const run = spawnSync(
        '/bin/sh',
        ['-c', TEMPLATE_COPY_SCRIPT, TEMPLATES_CONTAINER, ...templateCopyArgs(copies)],
        {
          encoding: 'utf8',
        },
      );
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const conf = join(root, 'local/app.conf');
      expect(readFileSync(conf, 'utf8')).toBe('port 1\n');
      // An ordinary file, not a link to the read-only key: the task may rewrite it.
      expect(lstatSync(conf).isFile()).toBe(true);
      expect(lstatSync(conf).mode & 0o7777).toBe(0o644);
      writeFileSync(conf, 'rewritten\n');
      const script = join(root, 'local/deep/er/run.sh');
      expect(readFileSync(script, 'utf8')).toBe('#!/bin/sh\n');
      // The mode is set after the owner: chown would clear setuid.
      expect(statSync(script).mode & 0o7777).toBe(0o4750);
      if (root0) {
        expect([statSync(script).uid, statSync(script).gid]).toEqual([4321, 4322]);
      }
      // A missing source fails the init container, as a missing template source fails the task in Nomad.
      const missing = spawnSync(
        '/bin/sh',
        [
          '-c',
          TEMPLATE_COPY_SCRIPT,
          TEMPLATES_CONTAINER,
          ...templateCopyArgs([
            { source: join(root, 'nope'), destination: join(root, 'local/x'), mode: 0o644 },
          ]),
        ],
        { encoding: 'utf8' },
      );
      expect(missing.status).not.toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('env = true templates and rendered env actions', () => {
  const envOf = (storage: GroupStorage, task = 'app') => storage.env?.[task] ?? [];

  it('puts the variables of a static env file into the container, from the template ConfigMap', () => {
    const ctx = groupContext(
      simpleJob({
        Templates: [
          {
            DestPath: 'local/app.env',
            Envvars: true,
            EmbeddedTmpl: '# settings\nexport MODE=prod\nGREETING="hello world" # inline\nEMPTY=\n',
          },
        ],
      }),
    );
    const storage = groupStorage(ctx);
    const [configMap] = ofKind<V1ConfigMap>(storage, 'ConfigMap');
    const name = configMap?.metadata?.name ?? '';
    expect(configMap?.data).toEqual({
      '0-app.env': '# settings\nexport MODE=prod\nGREETING="hello world" # inline\nEMPTY=\n',
      'env-0-MODE': 'prod',
      'env-0-GREETING': 'hello world',
      'env-0-EMPTY': '',
    });
    // An empty value is set, empty, over the task's env of that name (as in Nomad).
    expect(envOf(storage)).toEqual([
      { name: 'MODE', valueFrom: { configMapKeyRef: { name, key: 'env-0-MODE' } } },
      { name: 'GREETING', valueFrom: { configMapKeyRef: { name, key: 'env-0-GREETING' } } },
      { name: 'EMPTY', valueFrom: { configMapKeyRef: { name, key: 'env-0-EMPTY' } } },
    ]);
    // The file is mounted too, and only the file: the variables are keys no volume item lists.
    expect(volume(storage, taskVolumeName('tmpl', 'app')).configMap?.items).toEqual([
      { key: '0-app.env', path: '0-app.env' },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it('keeps secrets in a Secret, merges templates in order and renders known env actions', () => {
    const ctx = groupContext(
      simpleJob(
        {
          Env: { GREETING: 'hi ${NOMAD_TASK_NAME}' },
          Templates: [
            {
              DestPath: 'secrets/db.env',
              Envvars: true,
              EmbeddedTmpl: 'DB_USER=app\nDB_DIR={{ env "NOMAD_ALLOC_DIR" }}/db\nSHARED=first\n',
            },
            {
              DestPath: 'local/app.env',
              Envvars: true,
              EmbeddedTmpl:
                'SHARED=second\nSAY= {{- env "GREETING" }}\nJOB={{ env "NOMAD_JOB_NAME" }}\nA/B=1',
            },
          ],
        },
        { Meta: { team: 'core' } },
      ),
    );
    const storage = groupStorage(ctx);
    const [secret] = ofKind<V1Secret>(storage, 'Secret');
    const [configMap] = ofKind<V1ConfigMap>(storage, 'ConfigMap');
    const decoded = Object.fromEntries(
      Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(decoded).toEqual({
      '0-db.env': 'DB_USER=app\nDB_DIR=/alloc/db\nSHARED=first\n',
      'env-0-DB_USER': 'app',
      'env-0-DB_DIR': '/alloc/db',
      'env-0-SHARED': 'first',
    });
    expect(configMap?.data).toEqual({
      '1-app.env': 'SHARED=second\nSAY=hi app\nJOB=web\nA/B=1',
      'env-1-SHARED': 'second',
      'env-1-SAY': 'hi app',
      'env-1-JOB': 'web',
      'env-1-A-B': '1',
    });
    const secretRef = (key: string) => ({ secretKeyRef: { name: secret?.metadata?.name ?? '', key } });
    const configRef = (key: string) => ({ configMapKeyRef: { name: configMap?.metadata?.name ?? '', key } });
    expect(envOf(storage)).toEqual([
      { name: 'DB_USER', valueFrom: secretRef('env-0-DB_USER') },
      { name: 'DB_DIR', valueFrom: secretRef('env-0-DB_DIR') },
      { name: 'SHARED', valueFrom: configRef('env-1-SHARED') },
      { name: 'SAY', valueFrom: configRef('env-1-SAY') },
      { name: 'JOB', valueFrom: configRef('env-1-JOB') },
      { name: 'A/B', valueFrom: configRef('env-1-A-B') },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it('sets the certain lines of a template that keeps actions, and names the missing variables once', () => {
    const ctx = groupContext(
      simpleJob({
        Templates: [
          {
            DestPath: 'secrets/app.env',
            Envvars: true,
            EmbeddedTmpl: [
              'RAILS_ENV=production',
              'HOST={{ env "attr.unique.hostname" }}',
              '{{ with nomadVar "nomad/jobs/web" -}}',
              'DATABASE_URL={{ .database_url }}',
              '{{- end }}',
              'DIR={{ env "NOMAD_TASK_DIR" }}',
            ].join('\n'),
          },
        ],
      }),
    );
    const storage = groupStorage(ctx);
    expect(envOf(storage).map((e) => e.name)).toEqual(['RAILS_ENV', 'DIR']);
    const [secret] = ofKind<V1Secret>(storage, 'Secret');
    expect(Buffer.from(secret?.data?.['env-0-DIR'] ?? '', 'base64').toString()).toBe('/local');
    expect(ctx.warnings.map((w) => [w.path, w.message])).toEqual([
      [
        'TaskGroups[0].Tasks[0].Templates[0].EmbeddedTmpl',
        `template 0 holds template actions (Nomad: nomadVar; runtime: env) that need Nomad's template engine; it is written to /secrets/app.env with those actions unrendered (the variables known when translating are rendered); env "attr.unique.hostname" is of the Nomad client node, not in the container; of its variables (env = true) RAILS_ENV, DIR are set, HOST, DATABASE_URL are not: set them in the task's env (from a Kubernetes Secret for secret values)`,
      ],
    ]);
  });

  it("reports a file Nomad cannot read with Nomad's message and sets nothing from it", () => {
    const ctx = groupContext(
      simpleJob({
        Templates: [
          { DestPath: 'local/app.env', Envvars: true, EmbeddedTmpl: 'A=1\nlisten 8080;\n' },
          { DestPath: 'local/b.env', Envvars: true, EmbeddedTmpl: '{{ key "x" }}\nbad-key=1\n' },
        ],
      }),
    );
    const storage = groupStorage(ctx);
    expect(envOf(storage)).toEqual([]);
    expect(ctx.warnings.map((w) => [w.path, w.message])).toEqual([
      [
        'TaskGroups[0].Tasks[0].Templates[0].Envvars',
        'env = true: no variable is set, Nomad fails the task: Template failed to read environment variables: error parsing env template "/local/app.env": error on line 2: missing =',
      ],
      [
        'TaskGroups[0].Tasks[0].Templates[1].Envvars',
        `env = true: no variable is set, Nomad fails the task: Template failed to read environment variables: error parsing env template "/local/b.env": error on line 2: key characters must be [A-Za-z0-9/_.] but found '-'`,
      ],
      [
        'TaskGroups[0].Tasks[0].Templates[1].EmbeddedTmpl',
        `template 1 holds template actions (Consul: key) that need Nomad's template engine; it is written to /local/b.env as raw, unrendered text`,
      ],
    ]);
  });

  it('renders env actions of ports and meta, not values only the pod knows', () => {
    const ctx = groupContext(
      simpleJob(
        {
          Meta: { Owner: 'ops' },
          Templates: [
            {
              DestPath: 'local/app.conf',
              EmbeddedTmpl:
                'port {{ env "NOMAD_PORT_http" }} owner {{ env "NOMAD_META_OWNER" }}{{ env "NOMAD_META_Owner" }} ip {{ env "NOMAD_IP_http" }} id {{ env "NOMAD_ALLOC_ID" }}',
            },
          ],
        },
        { Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }] },
      ),
    );
    const storage = groupStorage(ctx);
    expect(ofKind<V1ConfigMap>(storage, 'ConfigMap')[0]?.data).toEqual({
      '0-app.conf': 'port 8080 owner opsops ip {{ env "NOMAD_IP_http" }} id {{ env "NOMAD_ALLOC_ID" }}',
    });
    expect(ctx.warnings.map((w) => w.message)).toEqual([
      `template 0 holds template actions (runtime: env) that need Nomad's template engine; it is written to /local/app.conf with those actions unrendered (the variables known when translating are rendered); env "NOMAD_ALLOC_ID", "NOMAD_IP_http" are only known in the running pod`,
    ]);
  });

  it("overrides the task's env and Nomad's variables in the container, in place", () => {
    const { objects } = translate(
      simpleJob({
        Env: { MODE: 'dev', OTHER: 'kept' },
        Templates: [
          {
            DestPath: 'local/a.env',
            Envvars: true,
            EmbeddedTmpl: 'MODE=prod\nNOMAD_TASK_DIR=/custom\nNEW=1',
          },
        ],
      }),
      { namespace: 'apps' },
    );
    const deployment = objects.find((o) => o.kind === 'Deployment') as V1Deployment;
    const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
    const names = env.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    const at = (name: string) => env.find((e) => e.name === name);
    expect(at('OTHER')).toEqual({ name: 'OTHER', value: 'kept' });
    for (const name of ['MODE', 'NOMAD_TASK_DIR', 'NEW']) {
      expect(at(name)?.valueFrom?.configMapKeyRef?.key).toBe(`env-0-${name}`);
    }
    // In place: NOMAD_TASK_DIR keeps its position among Nomad's variables.
    expect(names.indexOf('NOMAD_TASK_DIR')).toBeLessThan(names.indexOf('OTHER'));
    expect(names.at(-1)).toBe('NEW');
  });

  it('does not render the index of a Deployment replica, which is an approximation', () => {
    const template = { DestPath: 'local/id', EmbeddedTmpl: '{{ env "NOMAD_ALLOC_INDEX" }}' };
    const one = groupStorage(groupContext(simpleJob({ Templates: [template] })));
    expect(ofKind<V1ConfigMap>(one, 'ConfigMap')[0]?.data).toEqual({ '0-id': '0' });
    const many = groupStorage(groupContext(simpleJob({ Templates: [template] }, { Count: 3 })));
    expect(ofKind<V1ConfigMap>(many, 'ConfigMap')[0]?.data).toEqual({
      '0-id': '{{ env "NOMAD_ALLOC_INDEX" }}',
    });
  });
});

describe('artifacts', () => {
  it('fetches http(s) artifacts in one init container per task, with checksum and unpacking', () => {
    const ctx = groupContext(corpusJob('artifacts'));
    const storage = groupStorage(ctx);
    expect(storage.initContainers).toHaveLength(1);
    const [init] = storage.initContainers;
    expect(init?.name).toBe(artifactContainerName('fetch'));
    expect(init?.name).toBe('artifacts--fetch');
    expect(init?.image).toBe('example/fetch:1');
    expect(init?.volumeMounts).toEqual(storage.mounts.fetch?.slice(0, DIRECTORY_MOUNTS));
    const text = script(init);
    expect(text).toContain('fetch \'https://example.com/tool-v1.2.3.tar.gz\' "$work/0" 0\n');
    expect(text).toContain(
      'verify sha256 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae "$work/0"',
    );
    expect(text).toContain(`unpack tar.gz "$work/0" '/local/tool' 'tool-v1.2.3'`);
    // Artifact 1: mode "file", headers sent (sorted), the file written at its destination.
    expect(text).toContain(
      `fetch 'https://example.com/config.yaml' "$work/1" 0 'Authorization: Bearer \${NOMAD_META_token}' 'User-Agent: nomad-operator'`,
    );
    expect(text).toContain(`mv -f "$work/1" '/local/config.yaml'`);
    expect(text).not.toContain('repo.git');
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      'TaskGroups[0].Tasks[0].Artifacts[1].GetterHeaders',
      'TaskGroups[0].Tasks[0].Artifacts[1].Chown',
      'TaskGroups[0].Tasks[0].Artifacts[2].GetterSource',
    ]);
    expect(ctx.warnings[2]?.message).toContain('git getter is not supported');
    for (const w of ctx.warnings) expect(valueAt(ctx.job, w.path), w.path).not.toBe(MISSING);
  });

  it('reads go-getter options from the query string and rejects what it cannot verify or fetch', () => {
    const ctx = groupContext(
      simpleJob({
        Artifacts: [
          { GetterSource: 'https://example.com/a.zip?archive=false&x=1' },
          { GetterSource: 'https://example.com/b.bin', GetterOptions: { checksum: 'md5:0123' } },
          { GetterSource: 'https://example.com/c.bin', GetterOptions: { checksum: 'file:https://x/sums' } },
          { GetterSource: 'github.com/hashicorp/nomad' },
          { GetterSource: 'https://example.com/${NOMAD_ALLOC_ID}/d.tgz' },
          { GetterSource: 'https://example.com/e', RelativeDest: 'bin/' },
          {
            GetterSource: 'https://example.com/f.gz',
            GetterInsecure: true,
            GetterOptions: { checksum: 'D41D8CD98F00B204E9800998ECF8427E', sshkey: 'x' },
            RelativeDest: 'alloc/data',
          },
        ],
      }),
    );
    const text = script(groupStorage(ctx).initContainers[0]);
    expect(text).toContain(`fetch 'https://example.com/a.zip?x=1' "$work/0" 0`);
    expect(text).toContain(`mv -f "$work/0" '/local/a.zip'`);
    expect(text).toContain(`fetch 'https://example.com/f.gz' "$work/6" 1`);
    expect(text).toContain('verify md5 d41d8cd98f00b204e9800998ecf8427e "$work/6"');
    expect(text).toContain(`unpack gz "$work/6" '/alloc/data' 'f'`);
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      'TaskGroups[0].Tasks[0].Artifacts[1].GetterOptions',
      'TaskGroups[0].Tasks[0].Artifacts[2].GetterOptions',
      'TaskGroups[0].Tasks[0].Artifacts[3].GetterSource',
      'TaskGroups[0].Tasks[0].Artifacts[4].GetterSource', // ${NOMAD_ALLOC_ID} is only known at run time…
      'TaskGroups[0].Tasks[0].Artifacts[4].GetterSource', // …so the artifact is not fetched
      'TaskGroups[0].Tasks[0].Artifacts[5].RelativeDest',
      'TaskGroups[0].Tasks[0].Artifacts[6].GetterOptions',
    ]);
    for (const w of ctx.warnings) expect(valueAt(ctx.job, w.path), w.path).not.toBe(MISSING);
  });

  it('interpolates the task environment into source, headers and destination, as Nomad does', () => {
    const job = jobOf({
      ID: 'web',
      Meta: { version: '1.2.3', token: 's3cr3t' },
      TaskGroups: [
        {
          Name: 'app',
          Tasks: [
            {
              Name: 'app',
              Driver: 'exec',
              Config: { command: 'app' },
              Artifacts: [
                {
                  GetterSource: 'https://example.com/app-${NOMAD_META_version}.tgz',
                  GetterHeaders: { Authorization: 'Bearer ${NOMAD_META_token}' },
                  RelativeDest: '${NOMAD_ALLOC_DIR}/app-${NOMAD_JOB_ID}',
                },
              ],
              Templates: [{ EmbeddedTmpl: 'x', DestPath: '${NOMAD_TASK_DIR}/${NOMAD_META_version}.txt' }],
            },
          ],
        },
      ],
    });
    const ctx = groupContext(job);
    const storage = groupStorage(ctx);
    const text = script(storage.initContainers[0]);
    expect(text).toContain(
      `fetch 'https://example.com/app-1.2.3.tgz' "$work/0" 0 'Authorization: Bearer s3cr3t'`,
    );
    expect(text).toContain(`unpack tgz "$work/0" '/alloc/app-web' 'app-1.2.3'`);
    expect(copiesOf(storage).map((c) => c.destination)).toEqual(['/nomad/tasks/0/local/1.2.3.txt']);
    expect(ctx.warnings).toEqual([]);
  });

  it('quotes every value for sh', () => {
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    const ctx = groupContext(
      simpleJob({ Artifacts: [{ GetterSource: "https://example.com/it's;rm -rf $HOME" }] }),
    );
    const text = script(groupStorage(ctx).initContainers[0]);
    expect(text).toContain(`'https://example.com/it'\\''s;rm%20-rf%20$HOME'`);
  });

  it('reads go-getter’s //subdir, and fetches it only from an archive', () => {
    expect(sourceSubdir('https://h/x.tar.gz//bin?checksum=sha256:ab')).toEqual({
      source: 'https://h/x.tar.gz?checksum=sha256:ab',
      subdir: 'bin',
    });
    expect(sourceSubdir('https://h/a/b.zip')).toEqual({ source: 'https://h/a/b.zip', subdir: '' });
    expect(sourceSubdir('https://h/x.zip?u=http://y//z')).toEqual({
      source: 'https://h/x.zip?u=http://y//z',
      subdir: '',
    });
    const ctx = groupContext(
      simpleJob({
        Artifacts: [
          { GetterSource: 'https://example.com/tools.zip//linux/amd64', RelativeDest: 'local/bin' },
          { GetterSource: 'https://example.com/tool//bin' },
          { GetterSource: 'https://example.com/tools.tgz//*/bin' },
        ],
      }),
    );
    const text = script(groupStorage(ctx).initContainers[0]);
    expect(text).toContain(`fetch 'https://example.com/tools.zip' "$work/0" 0`);
    expect(text).toContain(`unpack zip "$work/0" "$work/0.d" 'tools'`);
    expect(text).toContain(`cp -R "$work/0.d"/'linux/amd64'/. '/local/bin'`);
    expect(ctx.warnings.map((w) => [w.path, w.message])).toEqual([
      [
        'TaskGroups[0].Tasks[0].Artifacts[1].GetterSource',
        'artifact 1 is not fetched: its subdirectory "bin": it names a directory of an archive, and this source is not unpacked into directories',
      ],
      [
        'TaskGroups[0].Tasks[0].Artifacts[2].GetterSource',
        'artifact 2 is not fetched: its subdirectory "*/bin": patterns and ".." are not supported there',
      ],
    ]);
  });

  const tools = ['sh', 'curl', 'tar', 'sha256sum', 'gzip'].every(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0,
  );
  it.skipIf(!tools)('runs: downloads, verifies, unpacks and places the files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'artifacts-'));
    try {
      mkdirSync(join(root, 'src/bin'), { recursive: true });
      writeFileSync(join(root, 'src/bin/tool'), 'tool v1\n');
      spawnSync('tar', ['-czf', join(root, 'tool.tar.gz'), '-C', join(root, 'src'), 'bin']);
      const tarball = readFileSync(join(root, 'tool.tar.gz'));
      const files: Record<string, Buffer> = {
        '/tool.tar.gz': tarball,
        '/config.yaml': Buffer.from('a: 1\n'),
      };
      const seenHeaders: string[] = [];
      const server = createServer((req, res) => {
        seenHeaders.push(String(req.headers['x-token'] ?? ''));
        const body = files[req.url ?? ''];
        res.writeHead(body ? 200 : 404).end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const sha = createHash('sha256').update(tarball).digest('hex');
        const job = simpleJob({
          Artifacts: [
            {
              GetterSource: `${base}/tool.tar.gz`,
              RelativeDest: 'local/tool',
              GetterOptions: { checksum: `sha256:${sha}` },
            },
            {
              GetterSource: `${base}/config.yaml`,
              GetterMode: 'file',
              RelativeDest: 'secrets/conf/app.yaml',
              GetterHeaders: { 'X-Token': "t'1" },
            },
            { GetterSource: `${base}/config.yaml` },
            // go-getter's subdirectory: only bin/ of the archive, into local/only-bin.
            { GetterSource: `${base}/tool.tar.gz//bin`, RelativeDest: 'local/only-bin' },
          ],
        });
        const text = script(groupStorage(groupContext(job)).initContainers[0]);
        const local = text
          .replaceAll("'/local", `'${root}/local`)
          .replaceAll("'/secrets", `'${root}/secrets`);
        const run = (body: string, path = process.env.PATH ?? '') =>
          new Promise<{ status: number | null; stderr: string }>((resolve) => {
            // Asynchronous, so the event loop keeps serving the downloads.
            const proc = spawn('/bin/sh', ['-c', body], {
              env: { PATH: path, TMPDIR: root },
            });
            let stderr = '';
            proc.stderr.on('data', (d: Buffer) => {
              stderr += d.toString();
            });
            proc.on('close', (status) => resolve({ status, stderr }));
          });
        const ok = await run(local);
        expect(ok.stderr).toBe('');
        expect(ok.status).toBe(0);
        expect(readFileSync(join(root, 'local/tool/bin/tool'), 'utf8')).toBe('tool v1\n');
        expect(readFileSync(join(root, 'secrets/conf/app.yaml'), 'utf8')).toBe('a: 1\n');
        expect(readFileSync(join(root, 'local/config.yaml'), 'utf8')).toBe('a: 1\n');
        expect(readFileSync(join(root, 'local/only-bin/tool'), 'utf8')).toBe('tool v1\n');
        expect(seenHeaders).toContain("t'1");

        // Without curl, the same script downloads with wget.
        const bin = join(root, 'bin');
        mkdirSync(bin);
        for (const tool of ['sh', 'wget', 'tar', 'gzip', 'sha256sum', 'mktemp', 'mkdir', 'mv', 'rm', 'cp']) {
          const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
          if (found !== '') symlinkSync(found, join(bin, tool));
        }
        rmSync(join(root, 'local'), { recursive: true });
        if (spawnSync('sh', ['-c', 'command -v wget']).status === 0) {
          const viaWget = await run(local, bin);
          expect(viaWget.status, viaWget.stderr).toBe(0);
          expect(readFileSync(join(root, 'local/tool/bin/tool'), 'utf8')).toBe('tool v1\n');
        }

        // A wrong checksum fails the init container.
        const bad = local.replace(sha, '0'.repeat(64));
        const failed = await run(bad);
        expect(failed.status).not.toBe(0);
        expect(failed.stderr).toContain('checksum mismatch');
      } finally {
        server.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('group volumes and volume_mount', () => {
  it('turns csi volumes into claims and host volumes into hostPaths, mounted where the task says', () => {
    const ctx = groupContext(corpusJob('volumes-host-csi'));
    const storage = groupStorage(ctx);
    const [claim, ...more] = ofKind<V1PersistentVolumeClaim>(storage, 'PersistentVolumeClaim');
    expect(more).toEqual([]);
    expect(claim).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'storage--db--csi--data',
        namespace: 'apps',
        labels: ctx.labels,
        annotations: { 'nomadoperator.dev/csi-source': 'postgres-data' },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        volumeMode: 'Filesystem',
        resources: { requests: { storage: '1Gi' } },
      },
    });
    expect(volume(storage, groupVolumeName('data'))).toEqual({
      name: 'nomad-vol--data',
      persistentVolumeClaim: { claimName: 'storage--db--csi--data' },
    });
    expect(volume(storage, 'nomad-vol--certs')).toEqual({
      name: 'nomad-vol--certs',
      hostPath: { path: '/var/lib/nomad-host-volumes/tls-certs', type: 'Directory' },
    });
    expect(volume(storage, 'nomad-vol--scratch').hostPath?.path).toBe('/var/lib/nomad-host-volumes/scratch');
    expect(storage.mounts.postgres?.slice(DIRECTORY_MOUNTS)).toEqual([
      { name: 'nomad-vol--data', mountPath: '/var/lib/postgresql/data' },
      {
        name: 'nomad-vol--certs',
        mountPath: '/etc/ssl/private',
        readOnly: true,
        mountPropagation: 'HostToContainer',
      },
    ]);
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      'TaskGroups[0].Volumes.certs.Source',
      'TaskGroups[0].Volumes.data.Source',
      'TaskGroups[0].Volumes.data.MountOptions',
      'TaskGroups[0].Volumes.data.PerAlloc',
      'TaskGroups[0].Volumes.scratch.Source',
      'TaskGroups[0].Volumes.scratch.Sticky',
      'TaskGroups[0].Tasks[0].VolumeMounts[1].SELinuxLabel',
    ]);
    for (const w of ctx.warnings) expect(valueAt(ctx.job, w.path), w.path).not.toBe(MISSING);
  });

  it('says what per_alloc and sticky lose on a host volume, which Nomad honours for them', () => {
    const ctx = groupContext(
      simpleJob(
        {
          VolumeMounts: [
            { Volume: 'data', Destination: '/data' },
            { Volume: 'cache', Destination: '/cache' },
          ],
        },
        {
          Count: 3,
          Volumes: {
            data: { Type: 'host', Source: 'kafka', PerAlloc: true },
            cache: { Type: 'host', Source: 'cache', Sticky: true },
          },
        },
      ),
    );
    const storage = groupStorage(ctx);
    // Still mounted, from the one hostPath of the source.
    expect(volume(storage, 'nomad-vol--data').hostPath?.path).toBe('/var/lib/nomad-host-volumes/kafka');
    const at = (path: string) => ctx.warnings.filter((w) => w.path === path).map((w) => w.message);
    expect(at('TaskGroups[0].Volumes.data.PerAlloc')).toEqual([
      `per_alloc is not converted: Nomad mounts host volume "kafka[<alloc index>]", one per allocation; here every pod mounts /var/lib/nomad-host-volumes/kafka, so pods on one node share it and none is tied to the node holding its data; keep one pod per node (distinct_hosts) so each has its own node's directory, or make each instance a group of its own with its own volume`,
    ]);
    expect(at('TaskGroups[0].Volumes.cache.Sticky')).toEqual([
      "sticky is not converted: the pod is not tied to the node holding its data; a replacement pod may start on another node, with that node's /var/lib/nomad-host-volumes/cache; pin the group to the node with a constraint on ${node.unique.name} (the node label kubernetes.io/hostname), or use a csi volume, whose claim the pod follows",
    ]);
  });

  it('maps access modes, read-only volumes and unknown volumes', () => {
    const ctx = groupContext(
      simpleJob(
        {
          VolumeMounts: [
            { Volume: 'shared', Destination: '/shared' },
            { Volume: 'missing', Destination: '/missing' },
            { Volume: 'odd', Destination: '/odd' },
          ],
        },
        {
          Volumes: {
            shared: { Type: 'csi', Source: 'nfs', AccessMode: 'multi-node-reader-only', ReadOnly: true },
            'odd-name.1': {
              Type: 'csi',
              Source: 'x',
              AccessMode: 'multi-node-multi-writer',
              AttachmentMode: 'block-device',
            },
            odd: { Type: 'nfs', Source: 'x' },
          },
        },
      ),
    );
    const storage = groupStorage(ctx);
    const claims = ofKind<V1PersistentVolumeClaim>(storage, 'PersistentVolumeClaim');
    expect(claims.map((c) => [c.metadata?.name, c.spec?.accessModes])).toEqual([
      [expect.stringMatching(/--[a-z2-7]{16}$/), ['ReadWriteMany']],
      ['web--app--csi--shared', ['ReadOnlyMany']],
    ]);
    expect(volume(storage, 'nomad-vol--shared').persistentVolumeClaim).toEqual({
      claimName: 'web--app--csi--shared',
      readOnly: true,
    });
    expect(storage.mounts.app?.slice(DIRECTORY_MOUNTS)).toEqual([
      { name: 'nomad-vol--shared', mountPath: '/shared', readOnly: true },
    ]);
    // The nfs volume never gets here: canonicalization drops volumes of other types, as Nomad's HTTP
    // agent does, so its mount names a volume the group does not declare.
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      'TaskGroups[0].Volumes["odd-name.1"].Source',
      'TaskGroups[0].Volumes["odd-name.1"].AttachmentMode',
      'TaskGroups[0].Volumes.shared.Source',
      'TaskGroups[0].Tasks[0].VolumeMounts[1].Volume',
      'TaskGroups[0].Tasks[0].VolumeMounts[2].Volume',
    ]);
    for (const w of ctx.warnings) expect(valueAt(ctx.job, w.path), w.path).not.toBe(MISSING);
  });
});

describe('mount propagation', () => {
  it('keeps bidirectional only for privileged containers, which the apiserver requires', () => {
    const job = (privileged: boolean) =>
      simpleJob(
        {
          Config: { image: 'csi:1', privileged },
          VolumeMounts: [{ Volume: 'plugins', Destination: '/plugins', PropagationMode: 'bidirectional' }],
        },
        { Volumes: { plugins: { Type: 'host', Source: 'plugins' } } },
      );
    const privileged = groupContext(job(true));
    expect(groupStorage(privileged).mounts.app?.[DIRECTORY_MOUNTS]?.mountPropagation).toBe('Bidirectional');
    expect(privileged.warnings.map((w) => w.path)).toEqual(['TaskGroups[0].Volumes.plugins.Source']);
    const plain = groupContext(job(false));
    expect(groupStorage(plain).mounts.app?.[DIRECTORY_MOUNTS]?.mountPropagation).toBe('HostToContainer');
    expect(plain.warnings.map((w) => w.path)).toEqual([
      'TaskGroups[0].Volumes.plugins.Source',
      'TaskGroups[0].Tasks[0].VolumeMounts[0].PropagationMode',
    ]);
  });
});

describe('dispatch_payload', () => {
  it('mounts the dispatch Secret key "payload" at /local/<file> for a dispatched child', () => {
    const job = corpusJob('parameterized-dispatch');
    const parent = groupStorage(groupContext(job));
    expect(parent.volumes.map((v) => v.name)).not.toContain(PAYLOAD_VOLUME);

    const ctx = groupContext(job, 0, { dispatch: { payloadSecretName: 'video-encode--dispatch-1' } });
    const storage = groupStorage(ctx);
    expect(volume(storage, PAYLOAD_VOLUME).secret).toEqual({
      secretName: 'video-encode--dispatch-1',
      items: [{ key: 'payload', path: 'payload', mode: 0o755 }],
    });
    expect(storage.mounts.ffmpeg?.slice(DIRECTORY_MOUNTS)).toEqual([
      { name: 'nomad-payload', mountPath: '/local/job.json', subPath: 'payload', readOnly: true },
    ]);
    expect(ctx.warnings).toEqual([]);
  });
});

describe('every corpus job', () => {
  it('gives valid names, unique mount paths per task, and warning paths that exist in the job', () => {
    const names = readdirSync(new URL('../../fixtures/jobspecs/', import.meta.url))
      .filter((f) => f.endsWith('.nomad.hcl'))
      .map((f) => f.slice(0, -'.nomad.hcl'.length));
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const job = corpusJob(name);
      (job.TaskGroups ?? []).forEach((_, index) => {
        const ctx = groupContext(job, index, { dispatch: { payloadSecretName: 'payload' } });
        const storage = groupStorage(ctx);
        const volumeNames = storage.volumes.map((v) => v.name);
        expect(new Set(volumeNames).size, name).toBe(volumeNames.length);
        for (const v of volumeNames) expect(v, name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
        for (const [task, mounts] of Object.entries(storage.mounts)) {
          const paths = mounts.map((m) => m.mountPath);
          expect(new Set(paths).size, `${name} ${task}`).toBe(paths.length);
          for (const m of mounts) expect(volumeNames, `${name} ${task}`).toContain(m.name);
        }
        for (const o of storage.objects)
          expect(o.metadata?.name ?? '', name).toMatch(/^[a-z][-a-z0-9]{0,61}[a-z0-9]$/);
        for (const w of ctx.warnings) expect(valueAt(job, w.path), `${name}: ${w.path}`).not.toBe(MISSING);
        expect(
          groupStorage(groupContext(job, index, { dispatch: { payloadSecretName: 'payload' } })),
        ).toEqual(storage);
      });
    }
  });
});
