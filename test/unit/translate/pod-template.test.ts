// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
import { describe, expect, it } from 'vitest';
import {
  containerNameFor,
  groupPodTemplate,
  podRestartPolicy,
  seconds,
} from '../../../src/translate/pod-template.ts';
import { TASK_DIRECTORY_PATHS } from '../../support/task-directories.ts';
import {
  container,
  contextOf,
  corpusJob,
  makeJob,
  messagesAt,
  one,
  podSpecOf,
  run,
  simpleJob,
} from './workload-support.ts';

const S = 1_000_000_000;

/** The lifecycle corpus job, as a job of another type. */
function lifecycleAs(type: string) {
  return { ...corpusJob('lifecycle'), Type: type };
}

describe('tasks → containers by lifecycle', () => {
  it('service: prestart → init container, prestart sidecar → native sidecar first; poststart/poststop left out', () => {
    const { objects, warnings } = run(corpusJob('lifecycle'));
    const spec = podSpecOf(one(objects, 'Deployment'));
    expect(spec.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([
      ['log-shipper', 'Always'],
      ['init-db', undefined],
    ]);
    expect(spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[3].Lifecycle')[0]).toContain('poststop');
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[4].Lifecycle')[0]).toContain(
      'poststart task is left out',
    );
    // Plain init containers get neither probes nor lifecycle hooks (the apiserver forbids them).
    expect(container(spec, 'init-db').lifecycle).toBeUndefined();
    // Volumes prepared for the left-out tasks are not in the pod.
    expect(spec.volumes?.some((v) => v.name.includes('notify') || v.name.includes('warmup'))).toBe(false);
  });

  it('batch: poststart runs as a container (warning), the leader makes the other main tasks sidecars', () => {
    const { objects, warnings } = run(lifecycleAs('batch'));
    const spec = podSpecOf(one(objects, 'Job'));
    expect(spec.restartPolicy).toBe('OnFailure');
    expect(spec.containers.map((c) => c.name)).toEqual(['app', 'warmup']);
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[4].Lifecycle')[0]).toContain(
      'starts together with the main',
    );
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[2].Leader')).toEqual([]);

    const leader = makeJob({
      ID: 'j',
      Type: 'batch',
      TaskGroups: [
        {
          Name: 'g',
          Tasks: [
            { Name: 'proxy', Driver: 'docker', Config: { image: 'proxy:1' } },
            { Name: 'main', Driver: 'docker', Leader: true, Config: { image: 'main:1' } },
          ],
        },
      ],
    });
    const leaderSpec = podSpecOf(one(run(leader).objects, 'Job'));
    expect(leaderSpec.containers.map((c) => c.name)).toEqual(['main']);
    expect(leaderSpec.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([['proxy', 'Always']]);
  });

  it('batch: prestart tasks run before the leader’s other tasks and poststart sidecars, which are native sidecars', () => {
    const task = (Name: string, extra: Record<string, unknown> = {}) => ({
      Name,
      Driver: 'docker',
      Config: { image: `${Name}:1` },
      ...extra,
    });
    const tasks = [
      task('api'),
      task('log-forwarder', { Lifecycle: { Hook: 'poststart', Sidecar: true } }),
      task('migrate', { Lifecycle: { Hook: 'prestart' } }),
      task('vault-agent', { Lifecycle: { Hook: 'prestart', Sidecar: true } }),
    ];
    const batch = (withLeader: boolean) =>
      run(
        makeJob({
          ID: 'j',
          Type: 'batch',
          TaskGroups: [
            { Name: 'g', Tasks: withLeader ? [...tasks, task('tests', { Leader: true })] : tasks },
          ],
        }),
      );

    // Without a leader: the poststart sidecar must not keep the Job from completing.
    const plain = batch(false);
    const plainSpec = podSpecOf(one(plain.objects, 'Job'));
    expect(plainSpec.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([
      ['vault-agent', 'Always'],
      ['migrate', undefined],
      ['log-forwarder', 'Always'],
    ]);
    expect(plainSpec.containers.map((c) => c.name)).toEqual(['api']);
    expect(messagesAt(plain.warnings, 'TaskGroups[0].Tasks[1].Lifecycle')).toEqual([
      'poststart sidecar task starts just before the main tasks (a native sidecar, after the prestart tasks), not after they started; it is stopped once they have finished, as in Nomad',
    ]);

    // With a leader: the other main task starts after the prestart task wrote what it needs, and is
    // told it is restarted whenever it exits.
    const led = batch(true);
    const ledSpec = podSpecOf(one(led.objects, 'Job'));
    expect(ledSpec.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([
      ['vault-agent', 'Always'],
      ['migrate', undefined],
      ['api', 'Always'],
      ['log-forwarder', 'Always'],
    ]);
    expect(ledSpec.containers.map((c) => c.name)).toEqual(['tests']);
    expect(messagesAt(led.warnings, 'TaskGroups[0].Tasks[0]')).toEqual([
      'runs beside the leader as a native sidecar, which Kubernetes stops when the leader exits (as Nomad does) but also restarts whenever it exits, even successfully, until then; its failure does not fail the run (Nomad fails the allocation): make it the leader, or a task that does not exit before the leader',
    ]);
    // In a sysbatch pod nothing stops it: it is told so.
    const sysbatch = run(makeJob({ ID: 'j', Type: 'sysbatch', TaskGroups: [{ Name: 'g', Tasks: tasks }] }));
    expect(messagesAt(sysbatch.warnings, 'TaskGroups[0].Tasks[1].Lifecycle')).toEqual([
      expect.stringMatching(/^poststart sidecar task starts before the main tasks.*keeps running/),
    ]);
    // Sidecars by their own lifecycle are not told so.
    expect(messagesAt(led.warnings, 'TaskGroups[0].Tasks[1]')).toEqual([]);
    expect(messagesAt(led.warnings, 'TaskGroups[0].Tasks[3]')).toEqual([]);
  });

  it('sysbatch: tasks run once as init containers in lifecycle order, then a pause container', () => {
    const { objects } = run(lifecycleAs('sysbatch'));
    const spec = podSpecOf(one(objects, 'DaemonSet'));
    expect(spec.initContainers?.map((c) => c.name)).toEqual([
      'log-shipper',
      'init-db',
      'app',
      'warmup',
      'notify',
    ]);
    expect(container(spec, 'log-shipper').restartPolicy).toBe('Always');
    expect(spec.containers).toEqual([{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }]);
    // The pod stays on its node after the tasks ran: its sidecar is told it keeps running.
    expect(messagesAt(run(lifecycleAs('sysbatch')).warnings, 'TaskGroups[0].Tasks[1].Lifecycle')).toEqual([
      expect.stringContaining('keeps running (a native sidecar) beside the sysbatch pod'),
    ]);
    expect(spec.restartPolicy).toBe('Always');
  });

  it('a group whose tasks cannot run as main tasks gets no pod', () => {
    const job = simpleJob('service', { Lifecycle: { Hook: 'prestart' } });
    const ctx = contextOf(job);
    expect(groupPodTemplate(ctx, 'service')).toBeUndefined();
    expect(messagesAt(ctx.warnings, 'TaskGroups[0].Tasks')[0]).toContain('no main task');
  });
});

describe('host network ports', () => {
  it('a dynamic port on the host network is said to be one fixed node port; a static one is not', () => {
    const job = makeJob({
      ID: 'lb',
      TaskGroups: [
        {
          Name: 'g',
          Count: 3,
          Networks: [
            {
              DynamicPorts: [{ Label: 'admin' }],
              ReservedPorts: [
                { Label: 'http', Value: 80 },
                { Label: 'web', Value: 8080, To: 80 },
              ],
            },
          ],
          Tasks: [
            {
              Name: 't',
              Driver: 'docker',
              Config: { image: 'lb:1', network_mode: 'host', ports: ['admin', 'http', 'web'] },
            },
          ],
        },
      ],
    });
    const { objects, warnings } = run(job);
    const pod = podSpecOf(one(objects, 'Deployment'));
    expect(pod.hostNetwork).toBe(true);
    const admin = pod.containers[0]?.ports?.find((p) => p.name === 'admin')?.containerPort;
    const said = messagesAt(warnings, 'TaskGroups[0].Networks');
    expect(said).toHaveLength(2);
    // Only admin is dynamic: web, a static port whose hostPort the host network drops, is not.
    expect(said.filter((m) => m.includes('dynamic'))).toEqual([
      expect.stringContaining(`the dynamic port "admin" (${admin}) is a fixed node port`),
    ]);
    expect(said.find((m) => m.includes('"web"'))).toContain(
      'static port "web" (8080, to = 80) is on the host network, where nothing maps 8080 to 80',
    );
  });
});

describe('driver config interpolation', () => {
  it('sees the variables of env = true templates, over the task’s env, as the container’s $(NAME)', () => {
    const job = simpleJob('service', {
      Config: {
        image: 'x:1',
        args: [
          '--password',
          '${DB_PASSWORD}',
          '--user',
          '${DB_USER}',
          '--region',
          '${NOMAD_REGION}',
          '${OTHER}',
        ],
      },
      Env: { DB_PASSWORD: 'from the task env' },
      Templates: [
        {
          DestPath: 'secrets/db.env',
          Envvars: true,
          EmbeddedTmpl: 'DB_PASSWORD="s3cr3t#x"\nDB_USER=billing\n',
        },
      ],
    });
    const spec = podSpecOf(one(run(job).objects, 'Deployment'));
    const app = container(spec, 't');
    expect(app.args).toEqual([
      '--password',
      '$(DB_PASSWORD)',
      '--user',
      '$(DB_USER)',
      '--region',
      'global',
      '${OTHER}',
    ]);
    // Kubernetes expands them from the container's env, where the template's entries replaced the task's.
    const env = new Map(app.env?.map((e) => [e.name, e]));
    expect(env.get('DB_PASSWORD')?.valueFrom?.secretKeyRef).toBeDefined();
    expect(env.get('DB_USER')?.valueFrom?.secretKeyRef).toBeDefined();
  });
});

describe('stopping', () => {
  it('kill-shutdown-leader: preStop sleeps, stop signals, grace period, leader annotation', () => {
    const { objects, warnings } = run(corpusJob('kill-shutdown-leader'));
    const deployment = one(objects, 'Deployment') as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    const spec = podSpecOf(one(objects, 'Deployment'));
    // group shutdown_delay 5s + task 1.5s → 7s (rounded up), then kill_timeout 45s.
    expect(container(spec, 'main').lifecycle).toEqual({ preStop: { sleep: { seconds: 7 } } });
    expect(container(spec, 'helper').lifecycle).toEqual({
      preStop: { sleep: { seconds: 5 } },
      stopSignal: 'SIGINT',
    });
    expect(spec.terminationGracePeriodSeconds).toBe(52);
    expect(spec.os).toEqual({ name: 'linux' });
    // stopSignal is dropped by clusters without the ContainerStopSignals gate: said once, for that task.
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[1].KillSignal')).toEqual([
      "kill signal SIGINT becomes lifecycle.stopSignal, which needs the ContainerStopSignals feature gate (alpha in Kubernetes 1.33): clusters without it drop the field and stop the container with SIGTERM (or the image's STOPSIGNAL); enable the gate, or make the task stop on SIGTERM",
    ]);
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].KillSignal')).toEqual([]);
    expect(deployment.spec.template.metadata.annotations['nomadoperator.dev/leader']).toBe('main');
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Leader')).toHaveLength(1);
  });

  it('kill_timeout as the jobspec says, above a default Nomad client’s max_kill_timeout (30s) too', () => {
    // The cap is the Nomad client's setting, which the jobspec does not show (docs/translation.md).
    const { objects, warnings } = run(simpleJob('service', { KillTimeout: 120 * 1_000_000_000 }));
    expect(podSpecOf(one(objects, 'Deployment')).terminationGracePeriodSeconds).toBe(120);
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].KillTimeout')).toEqual([]);
  });

  it('default kill timeout (5s) and no stop signal or OS for SIGTERM', () => {
    const spec = podSpecOf(one(run(simpleJob('service', { KillSignal: 'SIGTERM' })).objects, 'Deployment'));
    expect(spec.terminationGracePeriodSeconds).toBe(5);
    expect(spec.os).toBeUndefined();
    expect(container(spec, 't').lifecycle).toBeUndefined();
  });

  it('reports an unknown kill signal', () => {
    const { objects, warnings } = run(simpleJob('service', { KillSignal: 'SIGBOGUS' }));
    expect(container(podSpecOf(one(objects, 'Deployment')), 't').lifecycle).toBeUndefined();
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].KillSignal')).toHaveLength(1);
  });

  it('rounds durations up to whole seconds and clamps them to int32', () => {
    expect(seconds(1)).toBe(1);
    expect(seconds(1500 * 1_000_000)).toBe(2);
    expect(seconds(0)).toBe(0);
    expect(seconds(-5)).toBe(0);
    expect(seconds(1e30)).toBe(2_147_483_647);
  });
});

describe('restart', () => {
  it('Always for service, system and sysbatch pods; batch by attempts and mode', () => {
    const policy = (type: string, restart: Record<string, unknown>) =>
      podRestartPolicy(
        contextOf(simpleJob(type, {}, { RestartPolicy: restart })),
        type === 'batch' ? 'batch' : 'service',
      );
    expect(policy('service', { Attempts: 0, Mode: 'fail' })).toBe('Always');
    expect(policy('batch', { Attempts: 3, Mode: 'fail' })).toBe('OnFailure');
    expect(policy('batch', { Attempts: 0, Mode: 'fail' })).toBe('Never');
    expect(policy('batch', { Attempts: 0, Mode: 'delay' })).toBe('OnFailure');
  });

  it('reports limited restarts of long-running pods, and a task render_templates', () => {
    const limited = run(simpleJob('service', {}, { RestartPolicy: { Attempts: 5, Mode: 'fail' } }));
    expect(messagesAt(limited.warnings, 'TaskGroups[0].RestartPolicy')).toEqual([
      'restart attempts 5 (mode "fail") are not converted: the kubelet restarts the containers of a long-running pod whenever they exit, without limit (Nomad would fail the allocation after 5 restart(s) within the interval and reschedule it); a container that keeps failing shows as CrashLoopBackOff instead',
    ]);
    // Mode "delay" restarts without limit, as the kubelet does: nothing to report.
    const delay = run(simpleJob('system', {}, { RestartPolicy: { Attempts: 5, Mode: 'delay' } }));
    expect(messagesAt(delay.warnings, 'TaskGroups[0].RestartPolicy')).toEqual([]);
    const render = run(simpleJob('service', { RestartPolicy: { RenderTemplates: true } }));
    expect(messagesAt(render.warnings, 'TaskGroups[0].Tasks[0].RestartPolicy.RenderTemplates')).toHaveLength(
      1,
    );
  });

  it('sysbatch: shutdown delays, kill signals and checks of init-container tasks are reported where they are set', () => {
    const job = simpleJob(
      'sysbatch',
      {
        ShutdownDelay: 5 * S,
        KillSignal: 'SIGINT',
        Services: [
          {
            Name: 'own',
            Provider: 'nomad',
            Checks: [{ Type: 'script', Command: '/bin/true', Interval: S, Timeout: S }],
          },
        ],
      },
      {
        ShutdownDelay: 3 * S,
        Services: [
          {
            Name: 'g',
            Provider: 'nomad',
            Checks: [{ Type: 'script', Command: '/bin/true', TaskName: 't', Interval: S, Timeout: S }],
          },
        ],
      },
    );
    const { objects, warnings } = run(job);
    const spec = podSpecOf(one(objects, 'DaemonSet'));
    expect(spec.initContainers?.[0]?.lifecycle).toBeUndefined();
    for (const path of [
      'TaskGroups[0].ShutdownDelay',
      'TaskGroups[0].Tasks[0].ShutdownDelay',
      'TaskGroups[0].Tasks[0].KillSignal',
      'TaskGroups[0].Services[0].Checks[0]',
      'TaskGroups[0].Tasks[0].Services[0].Checks[0]',
    ]) {
      const messages = messagesAt(warnings, path);
      expect(
        messages.filter((m) => /init container/.test(m)),
        path,
      ).toHaveLength(1);
    }
    // A task without its own restart block: the group's block is named, with the task.
    expect(messagesAt(warnings, 'TaskGroups[0].RestartPolicy')[0]).toContain('if sysbatch task "t" fails');
  });

  it('reports restart delays and task policies that differ from the group', () => {
    const { warnings } = run(corpusJob('migrate-reschedule-restart'));
    expect(messagesAt(warnings, 'TaskGroups[0].RestartPolicy')[0]).toContain('back-off');
    // The task's own attempts with mode "delay" (the group's) change nothing the kubelet does, and its
    // delay and interval are the group's, already reported.
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].RestartPolicy')).toEqual([]);
  });
});

describe('a task’s own restart block in long-running pods', () => {
  const M = 60 * S;
  /** A service (or system) job: group restart block `group`, the first task's own block `own`. */
  const withRestart = (own: Record<string, unknown>, group: Record<string, unknown> = {}, type = 'service') =>
    makeJob({
      ID: 'worker',
      Type: type,
      Datacenters: ['*'],
      TaskGroups: [
        {
          Name: 'g',
          RestartPolicy: group,
          Tasks: [
            { Name: 'worker', Driver: 'docker', Config: { image: 'w:1' }, RestartPolicy: own },
            { Name: 'agent', Driver: 'docker', Config: { image: 'a:1' } },
          ],
        },
      ],
    });
  const own = (job: ReturnType<typeof makeJob>) =>
    messagesAt(run(job).warnings, 'TaskGroups[0].Tasks[0].RestartPolicy');

  it('mode "delay" never fails the allocation: only its own delay and interval are said', () => {
    // worker-policies: the group gives up at once, the task retries without limit in 5m windows.
    expect(
      own(
        withRestart(
          { Attempts: 5, Delay: 10 * S, Interval: 5 * M, Mode: 'delay' },
          { Attempts: 0, Mode: 'fail' },
        ),
      ),
    ).toEqual([
      'restart delay and interval are not converted: the kubelet restarts containers with its own back-off (10s, doubling up to 5m)',
    ]);
    // Nothing differs from what the kubelet does: no warning.
    expect(own(withRestart({ Attempts: 5, Mode: 'delay' }, { Attempts: 0, Mode: 'fail' }))).toEqual([]);
  });

  it('mode "fail" of the task’s own is said with its attempts, rescheduled only in service jobs', () => {
    expect(own(withRestart({ Attempts: 1, Mode: 'fail' }, { Mode: 'delay' }))).toEqual([
      "the task's own restart block is not converted: the kubelet restarts every container of a long-running pod whenever it exits, without limit and with its own back-off (Nomad would fail the allocation after 1 restart(s) within the interval and reschedule it); a container that keeps failing shows as CrashLoopBackOff instead",
    ]);
    expect(own(withRestart({ Attempts: 4 }, {}, 'system'))[0]).toContain(
      'Nomad would fail the allocation after 4 restart(s) within the interval); a container',
    );
  });
});

describe('pod settings', () => {
  it("one task's network_mode host puts the whole pod there: said once, naming the other tasks", () => {
    const job = makeJob({
      ID: 'logs',
      Datacenters: ['*'],
      TaskGroups: [
        {
          Name: 'g',
          Tasks: [
            { Name: 'agent', Driver: 'docker', Config: { image: 'a:1', network_mode: 'host' } },
            { Name: 'shipper', Driver: 'docker', Config: { image: 'b:1' } },
          ],
        },
      ],
    });
    const { objects, warnings } = run(job);
    expect(podSpecOf(one(objects, 'Deployment')).hostNetwork).toBe(true);
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Config.network_mode')).toEqual([
      `network_mode "host" is the whole pod's on Kubernetes: task "shipper" of the group shares the node's network (its ports bind on the node), where in Nomad only this task does; put the task that must not in a group of its own`,
    ]);
    // Every task asking for it: nothing to say.
    const all = makeJob({
      ID: 'logs',
      Datacenters: ['*'],
      TaskGroups: [
        {
          Name: 'g',
          Tasks: [{ Name: 'agent', Driver: 'docker', Config: { image: 'a:1', network_mode: 'host' } }],
        },
      ],
    });
    expect(messagesAt(run(all).warnings, 'TaskGroups[0].Tasks[0].Config.network_mode')).toEqual([]);
  });

  it('no service links, no service account token, labels and identity annotations, meta as JSON', () => {
    const job = simpleJob(
      'service',
      { Meta: { tier: 'web' } },
      { Meta: { owner: 'b' } },
      { Meta: { owner: 'a', z: '1' } },
    );
    const deployment = one(run(job).objects, 'Deployment') as {
      spec: {
        template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
      };
    };
    const spec = podSpecOf(deployment as never);
    expect(spec.enableServiceLinks).toBe(false);
    expect(spec.automountServiceAccountToken).toBe(false);
    const { labels, annotations } = deployment.spec.template.metadata;
    expect(labels).toEqual({
      'app.kubernetes.io/managed-by': 'nomad-operator',
      'nomadoperator.dev/job': 'app',
      'nomadoperator.dev/job-id': 'app',
      'nomadoperator.dev/namespace': 'default',
      'nomadoperator.dev/group': 'g',
    });
    expect(annotations).toEqual({
      'nomadoperator.dev/namespace': 'default',
      'nomadoperator.dev/job-id': 'app',
      'nomadoperator.dev/group': 'g',
      'nomadoperator.dev/meta': '{"owner":"b","z":"1"}',
      'nomadoperator.dev/task-meta': '{"t":{"tier":"web"}}',
    });
  });

  it('task names that are not container names get a stable name, recorded in an annotation', () => {
    expect(containerNameFor('redis')).toBe('redis');
    expect(containerNameFor('Web_Server')).toMatch(/^web-server-[a-z2-7]{10}$/);
    expect(containerNameFor('Web_Server')).toBe(containerNameFor('Web_Server'));
    const job = corpusJob('odd-id-spaces-slashes');
    const deployment = one(run(job).objects, 'Deployment') as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    const spec = podSpecOf(deployment as never);
    const names = spec.containers.map((c) => c.name);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    const mapping = JSON.parse(
      deployment.spec.template.metadata.annotations['nomadoperator.dev/containers'] ?? '{}',
    );
    expect(Object.values(mapping)).toContain(job.TaskGroups?.[0]?.Tasks?.[0]?.Name);
  });

  it('max_run_duration → activeDeadlineSeconds of batch pods only', () => {
    const batch = podSpecOf(one(run(simpleJob('batch', {}, { MaxRunDuration: 90 * S })).objects, 'Job'));
    expect(batch.activeDeadlineSeconds).toBe(90);
    const { objects, warnings } = run(corpusJob('kill-shutdown-leader'));
    expect(podSpecOf(one(objects, 'Deployment')).activeDeadlineSeconds).toBeUndefined();
    expect(messagesAt(warnings, 'TaskGroups[0].MaxRunDuration')).toHaveLength(1);
  });

  it('group network hostname and dns → pod hostname and dnsConfig, before the docker dns_* options', () => {
    const job = simpleJob(
      'service',
      { Config: { image: 'a:1', dns_search_domains: ['task.example'] } },
      {
        Networks: [
          {
            Mode: 'bridge',
            Hostname: 'Edge-1',
            DNS: { Servers: ['10.0.0.53'], Searches: ['corp.example'], Options: ['ndots:2', 'edns0'] },
          },
        ],
      },
    );
    const { objects, warnings } = run(job);
    const spec = podSpecOf(one(objects, 'Deployment'));
    expect(spec.hostname).toBe('edge-1');
    expect(spec.dnsPolicy).toBe('None');
    expect(spec.dnsConfig).toEqual({
      nameservers: ['10.0.0.53'],
      searches: ['corp.example', 'task.example'],
      options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
    });
    expect(warnings.filter((w) => w.path.startsWith('TaskGroups[0].Networks'))).toEqual([]);
    // Only searches: the cluster DNS stays, with the extra domains.
    const searchOnly = simpleJob(
      'service',
      {},
      { Networks: [{ Mode: 'bridge', DNS: { Searches: ['x.example'] } }] },
    );
    const searchSpec = podSpecOf(one(run(searchOnly).objects, 'Deployment'));
    expect(searchSpec.dnsPolicy).toBeUndefined();
    expect(searchSpec.dnsConfig).toEqual({ searches: ['x.example'] });
    // The node's address (a Consul agent) as a server: the cluster DNS stays first, the others follow.
    const consulDns = simpleJob(
      'service',
      {},
      {
        Networks: [
          {
            Mode: 'bridge',
            DNS: {
              Servers: ['${attr.unique.network.ip-address}', '1.1.1.1', '8.8.8.8', '9.9.9.9'],
              Searches: ['service.consul'],
            },
          },
        ],
      },
    );
    const consul = run(consulDns);
    const consulSpec = podSpecOf(one(consul.objects, 'Deployment'));
    expect(consulSpec.dnsPolicy).toBeUndefined();
    expect(consulSpec.dnsConfig).toEqual({
      nameservers: ['1.1.1.1', '8.8.8.8'],
      searches: ['service.consul'],
    });
    expect(messagesAt(consul.warnings, 'TaskGroups[0].Networks[0].DNS')).toEqual([
      `DNS server "\${attr.unique.network.ip-address}" is the node's address (a Consul agent's DNS): the pod keeps the cluster DNS in its place (first, before any other server), which resolves Kubernetes Services, not *.consul names`,
      'Kubernetes allows at most 3 DNS servers; the others are left out',
    ]);
    // A hostname the pod cannot have: one warning at the field, saying what to use.
    const bad = run(simpleJob('service', {}, { Networks: [{ Mode: 'bridge', Hostname: 'web_1' }] }));
    expect(podSpecOf(one(bad.objects, 'Deployment')).hostname).toBeUndefined();
    expect(messagesAt(bad.warnings, 'TaskGroups[0].Networks[0].Hostname')).toHaveLength(1);
  });

  it('ephemeral_disk.size → an ephemeral-storage request (no emptyDir sizeLimit); the default is not requested', () => {
    const sized = run(simpleJob('service', {}, { EphemeralDisk: { SizeMB: 2048 } }));
    const spec = podSpecOf(one(sized.objects, 'Deployment'));
    expect(container(spec, 't').resources?.requests?.['ephemeral-storage']).toBe('2Gi');
    expect(spec.volumes?.find((v) => v.name === 'nomad-alloc')).toEqual({
      name: 'nomad-alloc',
      emptyDir: {},
    });
    const plain = podSpecOf(one(run(simpleJob('service', {})).objects, 'Deployment'));
    expect(container(plain, 't').resources?.requests?.['ephemeral-storage']).toBeUndefined();
    // sysbatch: on the pause container, which stays for the pod's life.
    const sys = podSpecOf(
      one(run(simpleJob('sysbatch', {}, { EphemeralDisk: { SizeMB: 500 } })).objects, 'DaemonSet'),
    );
    expect(sys.containers[0]?.resources?.requests).toEqual({ 'ephemeral-storage': '500Mi' });
  });

  it('docker volumes of task-relative paths mount the template files and task directories they name', () => {
    const job = simpleJob('service', {
      Config: {
        image: 'prom/prometheus:v3',
        volumes: ['local/prometheus.yml:/etc/prometheus/prometheus.yml', '../alloc/data:/prometheus'],
        mount: [{ type: 'bind', source: 'secrets', target: '/run/secrets', readonly: true }],
      },
      Templates: [{ EmbeddedTmpl: 'global: {}\n', DestPath: 'local/prometheus.yml' }],
    });
    const { objects, warnings } = run(job);
    const mounts = container(podSpecOf(one(objects, 'Deployment')), 't').volumeMounts ?? [];
    expect(mounts.filter((m) => !(TASK_DIRECTORY_PATHS as readonly string[]).includes(m.mountPath))).toEqual([
      // The template's file, written into local/ by the templates init container: writable, as the
      // file Nomad's docker driver binds.
      { name: 'nomad-local--t', mountPath: '/etc/prometheus/prometheus.yml', subPath: 'prometheus.yml' },
      // Its own volume, which Prometheus (running as nobody) can write to: no root-owned subPath.
      { name: 'nomad-alloc-data', mountPath: '/prometheus' },
      { name: 'nomad-secrets--t', mountPath: '/run/secrets', readOnly: true },
    ]);
    expect(warnings.filter((w) => w.path.includes('.Config'))).toEqual([]);
  });

  it('a docker bind onto /alloc/logs is what the task sees there (no warning)', () => {
    const job = simpleJob('service', { Config: { image: 'x:1', volumes: ['local/logs:/alloc/logs'] } });
    const { objects, warnings } = run(job);
    const mounts = container(podSpecOf(one(objects, 'Deployment')), 't').volumeMounts ?? [];
    expect(mounts.filter((m) => m.mountPath === '/alloc/logs')).toEqual([
      { name: 'nomad-local--t', mountPath: '/alloc/logs', subPath: 'logs' },
    ]);
    expect(warnings.filter((w) => w.message.includes('mounted twice'))).toEqual([]);
  });

  it('a bind of a task directory onto its own place is no second mount (no warning)', () => {
    const job = simpleJob('service', {
      Config: { image: 'nginx:1', mount: [{ type: 'bind', source: 'local', target: '/local' }] },
      Templates: [{ EmbeddedTmpl: 'x', DestPath: 'local/x.conf' }],
    });
    const { objects, warnings } = run(job);
    const mounts = container(podSpecOf(one(objects, 'Deployment')), 't').volumeMounts ?? [];
    expect(mounts.filter((m) => m.mountPath.startsWith('/local')).map((m) => m.mountPath)).toEqual([
      '/local',
    ]);
    expect(warnings.filter((w) => w.message.includes('mounted twice'))).toEqual([]);
    // Another volume at a taken place still is.
    const clash = simpleJob('service', {
      Config: { image: 'nginx:1', mount: [{ type: 'bind', source: 'secrets', target: '/local' }] },
    });
    expect(run(clash).warnings.filter((w) => w.message.includes('/local is mounted twice'))).toHaveLength(1);
  });

  it('docker DNS servers replace the cluster DNS; invalid ones are left out', () => {
    const job = simpleJob('service', {
      Config: { image: 'a:1', dns_servers: ['1.1.1.1', 'not-an-ip'], dns_search_domains: ['svc.example'] },
    });
    const { objects, warnings } = run(job);
    const spec = podSpecOf(one(objects, 'Deployment'));
    expect(spec.dnsPolicy).toBe('None');
    expect(spec.dnsConfig).toEqual({ nameservers: ['1.1.1.1'], searches: ['svc.example'] });
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].Config')[0]).toContain('not-an-ip');
  });

  it('host network: host ports equal container ports, net sysctls are left out', () => {
    const job = makeJob({
      ID: 'exp',
      Type: 'system',
      TaskGroups: [
        {
          Name: 'g',
          Networks: [{ ReservedPorts: [{ Label: 'metrics', Value: 9100, To: 9101 }] }],
          Tasks: [
            {
              Name: 't',
              Driver: 'docker',
              Config: {
                image: 'a:1',
                network_mode: 'host',
                ports: ['metrics'],
                sysctl: { 'net.core.somaxconn': '1' },
              },
            },
          ],
        },
      ],
    });
    const { objects, warnings } = run(job);
    const spec = podSpecOf(one(objects, 'DaemonSet'));
    expect(spec.hostNetwork).toBe(true);
    for (const port of container(spec, 't').ports ?? []) {
      expect(port.hostPort === undefined || port.hostPort === port.containerPort).toBe(true);
    }
    expect(spec.securityContext).toBeUndefined();
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks').join('\n')).toContain('net.core.somaxconn');
  });
});
