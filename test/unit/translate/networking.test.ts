// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
import { readdirSync } from 'node:fs';
import type { V1Deployment, V1Ingress, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isDns1035Label, isDns1123Label } from '../../../src/nomad/ids.ts';
import {
  ANNOTATION_SERVICE_META,
  ANNOTATION_SERVICE_NAME,
  ANNOTATION_SERVICE_TAGS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  MANAGED_BY,
} from '../../../src/nomad/keys.ts';
import type { Job, Task } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import {
  DYNAMIC_PORT_MAX,
  DYNAMIC_PORT_MIN,
  groupServices,
  isIanaSvcName,
  isSharedService,
  kubernetesServiceName,
  planPorts,
  serviceLabelKey,
  servicePodLabels,
  taskNetworking,
} from '../../../src/translate/networking.ts';
import { fabioRoute, routerTags, traefikRuleRoutes } from '../../../src/translate/router-tags.ts';
import { corpusJob, groupContext, job, type TestContext, warningsAt } from './group-context.ts';

function task(ctx: TestContext, index = 0): Task {
  const t = ctx.group.Tasks?.[index];
  if (!t) throw new Error(`no task ${index}`);
  return t;
}

const S = 1_000_000_000;

/** The Services among a group's service objects (the others are Ingresses). */
function servicesOf(ctx: TestContext): V1Service[] {
  return groupServices(ctx).filter((o): o is V1Service => o.kind === 'Service');
}

/** The selector every Service of service `name` has: managed pods carrying its service label. */
function serviceSelector(name: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY, [serviceLabelKey(name)]: 'true' };
}

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
    const services = servicesOf(ctx);
    expect(services).toHaveLength(1);
    const service = services[0];
    expect(service?.apiVersion).toBe('v1');
    expect(service?.kind).toBe('Service');
    expect(service?.metadata?.name).toBe('redis-cache');
    expect(isDns1035Label(service?.metadata?.name ?? '')).toBe(true);
    expect(service?.metadata?.namespace).toBe('apps');
    // No job identity: the Service belongs to every job of the namespace that registers the name.
    expect(service?.metadata?.labels).toEqual({
      [LABEL_MANAGED_BY]: MANAGED_BY,
      [LABEL_SERVICE]: 'redis-cache',
    });
    expect(service?.metadata?.annotations).toEqual({
      [ANNOTATION_SERVICE_NAME]: 'redis-cache',
      [ANNOTATION_SERVICE_TAGS]: '["global","cache"]',
    });
    expect(service?.spec).toEqual({
      type: 'ClusterIP',
      selector: serviceSelector('redis-cache'),
      ports: [
        { name: 'db', port: 6379, targetPort: 'db', protocol: 'TCP' },
        // Nomad publishes every port for UDP too.
        { name: 'db-udp', port: 6379, targetPort: 6379, protocol: 'UDP' },
      ],
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
      { containerPort: 8080, hostPort: 80, protocol: 'UDP' },
      { name: 'https', containerPort: 8443, hostPort: 443, protocol: 'TCP' },
      { containerPort: 8443, hostPort: 443, protocol: 'UDP' },
      { name: 'admin', containerPort: 9000, protocol: 'TCP' },
      { name: 'metrics', containerPort: metrics?.containerPort, protocol: 'TCP' },
    ]);
    expect(metrics?.containerPort).toBeGreaterThanOrEqual(DYNAMIC_PORT_MIN);
    expect(metrics?.containerPort).toBeLessThanOrEqual(DYNAMIC_PORT_MAX);
    // Deterministic: the same label always gets the same port.
    expect(taskNetworking(groupContext(corpusJob('network-ports')), task(ctx), 0).ports).toEqual(ports);
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].ReservedPorts[1].HostNetwork')).toEqual([
      'host network "public" is not applicable: the host port is bound on all node addresses, and NOMAD_HOST_IP_https is the node\'s primary address (status.hostIP), not its address on that network',
    ]);
  });

  it('a static port without `to` listens on the static port; task networks belong to their task', () => {
    const ctx = groupContext(corpusJob('network-static-only'));
    expect(taskNetworking(ctx, task(ctx), 0).ports).toEqual([
      { name: 'dns', containerPort: 53, hostPort: 53, protocol: 'TCP' },
      { containerPort: 53, hostPort: 53, protocol: 'UDP' },
      { name: 'legacy', containerPort: 5353, hostPort: 5353, protocol: 'TCP' },
      { containerPort: 5353, hostPort: 5353, protocol: 'UDP' },
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
      { containerPort: 2, hostPort: 2, protocol: 'UDP' },
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
      'a container has one readiness probe: check 1 of service "web" is not translated (check "alive" is); so the Service web routes to the pods that pass check "alive" even when this one fails',
    ]);
    // A check that becomes no probe gets that one warning, none about what a probe could not carry.
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[2]')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[2].GRPCUseTLS')).toEqual([]);
    // Neither probe left for it: one warning for the check and its check_restart.
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0].Services[0].Checks[0]')).toEqual([
      'a container has one readiness and one liveness probe: check "ready" and its check_restart are not translated (check "alive" is the readiness probe, the check_restart of check "alive" the liveness probe); so the Service web-admin routes to every pod of the group that passes check "alive", including those this check would exclude (Consul routes only to the instances passing it); if the check picks a role (the one primary), select that role by a pod label the instance sets for it (the application or a sidecar labelling its pod), or let the clients find the role themselves',
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0].Services[0].Checks[0].CheckRestart')).toEqual([]);
  });

  it('one Service per service name, both on the http port; Consul registration is reported', () => {
    const c = groupContext(corpusJob('service-checks'));
    const services = servicesOf(c);
    expect(services.map((s) => s.metadata?.name)).toEqual(['web', 'web-admin']);
    expect(services[0]?.metadata?.annotations).toEqual({
      [ANNOTATION_SERVICE_NAME]: 'web',
      [ANNOTATION_SERVICE_TAGS]: '["urlprefix-/","v2"]',
      [ANNOTATION_SERVICE_META]: '{"version":"2.4.1"}',
    });
    for (const s of services) {
      expect(s.spec?.ports).toEqual([
        { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' },
        { name: 'http-udp', port: 8080, targetPort: 8080, protocol: 'UDP' },
      ]);
    }
    expect(warningsAt(c, 'TaskGroups[0].Services[0].Provider')).toEqual([
      'not registered in Consul: the service is the Kubernetes Service web (DNS web.apps.svc); "web.service.consul" does not resolve',
    ]);
    expect(warningsAt(c, 'TaskGroups[0].Services[0].CanaryTags')).toHaveLength(1);
  });

  it('names the Consul DNS name that does not resolve as Nomad would register it (interpolated)', () => {
    const c = groupContext(
      groupJob({
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 80 }] }],
        Services: [{ Name: '${NOMAD_GROUP_NAME}-web', PortLabel: 'http' }],
      }),
    );
    servicesOf(c);
    const group = c.group.Name ?? '';
    expect(warningsAt(c, 'TaskGroups[0].Services[0].Provider')).toEqual([
      `not registered in Consul: the service is the Kubernetes Service ${group}-web (DNS ${group}-web.apps.svc); "${group}-web.service.consul" does not resolve`,
    ]);
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

  it('a second check with check_restart is the liveness probe only, and is said to be', () => {
    const ctx = groupContext(
      groupJob({
        ...network,
        Services: [
          {
            Name: 'svc',
            PortLabel: 'http',
            Provider: 'nomad',
            Checks: [
              { Name: 'ready', Type: 'http', Path: '/ready', Interval: 10e9, Timeout: 2e9 },
              {
                Name: 'admin',
                Type: 'http',
                Path: '/admin',
                Method: 'POST',
                Interval: 10e9,
                Timeout: 2e9,
                CheckRestart: { Limit: 3, Grace: 20e9 },
              },
              { Name: 'extra', Type: 'http', Path: '/x', Method: 'POST', Interval: 10e9, Timeout: 2e9 },
            ],
          },
        ],
      }),
    );
    const probes = taskNetworking(ctx, ctx.group.Tasks![0]!, 0);
    expect(probes.readinessProbe?.httpGet?.path).toBe('/ready');
    expect(probes.livenessProbe?.httpGet?.path).toBe('/admin');
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[1]')).toEqual([
      'a container has one readiness probe: check "admin" is only the liveness probe, from its check_restart (check "ready" is the readiness probe); so the Service svc routes to the pods that pass check "ready" even when this one fails',
    ]);
    // Its POST matters (the liveness probe sends GET); the dropped check's does not.
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[1].Method')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[2]')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Checks[2].Method')).toEqual([]);
  });

  it('a role service whose own check picks its instance is said to route to every pod', () => {
    // patroni: every member is healthy (/health), one is the primary (/primary).
    const ctx = groupContext(
      groupJob({
        Count: 3,
        Networks: [
          {
            ReservedPorts: [
              { Label: 'pg', Value: 5432 },
              { Label: 'api', Value: 8008 },
            ],
          },
        ],
        Services: [
          {
            Name: 'patroni',
            PortLabel: 'pg',
            Provider: 'nomad',
            Checks: [
              {
                Name: 'patroni-api',
                Type: 'http',
                PortLabel: 'api',
                Path: '/health',
                Interval: 10e9,
                Timeout: 2e9,
              },
            ],
          },
          {
            Name: 'patroni-primary',
            PortLabel: 'pg',
            Provider: 'nomad',
            Checks: [{ Type: 'http', PortLabel: 'api', Path: '/primary', Interval: 5e9, Timeout: 2e9 }],
          },
        ],
      }),
    );
    expect(taskNetworking(ctx, ctx.group.Tasks![0]!, 0).readinessProbe?.httpGet?.path).toBe('/health');
    expect(warningsAt(ctx, 'TaskGroups[0].Services[1].Checks[0]')).toEqual([
      'a container has one readiness probe: check 0 of service "patroni-primary" is not translated (check "patroni-api" is); so the Service patroni-primary routes to every pod of the group that passes check "patroni-api", including those this check would exclude (Consul routes only to the instances passing it); if the check picks a role (the one primary), select that role by a pod label the instance sets for it (the application or a sidecar labelling its pod), or let the clients find the role themselves',
    ]);
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

  it('check fields are interpolated as Nomad registers them; what only the pod knows is said', () => {
    const script = withCheck({
      Type: 'script',
      Command: '${NOMAD_TASK_DIR}/check.sh',
      Args: ['-p', '${NOMAD_ALLOC_PORT_http}', '--alloc=${NOMAD_ALLOC_ID}'],
    });
    // NOMAD_ALLOC_PORT_* of a group service's check: the task's environment has it.
    expect(taskNetworking(script, task(script), 0).readinessProbe?.exec).toEqual({
      command: ['/local/check.sh', '-p', '8080', '--alloc=${NOMAD_ALLOC_ID}'],
    });
    // Probes are not expanded by Kubernetes: the pod UID cannot be put in.
    expect(warningsAt(script, 'TaskGroups[0].Services[0].Checks[0].Args[2]')).toHaveLength(1);
    const http = withCheck({
      Type: 'http',
      Path: '/status/${NOMAD_JOB_NAME}',
      PortLabel: '${NOMAD_PORT_rpc}',
      Header: { Host: ['${NOMAD_GROUP_NAME}.internal'] },
    });
    const probe = taskNetworking(http, task(http), 0).readinessProbe?.httpGet;
    expect(probe).toEqual({
      path: `/status/${http.job.Name}`,
      port: 9090,
      httpHeaders: [{ name: 'Host', value: `${http.group.Name}.internal` }],
    });
    expect(http.warnings).toEqual([]);
  });

  it('an exposed check probes the service port, where the Connect proxy would forward it', () => {
    const exposed = withCheck({ Type: 'http', Path: '/health', PortLabel: 'rpc', Expose: true });
    expect(taskNetworking(exposed, task(exposed), 0).readinessProbe?.httpGet).toEqual({
      path: '/health',
      port: 8080,
    });
    const direct = withCheck({ Type: 'http', Path: '/health', PortLabel: 'rpc' });
    expect(taskNetworking(direct, task(direct), 0).readinessProbe?.httpGet?.port).toBe(9090);
    // Nomad exposes only http and grpc checks with a path: a tcp check keeps its own port.
    const tcp = withCheck({ Type: 'tcp', PortLabel: 'rpc', Expose: true });
    expect(taskNetworking(tcp, task(tcp), 0).readinessProbe?.tcpSocket?.port).toBe(9090);
  });

  it('a check on an expose path’s listener probes the path’s local_path_port, where the proxy forwards it', () => {
    const connect = (paths: Record<string, unknown>[]) => ({
      Connect: { SidecarService: { Proxy: { Expose: { Paths: paths } } } },
    });
    const exposed = withCheck(
      { Type: 'http', Path: '/health', PortLabel: 'rpc' },
      connect([
        { Path: '/metrics', Protocol: 'http', LocalPathPort: 9102, ListenerPort: 'rpc' },
        { Path: '/health', Protocol: 'http', LocalPathPort: 8081, ListenerPort: 'rpc' },
      ]),
    );
    expect(taskNetworking(exposed, task(exposed), 0).readinessProbe?.httpGet).toEqual({
      path: '/health',
      port: 8081,
    });
    // A path of another listener changes nothing.
    const other = withCheck(
      { Type: 'http', Path: '/health', PortLabel: 'rpc' },
      connect([{ Path: '/health', Protocol: 'http', LocalPathPort: 8081, ListenerPort: 'http' }]),
    );
    expect(taskNetworking(other, task(other), 0).readinessProbe?.httpGet?.port).toBe(9090);
  });

  it('a port mapped with to = -1 is the same number inside: no warning', () => {
    const ctx = groupContext(
      groupJob({ Networks: [{ Mode: 'bridge', DynamicPorts: [{ Label: 'listener', To: -1 }] }] }),
    );
    const [port] = taskNetworking(ctx, task(ctx), 0).ports;
    expect(port?.name).toBe('listener');
    expect(ctx.warnings).toEqual([]);
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

  it('a group check without its own task belongs to the service’s task, as in Nomad', () => {
    const ctx = groupContext(
      groupJob({
        ...network,
        Tasks: [
          { Name: 'app', Driver: 'docker', Config: { image: 'a', ports: ['http'] } },
          { Name: 'helper', Driver: 'docker', Config: { image: 'h' } },
        ],
        Services: [
          {
            Name: 'svc',
            PortLabel: 'http',
            Provider: 'nomad',
            TaskName: 'helper',
            Checks: [
              { Type: 'script', Command: '/bin/check' },
              { Type: 'http', Path: '/', TaskName: 'app' },
            ],
          },
        ],
      }),
    );
    // The script check runs in the service's task; the http check names its own.
    expect(taskNetworking(ctx, task(ctx, 1), 1).readinessProbe?.exec).toEqual({ command: ['/bin/check'] });
    expect(taskNetworking(ctx, task(ctx, 0), 0).readinessProbe?.httpGet).toEqual({ path: '/', port: 8080 });
    expect(ctx.warnings).toEqual([]);
  });
});

describe('network modes', () => {
  const modeJob = (mode: string | undefined, taskMode?: string) =>
    groupJob({
      Networks: [
        {
          ...(mode === undefined ? {} : { Mode: mode }),
          DynamicPorts: [{ Label: 'http', To: 8080 }],
          ReservedPorts: [{ Label: 'dns', Value: 53 }],
        },
      ],
      Tasks: [
        {
          Name: 'main',
          Driver: 'docker',
          Config: { image: 'x', ports: ['http', 'dns'] },
          ...(taskMode ? { Resources: { Networks: [{ Mode: taskMode }] } } : {}),
        },
      ],
    });

  it('host (Nomad’s default) and bridge give the same pod, without a warning: its own IP, static ports as hostPorts', () => {
    const bridge = translate(modeJob('bridge'), { namespace: 'apps' });
    const pod = (bridge.objects.find((o) => o.kind === 'Deployment') as V1Deployment).spec?.template.spec;
    expect(pod?.hostNetwork).toBeUndefined();
    expect(pod?.containers[0]?.ports).toEqual([
      { name: 'dns', containerPort: 53, hostPort: 53, protocol: 'TCP' },
      { containerPort: 53, hostPort: 53, protocol: 'UDP' },
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
    ]);
    for (const other of [
      translate(modeJob('host'), { namespace: 'apps' }),
      translate(modeJob(undefined), { namespace: 'apps' }),
    ]) {
      expect(other.objects).toEqual(bridge.objects);
      expect(other.warnings).toEqual(bridge.warnings);
    }
    expect(bridge.warnings.filter((w) => w.path.includes('Networks'))).toEqual([]);
  });

  it('a task network’s mode changes nothing: the group network decides the namespace', () => {
    const plain = translate(modeJob('bridge'), { namespace: 'apps' });
    const withTaskMode = translate(modeJob('bridge', 'host'), { namespace: 'apps' });
    expect(withTaskMode.objects).toEqual(plain.objects);
    expect(withTaskMode.warnings).toEqual(plain.warnings);
  });

  it('host mode: docker tasks on the same container port are reported (a pod’s containers share one network)', () => {
    const twoTasks = (mode: string) =>
      groupContext(
        groupJob({
          Networks: [
            {
              Mode: mode,
              DynamicPorts: [
                { Label: 'web', To: 80 },
                { Label: 'admin', To: 80 },
              ],
            },
          ],
          Tasks: [
            { Name: 'web', Driver: 'docker', Config: { image: 'nginx', ports: ['web'] } },
            { Name: 'admin', Driver: 'docker', Config: { image: 'nginx', ports: ['admin'] } },
          ],
        }),
      );
    const host = twoTasks('host');
    taskNetworking(host, task(host, 0), 0);
    taskNetworking(host, task(host, 1), 1);
    expect(host.warnings).toEqual([
      {
        path: 'TaskGroups[0].Networks[0].DynamicPorts[1]',
        message:
          'port "admin" of task "admin" and port "web" of task "web" are both container port 80: in Nomad\'s host network mode each docker task has its own network namespace, but the containers of a pod share one, so only one of them can listen on it; give one port another `to` (and the task its new port)',
      },
    ]);
    // In bridge mode Nomad's tasks share the allocation's namespace too: nothing differs.
    const bridge = twoTasks('bridge');
    taskNetworking(bridge, task(bridge, 0), 0);
    taskNetworking(bridge, task(bridge, 1), 1);
    expect(bridge.warnings).toEqual([]);
  });
});

describe('docker port_map', () => {
  const portMapJob = (config: Record<string, unknown>, taskNetwork?: Record<string, unknown>) =>
    groupContext(
      groupJob({
        Networks: [
          {
            Mode: 'bridge',
            DynamicPorts: [{ Label: 'http', To: 8080 }, { Label: 'free' }],
          },
        ],
        Tasks: [
          {
            Name: 'main',
            Driver: 'docker',
            Config: { image: 'x', ...config },
            ...(taskNetwork ? { Resources: { Networks: [taskNetwork] } } : {}),
          },
        ],
      }),
    );
  const PATH = 'TaskGroups[0].Tasks[0].Config.port_map';

  it('does not map a group port with `to`: reported with the port it is and what Nomad would set', () => {
    const ctx = portMapJob({ ports: ['http'], port_map: [{ http: 8081 }] });
    expect(taskNetworking(ctx, task(ctx), 0).ports[0]).toEqual({
      name: 'http',
      containerPort: 8080,
      protocol: 'TCP',
    });
    expect(warningsAt(ctx, PATH)).toEqual([
      'port_map does not map group network ports (Nomad ignores it, yet sets NOMAD_PORT_http=8081): port "http" is container port 8080 (its `to`) and NOMAD_PORT_http is 8080; set `to` in the network block and remove port_map',
    ]);
  });

  it('an entry equal to `to` changes nothing and is not reported', () => {
    const ctx = portMapJob({ ports: ['http'], port_map: [{ http: 8080 }] });
    taskNetworking(ctx, task(ctx), 0);
    expect(warningsAt(ctx, PATH)).toEqual([]);
  });

  it('without `ports` Nomad refuses the task: reported with Nomad’s message', () => {
    const ctx = portMapJob({ port_map: [{ free: 7000 }] });
    expect(taskNetworking(ctx, task(ctx), 0).ports).toContainEqual({
      name: 'free',
      containerPort: 7000,
      protocol: 'TCP',
    });
    expect(warningsAt(ctx, PATH)).toEqual([
      'port_map does not map group network ports (Nomad refuses the task: "\'port_map\' cannot map group network ports, use \'ports\' instead"): port "free" is container port 7000 (from port_map, as it has no `to`) and NOMAD_PORT_free is 7000; set `to` in the network block, list the port in `ports` and remove port_map',
    ]);
  });

  it('maps the ports of the task’s own legacy network; an unknown label is reported', () => {
    const ctx = portMapJob(
      { port_map: [{ legacy: 5000, gone: 6000 }] },
      { DynamicPorts: [{ Label: 'legacy' }] },
    );
    expect(taskNetworking(ctx, task(ctx), 0).ports).toContainEqual({
      name: 'legacy',
      containerPort: 5000,
      protocol: 'TCP',
    });
    expect(warningsAt(ctx, PATH)).toEqual([
      'port_map entry "gone" names no port of a network block and is ignored (Nomad only sets NOMAD_PORT_gone=6000 from it; set that in env if the task reads it)',
    ]);
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
    const ports = servicesOf(ctx).flatMap((s) => s.spec?.ports ?? []);
    const container = taskNetworking(ctx, ctx.group.Tasks![0]!, 0).ports;
    expect(ports.map((p) => p.protocol)).toEqual(['TCP', 'UDP']);
    for (const port of [...ports.map((p) => p.port), ...container.map((p) => p.containerPort)]) {
      expect(port).toBeGreaterThan(0);
      expect(port).toBeLessThan(65536);
    }
    expect(container[0]?.hostPort).toBeUndefined();
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].ReservedPorts[0].To')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Networks[0].ReservedPorts[0].Value')).toHaveLength(1);
  });

  it('interpolates tags as Nomad registers them; node properties stay, each said once', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 80 }] }],
        Services: [
          {
            Name: 'web',
            PortLabel: 'http',
            Provider: 'nomad',
            Tags: ['job=${NOMAD_JOB_NAME}', 'node=${node.unique.name}', 'plain'],
            Meta: JSON.parse('{"__proto__":"kept","owner":"ops"}'),
          },
        ],
      }),
    );
    const [service] = servicesOf(ctx);
    const annotations = service?.metadata?.annotations ?? {};
    expect(JSON.parse(annotations[ANNOTATION_SERVICE_TAGS] ?? '[]')).toEqual([
      `job=${ctx.job.Name}`,
      'node=${node.unique.name}',
      'plain',
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Tags[1]')).toHaveLength(1);
    // Meta keys are the user's: a `__proto__` key is one like any other.
    expect(Object.entries(JSON.parse(annotations[ANNOTATION_SERVICE_META] ?? '{}'))).toEqual([
      ['__proto__', 'kept'],
      ['owner', 'ops'],
    ]);
  });

  it('a task using Consul DNS names is told once which Services stand for them', () => {
    const ctx = groupContext(
      groupJob({
        Tasks: [
          {
            Name: 'main',
            Driver: 'docker',
            Config: { image: 'x', args: ['--db', 'orders-db.service.consul:5432'] },
            Env: { CACHE: 'primary.Redis.service.dc1.consul' },
            Templates: [{ DestPath: 'local/a.conf', EmbeddedTmpl: 'db = orders-db.service.consul\n' }],
          },
        ],
      }),
    );
    taskNetworking(ctx, ctx.group.Tasks![0]!, 0);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0]')).toEqual([
      'Consul DNS names do not resolve on Kubernetes: "orders-db.service.consul" (orders-db.apps.svc), "primary.redis.service.dc1.consul" (redis.apps.svc, which routes to every instance of "Redis" whatever its tags: unless every registration has the tag "primary", give the instances with it a service name of their own); write the Kubernetes Service name instead (a service registered by a job of another namespace is in that namespace)',
    ]);
  });

  it('keeps the tag of a Consul DNS name, and says when the Service routes to instances without it', () => {
    // redis-ha: groups primary and replica register "redis" with their role as a tag.
    const redis = (role: string) => ({
      Name: role,
      Networks: [{ DynamicPorts: [{ Label: 'redis', To: 6379 }] }],
      Tasks: [{ Name: 'redis', Driver: 'docker', Config: { image: 'redis' } }],
      Services: [{ Name: 'redis', PortLabel: 'redis', Provider: 'nomad', Tags: [role, 'cache'] }],
    });
    const j = groupJob(
      {
        Tasks: [
          {
            Name: 'main',
            Driver: 'docker',
            Config: { image: 'x', args: ['--cache', 'cache.redis.service.consul'] },
            Env: {
              WRITE: 'redis://primary.redis.service.consul:6379/0',
              READ: 'redis://replica.redis.service.consul:6379/0',
            },
            // A name at the start of a line is read whole (not `nprimary` after a JSON `\n`).
            Templates: [{ DestPath: 'local/a.conf', EmbeddedTmpl: 'a = 1\nprimary.redis.service.consul\n' }],
          },
        ],
      },
      [redis('primary'), redis('replica')],
    );
    const ctx = groupContext(j);
    taskNetworking(ctx, ctx.group.Tasks![0]!, 0);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0]')).toEqual([
      'Consul DNS names do not resolve on Kubernetes: "cache.redis.service.consul" (redis.apps.svc), "replica.redis.service.consul" (redis.apps.svc routes to every instance of "redis", not only those with the tag "replica": give them a service name of their own), "primary.redis.service.consul" (redis.apps.svc routes to every instance of "redis", not only those with the tag "primary": give them a service name of their own); write the Kubernetes Service name instead (a service registered by a job of another namespace is in that namespace)',
    ]);
  });

  it('scans what the pod gets: interpolated config and env, rendered templates', () => {
    const ctx = groupContext(
      job({
        ID: 'shop',
        Type: 'service',
        Meta: { db_service: 'shop-db' },
        TaskGroups: [
          {
            Name: 'app',
            Tasks: [
              {
                Name: 'main',
                Driver: 'docker',
                Config: { image: 'x', args: ['--cache=${NOMAD_JOB_NAME}-cache.service.consul:6379'] },
                Env: { DB_HOST: '${NOMAD_META_db_service}.service.consul' },
                Templates: [
                  {
                    DestPath: 'local/app.conf',
                    EmbeddedTmpl: 'host = {{ env "NOMAD_JOB_NAME" }}-rabbitmq.service.consul\n',
                  },
                ],
              },
            ],
          },
        ],
      } as Job),
    );
    taskNetworking(ctx, ctx.group.Tasks![0]!, 0);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0]')).toEqual([
      'Consul DNS names do not resolve on Kubernetes: "shop-cache.service.consul" (shop-cache.apps.svc), "shop-db.service.consul" (shop-db.apps.svc), "shop-rabbitmq.service.consul" (shop-rabbitmq.apps.svc); write the Kubernetes Service name instead (a service registered by a job of another namespace is in that namespace)',
    ]);
  });

  it('a group that listens on 8600 itself is not told that nothing does', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [{ DynamicPorts: [{ Label: 'dns', To: 8600 }] }],
        Tasks: [
          {
            Name: 'agent',
            Driver: 'docker',
            Config: { image: 'consul', args: ['-dns-port=8600', '-recursor=127.0.0.1:8600'] },
          },
        ],
      }),
    );
    taskNetworking(ctx, ctx.group.Tasks![0]!, 0);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0]')).toEqual([]);
  });

  it('reads SRV names and the Consul agent’s DNS port', () => {
    // haproxy-consul: server-template over Consul's SRV records, resolved by the local agent.
    const haproxy =
      'resolvers consul\n  nameserver consul 127.0.0.1:8600\n' +
      'backend web\n  server-template web 10 _web._tcp.service.consul resolvers consul check\n' +
      '  server-template api 5 _api._tcp.service.dc1.consul resolvers consul\n' +
      '  server-template canary 2 _web._canary.service.consul resolvers consul\n';
    const j = groupJob(
      {
        Tasks: [
          {
            Name: 'haproxy',
            Driver: 'docker',
            Config: { image: 'haproxy' },
            Templates: [{ DestPath: 'local/haproxy.cfg', EmbeddedTmpl: haproxy }],
          },
        ],
      },
      [
        {
          Name: 'web',
          Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
          Tasks: [{ Name: 'web', Driver: 'docker', Config: { image: 'web' } }],
          Services: [{ Name: 'web', PortLabel: 'http', Provider: 'nomad' }],
        },
      ],
    );
    const ctx = groupContext(j);
    taskNetworking(ctx, ctx.group.Tasks![0]!, 0);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0]')).toEqual([
      'Consul DNS names do not resolve on Kubernetes: "_web._tcp.service.consul" (SRV _http._tcp.web.apps.svc.cluster.local), "_api._tcp.service.dc1.consul" (SRV _<port label>._tcp.api.apps.svc.cluster.local, the Service port named after the port label), "_web._canary.service.consul" (SRV _http._tcp.web.apps.svc.cluster.local routes to every instance of "web", not only those with the tag "canary": give them a service name of their own); write the Kubernetes Service name instead (a service registered by a job of another namespace is in that namespace); "127.0.0.1:8600" is the Consul agent\'s DNS, which has no counterpart: nothing listens on port 8600; the pod\'s resolver is the cluster DNS (the nameserver in /etc/resolv.conf), which answers for Services',
    ]);
  });

  it('names written into a Vault certificate are not Consul DNS lookups', () => {
    const tmpl =
      '{{ with secret "pki/issue/api" "common_name=api.service.consul" "alt_names=api.service.dc1.consul,web.service.consul" "ttl=24h" }}{{ .Data.certificate }}{{ end }}\n' +
      'upstream = cache.service.consul\n' +
      'cn = common_name=api.example.com\ndb = db2.service.consul\n';
    const ctx = groupContext(
      groupJob({
        Tasks: [
          {
            Name: 'main',
            Driver: 'docker',
            Config: { image: 'x' },
            Templates: [{ DestPath: 'secrets/cert.pem', EmbeddedTmpl: tmpl }],
          },
        ],
      }),
    );
    taskNetworking(ctx, ctx.group.Tasks![0]!, 0);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0]')).toEqual([
      'Consul DNS names do not resolve on Kubernetes: "cache.service.consul" (cache.apps.svc), "db2.service.consul" (db2.apps.svc); write the Kubernetes Service name instead (a service registered by a job of another namespace is in that namespace)',
    ]);
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
    const names = servicesOf(ctx).map((s) => s.metadata?.name ?? '');
    expect(names).toHaveLength(2);
    for (const name of names) {
      expect(isDns1035Label(name), name).toBe(true);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(
      servicesOf(ctx)
        .map((s) => s.metadata?.annotations?.[ANNOTATION_SERVICE_NAME])
        .sort(),
    ).toEqual([long, 'Mixed_Case.Name'].sort());
  });

  it('one Service for a name several groups register, selecting both; merges same-name services', () => {
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
          Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
          Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }],
          Services: [shared],
        },
      ],
    );
    const a = groupContext(j, 0);
    const b = groupContext(j, 1);
    const first = servicesOf(a);
    // The same object from both groups: the translator keeps one.
    expect(servicesOf(b)).toEqual(first);
    expect(first.map((s) => s.metadata?.name)).toEqual(['api']);
    expect(first[0]?.spec?.selector).toEqual(serviceSelector('api'));
    // Ports by label: targetPort is the container port's name, so group "other" (8080) is reached too.
    expect(first[0]?.spec?.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'http-udp', port: 80, targetPort: 80, protocol: 'UDP' },
      { name: 'admin', port: 81, targetPort: 'admin', protocol: 'TCP' },
      { name: 'admin-udp', port: 81, targetPort: 81, protocol: 'UDP' },
    ]);
    expect(first[0]?.metadata?.annotations?.[ANNOTATION_SERVICE_TAGS]).toBe('["b"]');
    // Both groups' pods carry the label the Service selects.
    expect(servicePodLabels(a)).toEqual({ [serviceLabelKey('api')]: 'true' });
    expect(servicePodLabels(b)).toEqual({ [serviceLabelKey('api')]: 'true' });
    // Group "other" maps http to 8080: the UDP twin targets 80 by number, which is said.
    expect(b.warnings.map((w) => w.message)).toContain(
      'port "http" is container port 8080 in group "other", but the Service\'s UDP port http-udp targets 80 (a UDP target is a number): this group\'s pods get none of its UDP traffic; map the label to the same container port in every group',
    );
    // Group "other" has no admin port: its pods get none of that port's traffic, which is said.
    expect(b.warnings.map((w) => w.message)).toContain(
      'group "other" registers service "api" without port "admin": its pods receive no traffic of the Service port admin; register the service on the same port label in every group',
    );
  });

  it('a UDP twin whose name a port label already has takes a number', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [
          {
            DynamicPorts: [
              { Label: 'dns', To: 53 },
              { Label: 'dns-udp', To: 5353 },
            ],
          },
        ],
        Services: [
          { Name: 'svc', PortLabel: 'dns', Provider: 'nomad' },
          { Name: 'svc', PortLabel: 'dns-udp', Provider: 'nomad' },
        ],
      }),
    );
    expect(servicesOf(ctx)[0]?.spec?.ports?.map((p) => [p.name, p.port, p.targetPort, p.protocol])).toEqual([
      ['dns', 53, 'dns', 'TCP'],
      ['dns-udp2', 53, 53, 'UDP'],
      ['dns-udp', 5353, 'dns-udp', 'TCP'],
      ['dns-udp-udp', 5353, 5353, 'UDP'],
    ]);
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
    const [bare, num] = servicesOf(ctx);
    expect(bare?.spec).toEqual({ type: 'ClusterIP', clusterIP: 'None', selector: serviceSelector('bare') });
    expect(num?.spec?.ports).toEqual([
      { name: 'port-8443', port: 8443, targetPort: 8443, protocol: 'TCP' },
      { name: 'port-8443-udp', port: 8443, targetPort: 8443, protocol: 'UDP' },
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Services[1].Connect')).toHaveLength(1);
  });

  it('an unknown port label is reported and left out', () => {
    const ctx = groupContext(groupJob({ Services: [{ Name: 's', PortLabel: 'nope', Provider: 'nomad' }] }));
    expect(servicesOf(ctx)[0]?.spec?.clusterIP).toBe('None');
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].PortLabel')).toEqual([
      'unknown port "nope": the Service has no port for it',
    ]);
  });
});

describe('service names Nomad makes per allocation', () => {
  const broker = (name: string, type = 'service', count = 3) =>
    job({
      ID: 'kafka',
      Type: type,
      TaskGroups: [
        {
          Name: 'broker',
          Count: count,
          Networks: [{ DynamicPorts: [{ Label: 'kafka', To: 9092 }] }],
          Tasks: [{ Name: 'kafka', Driver: 'docker', Config: { image: 'kafka' } }],
          Services: [{ Name: name, PortLabel: 'kafka', Provider: 'nomad' }],
        },
      ],
    } as Job);
  const nameWarnings = (j: Job) => {
    const ctx = groupContext(j);
    servicesOf(ctx);
    return warningsAt(ctx, 'TaskGroups[0].Services[0].Name');
  };

  it('an index in the name: one Service in front of every instance, said once with what to do', () => {
    expect(nameWarnings(broker('kafka-${NOMAD_ALLOC_INDEX}'))).toEqual([
      'service name "kafka-${NOMAD_ALLOC_INDEX}" is interpolated per allocation in Nomad (kafka-0, kafka-1, kafka-2 for count 3), one name in front of each instance; a Service selects pods by a label every pod of the workload has, so the one Service kafka-0 routes to all 3 pods of the group, and a client of one instance\'s name reaches any of them; make each instance a group of its own (count = 1, with its own service name), or let the instances find each other through a headless Service (clusterIP: None, whose DNS name lists every pod)',
    ]);
    expect(nameWarnings(broker('${NOMAD_ALLOC_NAME}-x', 'service', 5))[0]).toContain(
      '(kafka.broker[0]-x, kafka.broker[1]-x, kafka.broker[2]-x, … for count 5)',
    );
  });

  it('a value only the pod knows: that one warning, not one about the value and one about the name', () => {
    const warnings = nameWarnings(broker('kafka-${NOMAD_ALLOC_INDEX}', 'batch', 2));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^service name "kafka-\$\{NOMAD_ALLOC_INDEX\}" is interpolated per allocation in Nomad \(kafka-0, kafka-1 for count 2\).*routes to all 2 pods of the group/,
    );
    const byId = nameWarnings(broker('kafka-${NOMAD_ALLOC_ID}', 'system', 1));
    expect(byId).toHaveLength(1);
    expect(byId[0]).toContain('(one name per allocation ID)');
    expect(byId[0]).toContain('routes to every pod of the DaemonSet (one per node)');
  });

  it('an instance’s Consul DNS name is said to reach the one Service, not a Service of its own', () => {
    const ensemble = broker('zk-${NOMAD_ALLOC_INDEX}');
    const task = ensemble.TaskGroups![0]!.Tasks![0]!;
    task.Env = { ZOO_SERVERS: 'server.1=zk-0.service.consul:2888 server.2=zk-1.service.consul:2888' };
    const ctx = groupContext(ensemble);
    taskNetworking(ctx, task, 0);
    const instance = (n: number) =>
      `"zk-${n}.service.consul" (an instance of the service named per allocation "zk-\${NOMAD_ALLOC_INDEX}": the one Service zk-0.apps.svc routes to every instance (see the warning at that service's name))`;
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0]')).toEqual([
      `Consul DNS names do not resolve on Kubernetes: ${instance(0)}, ${instance(1)}; write the Kubernetes Service name instead (a service registered by a job of another namespace is in that namespace)`,
    ]);
  });

  it('one instance, or an index every allocation shares (system jobs): the Service is right', () => {
    expect(nameWarnings(broker('kafka-${NOMAD_ALLOC_INDEX}', 'service', 1))).toEqual([]);
    expect(nameWarnings(broker('kafka-${NOMAD_ALLOC_INDEX}', 'system', 3))).toEqual([]);
  });
});

describe('Service readiness: publishNotReadyAddresses', () => {
  const check = { Type: 'http', Path: '/_cluster/health', Interval: 10 * S, Timeout: 5 * S };
  /** The elasticsearch shape: es-http checked, es-transport (the peers' seed list) not. */
  const es = (type = 'service', transport: Record<string, unknown> = {}) =>
    job({
      ID: 'es',
      Type: type,
      TaskGroups: [
        {
          Name: 'master',
          Count: 3,
          Networks: [
            {
              ReservedPorts: [
                { Label: 'http', Value: 9200 },
                { Label: 'transport', Value: 9300 },
              ],
            },
          ],
          Tasks: [
            {
              Name: 'es',
              Driver: 'docker',
              Config: { image: 'es', ports: ['http', 'transport'] },
              Services: [
                { Name: 'es-http', PortLabel: 'http', Provider: 'nomad', Checks: [check] },
                { Name: 'es-transport', PortLabel: 'transport', Provider: 'nomad', ...transport },
              ],
            },
          ],
        },
      ],
    } as Job);
  const byName = (ctx: TestContext) => new Map(servicesOf(ctx).map((s) => [s.metadata?.name, s.spec]));

  it('a service without checks on pods made ready by another check publishes not-ready pods', () => {
    const ctx = groupContext(es());
    const specs = byName(ctx);
    // Peers find each other through es-transport before any of them passes es-http's check.
    expect(specs.get('es-transport')?.publishNotReadyAddresses).toBe(true);
    // A checked service routes to ready pods only, as Consul to passing instances.
    expect(specs.get('es-http')?.publishNotReadyAddresses).toBe(false);
    expect(ctx.warnings).toEqual([]);
  });

  it('a service whose pods have no probe says nothing: they are ready once running', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 80 }] }],
        Services: [{ Name: 'plain', PortLabel: 'http', Provider: 'nomad' }],
      }),
    );
    expect(servicesOf(ctx)[0]?.spec).not.toHaveProperty('publishNotReadyAddresses');
  });

  it('sysbatch pods have no probes: nothing either', () => {
    const ctx = groupContext(es('sysbatch'));
    for (const spec of byName(ctx).values()) expect(spec).not.toHaveProperty('publishNotReadyAddresses');
  });

  it('a name registered with and without checks routes to ready pods, and the unchecked one is told', () => {
    const j = job({
      ID: 'db',
      Type: 'service',
      TaskGroups: [
        {
          Name: 'primary',
          Networks: [{ DynamicPorts: [{ Label: 'pg', To: 5432 }] }],
          Tasks: [{ Name: 'pg', Driver: 'docker', Config: { image: 'pg' } }],
          Services: [
            {
              Name: 'pg',
              PortLabel: 'pg',
              Provider: 'nomad',
              Checks: [{ Type: 'tcp', Interval: S, Timeout: S }],
            },
          ],
        },
        {
          Name: 'replica',
          Networks: [{ DynamicPorts: [{ Label: 'pg', To: 5432 }] }],
          Tasks: [{ Name: 'pg', Driver: 'docker', Config: { image: 'pg' } }],
          Services: [
            { Name: 'pg', PortLabel: 'pg', Provider: 'nomad' },
            {
              Name: 'pg-health',
              PortLabel: 'pg',
              Provider: 'nomad',
              Checks: [{ Type: 'tcp', Interval: S, Timeout: S }],
            },
          ],
        },
      ],
    } as Job);
    const ctx = groupContext(j, 1);
    expect(byName(ctx).get('pg')?.publishNotReadyAddresses).toBe(false);
    expect(warningsAt(ctx, 'TaskGroups[1].Services[0]')).toEqual([
      'this registration of service "pg" has no check, but TaskGroups[0].Services[0] has: the one Service pg routes only to ready pods, so this group\'s pods, whose readiness comes from another service\'s check, are reached only once that check passes (Consul counts an instance without checks as passing); give one of the two registrations another service name',
    ]);
  });

  it('a headless Service (no port) follows the same rule', () => {
    const ctx = groupContext(es('service', { PortLabel: '' }));
    expect(byName(ctx).get('es-transport')).toMatchObject({
      clusterIP: 'None',
      publishNotReadyAddresses: true,
    });
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
      for (const service of servicesOf(ctx)) {
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
          // A static port's UDP entry has no name (a name belongs to one protocol).
          if (port.protocol === 'UDP') expect(port.name).toBeUndefined();
          else {
            expect(isIanaSvcName(port.name ?? '')).toBe(true);
            expect(seen.has(port.name ?? '')).toBe(false);
            seen.add(port.name ?? '');
          }
          expect(port.containerPort).toBeGreaterThan(0);
          expect(port.containerPort).toBeLessThan(65536);
        }
        expect(taskNetworking(groupContext(j, g), t, i)).toEqual(net);
      });
      expect(servicesOf(groupContext(j, g))).toEqual(servicesOf(ctx));
    });
  });
});

describe('Service names and selection', () => {
  it('names the Service after the interpolated Nomad service name', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 80 }] }],
        Services: [
          { Name: '${NOMAD_JOB_NAME}-web', PortLabel: 'http', Provider: 'nomad' },
          { Name: '${NOMAD_GROUP_NAME}-${NOMAD_META_tier}', PortLabel: 'http', Provider: 'nomad' },
          { Name: 'Edge-API', PortLabel: 'http', Provider: 'nomad' },
        ],
        Meta: { tier: 'front' },
      }),
    );
    expect(servicesOf(ctx).map((s) => s.metadata?.name)).toEqual(['app-front', 'edge-api', 'web-web']);
    expect(servicesOf(ctx).map((s) => s.metadata?.annotations?.[ANNOTATION_SERVICE_NAME])).toEqual([
      'app-front',
      'Edge-API',
      'web-web',
    ]);
    // A case-only difference needs no word: DNS names ignore case.
    expect(ctx.warnings.filter((w) => w.path.endsWith('.Name'))).toEqual([]);
  });

  it('derives a valid name deterministically for a name that is no DNS-1035 label, and says which', () => {
    expect(kubernetesServiceName('web')).toEqual({ name: 'web', derived: false });
    const digits = kubernetesServiceName('1password');
    expect(digits.derived).toBe(true);
    expect(digits.name).toMatch(/^s-1password-[a-z2-7]{8}$/);
    expect(kubernetesServiceName('1password')).toEqual(digits);
    expect(kubernetesServiceName('1Password').name).not.toBe(digits.name);
    const ctx = groupContext(
      groupJob({
        Services: [
          { Name: '${NOMAD_ALLOC_ID}-x', Provider: 'nomad' },
          { Name: '9lives', Provider: 'nomad' },
        ],
      }),
    );
    const names = servicesOf(ctx).map((s) => s.metadata?.name ?? '');
    for (const name of names) expect(isDns1035Label(name), name).toBe(true);
    const nine = kubernetesServiceName('9lives').name;
    expect(warningsAt(ctx, 'TaskGroups[0].Services[1].Name')).toEqual([
      `service name "9lives" is not a valid Kubernetes Service name (a DNS-1035 label: at most 63 of a-z, 0-9 and "-", starting with a letter); the Service is named "${nine}": consumers must look up ${nine}.apps.svc`,
    ]);
    // A runtime-only value stays unresolved in the name, with both warnings.
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Name')).toHaveLength(2);
  });

  it('gives pods of a group the label of every service it registers, group and task services', () => {
    const j = groupJob({
      Networks: [{ DynamicPorts: [{ Label: 'http', To: 80 }] }],
      Services: [{ Name: 'front', PortLabel: 'http', Provider: 'nomad' }],
      Tasks: [
        {
          Name: 'main',
          Driver: 'docker',
          Config: { image: 'x' },
          Services: [{ Name: 'metrics', PortLabel: 'http', Provider: 'nomad' }],
        },
      ],
    });
    const { objects } = translate(j, { namespace: 'apps' });
    const deployment = objects.find((o) => o.kind === 'Deployment') as V1Deployment;
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({
      [serviceLabelKey('front')]: 'true',
      [serviceLabelKey('metrics')]: 'true',
    });
    // The Deployment's selector stays the group's: only pod labels grow.
    expect(Object.keys(deployment.spec?.selector.matchLabels ?? {})).not.toContain(serviceLabelKey('front'));
    const services = objects.filter((o) => o.kind === 'Service') as V1Service[];
    expect(services.map((s) => s.metadata?.name)).toEqual(['front', 'metrics']);
    // Shared Services carry no job identity nor group annotation.
    for (const s of services) {
      expect(s.metadata?.labels).toEqual({
        [LABEL_MANAGED_BY]: MANAGED_BY,
        [LABEL_SERVICE]: s.metadata?.name,
      });
      expect(s.metadata?.annotations?.['nomadoperator.dev/group']).toBeUndefined();
      expect(isSharedService(s)).toBe(true);
    }
  });

  it('translates a service two groups register into one Service without a warning about names', () => {
    const j = groupJob({ Services: [{ Name: 'api', Provider: 'nomad' }] }, [
      {
        Name: 'b',
        Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }],
        Services: [{ Name: 'api', Provider: 'nomad' }],
      },
    ]);
    const { objects, warnings } = translate(j, { namespace: 'apps' });
    expect(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata?.name)).toEqual(['api']);
    expect(warnings.filter((w) => w.message.includes('left out'))).toEqual([]);
  });
});

describe('host network', () => {
  it('pods on the host network resolve cluster names: dnsPolicy ClusterFirstWithHostNet', () => {
    const hostJob = (config: Record<string, unknown>, network: Record<string, unknown> = {}) =>
      groupJob({
        Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'x', ...config } }],
        Networks: [{ Mode: 'host', ...network }],
      });
    const podSpec = (j: Job) =>
      (translate(j, { namespace: 'apps' }).objects.find((o) => o.kind === 'Deployment') as V1Deployment).spec
        ?.template.spec;
    expect(podSpec(hostJob({ network_mode: 'host' }))).toMatchObject({
      hostNetwork: true,
      dnsPolicy: 'ClusterFirstWithHostNet',
    });
    // Not on the host network: the default policy.
    expect(podSpec(hostJob({}))?.dnsPolicy).toBeUndefined();
    // The job's own name servers win.
    expect(podSpec(hostJob({ network_mode: 'host' }, { DNS: { Servers: ['1.1.1.1'] } }))?.dnsPolicy).toBe(
      'None',
    );
  });
});

describe('router tags → Ingress', () => {
  it('reads Traefik rules and Fabio prefixes', () => {
    expect(traefikRuleRoutes('Host(`a.example.com`) && PathPrefix(`/api`)')).toEqual([
      { host: 'a.example.com', path: '/api', pathType: 'Prefix' },
    ]);
    expect(traefikRuleRoutes('Host(`a.example.com`, `b.example.com`)')).toEqual([
      { host: 'a.example.com', path: '/', pathType: 'Prefix' },
      { host: 'b.example.com', path: '/', pathType: 'Prefix' },
    ]);
    expect(traefikRuleRoutes('Path("/exact")')).toEqual([{ host: '', path: '/exact', pathType: 'Exact' }]);
    expect(typeof traefikRuleRoutes('Host(`a`) || Host(`b`)')).toBe('string');
    expect(typeof traefikRuleRoutes('HostRegexp(`{x:.+}`)')).toBe('string');
    expect(fabioRoute('urlprefix-shop.example.com/cart')).toEqual({
      host: 'shop.example.com',
      path: '/cart',
      pathType: 'Prefix',
    });
    expect(fabioRoute('urlprefix-/')).toEqual({ host: '', path: '/', pathType: 'Prefix' });
    expect(typeof fabioRoute('urlprefix-/ strip=/x')).toBe('string');
    expect(typeof fabioRoute('urlprefix-:1234 proto=tcp')).toBe('string');
    expect(routerTags(['traefik.enable=false', 'traefik.http.routers.x.rule=Host(`a`)'])).toEqual({
      kind: 'none',
    });
    expect(routerTags(['v1', 'primary'])).toEqual({ kind: 'none' });
    expect(routerTags(['traefik.enable=true']).kind).toBe('ambiguous');
    const rule = 'traefik.http.routers.d.rule=Host(`t.example.com`)';
    expect(routerTags([rule, 'traefik.http.routers.d.service=api@internal'], 'dash').kind).toBe('ambiguous');
    expect(routerTags([rule, 'traefik.http.routers.d.service=dash'], 'dash').kind).toBe('routes');
    // A Traefik service the tags themselves define is this service too.
    const own = [
      rule,
      'traefik.http.routers.d.service=dash-svc',
      'traefik.http.services.dash-svc.loadbalancer.server.port=8080',
    ];
    expect(routerTags(own, 'dash').kind).toBe('routes');
    expect(routerTags([rule, 'traefik.http.routers.d.service=dash@consulcatalog'], 'dash').kind).toBe(
      'routes',
    );
    expect(
      routerTags([rule, 'traefik.http.middlewares.strip.stripprefix.prefixes=/orders'], 'orders').kind,
    ).toBe('ambiguous');
    expect(routerTags([rule, 'traefik.http.middlewares.auth.basicauth.users=u:p'], 'x')).toEqual({
      kind: 'routes',
      routes: [{ host: 't.example.com', path: '/', pathType: 'Prefix' }],
      unconverted: ['traefik.http.middlewares.auth.basicauth.users=u:p'],
    });
  });

  it('publishes no route that a router middleware restricts, or that it cannot see', () => {
    const rule = 'traefik.http.routers.g.rule=Host(`grafana.example.com`)';
    const auth = 'traefik.http.middlewares.g-auth.basicauth.users=admin:$apr1$x';
    const allow = 'traefik.http.middlewares.office.ipallowlist.sourcerange=10.0.0.0/8';
    const headers = 'traefik.http.middlewares.g-headers.headers.stsseconds=31536000';
    const uses = (names: string) => `traefik.http.routers.g.middlewares=${names}`;
    const reason = (tags: string[]) => {
      const parsed = routerTags([rule, auth, allow, headers, ...tags], 'grafana');
      return parsed.kind === 'ambiguous' ? parsed.reason : parsed.kind;
    };
    expect(reason([uses('g-headers, g-auth')])).toBe(
      `"${uses('g-headers, g-auth')}" uses middleware "g-auth" (basicauth), which restricts who reaches the service; an Ingress would publish it to everyone`,
    );
    expect(reason([uses('office@consulcatalog')])).toContain('(ipallowlist), which restricts');
    expect(reason([uses('g-headers,office-only@file')])).toBe(
      `"${uses('g-headers,office-only@file')}" uses middleware "office-only@file", which these tags do not define: it may restrict who reaches the service, which an Ingress would not`,
    );
    expect(reason([uses('shared-sso')])).toContain('"shared-sso", which these tags do not define');
    // Defined but used by no router of this service: nothing restricts this route.
    expect(reason([])).toBe('routes');
    // Middlewares that only shape responses keep the route, reported as not converted.
    const kept = routerTags([rule, headers, uses('g-headers')], 'grafana');
    expect(kept).toEqual({
      kind: 'routes',
      routes: [{ host: 'grafana.example.com', path: '/', pathType: 'Prefix' }],
      unconverted: [headers, uses('g-headers')],
    });
  });

  const routed = (tags: string[], ports = [{ Label: 'http', To: 8080 }]) =>
    groupContext(
      groupJob({
        Networks: [{ DynamicPorts: ports }],
        Services: [{ Name: 'shop', PortLabel: 'http', Provider: 'nomad', Tags: tags }],
      }),
    );

  it('converts unambiguous routes to an Ingress to the Service and its port', () => {
    const ctx = routed([
      'traefik.enable=true',
      'traefik.http.routers.shop.rule=Host(`shop.example.com`) && PathPrefix(`/cart`)',
      'traefik.http.routers.shop.entrypoints=websecure',
      'urlprefix-/shop',
    ]);
    const ingress = groupServices(ctx).find((o) => o.kind === 'Ingress') as V1Ingress;
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress.metadata?.name).toBe('web--shop');
    const backend = { service: { name: 'shop', port: { number: 8080 } } };
    expect(ingress.spec).toEqual({
      rules: [
        { host: 'shop.example.com', http: { paths: [{ path: '/cart', pathType: 'Prefix', backend }] } },
        { http: { paths: [{ path: '/shop', pathType: 'Prefix', backend }] } },
      ],
    });
    expect(ingress.spec?.ingressClassName).toBeUndefined();
    // What the Ingress does not carry is said.
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Tags')).toEqual([
      'router tags "traefik.http.routers.shop.entrypoints=websecure" of service "shop" are not converted (entry points, TLS, middlewares): the Ingress routes plain HTTP by host and path only',
    ]);
  });

  it('warns once per service, with what to do, when the routing is ambiguous', () => {
    const ctx = routed(['traefik.enable=true', 'traefik.http.routers.a.rule=Host(`a`) || Path(`/b`)']);
    expect(groupServices(ctx).some((o) => o.kind === 'Ingress')).toBe(false);
    expect(warningsAt(ctx, 'TaskGroups[0].Services[0].Tags')).toEqual([
      'router tags of service "shop" are not converted (rule "Host(`a`) || Path(`/b`)" is not a Host/PathPrefix/Path conjunction): nothing routes requests to it; create an Ingress or Gateway route to the Service shop port 8080',
    ]);
    const noRule = routed(['traefik.enable=true']);
    expect(groupServices(noRule).some((o) => o.kind === 'Ingress')).toBe(false);
    expect(warningsAt(noRule, 'TaskGroups[0].Services[0].Tags')).toHaveLength(1);
    // A Traefik service of the tags that sends the requests to another port than the service's.
    const rule = 'traefik.http.routers.a.rule=Host(`a.example.com`)';
    const lb = (port: number) => `traefik.http.services.shop-svc.loadbalancer.server.port=${port}`;
    const elsewhere = routed([rule, 'traefik.http.routers.a.service=shop-svc', lb(9000)]);
    expect(groupServices(elsewhere).some((o) => o.kind === 'Ingress')).toBe(false);
    expect(warningsAt(elsewhere, 'TaskGroups[0].Services[0].Tags')).toHaveLength(1);
    const same = routed([rule, 'traefik.http.routers.a.service=shop-svc', lb(8080)]);
    expect(groupServices(same).some((o) => o.kind === 'Ingress')).toBe(true);
  });

  it('the translated Ingress is the job’s own object, made once', () => {
    const j = groupJob(
      {
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
        Services: [{ Name: 'shop', PortLabel: 'http', Provider: 'nomad', Tags: ['urlprefix-/'] }],
      },
      [
        {
          Name: 'b',
          Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
          Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }],
          Services: [{ Name: 'shop', PortLabel: 'http', Provider: 'nomad', Tags: ['urlprefix-/'] }],
        },
      ],
    );
    const { objects, warnings } = translate(j, { namespace: 'apps' });
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    expect(ingresses.map((o) => o.metadata?.name)).toEqual(['web--shop']);
    expect(ingresses[0]?.metadata?.labels?.['nomadoperator.dev/job']).toBe('web');
    expect(warnings.filter((w) => w.message.includes('left out'))).toEqual([]);
  });
});

describe('service ports written as references', () => {
  it('`port = "${NOMAD_PORT_api}"` is the label api (targetPort by name)', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [{ DynamicPorts: [{ Label: 'api', To: 8080 }] }],
        Services: [{ Name: 'uuid-api', PortLabel: '${NOMAD_PORT_api}', Provider: 'nomad' }],
      }),
    );
    expect(servicesOf(ctx)[0]?.spec?.ports).toEqual([
      { name: 'api', port: 8080, targetPort: 'api', protocol: 'TCP' },
      { name: 'api-udp', port: 8080, targetPort: 8080, protocol: 'UDP' },
    ]);
    expect(ctx.warnings).toEqual([]);
  });
});

describe('Service port of a static port', () => {
  it('is the static port, as Nomad registers it, targeting the container port by name', () => {
    const ctx = groupContext(
      groupJob({
        Networks: [{ ReservedPorts: [{ Label: 'ssh', Value: 2222, To: 22 }] }],
        Services: [{ Name: 'git-ssh', PortLabel: 'ssh', Provider: 'nomad' }],
      }),
    );
    expect(servicesOf(ctx)[0]?.spec?.ports).toEqual([
      { name: 'ssh', port: 2222, targetPort: 'ssh', protocol: 'TCP' },
      // UDP reaches the container port by number: a port name belongs to one protocol.
      { name: 'ssh-udp', port: 2222, targetPort: 22, protocol: 'UDP' },
    ]);
  });
});
