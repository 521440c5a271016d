// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolations are literal "${…}" text
import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { imageRegistry, taskDriver } from '../../../src/translate/drivers.ts';
import type { TranslateOptions } from '../../../src/translate/types.ts';
import {
  container,
  contextOf,
  corpusJob,
  messagesAt,
  one,
  podSpecOf,
  run,
  simpleJob,
} from './workload-support.ts';

const CONFIG = 'TaskGroups[0].Tasks[0].Config';

function driver(task: Record<string, unknown>, options: Partial<TranslateOptions> = {}, type = 'service') {
  const job = simpleJob(type, task);
  const ctx = contextOf(job, 0, options);
  const result = taskDriver(ctx, job.TaskGroups?.[0]?.Tasks?.[0] ?? {}, 0);
  return { ...result, warnings: ctx.warnings };
}

describe('docker', () => {
  it('keeps the image ENTRYPOINT: command + args → args, entrypoint → command', () => {
    expect(
      driver({ Config: { image: 'redis:7', command: 'redis-server', args: ['--port', 6380] } }).container,
    ).toEqual({
      image: 'redis:7',
      args: ['redis-server', '--port', '6380'],
    });
    expect(
      driver({ Config: { image: 'a:1', entrypoint: ['/bin/sh', '-c'], args: ['echo hi'] } }).container,
    ).toEqual({
      image: 'a:1',
      command: ['/bin/sh', '-c'],
      args: ['echo hi'],
    });
  });

  it('maps container options: work_dir, privileged, capabilities, read-only root, force_pull, tty, user', () => {
    const { container: c, warnings } = driver({
      User: '1000:2000',
      Config: {
        image: 'a:1',
        work_dir: '/srv',
        privileged: true,
        cap_add: ['net_admin', 'CAP_SYS_TIME'],
        cap_drop: ['all'],
        readonly_rootfs: true,
        force_pull: true,
        tty: true,
        interactive: true,
      },
    });
    expect(c).toEqual({
      image: 'a:1',
      workingDir: '/srv',
      imagePullPolicy: 'Always',
      tty: true,
      stdin: true,
      securityContext: {
        privileged: true,
        capabilities: { add: ['NET_ADMIN', 'SYS_TIME'], drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsUser: 1000,
        runAsGroup: 2000,
      },
    });
    expect(warnings).toEqual([]);
  });

  it('reports a user name, which Kubernetes cannot run as; root and nobody are their IDs', () => {
    const { container: c, warnings } = driver({ User: 'www-data' });
    expect(c?.securityContext).toBeUndefined();
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].User')).toHaveLength(1);
    expect(driver({ User: 'nobody' }).container?.securityContext).toEqual({
      runAsUser: 65534,
      runAsGroup: 65534,
    });
    expect(driver({ User: 'root' }).container?.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0 });
  });

  it('auth → a dockerconfigjson Secret and imagePullSecrets, with a warning', () => {
    const { objects, pod, warnings } = driver({
      Config: { image: 'registry.example.com:5000/team/app:2', auth: [{ username: 'u', password: 'p@ss' }] },
    });
    const secret = objects[0] as V1Secret;
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret.metadata?.name).toBe('app--g--t--registry');
    const config = JSON.parse(
      Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8'),
    );
    expect(config).toEqual({
      auths: {
        'registry.example.com:5000': {
          username: 'u',
          password: 'p@ss',
          auth: Buffer.from('u:p@ss').toString('base64'),
        },
      },
    });
    expect(pod.imagePullSecrets).toEqual(['app--g--t--registry']);
    expect(messagesAt(warnings, `${CONFIG}.auth`)).toHaveLength(1);
  });

  it('finds the registry of an image like Docker', () => {
    expect(imageRegistry('redis:7')).toBe('https://index.docker.io/v1/');
    expect(imageRegistry('library/redis')).toBe('https://index.docker.io/v1/');
    expect(imageRegistry('ghcr.io/o/r:1')).toBe('ghcr.io');
    expect(imageRegistry('localhost/r')).toBe('localhost');
  });

  it('the Docker socket, bound either way: a Socket hostPath and one warning each', () => {
    const { pod, warnings } = driver({
      Config: {
        image: 'a:1',
        volumes: ['/var/run/docker.sock:/var/run/docker.sock'],
        mount: [{ type: 'bind', source: '/run/docker.sock', target: '/sock' }],
      },
    });
    expect(pod.volumes).toEqual([
      { name: 'task0-mount0', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
      { name: 'task0-mount1', hostPath: { path: '/run/docker.sock', type: 'Socket' } },
    ]);
    for (const at of [`${CONFIG}.volumes[0]`, `${CONFIG}.mount[0]`])
      expect(messagesAt(warnings, at)).toEqual([expect.stringContaining("is the Docker engine's socket")]);
  });

  it('security_opt → the securityContext; other entries and common options without equivalent say what to do', () => {
    const { container: c, warnings } = driver({
      Config: {
        image: 'a:1',
        security_opt: [
          'no-new-privileges:true',
          'seccomp=unconfined',
          'apparmor=unconfined',
          'label=disable',
        ],
        ulimit: { nofile: '65536:65536' },
        logging: { type: 'journald' },
      },
    });
    expect(c?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
      seLinuxOptions: { type: 'spc_t' },
    });
    expect(messagesAt(warnings, `${CONFIG}.security_opt`)).toEqual([]);
    expect(messagesAt(warnings, `${CONFIG}.ulimit`)[0]).toContain('Kubernetes sets no per-container ulimits');
    expect(messagesAt(warnings, `${CONFIG}.logging`)[0]).toContain('node-level collector');
    // Beside privileged, the apiserver refuses it: said, not set.
    const privileged = driver({
      Config: { image: 'a:1', privileged: true, security_opt: ['no-new-privileges'] },
    });
    expect(privileged.container?.securityContext).toEqual({ privileged: true });
    expect(messagesAt(privileged.warnings, `${CONFIG}.security_opt`)[0]).toContain(
      'no-new-privileges is not applied',
    );
    const profile = driver({ Config: { image: 'a:1', security_opt: ['seccomp=/etc/docker/strict.json'] } });
    expect(profile.container?.securityContext).toBeUndefined();
    expect(messagesAt(profile.warnings, `${CONFIG}.security_opt`)).toEqual([
      expect.stringContaining('security_opt "seccomp=/etc/docker/strict.json" is not converted'),
    ]);
  });

  it('the Docker engine’s container log directory: still bound, with a warning to read /var/log/pods', () => {
    const { pod, warnings } = driver({
      Config: { image: 'a:1', volumes: ['/var/lib/docker/containers:/var/lib/docker/containers:ro'] },
    });
    expect(pod.volumes).toEqual([{ name: 'task0-mount0', hostPath: { path: '/var/lib/docker/containers' } }]);
    expect(messagesAt(warnings, `${CONFIG}.volumes[0]`)).toEqual([
      expect.stringContaining("read the containers' output from /var/log/pods"),
    ]);
  });

  it('volumes and mounts: absolute binds → hostPath, tmpfs → memory emptyDir, relative binds for storage.ts, the rest reported', () => {
    const {
      container: c,
      pod,
      binds,
      warnings,
    } = driver({
      Config: {
        image: 'a:1',
        volumes: ['/etc/ssl:/etc/ssl:ro', 'local/data:/data', 'named:/named'],
        mount: [
          { type: 'bind', source: '/var/run', target: '/host-run' },
          { type: 'tmpfs', target: '/scratch', tmpfs_options: [{ size: 100000 }] },
          { type: 'volume', source: 'v', target: '/v' },
          { type: 'bind', source: '../alloc/data', target: '/shared', readonly: true },
        ],
        shm_size: 67108864,
      },
    });
    expect(pod.volumes).toEqual([
      { name: 'task0-mount0', hostPath: { path: '/etc/ssl' } },
      { name: 'task0-mount1', hostPath: { path: '/var/run' } },
      { name: 'task0-mount2', emptyDir: { medium: 'Memory', sizeLimit: '100000' } },
      { name: 'task0-mount3', emptyDir: { medium: 'Memory', sizeLimit: '67108864' } },
    ]);
    expect(c?.volumeMounts).toEqual([
      { name: 'task0-mount0', mountPath: '/etc/ssl', readOnly: true },
      { name: 'task0-mount1', mountPath: '/host-run' },
      { name: 'task0-mount2', mountPath: '/scratch' },
      { name: 'task0-mount3', mountPath: '/dev/shm' },
    ]);
    // Relative sources are paths in the task directory (a name without volume_driver too, as in
    // Nomad): storage.ts resolves them onto the pod's volumes.
    expect(binds).toEqual([
      {
        source: 'local/data',
        target: '/data',
        readOnly: false,
        path: `${CONFIG}.volumes[1]`,
        what: 'volume "local/data:/data"',
      },
      {
        source: 'named',
        target: '/named',
        readOnly: false,
        path: `${CONFIG}.volumes[2]`,
        what: 'volume "named:/named"',
      },
      {
        source: '../alloc/data',
        target: '/shared',
        readOnly: true,
        path: `${CONFIG}.mount[3]`,
        what: 'bind mount of "../alloc/data"',
      },
    ]);
    expect(messagesAt(warnings, `${CONFIG}.volumes[1]`)).toEqual([]);
    expect(messagesAt(warnings, `${CONFIG}.mount[2]`)).toHaveLength(1);
    // With a volume driver a relative source names a Docker volume: no equivalent.
    const named = driver({
      Config: { image: 'a:1', volume_driver: 'rexray', volumes: ['pgdata:/var/lib/pg'] },
    });
    expect(named.binds).toBeUndefined();
    expect(messagesAt(named.warnings, `${CONFIG}.volumes[0]`)).toEqual([
      'volume "pgdata:/var/lib/pg" is not converted: named Docker volumes have no equivalent; use a group volume',
    ]);
  });

  describe('host paths holding the alloc index (a host directory per allocation)', () => {
    const perIndex = {
      image: 'a:1',
      volumes: ['/srv/data/${NOMAD_ALLOC_INDEX}:/data:ro'],
      mount: [{ type: 'bind', source: '/srv/logs/${NOMAD_ALLOC_INDEX}/app', target: '/logs' }],
    };
    const hostBinds = (type: string, count: number, config: Record<string, unknown> = perIndex) => {
      const job = simpleJob(type, { Config: config }, { Count: count });
      const ctx = contextOf(job, 0);
      const result = taskDriver(ctx, job.TaskGroups?.[0]?.Tasks?.[0] ?? {}, 0);
      return { volumes: result.pod.volumes, mounts: result.container?.volumeMounts, warnings: ctx.warnings };
    };

    it('batch, count > 1: the fixed prefix is the hostPath, the index a subPathExpr of the Indexed Job’s index', () => {
      const { volumes, mounts, warnings } = hostBinds('batch', 3);
      expect(volumes).toEqual([
        { name: 'task0-mount0', hostPath: { path: '/srv/data', type: 'DirectoryOrCreate' } },
        { name: 'task0-mount1', hostPath: { path: '/srv/logs', type: 'DirectoryOrCreate' } },
      ]);
      expect(mounts).toEqual([
        { name: 'task0-mount0', mountPath: '/data', subPathExpr: '$(NOMAD_ALLOC_INDEX)', readOnly: true },
        { name: 'task0-mount1', mountPath: '/logs', subPathExpr: '$(NOMAD_ALLOC_INDEX)/app' },
      ]);
      expect(warnings).toEqual([]);
    });

    it('count 1 and DaemonSet pods: index 0, as in Nomad, a plain hostPath', () => {
      for (const [type, count] of [
        ['batch', 1],
        ['service', 1],
        ['system', 1],
        ['sysbatch', 1],
      ] as const) {
        const { volumes, mounts, warnings } = hostBinds(type, count);
        expect(volumes, type).toEqual([
          { name: 'task0-mount0', hostPath: { path: '/srv/data/0' } },
          { name: 'task0-mount1', hostPath: { path: '/srv/logs/0/app' } },
        ]);
        expect(mounts?.every((m) => m.subPathExpr === undefined)).toBe(true);
        expect(warnings.filter((w) => w.path.startsWith(CONFIG))).toEqual([]);
      }
    });

    it('Deployment replicas, count > 1: no index, every pod binds index 0’s directory (warning)', () => {
      const { volumes, warnings } = hostBinds('service', 3);
      expect(volumes?.map((v) => v.hostPath?.path)).toEqual(['/srv/data/0', '/srv/logs/0/app']);
      expect(messagesAt(warnings, `${CONFIG}.volumes[0]`)).toEqual([
        'host path "/srv/data/${NOMAD_ALLOC_INDEX}" is "/srv/data/0" in every pod: Deployment replicas have no index, so every pod gets index 0\'s ${NOMAD_ALLOC_INDEX} and the pods on one node share the directory each Nomad allocation had for itself, and what allocations of index 1 and up kept under their own path is not read; keep one pod per node (constraint distinct_hosts = true), or make each instance a group of its own',
      ]);
      expect(messagesAt(warnings, `${CONFIG}.mount[0]`)).toHaveLength(1);
    });

    it('mount sources and targets are interpolated like the rest of the config; the alloc ID is the pod’s', () => {
      const { volumes, mounts, warnings } = hostBinds('service', 2, {
        image: 'a:1',
        mount: [
          { type: 'bind', source: '/srv/${NOMAD_JOB_NAME}/${NOMAD_ALLOC_ID}', target: '/${NOMAD_TASK_NAME}' },
        ],
      });
      expect(volumes).toEqual([
        { name: 'task0-mount0', hostPath: { path: '/srv/app', type: 'DirectoryOrCreate' } },
      ]);
      expect(mounts).toEqual([{ name: 'task0-mount0', mountPath: '/t', subPathExpr: '$(NOMAD_ALLOC_ID)' }]);
      expect(warnings.filter((w) => w.path.startsWith(CONFIG))).toEqual([]);
    });

    it('what a subPathExpr or a mount path cannot hold is reported', () => {
      const { volumes, mounts, warnings } = hostBinds('batch', 3, {
        image: 'a:1',
        volumes: ['/srv/${NOMAD_ALLOC_INDEX}/../etc:/etc', '/srv/data:/data/${NOMAD_ALLOC_INDEX}'],
      });
      expect(messagesAt(warnings, `${CONFIG}.volumes[0]`)).toEqual([
        'host path "/srv/${NOMAD_ALLOC_INDEX}/../etc" is not converted: a ".." after a value only the running pod knows cannot be mounted (subPathExpr)',
      ]);
      expect(messagesAt(warnings, `${CONFIG}.volumes[1]`)).toEqual([
        '${NOMAD_ALLOC_INDEX} is only known when the pod runs, and this field is not expanded by Kubernetes; left as is',
      ]);
      expect(volumes).toEqual([{ name: 'task0-mount0', hostPath: { path: '/srv/data' } }]);
      expect(mounts).toEqual([{ name: 'task0-mount0', mountPath: '/data/${NOMAD_ALLOC_INDEX}' }]);
    });

    it('the container has every variable its subPathExpr names (the kubelet expands it from the env)', () => {
      const job = simpleJob(
        'batch',
        { Config: { image: 'a:1', volumes: ['/srv/${node.unique.name}/${NOMAD_ALLOC_INDEX}:/data'] } },
        { Count: 3 },
      );
      const c = container(podSpecOf(one(run(job).objects, 'Job')), 't');
      expect(c.volumeMounts?.find((m) => m.mountPath === '/data')?.subPathExpr).toBe(
        '$(NOMAD_OPERATOR_NODE_NAME)/$(NOMAD_ALLOC_INDEX)',
      );
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
      expect(env).toMatchObject({
        NOMAD_OPERATOR_NODE_NAME: 'spec.nodeName',
        NOMAD_ALLOC_INDEX: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
      });
    });
  });

  it('bind propagation → mountPropagation (Bidirectional only when privileged); tmpfs modes and volume flags reported', () => {
    const binds = (privileged: boolean) =>
      driver({
        Config: {
          image: 'a:1',
          privileged,
          volumes: ['/var/log:/host-log:ro,rslave', '/data:/data:z'],
          mount: [
            { type: 'bind', source: '/run', target: '/host-run', bind_options: [{ propagation: 'rshared' }] },
            { type: 'tmpfs', target: '/scratch', tmpfs_options: [{ mode: 448 }] },
          ],
        },
      });
    const plain = binds(false);
    expect(plain.container?.volumeMounts?.map((m) => [m.mountPath, m.mountPropagation])).toEqual([
      ['/host-log', 'HostToContainer'],
      ['/data', undefined],
      ['/host-run', 'HostToContainer'],
      ['/scratch', undefined],
    ]);
    expect(plain.warnings.map((w) => w.path)).toEqual([
      `${CONFIG}.volumes[1]`,
      `${CONFIG}.mount[0].bind_options`,
      `${CONFIG}.mount[1].tmpfs_options`,
    ]);
    expect(messagesAt(plain.warnings, `${CONFIG}.mount[0].bind_options`)[0]).toContain('privileged');
    const privileged = binds(true);
    expect(privileged.container?.volumeMounts?.[2]?.mountPropagation).toBe('Bidirectional');
    expect(messagesAt(privileged.warnings, `${CONFIG}.mount[0].bind_options`)).toEqual([]);
  });

  it('pod-level options: hostname, dns, extra_hosts, host namespaces, sysctls, runtime, groups, labels', () => {
    const { pod, warnings } = driver({
      Config: {
        image: 'a:1',
        hostname: 'box',
        dns_servers: ['10.0.0.2'],
        dns_search_domains: ['corp.example'],
        dns_options: ['ndots:2'],
        extra_hosts: ['db:10.0.0.5', 'cache:10.0.0.5', 'v6:fd00::1'],
        network_mode: 'host',
        pid_mode: 'host',
        sysctl: [{ 'net.core.somaxconn': '1024' }],
        runtime: 'nvidia',
        group_add: ['44', 'video'],
        labels: [{ team: 'platform', version: 3 }],
      },
    });
    expect(pod).toEqual({
      hostname: 'box',
      dnsServers: ['10.0.0.2'],
      dnsSearches: ['corp.example'],
      dnsOptions: ['ndots:2'],
      hostAliases: [
        { ip: '10.0.0.5', hostnames: ['db', 'cache'] },
        { ip: 'fd00::1', hostnames: ['v6'] },
      ],
      hostNetwork: true,
      hostPID: true,
      sysctls: { 'net.core.somaxconn': '1024' },
      runtimeClassName: 'nvidia',
      supplementalGroups: [44],
      labels: { team: 'platform', version: '3' },
    });
    expect(messagesAt(warnings, `${CONFIG}.group_add`)).toHaveLength(1);
  });

  it('reports every option it does not convert, and nothing for those handled elsewhere', () => {
    const { warnings } = driver({
      Config: {
        image: 'a:1',
        ports: ['http'],
        cpu_hard_limit: true,
        ulimit: [{ nofile: '1:2' }],
        logging: [{}],
      },
    });
    expect(warnings.map((w) => w.path)).toEqual([`${CONFIG}.logging`, `${CONFIG}.ulimit`]);
  });

  it('leaves out a task without an image', () => {
    const { container: c, warnings } = driver({ Config: { command: 'x' } });
    expect(c).toBeUndefined();
    expect(messagesAt(warnings, `${CONFIG}.image`)).toHaveLength(1);
  });

  it("interpolates Nomad variables: literals now, runtime values as Kubernetes' $(VAR)", () => {
    const { container: c } = driver({
      Meta: { version: '1.2' },
      Config: {
        image: 'app:${NOMAD_META_version}',
        args: ['--id=${NOMAD_ALLOC_ID}', '--job=${NOMAD_JOB_NAME}', 'literal $(HOME)'],
      },
    });
    expect(c?.image).toBe('app:1.2');
    expect(c?.args).toEqual(['--id=$(NOMAD_ALLOC_ID)', '--job=app', 'literal $$(HOME)']);
  });

  it('node properties the downward API has reach args and env values through a variable set first', () => {
    const job = simpleJob(
      'system',
      {
        Config: {
          image: 'agent:1',
          args: [
            '--node=${node.unique.name}',
            '--host',
            '${attr.unique.hostname}',
            'not $(NOMAD_OPERATOR_HOST_IP)',
          ],
          hostname: '${node.unique.name}',
        },
        Env: { LISTEN: '${attr.unique.network.ip-address}:9100', NODE: '${node.unique.name}' },
      },
      {},
      { Datacenters: ['*'] },
    );
    const { objects, warnings } = run(job);
    const c = container(podSpecOf(one(objects, 'DaemonSet')), 't');
    expect(c.args).toEqual([
      '--node=$(NOMAD_OPERATOR_NODE_NAME)',
      '--host',
      '$(NOMAD_OPERATOR_NODE_NAME)',
      'not $$(NOMAD_OPERATOR_HOST_IP)',
    ]);
    const env = c.env ?? [];
    // Set before every entry that refers to them (Kubernetes expands from earlier entries only).
    expect(env.slice(0, 2)).toEqual([
      { name: 'NOMAD_OPERATOR_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'NOMAD_OPERATOR_HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
    ]);
    expect(env.find((e) => e.name === 'LISTEN')).toEqual({
      name: 'LISTEN',
      value: '$(NOMAD_OPERATOR_HOST_IP):9100',
    });
    // A value that is exactly one property is its own fieldRef.
    expect(env.find((e) => e.name === 'NODE')).toEqual({
      name: 'NODE',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(warnings.filter((w) => w.path.startsWith('TaskGroups[0].Tasks[0].Config.args'))).toEqual([]);
    // The pod hostname cannot take it: said once.
    expect(messagesAt(warnings, `${CONFIG}.hostname`)).toHaveLength(1);

    // A container that refers to none gets none.
    const plain = run(simpleJob('system', {}, {}, { Datacenters: ['*'] }));
    const names = (container(podSpecOf(one(plain.objects, 'DaemonSet')), 't').env ?? []).map((e) => e.name);
    expect(names.filter((n) => n.startsWith('NOMAD_OPERATOR_'))).toEqual([]);
  });
});

describe('exec, raw_exec, java', () => {
  it('exec runs command and args in the exec image (default busybox:1.37, configurable)', () => {
    const task = { Driver: 'exec', Config: { command: '/bin/date', args: ['-u'] } };
    // Started in the task directory, as in Nomad (local/, alloc/, secrets/ are at / here).
    // As nobody, as Nomad's exec driver runs a task that names no user.
    expect(driver(task).container).toEqual({
      image: 'busybox:1.37',
      command: ['/bin/date'],
      args: ['-u'],
      workingDir: '/',
      securityContext: { runAsUser: 65534, runAsGroup: 65534 },
    });
    expect(driver({ ...task, User: '1000' }).container?.securityContext).toEqual({ runAsUser: 1000 });
    expect(driver(task, { execImage: 'debian:12' }).container?.image).toBe('debian:12');
    // Nomad runs the host's /bin/date; here it must be in the image: one warning naming both.
    expect(driver(task, { execImage: 'debian:12' }).warnings).toEqual([
      {
        path: 'TaskGroups[0].Tasks[0].Driver',
        message:
          'exec task runs in a container of the image "debian:12": the command "/bin/date" must exist in that image (set the execImage option to an image that has it, or use the docker driver)',
      },
    ]);
  });

  it('raw_exec runs isolated, with a warning', () => {
    const { container: c, warnings } = driver({
      Driver: 'raw_exec',
      Config: { command: 'apt-get', args: ['-y'] },
    });
    expect(c).toEqual({ image: 'busybox:1.37', command: ['apt-get'], args: ['-y'], workingDir: '/' });
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Driver')).toHaveLength(1);
  });

  it('java: jvm options, class path, jar or class, then args', () => {
    const jar = driver({
      Driver: 'java',
      Config: { jar_path: 'local/app.jar', jvm_options: ['-Xmx512m'], args: ['serve'] },
    }).container;
    expect(jar).toEqual({
      image: 'eclipse-temurin:21-jre',
      command: ['java'],
      args: ['-Xmx512m', '-jar', 'local/app.jar', 'serve'],
      workingDir: '/',
      securityContext: { runAsUser: 65534, runAsGroup: 65534 },
    });
    const main = driver(
      { Driver: 'java', Config: { class: 'com.example.Main', class_path: 'local/lib/*' } },
      {
        javaImage: 'openjdk:17',
      },
    ).container;
    expect(main).toEqual({
      image: 'openjdk:17',
      command: ['java'],
      args: ['-cp', 'local/lib/*', 'com.example.Main'],
      workingDir: '/',
      securityContext: { runAsUser: 65534, runAsGroup: 65534 },
    });
  });

  it('a command in the task directory (an artifact) is run from there; the image needs only what it uses', () => {
    for (const command of ['local/bin/etl', '${NOMAD_TASK_DIR}/bin/etl']) {
      const { container: c, warnings } = driver({ Driver: 'exec', Config: { command } });
      expect(c?.command).toEqual(['/local/bin/etl']);
      expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Driver')).toEqual([
        'exec task runs in a container of the image "busybox:1.37": the command "/local/bin/etl" comes from the task\'s directory, and what it needs to run (its interpreter, shared libraries) must exist in that image (set the execImage option to an image that has it, or use the docker driver)',
      ]);
    }
  });
});

describe('other drivers', () => {
  it('runs the image of an unknown driver when it names one, with a warning at Driver', () => {
    const { container: c, warnings } = driver({
      Driver: 'podman',
      Config: { image: 'docker.io/a:1', args: ['x'] },
    });
    expect(c).toEqual({ image: 'docker.io/a:1', args: ['x'] });
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Driver')).toHaveLength(1);
  });

  it('leaves out a task of an unknown driver without an image; the group then has no workload', () => {
    const job = simpleJob('service', { Driver: 'qemu', Config: { image_path: '/x.img' } });
    const { objects, warnings } = run(job);
    expect(objects).toEqual([]);
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Driver')[0]).toContain('"qemu" is not supported');
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks')).toHaveLength(1);
  });
});

describe('corpus', () => {
  it('docker-nested-config field by field', () => {
    const { objects, warnings } = run(corpusJob('docker-nested-config'));
    const spec = podSpecOf(one(objects, 'Deployment'));
    const t = container(spec, 't');
    expect(t.image).toBe('example/app:1');
    expect(t.imagePullPolicy).toBeUndefined();
    expect(t.volumeMounts).toContainEqual({ name: 'task0-mount0', mountPath: '/etc/ssl', readOnly: true });
    expect(t.volumeMounts).toContainEqual({ name: 'task0-mount1', mountPath: '/scratch' });
    expect(spec.volumes).toContainEqual({ name: 'task0-mount0', hostPath: { path: '/etc/ssl' } });
    expect(spec.volumes).toContainEqual({
      name: 'task0-mount1',
      emptyDir: { medium: 'Memory', sizeLimit: '100000' },
    });
    // Outside Kubernetes' safe set: left out unless the nodes are said to allow it.
    expect(spec.securityContext?.sysctls).toBeUndefined();
    expect(messagesAt(warnings, `${CONFIG}.sysctl`)).toEqual([
      expect.stringContaining('sysctl net.core.somaxconn left out'),
    ]);
    expect(messagesAt(warnings, `${CONFIG}.sysctl`)[0]).toContain('--allowed-unsafe-sysctl');
    expect(t.resources?.limits).toEqual({ cpu: '100m', memory: '512Mi' });
    for (const option of ['devices', 'logging', 'ulimit', 'shm_size']) {
      expect(messagesAt(warnings, `${CONFIG}.${option}`)).toHaveLength(1);
    }
    expect(JSON.parse(podAnnotation(objects))).toEqual({
      t: { team: 'platform', version: '3' },
    });
  });

  it('docker-nested-config: an unsafe sysctl the nodes allow is kept, without a warning', () => {
    for (const allowed of [['net.core.somaxconn'], ['net.core.*'], ['net.*']]) {
      const { objects, warnings } = run(corpusJob('docker-nested-config'), { allowedUnsafeSysctls: allowed });
      const spec = podSpecOf(one(objects, 'Deployment'));
      expect(spec.securityContext?.sysctls, allowed[0]).toEqual([
        { name: 'net.core.somaxconn', value: '16384' },
      ]);
      expect(messagesAt(warnings, `${CONFIG}.sysctl`)).toEqual([]);
    }
    const other = run(corpusJob('docker-nested-config'), {
      allowedUnsafeSysctls: ['net.ipv4.*', 'net.core'],
    });
    expect(podSpecOf(one(other.objects, 'Deployment')).securityContext?.sysctls).toBeUndefined();
    expect(messagesAt(other.warnings, `${CONFIG}.sysctl`)).toHaveLength(1);
  });

  it('batch-simple: exec command, args, resources', () => {
    const spec = podSpecOf(one(run(corpusJob('batch-simple')).objects, 'Job'));
    const render = container(spec, 'render');
    expect(render.image).toBe('busybox:1.37');
    expect(render.command).toEqual(['/usr/local/bin/render']);
    expect(render.args).toEqual(['--format', 'pdf', '--since', '24h']);
  });
});

function podAnnotation(objects: ReturnType<typeof run>['objects']): string {
  const deployment = one(objects, 'Deployment') as {
    spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
  };
  return deployment.spec?.template?.metadata?.annotations?.['nomadoperator.dev/docker-labels'] ?? '{}';
}
