// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isDns1035Label, isDns1123Label } from '../../../src/nomad/ids.ts';
import type { Job, Task } from '../../../src/nomad/schema.ts';
import {
  ANNOTATION_SERVICE_META,
  ANNOTATION_SERVICE_NAME,
  ANNOTATION_SERVICE_TAGS,
  DYNAMIC_PORT_MAX,
  DYNAMIC_PORT_MIN,
  groupServices,
  isIanaSvcName,
  planPorts,
  taskNetworking,
} from '../../../src/translate/networking.ts';
import { corpusJob, groupContext, job, type TestContext, warningsAt } from './group-context.ts';

function task(ctx: TestContext, index = 0): Task {
  const t = ctx.group.Tasks?.[index];
  if (!t) throw new Error(`no task ${index}`);
  return t;
}

const S = 1_000_000_000;

/** A one-group service job. */
function groupJob(group: Record<string, unknown>, extraGroups: Record<string, unknown>[] = []): Job {
  return job({
    ID: 'web',
    Type: 'service',
    TaskGroups: [
      {
        Name: 'app',
        Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'x' } }],
        ...group,
      },
      ...extraGroups,
    ],
  } as Job);
}

describe('the redis sample (service-redis-cache)', () => {
  const ctx = groupContext(corpusJob('service-redis-cache'));

  it('declares the dynamic port on the task that lists it, at its `to`', () => {
    expect(taskNetworking(ctx, task(ctx), 0)).toEqual({
      ports: [{ name: 'db', containerPort: 6379, protocol: 'TCP' }],
    });
  });

  it('makes one ClusterIP Service selecting the group’s pods, with the named port', () => {
    const services = groupServices(ctx);
    expect(services).toHaveLength(1);
    const service = services[0];
    expect(service?.apiVersion).toBe('v1');
    expect(service?.kind).toBe('Service');
    expect(service?.metadata?.name).toBe('example--redis-cache');
    expect(isDns1035Label(service?.metadata?.name ?? '')).toBe(true);
    expect(service?.metadata?.namespace).toBe('apps');
    expect(service?.metadata?.labels).toEqual(ctx.labels);
    expect(service?.metadata?.annotations).toEqual({
      [ANNOTATION_SERVICE_NAME]: 'redis-cache',
      [ANNOTATION_SERVICE_TAGS]: '["global","cache"]',
    });
    expect(service?.spec).toEqual({
      type: 'ClusterIP',
      selector: ctx.selector,
      ports: [{ name: 'db', port: 6379, targetPort: 'db', protocol: 'TCP' }],
    });
    // provider "nomad": a Service is the equivalent, nothing to report.
    expect(ctx.warnings).toEqual([]);
  });
});

describe('ports (network-ports, network-static-only)', () => {
  it('static → hostPort + containerPort (`to`), dynamic → `to` or a planned port in 20000–32000', () => {
    const ctx = groupContext(corpusJob('network-ports'));
    const { ports } = taskNetworking(ctx, task(ctx), 0);
    const metrics = ports.find((p) => p.name === 'metrics');
    expect(ports).toEqual([
      { name: 'http', containerPort: 8080, hostPort: 80, protocol: 'TCP' },
      { name: 'https', containerPort: 8443, hostPort: 443, protocol: 'TCP' },
      { name: 'admin', containerPort: 9000, protocol: 'TCP' },
      { name: 'metrics', containerPort: metrics?.containerPort, protocol: 'TCP' },
    ]);
    expect(metrics?.containerPort).toBeGreaterThanOrEqual(DYNAMIC_PORT_MIN);
    expect(metrics?.containerPort).toBeLessThanOrEqual(DYNAMIC_PORT_MAX);
    // Deterministic: the same label always gets the same port.
    expect(taskNetworking(groupContext(corpusJob('network-ports')), task(ctx), 0).ports).toEqual(ports);
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].ReservedPorts[1].HostNetwork')).toEqual([
      'host network "public" is not applicable: the host port is bound on all node addresses',
    ]);
  });

  it('a static port without `to` listens on the static port; task networks belong to their task', () => {
    const ctx = groupContext(corpusJob('network-static-only'));
    expect(taskNetworking(ctx, task(ctx), 0).ports).toEqual([
      { name: 'dns', containerPort: 53, hostPort: 53, protocol: 'TCP' },
      { name: 'legacy', containerPort: 5353, hostPort: 5353, protocol: 'TCP' },
    ]);
    expect(planPorts(ctx).byLabel.get('legacy')).toMatchObject({ scope: 'task', taskIndex: 0 });
  });

  it('gives each port to one container: config `ports`, else a service on it, else the first main task', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [
          {
            DynamicPorts: [
              { Label: 'web', To: 8080 },
              { Label: 'admin', To: 9000 },
              { Label: 'free', To: 7000 },
              { Label: 'legacy' },
            ],
          },
        ],
        Tasks: [
          { Name: 'init', Driver: 'docker', Config: { image: 'i' }, Lifecycle: { Hook: 'prestart' } },
          {
            Name: 'api',
            Driver: 'docker',
            Config: { image: 'a' },
            Services: [{ Name: 'admin', PortLabel: 'admin' }],
          },
          {
            Name: 'proxy',
            Driver: 'docker',
            Config: { image: 'p', ports: ['web'], port_map: [{ legacy: 5000 }] },
          },
        ],
      }),
    );
    expect(taskNetworking(ctx, task(ctx, 0), 0).ports).toEqual([]);
    expect(taskNetworking(ctx, task(ctx, 1), 1).ports.map((p) => p.name)).toEqual(['admin', 'free']);
    expect(taskNetworking(ctx, task(ctx, 2), 2).ports).toEqual([
      { name: 'web', containerPort: 8080, protocol: 'TCP' },
      { name: 'legacy', containerPort: 5000, protocol: 'TCP' },
    ]);
  });

  it('renames labels that are not IANA service names, deterministically and with a warning', () => {
    const labels = ['HTTP_Admin', 'a_very_long_port_label', '8080', 'http', 'HTTP', 'x--y'];
    const ctx = groupContext(
      groupJob({ Networks: [{ DynamicPorts: labels.map((Label, i) => ({ Label, To: 1000 + i })) }] }),
    );
    const names = taskNetworking(ctx, task(ctx), 0).ports.map((p) => p.name ?? '');
    expect(names[0]).toBe('http-admin');
    expect(names[3]).toBe('http');
    expect(names[5]).toBe('x-y');
    expect(new Set(names).size).toBe(labels.length);
    for (const name of names) expect(isIanaSvcName(name), name).toBe(true);
    expect(names[1]).toMatch(/^a-very-lo-[a-z2-7]{5}$/);
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].DynamicPorts[0].Label')).toEqual([
      'port label "HTTP_Admin" is not a valid Kubernetes port name (IANA_SVC_NAME: at most 15 of a-z, 0-9 and "-", with a letter); it is named "http-admin"',
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].DynamicPorts[3].Label')).toEqual([]);
    expect(ctx.warnings).toHaveLength(5);
  });

  it('dynamic ports without `to` never collide with each other or with explicit ports', () => {
    const labels = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const ctx = groupContext(groupJob({ Networks: [{ DynamicPorts: labels.map((Label) => ({ Label })) }] }));
    const ports = taskNetworking(ctx, task(ctx), 0).ports.map((p) => p.containerPort);
    expect(new Set(ports).size).toBe(40);
  });

  it('reports duplicate labels and network modes that do not apply', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [
          {
            Mode: 'cni/mynet',
            DynamicPorts: [{ Label: 'a', To: 1 }],
            ReservedPorts: [{ Label: 'a', Value: 2 }],
          },
        ],
      }),
    );
    expect(taskNetworking(ctx, task(ctx), 0).ports).toEqual([
      { name: 'a', containerPort: 2, hostPort: 2, protocol: 'TCP' },
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].Mode')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].DynamicPorts[0].Label')).toEqual([
      'port label "a" is declared twice; this one is ignored',
    ]);
  });
});

describe('checks → probes (service-checks)', () => {
  const ctx = groupContext(corpusJob('service-checks'));
  const net = taskNetworking(ctx, task(ctx), 0);

  it('the first check is the readiness probe: http with path, port, headers, interval, timeout', () => {
    expect(net.readinessProbe).toEqual({
      httpGet: {
        path: '/health',
        port: 8080,
        httpHeaders: [
          { name: 'Authorization', value: 'Basic ZGVtbzpkZW1v' },
          { name: 'X-Trace', value: '1' },
          { name: 'X-Trace', value: '2' },
        ],
      },
      periodSeconds: 10,
      timeoutSeconds: 2,
      successThreshold: 1,
      failureThreshold: 1,
    });
  });

  it('check_restart → liveness: failureThreshold = limit, initialDelaySeconds = grace', () => {
    expect(net.livenessProbe).toEqual({
      httpGet: net.readinessProbe?.httpGet,
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
      initialDelaySeconds: 90,
    });
  });

  it('reports the checks a container cannot hold, and what probes cannot do', () => {
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[1]')).toEqual([
      'a container has one readiness probe: check "service: \\"web\\" check" is not translated (check "alive" is)',
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[2].GRPCUseTLS')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0].Services[0].Checks[0].CheckRestart')).toHaveLength(1);
  });

  it('one Service per service name, both on the http port; Consul registration is reported', () => {
    const c = groupContext(corpusJob('service-checks'));
    const services = groupServices(c);
    expect(services.map((s) => s.metadata?.name)).toEqual(['web--web', 'web--web-admin']);
    expect(services[0]?.metadata?.annotations).toEqual({
      [ANNOTATION_SERVICE_NAME]: 'web',
      [ANNOTATION_SERVICE_TAGS]: '["urlprefix-/","v2"]',
      [ANNOTATION_SERVICE_META]: '{"version":"2.4.1"}',
    });
    for (const s of services) {
      expect(s.spec?.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    }
    expect(warningsAt(c, 'TaskGroups[0].Services[0].Provider')).toEqual([
      'not registered in Consul: the service is the Kubernetes Service web--web (DNS web--web.apps.svc); "web".service.consul does not resolve',
    ]);
    expect(warningsAt(c, 'TaskGroups[0].Services[0].CanaryTags')).toHaveLength(1);
  });
});

describe('checks → probes (hand-built)', () => {
  const network = {
    Networks: [
      {
        DynamicPorts: [
          { Label: 'http', To: 8080 },
          { Label: 'rpc', To: 9090 },
        ],
      },
    ],
  };
  const withCheck = (check: Record<string, unknown>, service: Record<string, unknown> = {}) =>
    groupContext(
      groupJob({
        ...network,
        Services: [{ Name: 'svc', PortLabel: 'http', Provider: 'nomad', Checks: [check], ...service }],
      }),
    );

  it('tcp: thresholds from success_before_passing and failures_before_critical; initial_status is reported', () => {
    const ctx = withCheck({
      Type: 'tcp',
      Interval: 1.5 * S,
      Timeout: S / 2,
      SuccessBeforePassing: 2,
      FailuresBeforeCritical: 3,
      InitialStatus: 'passing',
    });
    const net = taskNetworking(ctx, task(ctx), 0);
    expect(net.readinessProbe).toEqual({
      tcpSocket: { port: 8080 },
      periodSeconds: 2,
      timeoutSeconds: 1,
      successThreshold: 2,
      failureThreshold: 3,
    });
    expect(net.livenessProbe).toBeUndefined();
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[0].InitialStatus')).toHaveLength(1);
  });

  it('http: https scheme, check port overrides the service port, non-GET methods are reported', () => {
    const ctx = withCheck({
      Type: 'http',
      Path: '/ok',
      Protocol: 'https',
      PortLabel: 'rpc',
      Method: 'POST',
      Interval: 5 * S,
    });
    expect(taskNetworking(ctx, task(ctx), 0).readinessProbe).toEqual({
      httpGet: { path: '/ok', port: 9090, scheme: 'HTTPS' },
      periodSeconds: 5,
      successThreshold: 1,
      failureThreshold: 1,
    });
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[0].Method')).toEqual([
      'Kubernetes probes only send GET; the POST of this check is not kept',
    ]);
  });

  it('grpc → grpc probe with the service; script → exec; check_restart of the service → liveness', () => {
    const grpc = withCheck({ Type: 'grpc', PortLabel: 'rpc', GRPCService: 'app.Health', Interval: 10 * S });
    expect(taskNetworking(grpc, task(grpc), 0).readinessProbe?.grpc).toEqual({
      port: 9090,
      service: 'app.Health',
    });
    const script = withCheck(
      { Type: 'script', Command: '/bin/check', Args: ['-q'], Interval: 10 * S, Timeout: 2 * S },
      { CheckRestart: { Limit: 4, Grace: 30 * S } },
    );
    const net = taskNetworking(script, task(script), 0);
    expect(net.readinessProbe?.exec).toEqual({ command: ['/bin/check', '-q'] });
    expect(net.livenessProbe).toEqual({
      exec: { command: ['/bin/check', '-q'] },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 4,
      initialDelaySeconds: 30,
    });
  });

  it('unknown check types and ports are reported, never thrown', () => {
    const ctx = withCheck({ Type: 'docker' });
    expect(taskNetworking(ctx, task(ctx), 0).readinessProbe).toBeUndefined();
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[0].Type')).toHaveLength(1);
    const port = withCheck({ Type: 'tcp', PortLabel: 'nope' });
    expect(taskNetworking(port, task(port), 0).readinessProbe).toBeUndefined();
    expect(warningsAt(port, 'TaskGroups[0].Services[0].Checks[0].PortLabel')).toEqual([
      'tcp check on unknown port "nope" is not translated',
    ]);
  });

  it('group checks go to the task named by the check, or to the port’s owner; init containers get none', () => {
    const ctx = groupContext(
      groupJob({
        ...network,
        Tasks: [
          { Name: 'setup', Driver: 'docker', Config: { image: 's' }, Lifecycle: { Hook: 'prestart' } },
          { Name: 'app', Driver: 'docker', Config: { image: 'a', ports: ['http'] } },
        ],
        Services: [
          {
            Name: 'svc',
            PortLabel: 'http',
            Checks: [
              { Type: 'script', Command: 'true', TaskName: 'setup' },
              { Type: 'http', Path: '/' },
            ],
          },
        ],
      }),
    );
    expect(taskNetworking(ctx, task(ctx, 0), 0).readinessProbe).toBeUndefined();
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[0]')).toHaveLength(1);
    expect(taskNetworking(ctx, task(ctx, 1), 1).readinessProbe?.httpGet).toEqual({ path: '/', port: 8080 });
  });
});

describe('Services (hand-built)', () => {
  it('never emits a port outside 1-65535: an invalid `to` or static value is reported and replaced', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [{ ReservedPorts: [{ Label: 'db', Value: 70000, To: 65536 }] }],
        Services: [{ Name: 'db', PortLabel: 'db', Provider: 'nomad' }],
      }),
    );
    const ports = groupServices(ctx).flatMap((s) => s.spec?.ports ?? []);
    const container = taskNetworking(ctx, ctx.group.Tasks![0]!, 0).ports;
    expect(ports).toHaveLength(1);
    for (const port of [...ports.map((p) => p.port), ...container.map((p) => p.containerPort)]) {
      expect(port).toBeGreaterThan(0);
      expect(port).toBeLessThan(65536);
    }
    expect(container[0]?.hostPort).toBeUndefined();
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].ReservedPorts[0].To')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].ReservedPorts[0].Value')).toHaveLength(1);
  });

  it('keeps names valid DNS-1035 labels within 63 characters', () => {
    const long = 'a-really-long-service-name-that-goes-on-and-on-and-on-forever-and-ever';
    const ctx = groupContext(
      groupJob({
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 80 }] }],
        Services: [
          { Name: long, PortLabel: 'http', Provider: 'nomad' },
          { Name: 'Mixed_Case.Name', PortLabel: 'http', Provider: 'nomad' },
        ],
      }),
    );
    const names = groupServices(ctx).map((s) => s.metadata?.name ?? '');
    expect(names).toHaveLength(2);
    for (const name of names) {
      expect(isDns1035Label(name), name).toBe(true);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(
      groupServices(ctx)
        .map((s) => s.metadata?.annotations?.[ANNOTATION_SERVICE_NAME])
        .sort(),
    ).toEqual([long, 'Mixed_Case.Name'].sort());
  });

  it('qualifies a name two groups register with the group; merges same-name services of one group', () => {
    const shared = { Name: 'api', PortLabel: 'http', Provider: 'nomad' };
    const j = groupJob(
      {
        Networks: [
          {
            DynamicPorts: [
              { Label: 'http', To: 80 },
              { Label: 'admin', To: 81 },
            ],
          },
        ],
        Services: [shared, { ...shared, PortLabel: 'admin', Tags: ['b'] }],
      },
      [
        {
          Name: 'other',
          Networks: [{ DynamicPorts: [{ Label: 'http', To: 80 }] }],
          Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }],
          Services: [shared],
        },
      ],
    );
    const first = groupServices(groupContext(j, 0));
    const second = groupServices(groupContext(j, 1));
    expect(first.map((s) => s.metadata?.name)).toEqual(['web--app--api']);
    expect(second.map((s) => s.metadata?.name)).toEqual(['web--other--api']);
    expect(first[0]?.spec?.ports?.map((p) => p.name)).toEqual(['http', 'admin']);
    expect(first[0]?.metadata?.annotations?.[ANNOTATION_SERVICE_TAGS]).toBe('["b"]');
  });

  it('a service without a port is headless; a literal port number is used as is; Connect is reported', () => {
    const ctx = groupContext(
      groupJob({
        Services: [
          { Name: 'bare', Provider: 'nomad' },
          { Name: 'num', PortLabel: '8443', Provider: 'nomad', Connect: { Native: true } },
        ],
      }),
    );
    const [bare, num] = groupServices(ctx);
    expect(bare?.spec).toEqual({ type: 'ClusterIP', clusterIP: 'None', selector: ctx.selector });
    expect(num?.spec?.ports).toEqual([{ name: 'port-8443', port: 8443, targetPort: 8443, protocol: 'TCP' }]);
    expect(warningsAt(ctx, 'TaskGroups[0].Services[1].Connect')).toHaveLength(1);
  });

  it('an unknown port label is reported and left out', () => {
    const ctx = groupContext(groupJob({ Services: [{ Name: 's', PortLabel: 'nope', Provider: 'nomad' }] }));
    expect(groupServices(ctx)[0]?.spec?.clusterIP).toBe('None');
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].PortLabel')).toEqual([
      'unknown port "nope": the Service has no port for it',
    ]);
  });
});

describe('networking over the corpus', () => {
  const names = readdirSync(new URL('../../fixtures/jobspecs/', import.meta.url))
    .filter((f) => f.endsWith('.canonical.json'))
    .map((f) => f.replace(/\.canonical\.json$/, ''))
    .sort();

  it.each(names)('%s: valid names and ports, no exception, deterministic', (name) => {
    const j = corpusJob(name);
    (j.TaskGroups ?? []).forEach((_, g) => {
      const ctx = groupContext(j, g);
      for (const service of groupServices(ctx)) {
        expect(isDns1035Label(service.metadata?.name ?? '')).toBe(true);
        for (const port of service.spec?.ports ?? []) {
          expect(isDns1123Label(port.name ?? '')).toBe(true);
          expect(port.port).toBeGreaterThan(0);
        }
      }
      const seen = new Set<string>();
      (ctx.group.Tasks ?? []).forEach((t, i) => {
        const net = taskNetworking(ctx, t, i);
        for (const port of net.ports) {
          expect(isIanaSvcName(port.name ?? '')).toBe(true);
          expect(seen.has(port.name ?? '')).toBe(false);
          seen.add(port.name ?? '');
          expect(port.containerPort).toBeGreaterThan(0);
          expect(port.containerPort).toBeLessThan(65536);
        }
        expect(taskNetworking(groupContext(j, g), t, i)).toEqual(net);
      });
      expect(groupServices(groupContext(j, g))).toEqual(groupServices(ctx));
    });
  });
});
