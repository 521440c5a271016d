// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad attribute references are literal "${…}" text
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configUsage, type OperatorConfig, parseConfig } from '../../src/config.ts';
import { translatorOptionKeys, translatorOptionNames } from '../../src/translate/options.ts';

function ok(argv: string[], env: Record<string, string> = {}): OperatorConfig {
  const result = parseConfig(argv, env);
  if (!result.ok) throw new Error(`unexpected errors: ${result.errors.join('; ')}`);
  return result.config;
}

function errors(argv: string[], env: Record<string, string> = {}): string[] {
  const result = parseConfig(argv, env);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('parseConfig', () => {
  it('has documented defaults', () => {
    expect(ok([])).toEqual({
      kubeconfig: undefined,
      listen: { host: '127.0.0.1', port: 4646 },
      metricsListen: { host: '127.0.0.1', port: 9464 },
      api: true,
      controller: true,
      leaderElection: {
        enabled: true,
        namespace: 'default',
        id: 'nomad-operator-leader',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
      defaultNamespace: 'default',
      allowAnonymous: true,
      workers: 4,
      resyncMs: 600_000,
      historyLimit: 6,
      informerStaleAfterMs: 600_000,
      shutdownTimeoutMs: 5_000,
      kubeApiQps: 50,
      kubeApiBurst: 100,
      apiLimits: {
        jobMaxCount: 50_000,
        jobMaxTaskGroups: 100,
        jobMaxBytes: 1_048_576,
        maxBlockingQueries: 500,
        requestTimeoutMs: 60_000,
        headersTimeoutMs: 10_000,
      },
      logLevel: 'info',
      translator: {},
    } satisfies OperatorConfig);
  });

  it('reads the environment', () => {
    const config = ok([], {
      KUBECONFIG: '/tmp/kc',
      NOMAD_OPERATOR_LISTEN: '0.0.0.0:8646',
      NOMAD_OPERATOR_API: 'false',
      NOMAD_OPERATOR_WORKERS: '8',
      NOMAD_OPERATOR_RESYNC: '1h30m',
      NOMAD_OPERATOR_LOG_LEVEL: 'DEBUG',
      POD_NAMESPACE: 'operators',
    });
    expect(config.kubeconfig).toBe('/tmp/kc');
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8646 });
    expect(config.api).toBe(false);
    expect(config.workers).toBe(8);
    expect(config.resyncMs).toBe(5_400_000);
    expect(config.logLevel).toBe('debug');
    expect(config.leaderElection.namespace).toBe('operators');
  });

  it('lets flags win over the environment', () => {
    const env = {
      KUBECONFIG: '/env/kc',
      NOMAD_OPERATOR_WORKERS: '8',
      NOMAD_OPERATOR_LEADER_ELECT: 'true',
      NOMAD_OPERATOR_LEADER_ELECTION_NAMESPACE: 'from-env',
      POD_NAMESPACE: 'pod-ns',
    };
    const config = ok(
      [
        '--kubeconfig',
        '/flag/kc',
        '--workers=2',
        '--no-leader-elect',
        '--leader-election-namespace',
        'from-flag',
      ],
      env,
    );
    expect(config.kubeconfig).toBe('/flag/kc');
    expect(config.workers).toBe(2);
    expect(config.leaderElection.enabled).toBe(false);
    expect(config.leaderElection.namespace).toBe('from-flag');
    // The operator's own variable beats the downward-API convention.
    expect(ok([], env).leaderElection.namespace).toBe('from-env');
  });

  it('accepts every boolean spelling and the last occurrence of a flag', () => {
    expect(ok(['--no-api']).api).toBe(false);
    expect(ok(['--api=false']).api).toBe(false);
    expect(ok(['--no-api', '--api']).api).toBe(true);
    expect(ok(['--controller=0', '--api']).controller).toBe(false);
    expect(ok(['--workers', '3', '--workers', '5']).workers).toBe(5);
    expect(ok([], { NOMAD_OPERATOR_CONTROLLER: 'no' }).controller).toBe(false);
  });

  it('parses listen addresses', () => {
    expect(ok(['--listen', ':4646']).listen).toEqual({ host: '0.0.0.0', port: 4646 });
    expect(ok(['--listen', '[::1]:4647']).listen).toEqual({ host: '::1', port: 4647 });
    expect(ok(['--metrics-listen=localhost:0']).metricsListen).toEqual({ host: 'localhost', port: 0 });
  });

  it('parses leader election timings as Go durations', () => {
    const config = ok([
      '--leader-election-lease-duration',
      '3s',
      '--leader-election-renew-deadline',
      '2s',
      '--leader-election-retry-period',
      '500ms',
    ]);
    expect(config.leaderElection).toMatchObject({
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 500,
    });
  });

  it('names the flag or variable of every bad value', () => {
    const found = errors(['--workers', 'many', '--resync=soon', '--listen', 'nohost'], {
      NOMAD_OPERATOR_HISTORY_LIMIT: '0',
      NOMAD_OPERATOR_LOG_LEVEL: 'loud',
      NOMAD_OPERATOR_DEFAULT_NAMESPACE: 'Not_A_Namespace',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        '--workers: expected an integer from 1 to 1000, got "many"',
        '--resync: expected a duration such as 30s, 10m or 1h30m, got "soon"',
        expect.stringMatching(/^--listen: expected host:port .* got "nohost"$/u),
        'NOMAD_OPERATOR_HISTORY_LIMIT: expected an integer from 1 to 1000, got "0"',
        'NOMAD_OPERATOR_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
        'NOMAD_OPERATOR_DEFAULT_NAMESPACE: expected a Kubernetes namespace name (lowercase DNS label)',
      ]),
    );
    expect(found).toHaveLength(6);
  });

  it('rejects unknown flags, missing values and stray arguments', () => {
    expect(errors(['--wokers', '2'])).toEqual([
      'unknown flag --wokers',
      'unexpected argument "2" (options start with --)',
    ]);
    expect(errors(['--workers'])).toEqual(['--workers needs a value']);
    expect(errors(['--workers', '--no-api'])).toEqual(['--workers needs a value']);
    expect(errors(['--no-api=true'])).toEqual(['--no-api takes no value (use --api=true)']);
    expect(errors(['--no-workers'])).toEqual(['unknown flag --no-workers']);
    expect(errors(['--api=maybe'])).toEqual(['--api: expected true or false, got "maybe"']);
  });

  it('checks values against each other', () => {
    expect(errors(['--no-api', '--no-controller'])).toEqual([
      '--no-api and --no-controller together leave nothing to run',
    ]);
    expect(errors(['--leader-election-renew-deadline', '20s'])).toEqual([
      '--leader-election-lease-duration (default), --leader-election-renew-deadline, --leader-election-retry-period (default): lease duration must be greater than renew deadline',
    ]);
    expect(errors(['--listen', '127.0.0.1:9464'])).toEqual([
      '--listen and --metrics-listen (default) must differ',
    ]);
    expect(errors(['--resync', '10ms'])).toEqual(['--resync: must be at least 1s, got "10ms"']);
  });

  it('reads every translator option from its flag or its variable, flags winning per option', () => {
    const env = {
      NOMAD_OPERATOR_DATACENTER_LABEL: 'topology.kubernetes.io/zone',
      NOMAD_OPERATOR_REGION_LABEL: 'topology.kubernetes.io/region',
      NOMAD_OPERATOR_NODE_POOL_LABEL: 'example.com/pool',
      NOMAD_OPERATOR_NODE_CLASS_LABEL: 'example.com/class',
      NOMAD_OPERATOR_NODE_ATTRIBUTE_LABELS: 'meta.rack=example.com/rack, ${attr.os.name}=example.com/os',
      NOMAD_OPERATOR_EXEC_IMAGE: 'debian:12',
      NOMAD_OPERATOR_JAVA_IMAGE: 'eclipse-temurin:17-jre',
      NOMAD_OPERATOR_ARTIFACT_IMAGE: 'alpine:3',
      NOMAD_OPERATOR_MILLICORES_PER_MHZ: '0.5',
      NOMAD_OPERATOR_ALLOWED_UNSAFE_SYSCTLS: 'net.core.somaxconn, kernel.msg*',
    };
    expect(ok([], env).translator).toEqual({
      millicoresPerMHz: 0.5,
      allowedUnsafeSysctls: ['net.core.somaxconn', 'kernel.msg*'],
      execImage: 'debian:12',
      javaImage: 'eclipse-temurin:17-jre',
      artifactImage: 'alpine:3',
      nodeAttributeLabels: {
        'attr.os.name': 'example.com/os',
        'meta.rack': 'example.com/rack',
        'node.class': 'example.com/class',
        'node.datacenter': 'topology.kubernetes.io/zone',
        'node.pool': 'example.com/pool',
        'node.region': 'topology.kubernetes.io/region',
      },
    });
    const flagged = ok(
      [
        '--datacenter-label=example.com/dc',
        '--node-attribute-label',
        'meta.row=example.com/row',
        '--node-attribute-label=meta.room=example.com/room',
        '--exec-image',
        'ubuntu:24.04',
        '--millicores-per-mhz=2',
        '--allowed-unsafe-sysctl=net.ipv4.*',
        '--allowed-unsafe-sysctl',
        'net.ipv4.*',
      ],
      env,
    ).translator;
    expect(flagged).toMatchObject({
      execImage: 'ubuntu:24.04',
      millicoresPerMHz: 2,
      allowedUnsafeSysctls: ['net.ipv4.*'],
    });
    // The flags' list replaces the variable's; the other variables still count.
    expect(flagged.nodeAttributeLabels).toEqual({
      'meta.room': 'example.com/room',
      'meta.row': 'example.com/row',
      'node.class': 'example.com/class',
      'node.datacenter': 'example.com/dc',
      'node.pool': 'example.com/pool',
      'node.region': 'topology.kubernetes.io/region',
    });
  });

  it('rejects bad translator options, naming the flag or variable', () => {
    expect(
      errors(['--datacenter-label', 'not a label', '--millicores-per-mhz=0', '--node-attribute-label=rack'], {
        NOMAD_OPERATOR_EXEC_IMAGE: 'has space',
        NOMAD_OPERATOR_MILLICORES_PER_MHZ: '-1',
      }),
    ).toEqual([
      '--millicores-per-mhz: expected a positive number, got "0"',
      'NOMAD_OPERATOR_EXEC_IMAGE: expected an image reference, got "has space"',
      '--datacenter-label: expected a Kubernetes label key such as topology.kubernetes.io/zone, got "not a label"',
      '--node-attribute-label: expected <attribute>=<node label> with a node.*, attr.* or meta.* attribute, such as meta.rack=example.com/rack, got "rack"',
    ]);
    expect(errors(['--millicores-per-mhz', 'fast'])).toEqual([
      '--millicores-per-mhz: expected a positive number, got "fast"',
    ]);
    expect(errors(['--node-attribute-label=meta.rack=Bad Label'])).toEqual([
      '--node-attribute-label: expected a Kubernetes label key after meta.rack=, got "Bad Label"',
    ]);
    expect(
      errors(['--datacenter-label=a.example/dc', '--node-attribute-label=node.datacenter=b.example/dc']),
    ).toEqual([
      '--node-attribute-label: node attribute node.datacenter is already mapped to a.example/dc by --datacenter-label',
    ]);
    expect(errors(['--exec-image'])).toEqual(['--exec-image needs a value']);
    expect(errors(['--allowed-unsafe-sysctl=net.*.somaxconn'])).toEqual([
      '--allowed-unsafe-sysctl: expected a sysctl name such as net.core.somaxconn, or a prefix ending in * such as net.core.*, got "net.*.somaxconn"',
    ]);
  });

  it('reads the write limit from --kube-api-qps/--kube-api-burst and their variables, refusing bad values', () => {
    expect(ok(['--kube-api-qps=0.5', '--kube-api-burst', '7'])).toMatchObject({
      kubeApiQps: 0.5,
      kubeApiBurst: 7,
    });
    expect(ok([], { NOMAD_OPERATOR_KUBE_API_QPS: '75', NOMAD_OPERATOR_KUBE_API_BURST: '150' })).toMatchObject(
      {
        kubeApiQps: 75,
        kubeApiBurst: 150,
      },
    );
    expect(ok(['--kube-api-qps=0']).kubeApiQps).toBe(0);
    expect(errors(['--kube-api-qps=-1', '--kube-api-burst=0'])).toEqual([
      '--kube-api-qps: expected a number of writes per second from 0 (no limit) to 100000, got "-1"',
      '--kube-api-burst: expected an integer from 1 to 100000, got "0"',
    ]);
  });

  it('documents every flag', () => {
    const usage = configUsage();
    for (const flag of [
      '--kubeconfig',
      '--listen',
      '--metrics-listen',
      '--[no-]api',
      '--[no-]controller',
      '--[no-]leader-elect',
      '--workers',
      '--resync',
      '--history-limit',
      '--log-level',
      '--default-namespace',
    ]) {
      expect(usage).toContain(flag);
    }
    expect(usage).toContain('env NOMAD_OPERATOR_LEADER_ELECTION_NAMESPACE or POD_NAMESPACE');
    for (const line of [
      /--datacenter-label <node label> +node label holding the Nomad datacenter.*\(env NOMAD_OPERATOR_DATACENTER_LABEL; default none: datacenters pin nothing\)/u,
      /--node-attribute-label <attribute>=<node label> .*env NOMAD_OPERATOR_NODE_ATTRIBUTE_LABELS/u,
      /--exec-image <image> .*\(env NOMAD_OPERATOR_EXEC_IMAGE; default busybox:1\.37\)/u,
      /--millicores-per-mhz <number> .*\(env NOMAD_OPERATOR_MILLICORES_PER_MHZ; default 1\)/u,
    ]) {
      expect(usage).toMatch(line);
    }
  });

  it('docs/translation.md lists each translator option with its flag, variable and Helm value', () => {
    const doc = readFileSync(new URL('../../docs/translation.md', import.meta.url), 'utf8');
    for (const key of translatorOptionKeys) {
      const names = translatorOptionNames[key];
      const row = doc.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${names.env}\``));
      expect(row, key).toBeDefined();
      expect(row).toContain(`\`--${names.flag} ${names.value}\``);
      expect(row).toContain(`\`${names.helm}\``);
    }
  });
});
