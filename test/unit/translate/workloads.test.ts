import type {
  V1ConfigMap,
  V1Container,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Service,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSharedService } from '../../../src/translate/networking.ts';
import { TEMPLATES_CONTAINER, templateCopies } from '../../../src/translate/storage.ts';
import { kubernetesSchedule } from '../../../src/translate/workloads.ts';
import { loadCase } from '../../fixtures/translate-cases/load.ts';
import { ensureJobspecWasm } from '../nomad/hcl/helpers.ts';
import {
  container,
  corpusJob,
  makeJob,
  messagesAt,
  ofKind,
  one,
  podSpecOf,
  run,
  simpleJob,
} from './workload-support.ts';

const S = 1_000_000_000;
const INT32_MAX = 2_147_483_647;

const identity = (jobId: string, group: string, namespace = 'default') => ({
  'nomadoperator.dev/namespace': namespace,
  'nomadoperator.dev/job-id': jobId,
  'nomadoperator.dev/group': group,
});

describe('service → Deployment', () => {
  it('service-redis-cache (the API doc sample) field by field', () => {
    const { objects, warnings } = run(corpusJob('service-redis-cache'));
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Deployment/example--cache',
      'Service/redis-cache',
    ]);
    const deployment = one<V1Deployment>(objects, 'Deployment');
    expect(deployment.apiVersion).toBe('apps/v1');
    expect(deployment.metadata?.namespace).toBe('apps');
    expect(deployment.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'nomad-operator',
      'nomadoperator.dev/job': 'example',
      'nomadoperator.dev/job-id': 'example',
      'nomadoperator.dev/namespace': 'default',
      'nomadoperator.dev/group': 'cache',
      'nomadoperator.dev/version': '0',
    });
    expect(deployment.metadata?.annotations).toEqual({
      ...identity('example', 'cache'),
      'nomadoperator.dev/job-type': 'service',
    });
    const spec = deployment.spec;
    expect(spec?.replicas).toBe(1);
    const { 'nomadoperator.dev/version': _, ...selector } = deployment.metadata?.labels ?? {};
    expect(spec?.selector.matchLabels).toEqual(selector);
    // Pods carry the selector, not the version: a count-only change must not roll them. And the label
    // their service's Service selects.
    expect(spec?.template.metadata?.labels).toEqual({
      ...selector,
      'service.nomadoperator.dev/redis-cache': 'true',
    });
    expect(spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    expect(spec?.minReadySeconds).toBe(10);
    expect(spec?.progressDeadlineSeconds).toBe(600);
    const pod = podSpecOf(deployment);
    expect(pod.restartPolicy).toBe('Always');
    const redis = container(pod, 'redis');
    expect(redis.image).toBe('redis:7');
    expect(redis.resources).toEqual({
      requests: { cpu: '500m', memory: '256Mi' },
      limits: { memory: '256Mi' },
    });
    expect(redis.ports).toEqual([{ name: 'db', containerPort: 6379, protocol: 'TCP' }]);
    const service = one<V1Service>(objects, 'Service');
    expect(service.metadata?.namespace).toBe('apps');
    // The Service selects its service's pod label (every registering group and job), which the pods carry.
    expect(service.spec?.selector).toEqual({
      'app.kubernetes.io/managed-by': 'nomad-operator',
      'service.nomadoperator.dev/redis-cache': 'true',
    });
    expect(spec?.template.metadata?.labels).toMatchObject(service.spec?.selector ?? {});
    // datacenters = ["dc1"] pins nothing without a datacenter label: one warning saying so.
    expect(pod.nodeSelector).toBeUndefined();
    expect(warnings.map((w) => w.path)).toEqual(['Datacenters', 'TaskGroups[0].Tasks[0].Identity']);
  });

  it('update-strategy: canaries → maxSurge with maxUnavailable 0 (no old pod stops first), min_healthy_time, warnings', () => {
    const { objects, warnings } = run(corpusJob('update-strategy'));
    const [api, worker] = ofKind<V1Deployment>(objects, 'Deployment');
    expect(api?.metadata?.name).toBe('api--api');
    expect(api?.spec?.replicas).toBe(6);
    expect(api?.spec?.strategy?.rollingUpdate).toEqual({ maxSurge: 2, maxUnavailable: 0 });
    expect(api?.spec?.minReadySeconds).toBe(15);
    expect(api?.spec?.progressDeadlineSeconds).toBe(600);
    expect(worker?.spec?.strategy?.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    // auto_promote on the api group only.
    expect(messagesAt(warnings, 'TaskGroups[0].Update.Canary')[0]).not.toContain('promotion');
    expect(messagesAt(warnings, 'TaskGroups[1].Update.Canary')[0]).toContain('kubectl rollout pause');
    expect(messagesAt(warnings, 'TaskGroups[0].Update.AutoRevert')).toHaveLength(1);
    expect(messagesAt(warnings, 'TaskGroups[0].Update.HealthyDeadline')).toHaveLength(1);
  });

  it('canary = 1: one new pod starts beside the old ones, none stops before it is ready', () => {
    const job = simpleJob('service', {}, { Count: 3, Update: { Canary: 1, MaxParallel: 2 } });
    const { objects, warnings } = run(job);
    expect(one<V1Deployment>(objects, 'Deployment').spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(messagesAt(warnings, 'TaskGroups[0].Update.Canary')).toEqual([
      'canaries become maxSurge 1 with maxUnavailable 0: 1 new pod(s) start beside the old ones and no old pod stops before a new one is ready, but the rollout continues once they are ready without waiting for a promotion (pause it with kubectl rollout pause)',
    ]);
    // Without canaries: Nomad stops max_parallel old allocations first.
    const plain = simpleJob('service', {}, { Count: 3, Update: { MaxParallel: 2 } });
    expect(one<V1Deployment>(run(plain).objects, 'Deployment').spec?.strategy?.rollingUpdate).toEqual({
      maxSurge: 0,
      maxUnavailable: 2,
    });
  });

  it('max_parallel 0 → Recreate; progress_deadline 0 → no deadline', () => {
    const job = simpleJob(
      'service',
      {},
      { Update: { MaxParallel: 0, ProgressDeadline: 0, MinHealthyTime: 0 } },
    );
    const spec = one<V1Deployment>(run(job).objects, 'Deployment').spec;
    expect(spec?.strategy).toEqual({ type: 'Recreate' });
    expect(spec?.progressDeadlineSeconds).toBe(INT32_MAX);
    expect(spec?.minReadySeconds).toBeUndefined();
  });

  it('keeps progressDeadlineSeconds above minReadySeconds', () => {
    const job = simpleJob('service', {}, { Update: { MinHealthyTime: 60 * S, ProgressDeadline: 30 * S } });
    const { objects, warnings } = run(job);
    const spec = one<V1Deployment>(objects, 'Deployment').spec;
    expect(spec?.minReadySeconds).toBe(60);
    expect(spec?.progressDeadlineSeconds).toBe(61);
    expect(messagesAt(warnings, 'TaskGroups[0].Update.ProgressDeadline')).toHaveLength(1);
  });

  it('count → replicas, count 0 included', () => {
    expect(
      one<V1Deployment>(run(simpleJob('service', {}, { Count: 4 })).objects, 'Deployment').spec?.replicas,
    ).toBe(4);
    expect(
      one<V1Deployment>(run(simpleJob('service', {}, { Count: 0 })).objects, 'Deployment').spec?.replicas,
    ).toBe(0);
  });

  it('reports a limited reschedule policy', () => {
    const { warnings } = run(corpusJob('migrate-reschedule-restart'));
    expect(messagesAt(warnings, 'TaskGroups[0].ReschedulePolicy')[0]).toContain('without limit');
  });

  it('reports reschedule delays of a service job, naming each with its value', () => {
    const job = simpleJob('service', {}, { ReschedulePolicy: { Delay: 90 * S, DelayFunction: 'fibonacci' } });
    expect(messagesAt(run(job).warnings, 'TaskGroups[0].ReschedulePolicy')).toEqual([
      'reschedule delay 1m30s, delay_function "fibonacci" are not converted: Kubernetes restarts a failed container in place with the kubelet\'s back-off (10s, doubling up to 5m) and replaces a lost pod at once',
    ]);
    expect(messagesAt(run(simpleJob('service', {})).warnings, 'TaskGroups[0].ReschedulePolicy')).toEqual([]);
  });
});

describe('batch → Job', () => {
  it('batch-simple field by field: Indexed, parallelism = completions = count, backoffLimit', () => {
    const { objects } = run(corpusJob('batch-simple'), { namespace: 'reports' });
    const job = one<V1Job>(objects, 'Job');
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.metadata?.name).toBe('nightly-report--render');
    expect(job.metadata?.namespace).toBe('reports');
    expect(job.metadata?.annotations).toMatchObject({ ...identity('nightly-report', 'render', 'reports') });
    expect(job.spec?.parallelism).toBe(3);
    expect(job.spec?.completions).toBe(3);
    expect(job.spec?.completionMode).toBe('Indexed');
    expect(job.spec?.selector).toBeUndefined();
    // restart attempts 3, reschedule attempts 1 (batch defaults): (3+1)×(1+1)−1 = 7 per allocation, × 3.
    expect(job.spec?.backoffLimit).toBe(21);
    expect(job.spec?.template.spec?.restartPolicy).toBe('OnFailure');
  });

  it('no restarts → restartPolicy Never; unlimited reschedules or restart mode delay → no limit', () => {
    const never = simpleJob(
      'batch',
      {},
      { RestartPolicy: { Attempts: 0, Mode: 'fail' }, ReschedulePolicy: { Attempts: 2 } },
    );
    const job = one<V1Job>(run(never).objects, 'Job');
    expect(job.spec?.template.spec?.restartPolicy).toBe('Never');
    expect(job.spec?.backoffLimit).toBe(2);
    const unlimited = simpleJob('batch', {}, { ReschedulePolicy: { Unlimited: true } });
    expect(one<V1Job>(run(unlimited).objects, 'Job').spec?.backoffLimit).toBe(INT32_MAX);
    const delay = simpleJob('batch', {}, { RestartPolicy: { Mode: 'delay' } });
    expect(one<V1Job>(run(delay).objects, 'Job').spec?.backoffLimit).toBe(INT32_MAX);
  });

  it('a task’s own restart block is merged over the group’s and decides for the pod', () => {
    // The group allows no restarts; the task's own block allows 2 (Nomad: task values over group's).
    const job = simpleJob(
      'batch',
      { RestartPolicy: { Attempts: 2 } },
      { Count: 2, RestartPolicy: { Attempts: 0, Mode: 'fail' }, ReschedulePolicy: { Attempts: 0 } },
    );
    const { objects, warnings } = run(job);
    const batch = one<V1Job>(objects, 'Job');
    expect(batch.spec?.template.spec?.restartPolicy).toBe('OnFailure');
    // (2+1)×(0+1)−1 = 2 per allocation, × 2.
    expect(batch.spec?.backoffLimit).toBe(4);
    // The pod's one restart policy is the only task's, as in Nomad: nothing to say.
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks[0].RestartPolicy')).toEqual([]);
    // Beside another task, the block applies to both (a pod has one restart policy).
    const two = simpleJob(
      'batch',
      { RestartPolicy: { Attempts: 2 } },
      { RestartPolicy: { Attempts: 0, Mode: 'fail' }, ReschedulePolicy: { Attempts: 0 } },
    );
    two.TaskGroups?.[0]?.Tasks?.push({ Name: 'other', Driver: 'docker', Config: { image: 'o:1' } });
    expect(messagesAt(run(two).warnings, 'TaskGroups[0].Tasks[0].RestartPolicy')).toEqual([
      "the task's own restart block (over the group's: attempts 2, mode \"fail\") is applied pod-wide, as a pod has one restart policy: restartPolicy OnFailure and a backoffLimit counting 2 restart(s) for every task; delay and interval follow the kubelet's back-off",
    ]);
    // The only task's own delay, beside the group's own: named at the task too.
    const delays = simpleJob(
      'batch',
      { RestartPolicy: { Delay: 120e9 } },
      { RestartPolicy: { Attempts: 3, Delay: 30e9, Mode: 'fail' } },
    );
    expect(
      run(delays)
        .warnings.filter((w) => w.path.includes('RestartPolicy'))
        .map((w) => w.path),
    ).toEqual(['TaskGroups[0].RestartPolicy', 'TaskGroups[0].Tasks[0].RestartPolicy']);
    // A group's delay and interval do not matter to a task that never restarts.
    const never = simpleJob(
      'batch',
      { RestartPolicy: { Attempts: 0, Mode: 'fail' } },
      { RestartPolicy: { Attempts: 3, Delay: 30e9, Interval: 600e9, Mode: 'fail' } },
    );
    expect(run(never).warnings.filter((w) => w.path.includes('RestartPolicy'))).toEqual([]);
    // A service task's own block: reported once (the kubelet restarts long-running containers always).
    const service = simpleJob('service', { RestartPolicy: { Attempts: 9 } });
    expect(messagesAt(run(service).warnings, 'TaskGroups[0].Tasks[0].RestartPolicy')).toHaveLength(1);
    // The same block as the group's: nothing to say.
    const same = simpleJob('batch', { RestartPolicy: { Attempts: 3 } }, { RestartPolicy: { Attempts: 3 } });
    expect(messagesAt(run(same).warnings, 'TaskGroups[0].Tasks[0].RestartPolicy')).toEqual([]);
  });

  it('reports reschedule delays that are not the default', () => {
    const job = simpleJob('batch', {}, { ReschedulePolicy: { Delay: 90 * S } });
    expect(messagesAt(run(job).warnings, 'TaskGroups[0].ReschedulePolicy')[0]).toContain('back-off');
  });

  it('parameterized: nothing until dispatched; a dispatched child is a Job with its payload', () => {
    const parent = corpusJob('parameterized-dispatch');
    const template = run(parent);
    expect(template.objects).toEqual([]);
    expect(messagesAt(template.warnings, 'ParameterizedJob')).toHaveLength(1);

    const child = makeJob({
      ...parent,
      ID: 'video-encode/dispatch-1700000000-0f3c9a2b',
      ParentID: 'video-encode',
      Dispatched: true,
      Meta: { ...parent.Meta, input_url: 'https://example.com/in.mp4' },
    });
    const { objects, warnings } = run(child, { dispatch: { payloadSecretName: 'payload-1' } });
    const job = one<V1Job>(objects, 'Job');
    expect(job.metadata?.name).toMatch(/^[a-z][-a-z0-9]*$/);
    expect(job.metadata?.name?.length).toBeLessThanOrEqual(63);
    expect(job.metadata?.labels?.['nomadoperator.dev/parent-id']).toBe('video-encode');
    expect(job.metadata?.annotations).toMatchObject({
      'nomadoperator.dev/job-id': 'video-encode/dispatch-1700000000-0f3c9a2b',
      'nomadoperator.dev/parent-id': 'video-encode',
    });
    const ffmpeg = container(podSpecOf(job), 'ffmpeg');
    expect(ffmpeg.args?.slice(0, 2)).toEqual(['-i', 'https://example.com/in.mp4']);
    expect(podSpecOf(job).volumes?.some((v) => v.secret?.secretName === 'payload-1')).toBe(true);
    expect(warnings.filter((w) => w.message.includes('internal error'))).toEqual([]);
    // The parent says now what every dispatched child will lose: the child's own warnings of its
    // groups, each once, marked as such.
    const fromGroups = (list: { path: string; message: string }[]) =>
      list.filter((w) => w.path.startsWith('TaskGroups['));
    expect(fromGroups(template.warnings)).toEqual(
      fromGroups(warnings).map((w) => ({ path: w.path, message: `when dispatched: ${w.message}` })),
    );
    // One the corpus job has not: a poststop task, which no dispatched child will run.
    const withPoststop = makeJob({
      ...parent,
      TaskGroups: parent.TaskGroups?.map((g) => ({
        ...g,
        Tasks: [
          ...(g.Tasks ?? []),
          { Name: 'upload', Driver: 'docker', Config: { image: 'x:1' }, Lifecycle: { Hook: 'poststop' } },
        ],
      })),
    });
    const at = `TaskGroups[0].Tasks[${parent.TaskGroups?.[0]?.Tasks?.length ?? 0}].Lifecycle`;
    expect(messagesAt(run(withPoststop).warnings, at)).toEqual([
      expect.stringMatching(/^when dispatched: poststop task is left out/),
    ]);
  });
});

describe('periodic batch → CronJob', () => {
  it('periodic-cron: schedule, time zone, prohibit_overlap, the Job inside', () => {
    const { objects } = run(corpusJob('periodic-cron'));
    const cron = one<V1CronJob>(objects, 'CronJob');
    expect(cron.metadata?.name).toBe('cleanup--cleanup');
    // Nomad's 6-field form (minute … year) without the year.
    expect(cron.spec?.schedule).toBe('*/15 * * * *');
    expect(cron.spec?.timeZone).toBe('Europe/Paris');
    expect(cron.spec?.concurrencyPolicy).toBe('Forbid');
    expect(cron.spec?.suspend).toBeUndefined();
    expect(cron.metadata?.annotations?.['nomadoperator.dev/cron']).toBe('*/15 * * * * *');
    expect(cron.spec?.jobTemplate.spec?.completionMode).toBe('Indexed');
    expect(cron.spec?.jobTemplate.metadata?.labels).toEqual(cron.metadata?.labels);
  });

  it('periodic-crons-multiple: one CronJob per cron', () => {
    const crons = ofKind<V1CronJob>(run(corpusJob('periodic-crons-multiple')).objects, 'CronJob');
    expect(crons.map((c) => [c.metadata?.name, c.spec?.schedule, c.spec?.concurrencyPolicy])).toEqual([
      ['backups--backup--cron-0', '0 2 * * 1-5', 'Allow'],
      ['backups--backup--cron-1', '30 4 * * 6,0', 'Allow'],
    ]);
    expect(crons.every((c) => c.spec?.timeZone === 'UTC')).toBe(true);
  });

  it('says once that cron entries and groups are CronJobs of their own, scheduled apart', () => {
    const task = { Name: 't', Driver: 'docker', Config: { image: 'a:1' } };
    const job = (crons: string[], groups: number, overlap: boolean) =>
      makeJob({
        ID: 'invoices',
        Type: 'batch',
        Periodic: { Specs: crons, ProhibitOverlap: overlap },
        TaskGroups: Array.from({ length: groups }, (_, i) => ({ Name: `g${i}`, Tasks: [task] })),
      });
    const launch = (crons: string[], groups: number, overlap: boolean) =>
      run(job(crons, groups, overlap)).warnings.filter((w) => w.path.startsWith('Periodic.'));
    expect(launch(['0 9 * * 1-5', '0 9 1 * *'], 2, true)).toEqual([
      {
        path: 'Periodic.ProhibitOverlap',
        message:
          'each of the 2 task groups is a CronJob of its own: prohibit_overlap keeps apart the runs of one group, while Nomad skips a launch while any group of the job still runs',
      },
      {
        path: 'Periodic.Specs',
        message:
          'each cron entry is a CronJob of its own: at a time two entries share, two runs start (Nomad launches one), and prohibit_overlap only keeps apart the runs of the same entry; where entries coincide, merge them into one cron expression',
      },
    ]);
    expect(launch(['0 9 * * 1-5', '0 9 1 * *'], 1, false).map((w) => w.path)).toEqual(['Periodic.Specs']);
    expect(launch(['0 9 * * *'], 2, false)).toEqual([]);
    expect(launch(['0 9 * * *'], 1, true)).toEqual([]);
    // Entries that never name the same minute start no second run.
    expect(launch(['0 */6 * * *', '30 1 * * 0'], 1, false)).toEqual([]);
    expect(launch(['0 9 * * 1-5', '0 9 * * 6,7'], 1, false)).toEqual([]);
    expect(launch(['0 */6 * * *', '30 1 * * 0'], 1, true).map((w) => w.message)).toEqual([
      'each cron entry is a CronJob of its own: prohibit_overlap only keeps apart the runs of the same entry',
    ]);
    // Said even when the first group makes no workload.
    const first = job(['0 9 * * 1-5', '0 9 1 * *'], 2, true);
    const firstTask = first.TaskGroups?.[0]?.Tasks?.[0];
    if (firstTask) firstTask.Driver = 'qemu';
    expect(
      run(first)
        .warnings.filter((w) => w.path.startsWith('Periodic.'))
        .map((w) => w.path),
    ).toEqual(['Periodic.ProhibitOverlap', 'Periodic.Specs']);
    // A group of count 0 makes no CronJob: one group left, no overlap between groups to speak of.
    const idle = job(['0 9 * * *'], 2, true);
    const second = idle.TaskGroups?.[1];
    if (second) second.Count = 0;
    expect(run(idle).warnings.filter((w) => w.path.startsWith('Periodic.'))).toEqual([]);
  });

  it('names fit 52 characters; disabled → suspend; unknown zones fall back to UTC', () => {
    const job = makeJob({
      ID: 'a-very-long-periodic-job-name-that-goes-on-and-on',
      Type: 'batch',
      Periodic: { Spec: '@hourly', Enabled: false, TimeZone: 'Mars/Olympus' },
      TaskGroups: [
        { Name: 'some-group', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'a:1' } }] },
      ],
    });
    const { objects, warnings } = run(job);
    const cron = one<V1CronJob>(objects, 'CronJob');
    expect(cron.metadata?.name?.length).toBeLessThanOrEqual(52);
    expect(cron.spec?.suspend).toBe(true);
    expect(cron.spec?.schedule).toBe('@hourly');
    expect(cron.spec?.timeZone).toBe('UTC');
    expect(messagesAt(warnings, 'Periodic.TimeZone')).toHaveLength(1);
  });

  it('a cron spec Kubernetes cannot express: warning, no CronJob', () => {
    const job = makeJob({
      ID: 'p',
      Type: 'batch',
      Periodic: { Spec: '30 * * * * * *' },
      TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'a:1' } }] }],
    });
    const { objects, warnings } = run(job);
    expect(objects).toEqual([]);
    expect(messagesAt(warnings, 'Periodic.Spec')[0]).toContain('whole minutes');
  });

  it.each([
    ['*/5 * * * *', '*/5 * * * *'],
    ['0 0 3 * * * *', '0 3 * * *'],
    ['0 30 2 * * ? 2099', undefined],
    ['15 10 ? * MON-FRI', '15 10 * * mon-fri'],
    ['0 12 * january,FEBRUARY sunday', '0 12 * jan,feb sun'],
    ['0 0 * * 7', '0 0 * * 0'],
    ['0 0 * * 5-7', '0 0 * * 5-6,0'],
    ['0 0 L * *', undefined],
    ['0 0 * * 5#3', undefined],
    ['0 0 15W * *', undefined],
    ['@daily', '@daily'],
    ['@WEEKLY', undefined], // Nomad's aliases are lower case only
    ['not a cron', undefined],
  ])('schedule %s → %s', (spec, expected) => {
    const result = kubernetesSchedule(spec);
    if (expected === undefined) expect(result).toHaveProperty('error');
    else expect(result).toEqual({ schedule: expected });
  });

  it('takes a CRON_TZ prefix as the time zone', () => {
    expect(kubernetesSchedule('CRON_TZ=Asia/Tokyo 0 9 * * *')).toEqual({
      schedule: '0 9 * * *',
      timeZone: 'Asia/Tokyo',
    });
  });
});

describe('system and sysbatch → DaemonSet', () => {
  it('system-job field by field', () => {
    const { objects } = run(corpusJob('system-job'));
    const ds = one<V1DaemonSet>(objects, 'DaemonSet');
    expect(ds.metadata?.name).toBe('node-exporter--exporter');
    expect(ds.metadata?.annotations?.['nomadoperator.dev/job-type']).toBe('system');
    expect(ds.spec?.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 2 },
    });
    expect(ds.spec?.minReadySeconds).toBe(10);
    const pod = podSpecOf(ds);
    expect(pod.restartPolicy).toBe('Always');
    expect(pod.hostNetwork).toBe(true);
    expect(container(pod, 'node-exporter').args).toEqual(['--path.rootfs=/host']);
    expect(container(pod, 'node-exporter').ports).toEqual([
      { name: 'metrics', containerPort: 9100, hostPort: 9100, protocol: 'TCP' },
      { containerPort: 9100, hostPort: 9100, protocol: 'UDP' },
    ]);
  });

  it('system jobs: each update field a DaemonSet cannot honour is reported once', () => {
    const job = simpleJob(
      'system',
      {},
      {
        Update: {
          MaxParallel: 1,
          Canary: 20,
          AutoPromote: true,
          HealthyDeadline: 2 * 60 * S,
          ProgressDeadline: 20 * 60 * S,
          HealthCheck: 'manual',
        },
      },
    );
    const { objects, warnings } = run(job);
    expect(one<V1DaemonSet>(objects, 'DaemonSet').spec?.updateStrategy?.rollingUpdate).toEqual({
      maxSurge: 0,
      maxUnavailable: 1,
    });
    for (const field of ['Canary', 'AutoPromote', 'HealthyDeadline', 'ProgressDeadline', 'HealthCheck']) {
      expect(messagesAt(warnings, `TaskGroups[0].Update.${field}`), field).toHaveLength(1);
    }
    expect(messagesAt(warnings, 'TaskGroups[0].Update.Canary')[0]).toContain('percent of the nodes');
    // Nomad's defaults: nothing to report.
    const plain = run(simpleJob('system', {}, {}));
    expect(plain.warnings.filter((w) => w.path.startsWith('TaskGroups[0].Update'))).toEqual([]);
  });

  it('sysbatch: a failing task is retried by the kubelet, reported once per task with Nomad’s limit', () => {
    const job = simpleJob('sysbatch', { RestartPolicy: { Attempts: 1 } }, {});
    const { objects, warnings } = run(job);
    expect(podSpecOf(one<V1DaemonSet>(objects, 'DaemonSet')).restartPolicy).toBe('Always');
    const messages = messagesAt(warnings, 'TaskGroups[0].Tasks[0].RestartPolicy');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('Nomad gives up after 1 restart(s) and fails the allocation');
    expect(messages[0]).toContain('until it succeeds');
  });

  it('sysbatch-job: a run-once DaemonSet, the schedule reported', () => {
    const { objects, warnings } = run(corpusJob('sysbatch-job'));
    const ds = one<V1DaemonSet>(objects, 'DaemonSet');
    expect(ds.metadata?.annotations?.['nomadoperator.dev/job-type']).toBe('sysbatch');
    expect(ds.spec?.updateStrategy?.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: '100%' });
    const pod = podSpecOf(ds);
    expect(pod.initContainers?.map((c) => [c.name, c.command, c.args])).toEqual([
      ['apt', ['apt-get'], ['-y', 'upgrade']],
    ]);
    expect(pod.containers.map((c) => c.image)).toEqual(['registry.k8s.io/pause:3.10']);
    expect(messagesAt(warnings, 'Periodic')).toHaveLength(1);
  });
});

describe('job types', () => {
  it('an unknown type is a warning and no objects', () => {
    const { objects, warnings } = run(simpleJob('_core', {}));
    expect(objects).toEqual([]);
    expect(messagesAt(warnings, 'Type')).toHaveLength(1);
  });

  it('a group without tasks gets no workload; the other groups do', () => {
    const { objects, warnings } = run(corpusJob('api-doc-parse-sample'));
    expect(objects).toEqual([]);
    expect(messagesAt(warnings, 'TaskGroups[0].Tasks')[0]).toContain('no tasks');
  });

  it('every object carries the namespace, labels and exact identity', () => {
    for (const name of ['volumes-host-csi', 'templates', 'service-checks', 'odd-id-spaces-slashes']) {
      const job = corpusJob(name);
      for (const object of run(job).objects) {
        expect(object.metadata?.namespace).toBe('apps');
        expect(object.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('nomad-operator');
        // Services named after Nomad services are shared by the jobs of the namespace: no job identity.
        if (isSharedService(object)) continue;
        expect(object.metadata?.labels?.['nomadoperator.dev/version']).toBe('0');
        expect(object.metadata?.annotations?.['nomadoperator.dev/job-id']).toBe(job.ID);
        expect(object.metadata?.annotations?.['nomadoperator.dev/namespace']).toBe(job.Namespace);
      }
    }
  });

  it('labels the version from the options', () => {
    const deployment = one<V1Deployment>(run(simpleJob('service', {}), { version: 7 }).objects, 'Deployment');
    expect(deployment.metadata?.labels?.['nomadoperator.dev/version']).toBe('7');
    expect(deployment.spec?.selector.matchLabels?.['nomadoperator.dev/version']).toBeUndefined();
    expect(deployment.spec?.template.metadata?.labels?.['nomadoperator.dev/version']).toBeUndefined();
  });

  it('count 0: Nomad places nothing — no Job, CronJob or DaemonSet; what a later count needs stays', () => {
    const task = {
      Templates: [{ DestPath: 'local/app.conf', EmbeddedTmpl: 'x = 1\n' }],
      Services: [{ Name: 'reports', PortLabel: '8080', Provider: 'nomad' }],
    };
    const periodic = { Periodic: { Enabled: true, Spec: '0 3 * * *' } };
    for (const [type, job] of [
      ['batch', {}],
      ['batch', periodic],
      ['system', {}],
      ['sysbatch', {}],
    ] as const) {
      const idle = run(simpleJob(type, task, { Count: 0 }, job));
      const busy = run(simpleJob(type, task, { Count: 1 }, job));
      const kinds = (objects: typeof idle.objects) => objects.map((o) => o.kind);
      expect(kinds(idle.objects), type).toEqual(['ConfigMap', 'Service']);
      expect(kinds(busy.objects), type).toEqual([
        'ConfigMap',
        type === 'batch' ? (job === periodic ? 'CronJob' : 'Job') : 'DaemonSet',
        'Service',
      ]);
      // Warnings still say what the group would lose once it runs.
      expect(idle.warnings, type).toEqual(busy.warnings);
    }
    // A group of count 0 beside one that runs: only the other's workload.
    const two = makeJob({
      ID: 'reports',
      Type: 'batch',
      TaskGroups: [
        { Name: 'render', Count: 2, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x:1' } }] },
        { Name: 'backfill', Count: 0, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x:1' } }] },
      ],
    });
    expect(run(two).objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(['Job/reports--render']);
  });

  it('leaves the pod template unchanged when only the count changes (Nomad scales without replacing)', () => {
    const before = one<V1Deployment>(run(simpleJob('service', {}), { version: 1 }).objects, 'Deployment');
    const scaled = simpleJob('service', {});
    scaled.TaskGroups![0]!.Count = 5;
    const after = one<V1Deployment>(run(scaled, { version: 2 }).objects, 'Deployment');
    expect(after.spec?.replicas).toBe(5);
    expect(after.spec?.template).toEqual(before.spec?.template);
  });
});

describe('a two-group web stack (test/fixtures/translate-cases/edge-stack.nomad.hcl)', () => {
  beforeAll(ensureJobspecWasm, 600_000);

  it('binds the proxy’s template file at /etc/nginx/nginx.conf and never stops an old api pod first', async () => {
    const job = await loadCase('edge-stack');
    const { objects } = run(job);
    const deployments = ofKind<V1Deployment>(objects, 'Deployment');
    const proxy = deployments.find((d) => d.metadata?.name === 'edge--proxy');
    const api = deployments.find((d) => d.metadata?.name === 'edge--api');
    if (!proxy || !api) throw new Error('expected the proxy and api Deployments');

    // The docker volume `local/nginx.conf:/etc/nginx/nginx.conf` binds the template's file: the file
    // the templates init container writes into the task's local/ (the task still finds it there).
    const pod = podSpecOf(proxy);
    const nginx = container(pod, 'nginx');
    const mount = nginx.volumeMounts?.find((m) => m.mountPath === '/etc/nginx/nginx.conf');
    const local = nginx.volumeMounts?.find((m) => m.mountPath === '/local');
    expect(mount).toEqual({ name: local?.name, mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' });
    const init = pod.initContainers?.find((c) => c.name === TEMPLATES_CONTAINER);
    const written = templateCopies(init as V1Container).find((c) => {
      const dir = init?.volumeMounts?.find((m) => m.name === local?.name)?.mountPath;
      return c.destination === `${dir}/nginx.conf`;
    });
    // …from a key of the template ConfigMap, which the init container mounts.
    const from = init?.volumeMounts?.find((m) => written?.source.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes?.find((v) => v.name === from?.name);
    const configMap = ofKind<V1ConfigMap>(objects, 'ConfigMap').find(
      (c) => c.metadata?.name === volume?.configMap?.name,
    );
    const key = written?.source.slice((from?.mountPath.length ?? 0) + 1) ?? '';
    expect(volume?.configMap?.items?.map((i) => i.key)).toContain(key);
    const content = configMap?.data?.[key];
    expect(content).toContain('proxy_pass http://edge-api:8080;');
    expect(content).toBe(job.TaskGroups?.[0]?.Tasks?.[0]?.Templates?.[0]?.EmbeddedTmpl);

    // update { canary = 1 }: one new pod beside the old ones, none stopped before it is ready.
    expect(api.spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(proxy.spec?.strategy?.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });
});
