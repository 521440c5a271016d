// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
// Field-by-field checks of Nomad's documented jobspec semantics on the corpus, written from the
// rules (Nomad's documentation and its parser's behaviour), not
// from the goldens: labels to IDs and names, durations in nanoseconds, the port split, parse-time
// defaults, Canonicalize defaults, literal runtime references, variables and overrides, locals,
// functions, dynamic blocks, heredocs and the free-form `config` rules.

import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusInput } from '../../../fixtures/jobspecs/generate.ts';
import { at, ensureJobspecWasm, HOUR, MINUTE, named, parseError, parseOk, SECOND } from './helpers.ts';

beforeAll(ensureJobspecWasm, 600_000);

const parse = (name: string) => parseOk(corpusInput(name));
const parseCanonical = (name: string) => parseOk({ ...corpusInput(name), canonicalize: true });

const group = (job: unknown, name: string) => named(at(job, 'TaskGroups'), name);
const task = (job: unknown, groupName: string, taskName: string) =>
  named(at(group(job, groupName), 'Tasks'), taskName);

describe('labels, IDs and job types', () => {
  it('service-redis-cache: job label gives ID and Name; unset fields stay null before Canonicalize', async () => {
    const job = await parse('service-redis-cache');
    expect(at(job, 'ID')).toBe('example');
    expect(at(job, 'Name')).toBe('example');
    expect(at(job, 'Type')).toBe('service');
    expect(at(job, 'Datacenters')).toEqual(['dc1']);
    expect(at(job, 'Region')).toBeNull();
    expect(at(job, 'Namespace')).toBeNull();
    expect(at(job, 'Priority')).toBeNull();
    expect(at(job, 'Update')).toBeNull();
    const g = group(job, 'cache');
    expect(g.Count).toBe(1);
    expect(g.ReschedulePolicy).toBeNull();
    const t = task(job, 'cache', 'redis');
    expect(t.Driver).toBe('docker');
    expect(t.Config).toEqual({ image: 'redis:7', ports: ['db'], auth_soft_fail: true });
    expect(t.Resources).toMatchObject({ CPU: 500, MemoryMB: 256 });
    expect(t.KillTimeout).toBeNull();
    expect(t.LogConfig).toBeNull();
    expect(at(g, 'RestartPolicy')).toEqual({
      Interval: 30 * MINUTE,
      Attempts: 2,
      Delay: 15 * SECOND,
      Mode: 'fail',
      RenderTemplates: null,
    });
  });

  it('service-redis-cache with Canonicalize: the api defaults of a service job', async () => {
    const job = await parseCanonical('service-redis-cache');
    expect(at(job, 'Region')).toBe('global');
    expect(at(job, 'Namespace')).toBe('default');
    expect(at(job, 'Priority')).toBe(50);
    // api Canonicalize does not apply the server-side defaults
    expect(at(job, 'NodePool')).toBe('');
    const defaultUpdate = {
      Stagger: 30 * SECOND,
      MaxParallel: 1,
      HealthCheck: 'checks',
      MinHealthyTime: 10 * SECOND,
      HealthyDeadline: 5 * MINUTE,
      ProgressDeadline: 10 * MINUTE,
      AutoRevert: false,
      Canary: 0,
      AutoPromote: false,
    };
    expect(at(job, 'Update')).toEqual(defaultUpdate);
    const g = group(job, 'cache');
    expect(g.Update).toEqual(defaultUpdate);
    expect(g.ReschedulePolicy).toEqual({
      Attempts: 0,
      Interval: 0,
      Delay: 30 * SECOND,
      DelayFunction: 'exponential',
      MaxDelay: HOUR,
      Unlimited: true,
    });
    expect(g.Migrate).toEqual({
      MaxParallel: 1,
      HealthCheck: 'checks',
      MinHealthyTime: 10 * SECOND,
      HealthyDeadline: 5 * MINUTE,
    });
    expect(g.EphemeralDisk).toEqual({ Sticky: false, Migrate: false, SizeMB: 300 });
    const t = task(job, 'cache', 'redis');
    expect(t.KillTimeout).toBe(5 * SECOND);
    expect(t.LogConfig).toMatchObject({ MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false });
    expect(t.Resources).toMatchObject({ CPU: 500, MemoryMB: 256, Cores: 0 });
    const svc = at(g, 'Services', 0);
    expect(svc).toMatchObject({
      Name: 'redis-cache',
      AddressMode: 'auto',
      Provider: 'nomad',
      PortLabel: 'db',
    });
  });

  it('api-doc-parse-sample with Canonicalize: count 1, no datacenters default (server-side only)', async () => {
    const job = await parseCanonical('api-doc-parse-sample');
    expect(at(job, 'ID')).toBe('example');
    expect(at(job, 'Type')).toBe('service');
    expect(at(job, 'Datacenters')).toBeNull();
    expect(at(group(job, 'cache'), 'Count')).toBe(1);
    expect(at(group(job, 'cache'), 'Tasks')).toBeNull();
  });

  it('batch-simple: batch defaults for reschedule and restart, no update or migrate', async () => {
    const raw = await parse('batch-simple');
    expect(at(raw, 'Priority')).toBe(70);
    expect(at(raw, 'Namespace')).toBe('reports');
    expect(at(raw, 'Region')).toBe('europe');
    expect(at(raw, 'NodePool')).toBe('batch-workers');
    const job = await parseCanonical('batch-simple');
    const g = group(job, 'render');
    expect(g.Count).toBe(3);
    expect(at(job, 'Update')).toBeNull();
    expect(g.Update).toBeNull();
    expect(g.Migrate).toBeNull();
    expect(g.ReschedulePolicy).toEqual({
      Attempts: 1,
      Interval: 24 * HOUR,
      Delay: 5 * SECOND,
      DelayFunction: 'constant',
      MaxDelay: 0,
      Unlimited: false,
    });
    expect(g.RestartPolicy).toEqual({
      Delay: 15 * SECOND,
      Attempts: 3,
      Interval: 24 * HOUR,
      Mode: 'fail',
      RenderTemplates: false,
    });
    expect(task(job, 'render', 'render').User).toBe('nobody');
  });

  it('periodic-cron: cron → Spec with SpecType "cron"; Enabled only after Canonicalize', async () => {
    const raw = await parse('periodic-cron');
    expect(at(raw, 'Periodic')).toEqual({
      Enabled: null,
      Spec: '*/15 * * * * *',
      Specs: null,
      SpecType: 'cron',
      ProhibitOverlap: true,
      TimeZone: 'Europe/Paris',
    });
    const job = await parseCanonical('periodic-cron');
    expect(at(job, 'Periodic', 'Enabled')).toBe(true);
    expect(at(job, 'Periodic', 'TimeZone')).toBe('Europe/Paris');
  });

  it('periodic-crons-multiple: crons → Specs', async () => {
    const job = await parse('periodic-crons-multiple');
    expect(at(job, 'Periodic', 'Specs')).toEqual(['0 2 * * 1-5', '30 4 * * 6,0']);
    expect(at(job, 'Periodic', 'Spec')).toBeNull();
    expect(at(job, 'Periodic', 'SpecType')).toBe('cron');
    expect(at(job, 'Datacenters')).toEqual(['*']);
    expect(at(task(job, 'backup', 'dump'), 'KillTimeout')).toBe(2 * MINUTE);
  });

  it('parameterized-dispatch: ParameterizedJob, DispatchPayload and literal NOMAD_META references', async () => {
    const job = await parse('parameterized-dispatch');
    expect(at(job, 'ParameterizedJob')).toEqual({
      Payload: 'required',
      MetaRequired: ['input_url'],
      MetaOptional: ['preset', 'bitrate'],
    });
    const t = task(job, 'encode', 'ffmpeg');
    expect(t.DispatchPayload).toEqual({ File: 'job.json' });
    expect(at(t, 'Config', 'args')).toEqual([
      '-i',
      '${NOMAD_META_input_url}',
      '-preset',
      '${NOMAD_META_preset}',
      'local/out.mp4',
    ]);
    expect(at(job, 'Meta')).toEqual({ preset: 'medium' });
  });

  it('system-job: update given in the job is kept and completed; no reschedule default', async () => {
    const raw = await parse('system-job');
    expect(at(raw, 'Update')).toMatchObject({ MaxParallel: 2, Stagger: 20 * SECOND, HealthCheck: null });
    expect(at(raw, 'Constraints')).toEqual([
      { LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' },
    ]);
    const job = await parseCanonical('system-job');
    const g = group(job, 'exporter');
    expect(at(job, 'Update')).toMatchObject({ MaxParallel: 2, Stagger: 20 * SECOND, HealthCheck: 'checks' });
    expect(g.ReschedulePolicy).toBeNull();
    expect(g.RestartPolicy).toMatchObject({ Attempts: 2, Interval: 30 * MINUTE });
    expect(at(g, 'Networks', 0, 'ReservedPorts')).toEqual([
      { Label: 'metrics', Value: 9100, To: 0, HostNetwork: '', IgnoreCollision: false },
    ]);
    expect(at(g, 'Networks', 0, 'DynamicPorts')).toBeNull();
  });

  it('sysbatch-job: no update and no reschedule default; batch-style restart', async () => {
    const job = await parseCanonical('sysbatch-job');
    const g = group(job, 'patch');
    expect(at(job, 'Type')).toBe('sysbatch');
    expect(at(job, 'Periodic', 'Spec')).toBe('@daily');
    expect(at(job, 'Update')).toBeNull();
    expect(g.ReschedulePolicy).toBeNull();
    expect(g.RestartPolicy).toMatchObject({ Attempts: 3, Interval: 24 * HOUR });
  });

  it('odd IDs: spaces, slashes and unicode survive in IDs and names', async () => {
    const slashes = await parse('odd-id-spaces-slashes');
    expect(at(slashes, 'ID')).toBe('team a/billing service v2');
    expect(at(slashes, 'Name')).toBe('team a/billing service v2');
    expect(at(group(slashes, 'group with spaces'), 'Tasks', 0, 'Name')).toBe('task/with/slashes');
    const unicode = await parse('odd-id-unicode');
    expect(at(unicode, 'ID')).toBe('données-ünïcode-日本語-🚀');
    expect(at(unicode, 'Name')).toBe('Données 日本語');
    expect(at(task(unicode, 'grüppe', 'タスク'), 'Config', 'args')).toEqual(['こんにちは', 'Ωmega']);
  });

  it('explicit-id-name: id and name attributes win over the label', async () => {
    const job = await parse('explicit-id-name');
    expect(at(job, 'ID')).toBe('explicit-id');
    expect(at(job, 'Name')).toBe('Explicit Name');
    expect(at(job, 'AllAtOnce')).toBe(true);
  });

  it('job-level-task: a task in the job block becomes its own group, first; job vault reaches every task', async () => {
    const job = await parse('job-level-task');
    expect(at(job, 'TaskGroups', 0, 'Name')).toBe('first');
    expect(at(job, 'TaskGroups', 0, 'Tasks', 0, 'Name')).toBe('first');
    expect(at(job, 'TaskGroups', 0, 'Tasks', 0, 'Resources')).toMatchObject({ CPU: 50, MemoryMB: 32 });
    expect(at(job, 'TaskGroups', 1, 'Name')).toBe('declared');
    for (const [g, t] of [
      ['first', 'first'],
      ['declared', 'second'],
    ] as const) {
      expect(at(task(job, g, t), 'Vault')).toMatchObject({
        Policies: ['solo'],
        Env: true,
        DisableFile: false,
        ChangeMode: 'restart',
      });
    }
  });
});

describe('durations are int64 nanoseconds', () => {
  it('kill-shutdown-leader: task and group durations, strings and plain numbers', async () => {
    const job = await parse('kill-shutdown-leader');
    const g = group(job, 'g');
    expect(g.ShutdownDelay).toBe(5 * SECOND);
    expect(g.MaxRunDuration).toBe(2 * HOUR);
    expect(g.StopAfterClientDisconnect).toBe(90 * SECOND);
    expect(g.MaxClientDisconnect).toBe(HOUR);
    expect(g.PreventRescheduleOnLost).toBe(true);
    const main = task(job, 'g', 'main');
    expect(main).toMatchObject({
      KillTimeout: 45 * SECOND,
      KillSignal: 'SIGTERM',
      ShutdownDelay: 1.5 * SECOND,
      Leader: true,
    });
    // a number is taken as nanoseconds
    expect(task(job, 'g', 'helper')).toMatchObject({
      KillTimeout: 3 * SECOND,
      KillSignal: 'SIGINT',
      Leader: false,
    });
  });

  it('update-strategy: job update durations; group update merged over the job one by Canonicalize', async () => {
    const raw = await parse('update-strategy');
    expect(at(raw, 'Update')).toEqual({
      Stagger: 45 * SECOND,
      MaxParallel: 3,
      HealthCheck: 'checks',
      MinHealthyTime: 15 * SECOND,
      HealthyDeadline: 3 * MINUTE,
      ProgressDeadline: 10 * MINUTE,
      Canary: 1,
      AutoRevert: true,
      AutoPromote: null,
    });
    const job = await parseCanonical('update-strategy');
    expect(at(group(job, 'api'), 'Update')).toEqual({
      Stagger: 45 * SECOND,
      MaxParallel: 2,
      HealthCheck: 'checks',
      MinHealthyTime: 15 * SECOND,
      HealthyDeadline: 3 * MINUTE,
      ProgressDeadline: 10 * MINUTE,
      Canary: 2,
      AutoRevert: true,
      AutoPromote: true,
    });
    expect(at(group(job, 'worker'), 'Update')).toMatchObject({
      MaxParallel: 3,
      Canary: 1,
      AutoPromote: false,
    });
  });

  it('migrate-reschedule-restart: policies in ns; task restart merged over the group one', async () => {
    const raw = await parse('migrate-reschedule-restart');
    expect(at(raw, 'Reschedule')).toEqual({
      Attempts: 0,
      Interval: null,
      Delay: 30 * SECOND,
      DelayFunction: 'exponential',
      MaxDelay: HOUR,
      Unlimited: true,
    });
    expect(at(raw, 'Migrate')).toEqual({
      MaxParallel: 2,
      HealthCheck: 'task_states',
      MinHealthyTime: 20 * SECOND,
      HealthyDeadline: 4 * MINUTE,
    });
    expect(at(group(raw, 'consumers'), 'ReschedulePolicy')).toEqual({
      Attempts: 5,
      Interval: HOUR,
      Delay: 10 * SECOND,
      DelayFunction: 'fibonacci',
      MaxDelay: 5 * MINUTE,
      Unlimited: false,
    });
    const job = await parseCanonical('migrate-reschedule-restart');
    expect(at(group(job, 'consumers'), 'Migrate')).toMatchObject({
      MaxParallel: 2,
      HealthCheck: 'task_states',
    });
    expect(at(task(job, 'consumers', 'consume'), 'RestartPolicy')).toEqual({
      Interval: 10 * MINUTE,
      Attempts: 1,
      Delay: 25 * SECOND,
      Mode: 'delay',
      RenderTemplates: true,
    });
  });

  it('disconnect: lost_after / stop_on_client_after in ns', async () => {
    const job = await parse('disconnect');
    expect(at(group(job, 'worker'), 'Disconnect')).toEqual({
      LostAfter: 6 * HOUR,
      StopOnClientAfter: 2 * HOUR,
      Replace: false,
      Reconcile: 'keep_original',
    });
  });
});

describe('networks and ports', () => {
  it('network-ports: static ports become ReservedPorts (static → Value), the rest DynamicPorts', async () => {
    const job = await parse('network-ports');
    const net = at(group(job, 'edge'), 'Networks', 0);
    expect(at(net, 'Mode')).toBe('bridge');
    expect(at(net, 'Hostname')).toBe('edge-${NOMAD_ALLOC_INDEX}');
    expect(at(net, 'ReservedPorts')).toEqual([
      { Label: 'http', Value: 80, To: 8080, HostNetwork: '', IgnoreCollision: false },
      { Label: 'https', Value: 443, To: 8443, HostNetwork: 'public', IgnoreCollision: false },
    ]);
    expect(at(net, 'DynamicPorts')).toEqual([
      { Label: 'admin', Value: 0, To: 9000, HostNetwork: '', IgnoreCollision: false },
      { Label: 'metrics', Value: 0, To: 0, HostNetwork: '', IgnoreCollision: false },
    ]);
    expect(at(net, 'DNS')).toEqual({
      Servers: ['1.1.1.1', '8.8.8.8'],
      Searches: ['svc.cluster.local'],
      Options: ['ndots:2'],
    });
  });

  it('network-static-only: no dynamic port left gives DynamicPorts null; task networks split too', async () => {
    const job = await parse('network-static-only');
    const net = at(group(job, 'dns'), 'Networks', 0);
    expect(at(net, 'DynamicPorts')).toBeNull();
    expect(at(net, 'ReservedPorts')).toEqual([
      { Label: 'dns', Value: 53, To: 0, HostNetwork: '', IgnoreCollision: true },
    ]);
    const taskNet = at(task(job, 'dns', 'coredns'), 'Resources', 'Networks', 0);
    expect(at(taskNet, 'MBits')).toBe(10);
    expect(at(taskNet, 'ReservedPorts')).toEqual([
      { Label: 'legacy', Value: 5353, To: 0, HostNetwork: '', IgnoreCollision: false },
    ]);
    expect(at(taskNet, 'DynamicPorts')).toBeNull();
  });
});

describe('services and checks', () => {
  it('service-checks: checks, durations, headers and check_restart', async () => {
    const job = await parse('service-checks');
    const svc = at(group(job, 'web'), 'Services', 0);
    expect(svc).toMatchObject({
      Name: 'web',
      PortLabel: 'http',
      Tags: ['urlprefix-/', 'v2'],
      CanaryTags: ['canary'],
      AddressMode: 'host',
      Meta: { version: '2.4.1' },
    });
    expect(at(svc, 'Checks', 0)).toMatchObject({
      Name: 'alive',
      Type: 'http',
      Path: '/health',
      Interval: 10 * SECOND,
      Timeout: 2 * SECOND,
      Header: { Authorization: ['Basic ZGVtbzpkZW1v'], 'X-Trace': ['1', '2'] },
      CheckRestart: { Limit: 3, Grace: 90 * SECOND, IgnoreWarnings: false },
    });
    expect(at(svc, 'Checks', 1)).toMatchObject({
      Type: 'tcp',
      PortLabel: 'http',
      InitialStatus: 'passing',
      SuccessBeforePassing: 2,
      FailuresBeforeCritical: 3,
    });
    expect(at(svc, 'Checks', 2)).toMatchObject({ Type: 'grpc', GRPCService: 'web.Health', GRPCUseTLS: true });
    const canonical = await parseCanonical('service-checks');
    const taskSvc = at(task(canonical, 'web', 'web'), 'Services', 0);
    // the service's check_restart is merged into its checks, Grace defaulting to 1s (ignore_warnings
    // is set because Nomad refuses on_update = "ignore_warnings" with a check_restart that lacks it)
    expect(at(taskSvc, 'Checks', 0, 'CheckRestart')).toEqual({
      Limit: 2,
      Grace: SECOND,
      IgnoreWarnings: true,
    });
    expect(at(taskSvc, 'Checks', 0, 'OnUpdate')).toBe('ignore_warnings');
    expect(at(taskSvc, 'Checks', 0, 'Args')).toEqual(['--ready']);
    expect(at(group(canonical, 'web'), 'Services', 0, 'Checks', 1, 'OnUpdate')).toBe('require_healthy');
  });

  it('connect-sidecar: sidecar_service, upstreams and free-form proxy config', async () => {
    const job = await parse('connect-sidecar');
    const connect = at(group(job, 'api'), 'Services', 0, 'Connect');
    expect(at(connect, 'SidecarService', 'Tags')).toEqual(['sidecar']);
    expect(at(connect, 'SidecarService', 'Proxy', 'LocalServicePort')).toBe(9001);
    expect(at(connect, 'SidecarService', 'Proxy', 'Upstreams', 0)).toMatchObject({
      DestinationName: 'count-db',
      LocalBindPort: 5432,
      Datacenter: 'dc2',
      MeshGateway: { Mode: 'local' },
    });
    expect(at(connect, 'SidecarService', 'Proxy', 'Config')).toEqual({
      protocol: 'http',
      envoy_prometheus_bind_addr: '0.0.0.0:9102',
    });
    expect(at(connect, 'SidecarTask', 'Resources')).toMatchObject({ CPU: 64, MemoryMB: 64 });
    expect(at(group(job, 'api'), 'Services', 0, 'Checks', 0, 'Expose')).toBe(true);
  });
});

describe('placement', () => {
  it('constraints: operator shorthands, distinct_hosts and distinct_property', async () => {
    const job = await parse('constraints');
    expect(at(job, 'Constraints')).toEqual([
      { LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' },
      { LTarget: '', RTarget: 'true', Operand: 'distinct_hosts' },
    ]);
    expect(at(group(job, 'db'), 'Constraints')).toEqual([
      { LTarget: '${meta.rack}', RTarget: '1', Operand: 'distinct_property' },
      { LTarget: '${attr.os.version}', RTarget: '>= 22.04', Operand: 'version' },
      { LTarget: '${attr.nomad.version}', RTarget: '>= 1.7.0', Operand: 'semver' },
      { LTarget: '${node.class}', RTarget: '^db-[a-z]+$', Operand: 'regexp' },
      { LTarget: '${meta.features}', RTarget: 'ssd,nvme', Operand: 'set_contains' },
      { LTarget: '${attr.cpu.numcores}', RTarget: '8', Operand: '>=' },
    ]);
    expect(at(task(job, 'db', 'postgres'), 'Constraints')).toEqual([
      { LTarget: '${attr.driver.docker.version}', RTarget: '', Operand: 'is_set' },
    ]);
  });

  it('affinity-spread: weights, set_contains_any, spread targets; Canonicalize weight 50', async () => {
    const job = await parse('affinity-spread');
    expect(at(job, 'Affinities')).toEqual([
      { LTarget: '${node.datacenter}', RTarget: 'us-east-1', Operand: '=', Weight: 75 },
    ]);
    expect(at(job, 'Spreads')).toEqual([
      {
        Attribute: '${node.datacenter}',
        Weight: 100,
        SpreadTarget: [
          { Value: 'us-east-1', Percent: 60 },
          { Value: 'us-west-2', Percent: 40 },
        ],
      },
    ]);
    expect(at(group(job, 'ui'), 'Affinities')).toEqual([
      { LTarget: '${meta.tags}', RTarget: 'fast,gpu', Operand: 'set_contains_any', Weight: -50 },
      { LTarget: '${attr.unique.hostname}', RTarget: '^web-', Operand: 'regexp', Weight: null },
    ]);
    const canonical = await parseCanonical('affinity-spread');
    expect(at(group(canonical, 'ui'), 'Affinities', 1, 'Weight')).toBe(50);
    expect(at(group(canonical, 'ui'), 'Spreads', 0, 'Weight')).toBe(50);
  });

  it('multiregion: regions by label; Canonicalize gives each region count 1', async () => {
    const job = await parse('multiregion');
    expect(at(job, 'Multiregion', 'Strategy')).toEqual({ MaxParallel: 1, OnFailure: 'fail_all' });
    expect(at(job, 'Multiregion', 'Regions', 0)).toEqual({
      Name: 'west',
      Count: 2,
      Datacenters: ['west-1'],
      NodePool: 'west-pool',
      Meta: { 'my-key': 'my-value-west' },
    });
    const canonical = await parseCanonical('multiregion');
    expect(named(at(canonical, 'Multiregion', 'Regions'), 'south')).toMatchObject({ Count: 1 });
  });
});

describe('tasks', () => {
  it('templates: heredoc data, parse-time defaults (change_mode, perms, splay, error_on_missing_key)', async () => {
    const job = await parse('templates');
    const [first, second, third] = at(task(job, 'app', 'app'), 'Templates') as unknown[];
    expect(at(first, 'EmbeddedTmpl')).toBe(
      '{{ with nomadVar "nomad/jobs/templated" }}\nDB_PASSWORD={{ .password }}\n{{ end }}\nLISTEN=0.0.0.0:{{ env "NOMAD_PORT_http" }}\n',
    );
    expect(first).toMatchObject({
      DestPath: 'secrets/app.env',
      Envvars: true,
      ChangeMode: 'restart',
      Perms: '0644',
      Splay: 5 * SECOND,
      ErrMissingKey: false,
    });
    expect(second).toMatchObject({
      SourcePath: 'local/nginx.conf.tpl',
      ChangeMode: 'signal',
      ChangeSignal: 'SIGHUP',
      Splay: 10 * SECOND,
      Perms: '0600',
      Uid: 1000,
      Gid: 1000,
      LeftDelim: '[[',
      RightDelim: ']]',
      Wait: { Min: 2 * SECOND, Max: 20 * SECOND },
    });
    expect(third).toMatchObject({
      ChangeMode: 'script',
      ErrMissingKey: true,
      Once: true,
      ChangeScript: {
        Command: '/bin/reload',
        Args: ['-q'],
        Timeout: 10 * SECOND,
        FailOnError: true,
        RunOnFirstRender: false,
      },
    });
    const canonical = await parseCanonical('templates');
    expect(at(task(canonical, 'app', 'app'), 'Templates', 0)).toMatchObject({
      LeftDelim: '{{',
      RightDelim: '}}',
    });
  });

  it('artifacts: options, headers, mode; Canonicalize fills getter mode and destination', async () => {
    const job = await parse('artifacts');
    const [a, b, c] = at(task(job, 'fetch', 'fetch'), 'Artifacts') as unknown[];
    expect(a).toMatchObject({
      GetterSource: 'https://example.com/tool-v1.2.3.tar.gz',
      RelativeDest: 'local/tool',
      GetterOptions: { checksum: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae' },
    });
    expect(b).toMatchObject({
      GetterMode: 'file',
      GetterInsecure: false,
      Chown: true,
      GetterHeaders: { 'User-Agent': 'nomad-operator', Authorization: 'Bearer ${NOMAD_META_token}' },
    });
    expect(c).toMatchObject({ GetterMode: null, RelativeDest: null });
    const canonical = await parseCanonical('artifacts');
    expect(at(task(canonical, 'fetch', 'fetch'), 'Artifacts', 2)).toMatchObject({
      GetterMode: 'any',
      RelativeDest: 'local/',
    });
  });

  it('lifecycle: prestart, prestart sidecar, poststart, poststop', async () => {
    const job = await parse('lifecycle');
    expect(at(task(job, 'app', 'init-db'), 'Lifecycle')).toEqual({ Hook: 'prestart', Sidecar: false });
    expect(at(task(job, 'app', 'log-shipper'), 'Lifecycle')).toEqual({ Hook: 'prestart', Sidecar: true });
    expect(at(task(job, 'app', 'notify'), 'Lifecycle')).toEqual({ Hook: 'poststop', Sidecar: false });
    expect(at(task(job, 'app', 'warmup'), 'Lifecycle')).toEqual({ Hook: 'poststart', Sidecar: false });
    expect(at(task(job, 'app', 'app'), 'Lifecycle')).toBeNull();
    expect(at(task(job, 'app', 'app'), 'Leader')).toBe(true);
  });

  it('volumes-host-csi: volumes keyed by label, mount options, volume_mount; Canonicalize propagation', async () => {
    const job = await parse('volumes-host-csi');
    const volumes = at(group(job, 'db'), 'Volumes');
    expect(at(volumes, 'data')).toEqual({
      Name: 'data',
      Type: 'csi',
      Source: 'postgres-data',
      ReadOnly: false,
      Sticky: false,
      AccessMode: 'single-node-writer',
      AttachmentMode: 'file-system',
      MountOptions: { FSType: 'ext4', MountFlags: ['noatime', 'nodiratime'] },
      PerAlloc: true,
    });
    expect(at(volumes, 'certs')).toMatchObject({
      Name: 'certs',
      Type: 'host',
      Source: 'tls-certs',
      ReadOnly: true,
    });
    expect(at(volumes, 'scratch')).toMatchObject({ Sticky: true });
    expect(at(task(job, 'db', 'postgres'), 'VolumeMounts', 1)).toEqual({
      Volume: 'certs',
      Destination: '/etc/ssl/private',
      ReadOnly: true,
      PropagationMode: 'host-to-task',
      SELinuxLabel: 'z',
    });
    const canonical = await parseCanonical('volumes-host-csi');
    expect(at(task(canonical, 'db', 'postgres'), 'VolumeMounts', 0)).toEqual({
      Volume: 'data',
      Destination: '/var/lib/postgresql/data',
      ReadOnly: false,
      PropagationMode: 'private',
      SELinuxLabel: '',
    });
  });

  it('ephemeral-disk-logs: size → SizeMB, max_file_size → MaxFileSizeMB', async () => {
    const job = await parse('ephemeral-disk-logs');
    expect(at(group(job, 'warm'), 'EphemeralDisk')).toEqual({ Sticky: true, Migrate: true, SizeMB: 2048 });
    expect(at(task(job, 'warm', 'warm'), 'LogConfig')).toEqual({
      MaxFiles: 3,
      MaxFileSizeMB: 25,
      Enabled: null,
      Disabled: false,
    });
    expect(at(task(job, 'warm', 'quiet'), 'LogConfig', 'Disabled')).toBe(true);
  });

  it('resources-devices: cores, memory_max, secrets, devices; Canonicalize CPU 0 with cores', async () => {
    const job = await parse('resources-devices');
    const res = at(task(job, 'gpu', 'train'), 'Resources');
    expect(res).toMatchObject({ Cores: 4, MemoryMB: 8192, MemoryMaxMB: 16384, SecretsMB: 64, CPU: null });
    expect(at(res, 'Devices', 0)).toEqual({
      Name: 'nvidia/gpu',
      Count: 2,
      Constraints: [{ LTarget: '${device.attr.memory}', RTarget: '16 GiB', Operand: '>=' }],
      Affinities: [{ LTarget: '${device.model}', RTarget: 'Tesla V100-SXM2-16GB', Operand: '=', Weight: 50 }],
    });
    expect(at(res, 'NUMA')).toEqual({ Affinity: 'require', Devices: ['nvidia/gpu'] });
    const canonical = await parseCanonical('resources-devices');
    const cres = at(task(canonical, 'gpu', 'train'), 'Resources');
    expect(at(cres, 'CPU')).toBe(0);
    expect(at(cres, 'Devices', 1)).toMatchObject({ Name: 'intel/fpga', Count: 1 });
    expect(at(task(canonical, 'gpu', 'eval'), 'Resources')).toMatchObject({ CPU: 2000, MemoryMB: 1024 });
  });

  it('vault-consul: job vault copied into tasks without one, with parse-time vault defaults', async () => {
    const job = await parse('vault-consul');
    expect(at(task(job, 'app', 'uses-job-vault'), 'Vault')).toEqual({
      Policies: ['job-default'],
      Role: '',
      Namespace: null,
      Cluster: '',
      Env: true,
      DisableFile: false,
      ChangeMode: 'restart',
      ChangeSignal: null,
      AllowTokenExpiration: null,
    });
    expect(at(task(job, 'app', 'own-vault'), 'Vault')).toMatchObject({
      Role: 'app-role',
      Namespace: 'engineering',
      Cluster: 'secondary',
      ChangeMode: 'signal',
      ChangeSignal: 'SIGUSR1',
      Env: false,
      DisableFile: true,
    });
    expect(at(group(job, 'app'), 'Consul')).toEqual({
      Namespace: 'team-a',
      Cluster: 'default',
      Partition: '',
    });
    expect(at(task(job, 'app', 'own-vault'), 'Consul')).toEqual({
      Namespace: '',
      Cluster: '',
      Partition: 'analytics',
    });
  });

  it('identity: the unnamed or "default" identity moves to Task.Identity', async () => {
    const job = await parse('identity');
    const only = task(job, 'g', 'default-only');
    expect(only.Identity).toMatchObject({ Name: '', Env: true, File: true });
    expect(only.Identities).toEqual([]);
    const several = task(job, 'g', 'several');
    expect(several.Identity).toMatchObject({ Name: 'default', Env: true });
    expect((several.Identities as unknown[]).map((i) => at(i, 'Name'))).toEqual([
      'vault_default',
      'consul_default',
    ]);
    expect(at(several, 'Identities', 0)).toMatchObject({
      Audience: ['vault.io'],
      TTL: HOUR,
      ChangeSignal: 'SIGHUP',
    });
    expect(at(several, 'Identities', 1, 'ExtraClaims')).toEqual(['unique.node.name']);
  });

  it('meta-env: meta and env as blocks or map attributes, values converted to strings', async () => {
    const job = await parse('meta-env');
    expect(at(job, 'Meta')).toEqual({ 'team.name': 'platform', 'cost-center': '1234', owner: 'alice' });
    expect(at(group(job, 'g'), 'Meta')).toEqual({ tier: 'backend', canary: 'true' });
    expect(at(task(job, 'g', 'block-forms'), 'Env')).toEqual({
      LOG_LEVEL: 'debug',
      PORT: '${NOMAD_PORT_http}',
      WORKERS: '4',
    });
    expect(at(task(job, 'g', 'attribute-forms'), 'Env')).toEqual({
      JAVA_OPTS: '-Xmx512m',
      'app.mode': 'strict',
      NODE_NAME: '${node.unique.name}',
    });
    expect(at(task(job, 'g', 'attribute-forms'), 'Meta')).toEqual({ 'build.sha': 'abc123' });
  });

  it('scaling: group policy type horizontal, task cpu/mem policies vertical; count from min', async () => {
    const job = await parse('scaling');
    expect(at(group(job, 'web'), 'Scaling')).toMatchObject({
      Enabled: true,
      Min: 2,
      Max: 20,
      Type: 'horizontal',
    });
    expect(at(group(job, 'web'), 'Scaling', 'Policy')).toEqual({
      cooldown: '1m',
      evaluation_interval: '30s',
      check: [
        {
          avg_cpu: [
            {
              source: 'prometheus',
              query: 'avg(nomad_client_allocs_cpu_total_percent)',
              strategy: [{ 'target-value': [{ target: 70 }] }],
            },
          ],
        },
      ],
    });
    const policies = at(task(job, 'web', 'web'), 'ScalingPolicies') as unknown[];
    expect(policies.map((p) => at(p, 'Type'))).toEqual(['vertical_cpu', 'vertical_mem']);
    expect(policies[0]).toMatchObject({ Enabled: true, Max: 2000, Policy: { cooldown: '5m' } });
    const canonical = await parseCanonical('scaling');
    expect(at(group(canonical, 'web'), 'Count')).toBe(3);
    expect(at(group(canonical, 'no-count'), 'Count')).toBe(4);
    expect(at(group(canonical, 'no-count'), 'Scaling')).toMatchObject({ Min: 4, Max: 8, Enabled: true });
  });

  it('group-vault-secrets: group vault/secret defaults for tasks, job secrets appended', async () => {
    const job = await parse('group-vault-secrets');
    const inherits = task(job, 'g', 'inherits');
    expect(at(inherits, 'Vault')).toMatchObject({
      Policies: ['group-policy'],
      ChangeMode: 'noop',
      Env: true,
    });
    expect((inherits.Secrets as unknown[]).map((s) => at(s, 'Name'))).toEqual(['db', 'job-token']);
    expect(at(inherits, 'Secrets', 0)).toEqual({
      Name: 'db',
      Provider: 'vault',
      Path: 'kv/data/db',
      Config: { engine: 'kv_v2' },
      Env: { DB_USER: 'username' },
    });
    expect(at(task(job, 'g', 'overrides'), 'Vault', 'Policies')).toEqual(['task-policy']);
  });

  it('actions-schedule and csi-plugin', async () => {
    const job = await parse('actions-schedule');
    expect(at(task(job, 'g', 'db'), 'Actions')).toEqual([
      { Name: 'vacuum', Command: 'psql', Args: ['-c', 'VACUUM ANALYZE'] },
      { Name: 'whoami', Command: 'id', Args: null },
    ]);
    expect(at(task(job, 'g', 'db'), 'Schedule')).toEqual({
      Cron: { Start: '0 9 * * 1-5', End: '0 17', Timezone: 'America/New_York' },
    });
    const csi = await parse('csi-plugin');
    expect(at(task(csi, 'nodes', 'plugin'), 'CSIPluginConfig')).toEqual({
      ID: 'aws-ebs0',
      Type: 'node',
      MountDir: '/csi',
      StagePublishBaseDir: '',
      HealthTimeout: 30 * SECOND,
    });
  });

  it('ui-block: description and links', async () => {
    const job = await parse('ui-block');
    expect(at(job, 'UI')).toEqual({
      Description: 'A job with **markdown** description',
      Links: [
        { Label: 'Runbook', URL: 'https://runbooks.example.com/documented' },
        { Label: 'Dashboard', URL: 'https://grafana.example.com/d/documented' },
      ],
    });
  });
});

describe('free-form driver config', () => {
  it('docker-nested-config: nested blocks → lists of objects, object attributes list-wrapped, null dropped', async () => {
    const job = await parse('docker-nested-config');
    expect(at(task(job, 'g', 't'), 'Config')).toEqual({
      image: 'example/app:1',
      force_pull: false,
      cpu_hard_limit: true,
      memory_hard_limit: 512,
      shm_size: 1.5,
      labels: [{ team: 'platform', version: 3 }],
      logging: [{ type: 'fluentd', config: [{ 'fluentd-address': 'localhost:24224', tag: 'app' }] }],
      mount: [
        { type: 'bind', source: '/etc/ssl', target: '/etc/ssl', readonly: true },
        { type: 'tmpfs', target: '/scratch', tmpfs_options: [{ size: 100000 }] },
      ],
      ulimit: [{ nofile: '65536:65536' }],
      port_map: [{ http: 8080 }],
      sysctl: [{ 'net.core.somaxconn': '16384' }],
      devices: [{ host_path: '/dev/fuse', container_path: '/dev/fuse' }],
    });
  });

  it('json-syntax: HCL JSON input; its objects are values, not blocks', async () => {
    const job = await parse('json-syntax');
    expect(at(job, 'ID')).toBe('json-job');
    expect(at(job, 'Type')).toBe('batch');
    const t = task(job, 'g', 't');
    expect(t.Config).toEqual({
      image: 'busybox:1.36',
      args: ['echo', '${NOMAD_ALLOC_ID}'],
      labels: { a: 'b' },
    });
    expect(t.KillTimeout).toBe(20 * SECOND);
  });
});

describe('variables, locals and functions', () => {
  it('variables-defaults: typed defaults and a variables block feed the job', async () => {
    const job = await parse('variables-defaults');
    expect(at(job, 'Datacenters')).toEqual(['dc1', 'dc2']);
    expect(at(job, 'Region')).toBe('global');
    expect(at(job, 'Meta')).toEqual({ team: 'web', env: 'prod' });
    expect(at(group(job, 'web'), 'Count')).toBe(2);
    expect(at(task(job, 'web', 'nginx'), 'Config')).toEqual({ image: 'nginx:1.27', enabled: true });
    expect(at(task(job, 'web', 'nginx'), 'Resources', 'MemoryMB')).toBe(256);
  });

  it('variables-override: the Variables text overrides defaults and sets required variables', async () => {
    const job = await parse('variables-override');
    expect(at(job, 'Datacenters')).toEqual(['eu-1', 'eu-2', 'eu-3']);
    expect(at(group(job, 'app'), 'Count')).toBe(5);
    expect(at(group(job, 'app'), 'Networks', 0, 'ReservedPorts', 0, 'Value')).toBe(9443);
    expect(at(task(job, 'app', 'app'), 'Config', 'image')).toBe('example/app:v2.3.4');
    expect(at(task(job, 'app', 'app'), 'Env')).toEqual({ SECRET_PATH: 'kv/data/app' });
  });

  it('variables-override without Variables: the variable without default is unset', async () => {
    const { hcl } = corpusInput('variables-override');
    const error = await parseError({ hcl });
    expect(error).toContain('Unset variable "required_secret_path"');
    const partial = await parseOk({ hcl, variables: 'required_secret_path = "x"\n' });
    expect(at(partial, 'Datacenters')).toEqual(['dc1']);
    expect(at(task(partial, 'app', 'app'), 'Config', 'image')).toBe('example/app:latest');
    expect(at(group(partial, 'app'), 'Networks', 0, 'ReservedPorts', 0, 'Value')).toBe(8080);
  });

  it('locals-chain: locals may use locals defined later and variables', async () => {
    const job = await parse('locals-chain');
    expect(at(job, 'ID')).toBe('locals');
    expect(at(job, 'Name')).toBe('svc-STAGING');
    expect(at(group(job, 'g'), 'Count')).toBe(1);
    expect(at(group(job, 'g'), 'Services', 0)).toMatchObject({
      Name: 'svc-STAGING',
      Tags: ['managed', 'nomad', 'env:staging'],
    });
    expect(at(group(job, 'g'), 'Networks', 0, 'DynamicPorts', 0, 'To')).toBe(8080);
    const production = await parseOk({ ...corpusInput('locals-chain'), variables: 'env = "production"' });
    expect(at(group(production, 'g'), 'Count')).toBe(5);
    expect(at(production, 'Name')).toBe('svc-PRODUCTION');
  });

  it('functions-strings', async () => {
    const meta = at(await parse('functions-strings'), 'Meta');
    expect(meta).toEqual({
      formatted: 'worker-007',
      joined: 'a,b,c',
      upper: 'SHOUT',
      lower: 'quiet',
      trimmed: 'Payments API',
      title: 'Hello Nomad World',
      replaced: 'a_b_c',
      regex: '1.2.3',
      substr: 'bcd',
      split: 'x|y|z',
      strlen: '5',
      strrev: 'damon',
      chomp: 'line',
      indented: 'a\n  b',
      prefix: 'job',
      suffix: 'job',
      trim: 'x',
      formatlist: 'a=1;b=2',
      interp: 'Ab-3',
    });
  });

  it('functions-collections', async () => {
    const job = await parse('functions-collections');
    expect(at(job, 'Datacenters')).toEqual(['dc1', 'dc2', 'dc3', 'dc4']);
    expect(at(job, 'Meta')).toMatchObject({
      merged_memory: '256',
      lookup_hit: '100',
      lookup_miss: 'none',
      keys: 'disk,memory',
      values: '500,256',
      length: '4',
      flatten: 'a,b,c',
      element: 'dc2',
      contains: 'true',
      index: 'dc2',
      range: '[0,3,6,9]',
      sort: 'a,b,c',
      slice: 'dc2,dc1',
      zipmap: '{"a":1,"b":2}',
      compact: 'x,y',
      chunk: '[[1,2],[3,4],[5]]',
      max: '9',
      min: '3',
      abs: '7',
      pow: '1024',
      parseint: '255',
      for_expr: 'DC2,DC3',
      splat: 'p,q',
      conditional: 'many',
    });
    expect(at(job, 'TaskGroups', 0, 'Tasks', 0, 'Config', 'args')).toEqual([
      '--shard=0',
      '--shard=1',
      '--shard=2',
    ]);
  });

  it('functions-encoding: hashes and encodings agree with Node', async () => {
    const meta = at(await parse('functions-encoding'), 'Meta') as Record<string, unknown>;
    const hex = (algo: string) => createHash(algo).update('nomad').digest('hex');
    expect(meta.sha256).toBe(hex('sha256'));
    expect(meta.sha512).toBe(hex('sha512').slice(0, 16));
    expect(meta.md5).toBe(hex('md5'));
    expect(meta.sha1).toBe(hex('sha1'));
    expect(meta.b64).toBe(Buffer.from('hello nomad').toString('base64'));
    expect(meta.b64_back).toBe('nomad');
    expect(meta.json).toBe('{"hosts":["a.example","b.example"],"retries":3}');
    expect(meta.json_back).toBe('v');
    expect(meta.yaml_back).toBe('1');
    expect(meta.url).toBe('a+b%26c%3Dd');
    expect(meta.csv).toBe('[{"a":"1","b":"2"}]');
    expect(meta.timeadd).toBe('2024-01-02T12:00:00Z');
    expect(meta.formatdate).toBe('2024-02-29 13:45');
    expect(meta.cidrhost).toBe('10.0.0.5');
    expect(meta.cidrsub).toBe('10.0.2.0/24');
    expect(meta.netmask).toBe('255.240.0.0');
    expect(meta.subnets).toBe('["10.1.0.0/20","10.1.16.0/20","10.1.32.0/24"]');
    expect(meta.try).toBe('default');
    expect(meta.can).toBe('true');
    expect(meta.convert).toBe('["1","2"]');
    // RFC 4122 name-based UUID (SHA-1) in the DNS namespace
    const ns = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
    const digest = createHash('sha1')
      .update(Buffer.concat([ns, Buffer.from('nomadproject.io')]))
      .digest();
    digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x50;
    digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80;
    const h = digest.subarray(0, 16).toString('hex');
    expect(meta.uuidv5).toBe(
      `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    );
    expect(
      at(await parse('functions-encoding'), 'TaskGroups', 0, 'Tasks', 0, 'Templates', 0, 'EmbeddedTmpl'),
    ).toBe('{"upstreams":["a.example","b.example"]}');
  });

  it('dynamic-blocks: dynamic groups, ports and templates are expanded', async () => {
    const job = await parse('dynamic-blocks');
    // a map's for_each runs in key order
    expect((at(job, 'TaskGroups') as unknown[]).map((g) => at(g, 'Name'))).toEqual(['admin', 'api']);
    expect(at(group(job, 'api'), 'Count')).toBe(2);
    expect(at(group(job, 'admin'), 'Count')).toBe(1);
    expect(
      (at(group(job, 'api'), 'Networks', 0, 'DynamicPorts') as unknown[]).map((p) => [
        at(p, 'Label'),
        at(p, 'To'),
      ]),
    ).toEqual([
      ['http', 8080],
      ['metrics', 8081],
      ['debug', 8082],
    ]);
    const templates = at(task(job, 'admin', 'server'), 'Templates') as unknown[];
    expect(templates.map((t) => at(t, 'EmbeddedTmpl'))).toEqual([
      'file a.conf for admin',
      'file b.conf for admin',
    ]);
    expect(templates.map((t) => at(t, 'DestPath'))).toEqual(['local/a.conf', 'local/b.conf']);
    expect(at(task(job, 'api', 'server'), 'Config', 'image')).toBe('example/api:1');
    expect(at(job, 'Constraints')).toEqual([
      { LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' },
    ]);
  });

  it('heredocs: plain heredocs keep indentation, <<- strips it, escapes become literals', async () => {
    const job = await parse('heredocs');
    const t = task(job, 'g', 't');
    expect(at(t, 'Config', 'args')).toEqual([
      '-c',
      'set -eu\necho "starting on ${attr.unique.hostname}"\nexec /bin/app --port "$NOMAD_PORT_http"\n',
    ]);
    expect(at(t, 'Templates', 0, 'EmbeddedTmpl')).toBe(
      'Welcome to ${node.unique.name}\n  indentation kept\nLiteral interpolation: ${not_evaluated}\nDirective escape: %{ if true }\n',
    );
    expect(at(t, 'Templates', 1, 'EmbeddedTmpl')).toContain('item a\n');
    expect(at(t, 'Templates', 1, 'EmbeddedTmpl')).toContain('item b\n');
  });

  it('runtime-references: attr./node./meta./NOMAD_ references are kept as literal ${…} strings', async () => {
    const job = await parse('runtime-references');
    // an unquoted reference becomes "${…}" too
    expect(at(job, 'Region')).toBe('${meta.home_region}');
    expect(at(group(job, 'g'), 'Constraints')).toEqual([
      { LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' },
      { LTarget: '${node.class}', RTarget: 'compute', Operand: '=' },
    ]);
    const t = task(job, 'g', 't');
    expect(at(t, 'Config', 'hostname')).toBe('${node.unique.name}.${node.datacenter}');
    expect(at(t, 'Config', 'args')).toEqual([
      '--bind=${NOMAD_IP_http}:${NOMAD_PORT_http}',
      '--alloc=${NOMAD_ALLOC_ID}',
      '--rack=${ meta.rack }',
      '--gpu=${device.attr.model}',
      '--index=${NOMAD_ALLOC_INDEX}',
    ]);
    expect(at(t, 'Env')).toEqual({
      UPSTREAM: '${NOMAD_UPSTREAM_ADDR_db}',
      HOST_IP: '${attr.unique.network.ip-address}',
      MIXED: 'prefix-${NOMAD_TASK_NAME}-suffix',
      ESCAPED: '${NOMAD_JOB_NAME}',
      PLAIN: '$HOME',
    });
  });
});
