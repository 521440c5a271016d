// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
import { readdirSync } from 'node:fs';
import type { V1EnvVar } from '@kubernetes/client-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Job, Task } from '../../../src/nomad/schema.ts';
import {
  ALLOC_DIR,
  escapeKubernetesExpansion,
  interpolate,
  JOB_COMPLETION_INDEX_ANNOTATION,
  knownEnvValue,
  mergedMeta,
  SECRETS_DIR,
  TASK_DIR,
  taskEnv,
} from '../../../src/translate/env.ts';
import { planPorts } from '../../../src/translate/networking.ts';
import { groupPlacement } from '../../../src/translate/placement.ts';
import { corpusJob, groupContext, job, type TestContext, warningsAt } from './group-context.ts';

/** Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion), for checking escapes. */
function kubernetesExpand(input: string, vars: Record<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === '$' && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const rest = input.slice(cursor + 1);
      let advance = 1;
      if (rest[0] === '$') out += '$';
      else if (rest[0] === '(') {
        const close = rest.indexOf(')', 1);
        if (close > 0) {
          const name = rest.slice(1, close);
          out += Object.hasOwn(vars, name) ? vars[name] : `$(${name})`;
          advance = close + 1;
        } else out += '$(';
      } else out += `$${rest[0]}`;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}

const byName = (env: V1EnvVar[]) => Object.fromEntries(env.map((e) => [e.name, e]));
const envValue = (env: V1EnvVar[], name: string) => byName(env)[name]?.value;

function task(ctx: TestContext, index = 0): Task {
  const t = ctx.group.Tasks?.[index];
  if (!t) throw new Error(`no task ${index}`);
  return t;
}

/** A one-group, one-task service job with the given pieces. */
function simpleJob(overrides: {
  job?: Partial<Job>;
  group?: Record<string, unknown>;
  task?: Record<string, unknown>;
  tasks?: Record<string, unknown>[];
}): Job {
  return job({
    ID: 'web',
    Type: 'service',
    Datacenters: ['dc1'],
    ...overrides.job,
    TaskGroups: [
      {
        Name: 'app',
        ...overrides.group,
        Tasks: overrides.tasks ?? [
          { Name: 'main', Driver: 'docker', Config: { image: 'x' }, ...overrides.task },
        ],
      },
    ],
  } as Job);
}

describe('task directories', () => {
  it('are the agreed mount points', () => {
    expect([TASK_DIR, ALLOC_DIR, SECRETS_DIR]).toEqual(['/local', '/alloc', '/secrets']);
  });
});

describe('taskEnv: the redis sample (service-redis-cache)', () => {
  const ctx = groupContext(corpusJob('service-redis-cache'));
  const env = taskEnv(ctx, task(ctx), 0);

  it('lists the runtime variables in a fixed order, then the ports', () => {
    expect(env.map((e) => e.name)).toEqual([
      'NOMAD_ALLOC_DIR',
      'NOMAD_ALLOC_ID',
      'NOMAD_ALLOC_INDEX',
      'NOMAD_ALLOC_NAME',
      'NOMAD_CPU_LIMIT',
      'NOMAD_DC',
      'NOMAD_GROUP_NAME',
      'NOMAD_JOB_ID',
      'NOMAD_JOB_NAME',
      'NOMAD_MEMORY_LIMIT',
      'NOMAD_NAMESPACE',
      'NOMAD_REGION',
      'NOMAD_SECRETS_DIR',
      'NOMAD_TASK_DIR',
      'NOMAD_TASK_NAME',
      'NOMAD_IP_db',
      'NOMAD_PORT_db',
      'NOMAD_HOST_PORT_db',
      'NOMAD_ADDR_db',
    ]);
  });

  it('gives Nomad’s values, field by field', () => {
    const vars = byName(env);
    expect(vars.NOMAD_ALLOC_DIR).toEqual({ name: 'NOMAD_ALLOC_DIR', value: '/alloc' });
    expect(vars.NOMAD_TASK_DIR?.value).toBe('/local');
    expect(vars.NOMAD_SECRETS_DIR?.value).toBe('/secrets');
    expect(vars.NOMAD_ALLOC_ID).toEqual({
      name: 'NOMAD_ALLOC_ID',
      valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } },
    });
    expect(vars.NOMAD_ALLOC_INDEX?.value).toBe('0');
    expect(vars.NOMAD_ALLOC_NAME?.value).toBe('example.cache[0]');
    expect(vars.NOMAD_CPU_LIMIT?.value).toBe('500');
    expect(vars.NOMAD_MEMORY_LIMIT?.value).toBe('256');
    expect(vars.NOMAD_DC?.value).toBe('dc1');
    expect(vars.NOMAD_GROUP_NAME?.value).toBe('cache');
    expect(vars.NOMAD_JOB_ID?.value).toBe('example');
    expect(vars.NOMAD_JOB_NAME?.value).toBe('example');
    expect(vars.NOMAD_NAMESPACE?.value).toBe('default');
    expect(vars.NOMAD_REGION?.value).toBe('global');
    expect(vars.NOMAD_TASK_NAME?.value).toBe('redis');
    expect(vars.NOMAD_JOB_PARENT_ID).toBeUndefined();
  });

  it('describes the port: pod IP, container port, host port, address', () => {
    const vars = byName(env);
    expect(vars.NOMAD_IP_db).toEqual({
      name: 'NOMAD_IP_db',
      valueFrom: { fieldRef: { fieldPath: 'status.podIP' } },
    });
    expect(vars.NOMAD_PORT_db?.value).toBe('6379');
    expect(vars.NOMAD_HOST_PORT_db?.value).toBe('6379');
    expect(vars.NOMAD_ADDR_db?.value).toBe('$(NOMAD_IP_db):6379');
    expect(kubernetesExpand(vars.NOMAD_ADDR_db?.value ?? '', { NOMAD_IP_db: '10.0.0.7' })).toBe(
      '10.0.0.7:6379',
    );
    expect(ctx.warnings).toEqual([]);
  });
});

describe('taskEnv: the port variables fewer jobs read', () => {
  const network = {
    Networks: [
      {
        Mode: 'bridge',
        DynamicPorts: [{ Label: 'api', To: 9000 }],
        ReservedPorts: [{ Label: 'ui', Value: 9001 }],
      },
    ],
  };

  it('are set when the task refers to them: alloc port and IP, host IP and address', () => {
    const ctx = groupContext(
      simpleJob({
        group: network,
        task: {
          Config: { image: 'x', args: ['--address=:${NOMAD_ALLOC_PORT_api}', '--ui=${NOMAD_HOST_ADDR_ui}'] },
          Env: { URL: 'http://${NOMAD_HOST_ADDR_api}', BIND: '${NOMAD_ALLOC_IP_api}' },
        },
      }),
    );
    const env = taskEnv(ctx, task(ctx), 0);
    const vars = byName(env);
    expect(vars.NOMAD_ALLOC_PORT_api?.value).toBe('9000');
    expect(vars.NOMAD_ALLOC_IP_api?.valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
    // A static port is reached at the node's IP and its host port; the others at the pod's.
    expect(vars.NOMAD_HOST_IP_ui?.valueFrom?.fieldRef?.fieldPath).toBe('status.hostIP');
    expect(vars.NOMAD_HOST_ADDR_ui?.value).toBe('$(NOMAD_HOST_IP_ui):9001');
    expect(vars.NOMAD_HOST_IP_api?.valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
    expect(vars.NOMAD_HOST_ADDR_api?.value).toBe('$(NOMAD_HOST_IP_api):9000');
    expect(vars.URL?.value).toBe('http://$(NOMAD_HOST_ADDR_api)');
    // Every reference comes after the variable it names (Kubernetes expands from earlier entries).
    const at = (name: string) => env.findIndex((e) => e.name === name);
    expect(at('NOMAD_HOST_IP_api')).toBeLessThan(at('NOMAD_HOST_ADDR_api'));
    expect(at('NOMAD_HOST_ADDR_api')).toBeLessThan(at('URL'));
    expect(vars.NOMAD_ALLOC_ADDR_api).toBeUndefined();
    expect(interpolate(ctx, task(ctx), '--address=:${NOMAD_ALLOC_PORT_api}')).toBe('--address=:9000');
    expect(ctx.warnings).toEqual([]);
    // A task that does not refer to them does not get them.
    const plain = groupContext(simpleJob({ group: network }));
    const names = taskEnv(plain, task(plain), 0).map((e) => e.name);
    expect(names.filter((n) => /^NOMAD_(ALLOC_PORT|ALLOC_IP|ALLOC_ADDR|HOST_IP|HOST_ADDR)_/.test(n))).toEqual(
      [],
    );
  });

  it("the node's IP with the host port of a port no node forwards is said to reach nothing", () => {
    const ctx = groupContext(
      simpleJob({
        group: network,
        task: {
          Env: {
            ADVERTISED_HOST: '${attr.unique.network.ip-address}',
            ADVERTISED_PORT: '${NOMAD_HOST_PORT_api}',
            UI_PORT: '${NOMAD_HOST_PORT_ui}',
          },
        },
      }),
    );
    taskEnv(ctx, task(ctx), 0);
    // (NOMAD_HOST_PORT_api2 would not count for api: names are matched whole.)
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0]')).toEqual([
      `\${attr.unique.network.ip-address} is the node's IP, and port "api" is not forwarded from the node (only static ports get a hostPort): an address made of the two reaches nothing; advertise NOMAD_HOST_ADDR_api (or NOMAD_HOST_IP_api with NOMAD_HOST_PORT_api), which is the pod's IP and port here, reachable from every pod`,
    ]);
    // Read in a template, the same; on the node's network (a task's network_mode host), nothing to say.
    const templated = groupContext(
      simpleJob({
        group: network,
        task: {
          Templates: [
            {
              DestPath: 'local/advertise.env',
              Envvars: true,
              EmbeddedTmpl:
                'HOST={{ env "attr.unique.network.ip-address" }}\nPORT={{ env "NOMAD_HOST_PORT_api" }}\n',
            },
          ],
        },
      }),
    );
    taskEnv(templated, task(templated), 0);
    expect(warningsAt(templated, 'TaskGroups[0].Tasks[0]')).toHaveLength(1);
    const onNode = groupContext(
      simpleJob({
        group: network,
        task: {
          Config: { image: 'x', network_mode: 'host' },
          Env: { ADVERTISED: '${attr.unique.network.ip-address}:${NOMAD_HOST_PORT_api}' },
        },
      }),
    );
    taskEnv(onNode, task(onNode), 0);
    expect(warningsAt(onNode, 'TaskGroups[0].Tasks[0]')).toEqual([]);
  });
});

describe('taskEnv: a static port mapped with `to` (static = 8080, to = 80)', () => {
  const every = [
    'NOMAD_IP_http',
    'NOMAD_PORT_http',
    'NOMAD_HOST_PORT_http',
    'NOMAD_ADDR_http',
    'NOMAD_ALLOC_PORT_http',
    'NOMAD_ALLOC_IP_http',
    'NOMAD_ALLOC_ADDR_http',
    'NOMAD_HOST_IP_http',
    'NOMAD_HOST_ADDR_http',
  ];
  const mapped = (mode: string, config: Record<string, unknown>) =>
    groupContext(
      simpleJob({
        group: { Networks: [{ Mode: mode, ReservedPorts: [{ Label: 'http', Value: 8080, To: 80 }] }] },
        task: { Config: { image: 'x', ...config, args: every.map((n) => `\${${n}}`) } },
      }),
    );

  it('the task listens on `to`, the node forwards the static port: Nomad’s values, the pod’s IP for NOMAD_IP', () => {
    // Bridge mode, and Nomad's default host mode with docker's own port mapping: the same pod.
    for (const ctx of [mapped('bridge', { ports: ['http'] }), mapped('host', { ports: ['http'] })]) {
      const vars = byName(taskEnv(ctx, task(ctx), 0));
      const field = (name: string) => vars[name]?.valueFrom?.fieldRef?.fieldPath;
      expect(vars.NOMAD_PORT_http?.value).toBe('80');
      expect(vars.NOMAD_ALLOC_PORT_http?.value).toBe('80');
      expect(vars.NOMAD_HOST_PORT_http?.value).toBe('8080');
      // Nomad's NOMAD_HOST_* are the node's address and the port it forwards: here too.
      expect(field('NOMAD_HOST_IP_http')).toBe('status.hostIP');
      expect(vars.NOMAD_HOST_ADDR_http?.value).toBe('$(NOMAD_HOST_IP_http):8080');
      // Nomad's NOMAD_IP/ADDR name the host too (host IP:8080); a pod has its own IP, which every pod
      // reaches and the task can bind: the pod's IP and the port the task listens on.
      expect(field('NOMAD_IP_http')).toBe('status.podIP');
      expect(vars.NOMAD_ADDR_http?.value).toBe('$(NOMAD_IP_http):80');
      expect(field('NOMAD_ALLOC_IP_http')).toBe('status.podIP');
      expect(vars.NOMAD_ALLOC_ADDR_http?.value).toBe('$(NOMAD_ALLOC_IP_http):80');
      expect(ctx.warnings).toEqual([]);
    }
  });

  it('on the host network: the same values, as Nomad sets them, though nothing forwards 8080 there', () => {
    const ctx = mapped('host', { network_mode: 'host' });
    const vars = byName(taskEnv(ctx, task(ctx), 0));
    expect(vars.NOMAD_PORT_http?.value).toBe('80');
    expect(vars.NOMAD_HOST_PORT_http?.value).toBe('8080');
    expect(vars.NOMAD_HOST_ADDR_http?.value).toBe('$(NOMAD_HOST_IP_http):8080');
    // The pod's IP is the node's there.
    expect(vars.NOMAD_ADDR_http?.value).toBe('$(NOMAD_IP_http):80');
  });
});

describe('taskEnv: port labels that are not variable names (grpc-web)', () => {
  it('NOMAD_IP/PORT/HOST_PORT/ADDR are cleaned, the others keep the label, as Nomad names them', () => {
    const ctx = groupContext(
      simpleJob({
        group: { Networks: [{ Mode: 'bridge', ReservedPorts: [{ Label: 'grpc-web', Value: 8081 }] }] },
        task: {
          Env: {
            HOST: '${NOMAD_HOST_ADDR_grpc-web}',
            INSIDE: '${NOMAD_ALLOC_PORT_grpc-web}',
            CLEANED: '${NOMAD_HOST_ADDR_grpc_web}',
          },
        },
      }),
    );
    const env = taskEnv(ctx, task(ctx), 0);
    const names = env.map((e) => e.name).filter((n) => n.includes('grpc'));
    expect(names).toEqual([
      'NOMAD_IP_grpc_web',
      'NOMAD_PORT_grpc_web',
      'NOMAD_HOST_PORT_grpc_web',
      'NOMAD_ADDR_grpc_web',
      'NOMAD_ALLOC_PORT_grpc-web',
      'NOMAD_HOST_IP_grpc-web',
      'NOMAD_HOST_ADDR_grpc-web',
    ]);
    expect(envValue(env, 'HOST')).toBe('$(NOMAD_HOST_ADDR_grpc-web)');
    expect(envValue(env, 'INSIDE')).toBe('8081');
    // Nomad sets no NOMAD_HOST_ADDR_grpc_web: left as written, as there.
    expect(envValue(env, 'CLEANED')).toBe('${NOMAD_HOST_ADDR_grpc_web}');
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0].Env.CLEANED')).toEqual([
      '${NOMAD_HOST_ADDR_grpc_web} is not set: the group declares no port "grpc_web" (Nomad would not set it either); left as is',
    ]);
  });
});

describe('taskEnv: meta and env (meta-env)', () => {
  const ctx = groupContext(corpusJob('meta-env'));

  it('merges meta job < group < task and exposes it with sorted keys', () => {
    expect(mergedMeta(ctx, task(ctx, 0))).toEqual({
      canary: 'true',
      'cost-center': '1234',
      owner: 'alice',
      role: 'primary',
      'team.name': 'platform',
      tier: 'backend',
    });
    expect(Object.keys(mergedMeta(ctx, task(ctx, 1)))).toEqual([
      'build.sha',
      'canary',
      'cost-center',
      'owner',
      'team.name',
      'tier',
    ]);
  });

  it('sets NOMAD_META_<KEY> and NOMAD_META_<key>, cleaned like Nomad (only letters, digits, _ and . survive)', () => {
    const env = taskEnv(ctx, task(ctx, 1), 1);
    const meta = env.filter((e) => e.name.startsWith('NOMAD_META_')).map((e) => [e.name, e.value]);
    expect(meta).toEqual([
      ['NOMAD_META_BUILD.SHA', 'abc123'],
      ['NOMAD_META_build.sha', 'abc123'],
      ['NOMAD_META_CANARY', 'true'],
      ['NOMAD_META_canary', 'true'],
      ['NOMAD_META_COST_CENTER', '1234'],
      ['NOMAD_META_cost_center', '1234'],
      ['NOMAD_META_OWNER', 'alice'],
      ['NOMAD_META_owner', 'alice'],
      ['NOMAD_META_TEAM.NAME', 'platform'],
      ['NOMAD_META_team.name', 'platform'],
      ['NOMAD_META_TIER', 'backend'],
      ['NOMAD_META_tier', 'backend'],
    ]);
  });

  it('puts the task env last, sorted by name; a whole-value node name comes from the downward API', () => {
    const env = taskEnv(ctx, task(ctx, 1), 1);
    expect(env.slice(-3)).toEqual([
      { name: 'JAVA_OPTS', value: '-Xmx512m' },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'app.mode', value: 'strict' },
    ]);
  });

  it('leaves a reference to a port the group does not have as written, with a warning', () => {
    const env = taskEnv(ctx, task(ctx, 0), 0);
    expect(envValue(env, 'PORT')).toBe('${NOMAD_PORT_http}');
    expect(envValue(env, 'WORKERS')).toBe('4');
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0].Env.PORT')).toEqual([
      '${NOMAD_PORT_http} is not set: the group declares no port "http" (Nomad would not set it either); left as is',
    ]);
  });
});

describe('taskEnv: runtime references (runtime-references)', () => {
  const ctx = groupContext(corpusJob('runtime-references'));
  const env = taskEnv(ctx, task(ctx), 0);

  it('interpolates NOMAD_* in env values, as Nomad does at runtime (also HCL-escaped $${…})', () => {
    expect(envValue(env, 'MIXED')).toBe('prefix-t-suffix');
    expect(envValue(env, 'ESCAPED')).toBe('refs');
    expect(envValue(env, 'PLAIN')).toBe('$HOME');
    expect(byName(env).HOST_IP).toEqual({
      name: 'HOST_IP',
      valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } },
    });
    expect(envValue(env, 'UPSTREAM')).toBe('${NOMAD_UPSTREAM_ADDR_db}');
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0].Env.UPSTREAM')).toHaveLength(1);
  });

  it('reads NOMAD_DC from the datacenter pod label when the job names no single datacenter (label mapped)', () => {
    const mapped = groupContext(corpusJob('runtime-references'), 0, {
      nodeAttributeLabels: { 'node.datacenter': 'topology.kubernetes.io/zone' },
    });
    expect(byName(taskEnv(mapped, task(mapped), 0)).NOMAD_DC).toEqual({
      name: 'NOMAD_DC',
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } },
    });
    // No datacenter label by default: no value to read.
    expect(byName(env).NOMAD_DC).toBeUndefined();
  });

  it('says why a NOMAD_* name stays: unknown to Nomad too (with the name it resembles), or not available here', () => {
    const c = groupContext(corpusJob('runtime-references'));
    const t = task(c);
    for (const text of [
      '${NOMAD_PARENT_JOB_ID}',
      '${NOMAD_SOMETHING}',
      '${NOMAD_PARENT_CGROUP}',
      '${NOMAD_TOKEN_aws}',
      '${NOMAD_ENVOY_ADMIN_ADDR_api}',
    ]) {
      expect(interpolate(c, t, text)).toBe(text);
    }
    expect(c.warnings.map((w) => w.message)).toEqual([
      '${NOMAD_PARENT_JOB_ID} is not a variable Nomad sets (it would leave it as written too); did you mean NOMAD_JOB_PARENT_ID?',
      '${NOMAD_SOMETHING} is not a variable Nomad sets (it would leave it as written too)',
      '${NOMAD_PARENT_CGROUP} is not available on Kubernetes; left as is',
      '${NOMAD_TOKEN_aws} is not available on Kubernetes; left as is',
      '${NOMAD_ENVOY_ADMIN_ADDR_api} is not available on Kubernetes; left as is',
    ]);
  });

  it('interpolates driver args: runtime values as $(…), node properties left with a warning', () => {
    const c = groupContext(corpusJob('runtime-references'));
    const args = ((task(c).Config?.args ?? []) as string[]).map((a) => interpolate(c, task(c), a));
    expect(args).toEqual([
      '--bind=${NOMAD_IP_http}:${NOMAD_PORT_http}',
      '--alloc=$(NOMAD_ALLOC_ID)',
      '--rack=${ meta.rack }',
      '--gpu=${device.attr.model}',
      '--index=0',
    ]);
    expect(c.warnings.map((w) => [w.path, w.message])).toEqual([
      [
        'TaskGroups[0].Tasks[0].Config',
        '${NOMAD_IP_http} is not set: the group declares no port "http" (Nomad would not set it either); left as is',
      ],
      [
        'TaskGroups[0].Tasks[0].Config',
        '${NOMAD_PORT_http} is not set: the group declares no port "http" (Nomad would not set it either); left as is',
      ],
      [
        'TaskGroups[0].Tasks[0].Config',
        '${device.attr.model} is a property of the Nomad client node, unknown when translating; left as is',
      ],
    ]);
  });

  it('keeps runtime values as ${…} with a warning in fields Kubernetes does not expand', () => {
    const c = groupContext(corpusJob('runtime-references'));
    const hostname = interpolate(c, task(c), '${node.unique.name}.${node.datacenter}', {
      kubernetes: false,
      path: 'TaskGroups[0].Tasks[0].Config.hostname',
    });
    expect(hostname).toBe('${node.unique.name}.${node.datacenter}');
    // ${node.datacenter} (several datacenters, none mapped) is said once for the group, by taskEnv.
    expect(warningsAt(c, 'TaskGroups[0].Tasks[0].Config.hostname')).toHaveLength(1);
  });
});

describe('interpolate', () => {
  const ctx = groupContext(
    simpleJob({
      job: { Region: 'eu', Meta: { owner: 'alice' }, NodePool: 'gpu' },
      group: {
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
      },
      task: { Env: { FOO: 'bar-${NOMAD_PORT_http}', RUNTIME: '${NOMAD_IP_http}' } },
    }),
  );
  const t = task(ctx);

  it('resolves NOMAD_*, meta, env.X, task env names, node.region and node.pool', () => {
    expect(interpolate(ctx, t, 'http://${NOMAD_ADDR_http}/x')).toBe('http://$(NOMAD_ADDR_http)/x');
    expect(interpolate(ctx, t, '${NOMAD_PORT_http} ${NOMAD_HOST_PORT_http}')).toBe('8080 8080');
    expect(interpolate(ctx, t, '${NOMAD_META_owner}/${NOMAD_META_OWNER}')).toBe('alice/alice');
    expect(interpolate(ctx, t, '${env.FOO}|${FOO}')).toBe('bar-8080|bar-8080');
    expect(interpolate(ctx, t, '${RUNTIME}')).toBe('$(NOMAD_IP_http)');
    expect(interpolate(ctx, t, '${node.region}/${node.pool}/${NOMAD_REGION}')).toBe('eu/gpu/eu');
    expect(interpolate(ctx, t, '${UNKNOWN} ${ spaced }')).toBe('${UNKNOWN} ${ spaced }');
    expect(ctx.warnings).toEqual([]);
  });

  it('escapes literal $( and $$ for Kubernetes expansion, so the text survives it', () => {
    const out = interpolate(ctx, t, 'sh -c "echo $(date) $$ $HOME ${NOMAD_JOB_ID}"');
    expect(out).toBe('sh -c "echo $$(date) $$$ $HOME web"');
    expect(kubernetesExpand(out, { date: 'NO' })).toBe('sh -c "echo $(date) $$ $HOME web"');
  });

  it('plain mode: no escaping, runtime values kept with a warning', () => {
    const c = groupContext(ctx.job);
    expect(interpolate(c, task(c), '$(x) ${NOMAD_ALLOC_ID} ${NOMAD_JOB_ID}', { kubernetes: false })).toBe(
      '$(x) ${NOMAD_ALLOC_ID} web',
    );
    expect(warningsAt(c, 'TaskGroups[0].Tasks[0].Config')).toHaveLength(1);
  });

  it('escapeKubernetesExpansion is undone exactly by Kubernetes expansion', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('$', '(', ')', 'A', 'b', ' ', '{', '}') }), (text) => {
        expect(kubernetesExpand(escapeKubernetesExpansion(text), { A: 'X', b: 'Y' })).toBe(text);
      }),
    );
  });
});

describe('taskEnv: index, datacenter, resources, parents', () => {
  it('batch jobs with count > 1 read the index from the Indexed Job annotation', () => {
    const ctx = groupContext(simpleJob({ job: { Type: 'batch' }, group: { Count: 3 } }));
    const env = taskEnv(ctx, task(ctx), 0);
    expect(byName(env).NOMAD_ALLOC_INDEX).toEqual({
      name: 'NOMAD_ALLOC_INDEX',
      valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } },
    });
    expect(envValue(env, 'NOMAD_ALLOC_NAME')).toBe('web.app[$(NOMAD_ALLOC_INDEX)]');
    expect(kubernetesExpand(envValue(env, 'NOMAD_ALLOC_NAME') ?? '', { NOMAD_ALLOC_INDEX: '2' })).toBe(
      'web.app[2]',
    );
  });

  it('service jobs with count > 1 get index 0, reported when the group uses the index', () => {
    const ctx = groupContext(
      simpleJob({ group: { Count: 3 }, task: { Env: { I: '${NOMAD_ALLOC_INDEX}' } } }),
    );
    const env = taskEnv(ctx, task(ctx), 0);
    expect(envValue(env, 'NOMAD_ALLOC_INDEX')).toBe('0');
    expect(envValue(env, 'I')).toBe('0');
    expect(warningsAt(ctx, 'TaskGroups[0].Count')).toHaveLength(1);
    const quiet = groupContext(simpleJob({ group: { Count: 3 } }));
    taskEnv(quiet, task(quiet), 0);
    expect(quiet.warnings).toEqual([]);
  });

  it('several datacenters: NOMAD_DC from the pod label, reported only when the group uses it', () => {
    const spread = { Spreads: [{ Attribute: '${node.datacenter}' }] };
    const zone = { nodeAttributeLabels: { 'node.datacenter': 'topology.kubernetes.io/zone' } };
    const quiet = groupContext(simpleJob({ job: { Datacenters: ['a', 'b'] }, group: spread }), 0, zone);
    expect(byName(taskEnv(quiet, task(quiet), 0)).NOMAD_DC?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.labels['topology.kubernetes.io/zone']",
    );
    expect(quiet.warnings).toEqual([]);
    const used = groupContext(
      simpleJob({ job: { Datacenters: ['a', 'b'] }, group: spread, task: { Env: { DC: 'dc=${NOMAD_DC}' } } }),
      0,
      zone,
    );
    const env = taskEnv(used, task(used), 0);
    expect(envValue(env, 'DC')).toBe('dc=$(NOMAD_DC)');
    expect(warningsAt(used, 'TaskGroups[0]')).toHaveLength(1);
  });

  it('NOMAD_CPU_LIMIT from cores, NOMAD_MEMORY_MAX_LIMIT, NOMAD_JOB_PARENT_ID', () => {
    const ctx = groupContext(
      simpleJob({
        job: { ParentID: 'parent', Name: 'web-name' },
        task: { Resources: { Cores: 2, MemoryMB: 512, MemoryMaxMB: 1024 } },
      }),
      0,
      { millicoresPerMHz: 2 },
    );
    const env = taskEnv(ctx, task(ctx), 0);
    expect(envValue(env, 'NOMAD_CPU_LIMIT')).toBe('1000');
    expect(envValue(env, 'NOMAD_MEMORY_LIMIT')).toBe('512');
    expect(envValue(env, 'NOMAD_MEMORY_MAX_LIMIT')).toBe('1024');
    expect(envValue(env, 'NOMAD_JOB_PARENT_ID')).toBe('parent');
    expect(envValue(env, 'NOMAD_JOB_NAME')).toBe('web-name');
  });

  it('a periodic job’s runs: their parent’s ID as NOMAD_JOB_PARENT_ID; their own ID reported when used', () => {
    const periodic = { Type: 'batch', Periodic: { Enabled: true, Specs: ['0 3 * * *'], SpecType: 'cron' } };
    const plain = groupContext(simpleJob({ job: periodic }));
    expect(envValue(taskEnv(plain, task(plain), 0), 'NOMAD_JOB_PARENT_ID')).toBe('web');
    expect(plain.warnings.filter((w) => w.path === 'TaskGroups[0]')).toEqual([]);
    const using = groupContext(
      simpleJob({ job: periodic, task: { Env: { BUCKET: 's3://backups/${NOMAD_JOB_NAME}' } } }),
    );
    taskEnv(using, task(using), 0);
    expect(using.warnings.filter((w) => w.path === 'TaskGroups[0]').map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^NOMAD_JOB_ID, NOMAD_JOB_NAME and NOMAD_ALLOC_NAME of a periodic run are the periodic job's \("web"\), not the run's own "web\/periodic-<launch time>"/,
      ),
    ]);
    // A periodic sysbatch job is a DaemonSet, not a CronJob: its pods are not runs of it.
    const sysbatch = groupContext(
      simpleJob({ job: { ...periodic, Type: 'sysbatch' }, task: { Env: { ID: '${NOMAD_JOB_ID}' } } }),
    );
    expect(envValue(taskEnv(sysbatch, task(sysbatch), 0), 'NOMAD_JOB_PARENT_ID')).toBeUndefined();
    expect(sysbatch.warnings.filter((w) => w.path === 'TaskGroups[0]')).toEqual([]);
  });

  it('a task env var named like a runtime variable replaces it (once, with the task’s value)', () => {
    const ctx = groupContext(simpleJob({ task: { Env: { NOMAD_REGION: 'mine' } } }));
    const env = taskEnv(ctx, task(ctx), 0);
    expect(env.filter((e) => e.name === 'NOMAD_REGION')).toEqual([{ name: 'NOMAD_REGION', value: 'mine' }]);
    expect(env.at(-1)?.name).toBe('NOMAD_REGION');
  });

  it('dispatched jobs default optional meta to ""', () => {
    const ctx = groupContext(
      simpleJob({
        job: {
          Type: 'batch',
          Dispatched: true,
          ParentID: 'p',
          ParameterizedJob: { MetaOptional: ['extra', 'given'] },
          Meta: { given: 'yes' },
        },
      }),
    );
    const env = taskEnv(ctx, task(ctx), 0);
    expect(envValue(env, 'NOMAD_META_extra')).toBe('');
    expect(envValue(env, 'NOMAD_META_EXTRA')).toBe('');
    expect(envValue(env, 'NOMAD_META_given')).toBe('yes');
  });

  it('meta values are interpolated; invalid env names are skipped with a warning', () => {
    const ctx = groupContext(
      simpleJob({ task: { Meta: { self: '${NOMAD_TASK_NAME}' }, Env: { 'A=B': 'x', '': 'y', ok: 'z' } } }),
    );
    const env = taskEnv(ctx, task(ctx), 0);
    expect(envValue(env, 'NOMAD_META_self')).toBe('main');
    expect(env.map((e) => e.name)).not.toContain('A=B');
    expect(env.map((e) => e.name)).not.toContain('');
    expect(envValue(env, 'ok')).toBe('z');
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0].Env.A=B')).toHaveLength(1);
  });

  it('ports of another task’s own network appear as NOMAD_*_<task>_<label>', () => {
    const ctx = groupContext(
      simpleJob({
        tasks: [
          { Name: 'a', Driver: 'docker', Config: { image: 'x' } },
          {
            Name: 'b',
            Driver: 'docker',
            Config: { image: 'y' },
            Resources: { Networks: [{ ReservedPorts: [{ Label: 'admin', Value: 9000 }] }] },
          },
        ],
      }),
    );
    const a = taskEnv(ctx, task(ctx, 0), 0);
    expect(envValue(a, 'NOMAD_PORT_b_admin')).toBe('9000');
    expect(envValue(a, 'NOMAD_ADDR_b_admin')).toBe('$(NOMAD_IP_b_admin):9000');
    expect(envValue(a, 'NOMAD_PORT_admin')).toBeUndefined();
    const b = taskEnv(ctx, task(ctx, 1), 1);
    expect(envValue(b, 'NOMAD_PORT_admin')).toBe('9000');
    expect(envValue(b, 'NOMAD_HOST_PORT_admin')).toBe('9000');
  });

  it('dynamic ports without `to` get the planned port, the same one networking declares', () => {
    const ctx = groupContext(corpusJob('network-ports'));
    const env = taskEnv(ctx, task(ctx), 0);
    const metrics = planPorts(ctx).byLabel.get('metrics');
    expect(envValue(env, 'NOMAD_PORT_metrics')).toBe(String(metrics?.containerPort));
    expect(envValue(env, 'NOMAD_PORT_http')).toBe('8080');
    expect(envValue(env, 'NOMAD_HOST_PORT_http')).toBe('80');
  });
});

describe('taskEnv over the corpus', () => {
  const names = readdirSync(new URL('../../fixtures/jobspecs/', import.meta.url))
    .filter((f) => f.endsWith('.canonical.json'))
    .map((f) => f.replace(/\.canonical\.json$/, ''))
    .sort();

  it.each(names)('%s: unique valid names, $(…) only to earlier variables, deterministic', (name) => {
    const j = corpusJob(name);
    (j.TaskGroups ?? []).forEach((_, g) => {
      const ctx = groupContext(j, g);
      (ctx.group.Tasks ?? []).forEach((t, i) => {
        const env = taskEnv(ctx, t, i);
        const seen = new Set<string>();
        for (const e of env) {
          expect(e.name).toMatch(/^[\x20-\x7e]+$/);
          expect(e.name).not.toContain('=');
          expect(seen.has(e.name)).toBe(false);
          for (const m of (e.value ?? '').matchAll(/(?<!\$)(?:\$\$)*\$\(([^)]*)\)/g)) {
            expect(seen.has(m[1] ?? ''), `${e.name} refers to $(${m[1]})`).toBe(true);
          }
          expect(e.value === undefined || e.valueFrom === undefined).toBe(true);
          seen.add(e.name);
        }
        expect(taskEnv(groupContext(j, g), t, i)).toEqual(env);
      });
    });
  });
});

describe('knownEnvValue (what {{ env "X" }} renders to in templates)', () => {
  const names = readdirSync(new URL('../../fixtures/jobspecs/', import.meta.url))
    .filter((f) => f.endsWith('.canonical.json'))
    .map((f) => f.replace(/\.canonical\.json$/, ''))
    .sort();

  it.each(names)('%s: the literal the container env holds, never a runtime or approximated value', (name) => {
    const j = corpusJob(name);
    (j.TaskGroups ?? []).forEach((_, g) => {
      const ctx = groupContext(j, g);
      (ctx.group.Tasks ?? []).forEach((t, i) => {
        for (const e of taskEnv(ctx, t, i)) {
          const known = knownEnvValue(ctx, t, e.name);
          if (known === undefined) continue;
          expect(e.valueFrom, e.name).toBeUndefined();
          expect(escapeKubernetesExpansion(known), e.name).toBe(e.value);
        }
        expect(knownEnvValue(ctx, t, 'NOMAD_ALLOC_ID')).toBeUndefined();
        expect(knownEnvValue(ctx, t, 'NOT_SET_ANYWHERE')).toBeUndefined();
      });
    });
  });

  it('knows directories, names, ports, meta and the task env; not pod-only or approximated values', () => {
    const input = simpleJob({
      job: { Region: 'eu', Meta: { owner: 'alice' } },
      group: { Count: 3, Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }] },
      task: {
        Env: {
          NOMAD_TASK_DIR: '/custom',
          GREETING: 'hi ${NOMAD_TASK_NAME} on ${NOMAD_PORT_http}',
          AT_RUNTIME: 'ip ${NOMAD_IP_http}',
          NODE: '${node.unique.name}',
        },
      },
    });
    const ctx = groupContext(input);
    const t = task(ctx);
    const known = (name: string) => knownEnvValue(ctx, t, name);
    expect(known('NOMAD_ALLOC_DIR')).toBe('/alloc');
    expect(known('NOMAD_SECRETS_DIR')).toBe('/secrets');
    expect(known('NOMAD_TASK_DIR')).toBe('/custom');
    expect(known('NOMAD_REGION')).toBe('eu');
    expect(known('NOMAD_PORT_http')).toBe('8080');
    expect(known('NOMAD_META_owner')).toBe('alice');
    expect(known('NOMAD_META_OWNER')).toBe('alice');
    expect(known('GREETING')).toBe(`hi ${t.Name} on 8080`);
    for (const name of [
      'NOMAD_IP_http',
      'NOMAD_ADDR_http',
      'AT_RUNTIME',
      'NODE',
      'NOMAD_ALLOC_INDEX',
      'NOMAD_ALLOC_NAME',
    ]) {
      expect(known(name), name).toBeUndefined();
    }
    // With one replica the index is exactly Nomad's.
    const single = groupContext(simpleJob({ group: { Count: 1 } }));
    expect(knownEnvValue(single, task(single), 'NOMAD_ALLOC_INDEX')).toBe('0');
  });
});

describe('NOMAD_UPSTREAM_* (Connect upstreams)', () => {
  /** A mesh: group "web" has upstreams to "count-api" (a service of group "api") and "db" (elsewhere). */
  const mesh = job({
    ID: 'dash',
    Type: 'service',
    TaskGroups: [
      {
        Name: 'api',
        Networks: [{ Mode: 'bridge' }],
        Services: [{ Name: 'count-api', PortLabel: '9001', Connect: { SidecarService: {} } }],
        Tasks: [{ Name: 'api', Driver: 'docker', Config: { image: 'api' } }],
      },
      {
        Name: 'web',
        Networks: [{ Mode: 'bridge', DynamicPorts: [{ Label: 'http', To: 9002 }] }],
        Services: [
          {
            Name: 'count-dashboard',
            PortLabel: '9002',
            Connect: {
              SidecarService: {
                Proxy: {
                  Upstreams: [
                    { DestinationName: 'count-api', LocalBindPort: 8080 },
                    { DestinationName: 'db-main', LocalBindPort: 5432 },
                  ],
                },
              },
            },
          },
        ],
        Tasks: [
          {
            Name: 'dashboard',
            Driver: 'docker',
            Config: { image: 'dash', args: ['--api', '${NOMAD_UPSTREAM_ADDR_count_api}'] },
            Env: { COUNTING_SERVICE_URL: 'http://${NOMAD_UPSTREAM_ADDR_count_api}' },
          },
        ],
      },
    ],
  } as Job);

  it('point at the upstream Service (DNS name and Service port) when it is a service of the job', () => {
    const ctx = groupContext(mesh, 1);
    const env = taskEnv(ctx, ctx.group.Tasks![0]!, 0);
    const value = (name: string) => env.find((e) => e.name === name)?.value;
    // Raw and cleaned names, as Nomad sets both.
    expect(value('NOMAD_UPSTREAM_ADDR_count-api')).toBe('count-api.apps.svc:9001');
    expect(value('NOMAD_UPSTREAM_ADDR_count_api')).toBe('count-api.apps.svc:9001');
    expect(value('NOMAD_UPSTREAM_IP_count_api')).toBe('count-api.apps.svc');
    expect(value('NOMAD_UPSTREAM_PORT_count_api')).toBe('9001');
    // Interpolated where Nomad interpolates them.
    expect(value('COUNTING_SERVICE_URL')).toBe('http://count-api.apps.svc:9001');
    expect(interpolate(ctx, ctx.group.Tasks![0]!, '${NOMAD_UPSTREAM_PORT_count-api}')).toBe('9001');
    // The local bind port has no proxy behind it: said once.
    expect(
      warningsAt(ctx, 'TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[0].LocalBindPort'),
    ).toEqual([
      'upstream "count-api" has no local proxy on port 8080: NOMAD_UPSTREAM_ADDR_count-api is count-api.apps.svc:9001; tasks that connect to 127.0.0.1:8080 must use it instead',
    ]);
  });

  it('name only the Service of an upstream of another job, and say that the port is unknown', () => {
    const ctx = groupContext(mesh, 1);
    const env = taskEnv(ctx, ctx.group.Tasks![0]!, 0);
    expect(env.find((e) => e.name === 'NOMAD_UPSTREAM_IP_db_main')?.value).toBe('db-main.apps.svc');
    expect(env.some((e) => e.name === 'NOMAD_UPSTREAM_ADDR_db_main')).toBe(false);
    expect(env.some((e) => e.name === 'NOMAD_UPSTREAM_PORT_db-main')).toBe(false);
    expect(
      warningsAt(ctx, 'TaskGroups[1].Services[0].Connect.SidecarService.Proxy.Upstreams[1].DestinationName'),
    ).toHaveLength(1);
    // Its address in args is left as written, said once at the upstream, not again as undeclared.
    const task = ctx.group.Tasks![0]!;
    expect(interpolate(ctx, task, 'postgres://u@${NOMAD_UPSTREAM_ADDR_db_main}/x')).toBe(
      'postgres://u@${NOMAD_UPSTREAM_ADDR_db_main}/x',
    );
    expect(ctx.warnings.filter((w) => w.message.includes('declares no Connect upstream'))).toEqual([]);
    interpolate(ctx, task, '${NOMAD_UPSTREAM_ADDR_ledger}');
    expect(ctx.warnings.filter((w) => w.message.includes('declares no Connect upstream'))).toHaveLength(1);
  });

  it('are only set in the group that declares the upstreams', () => {
    const ctx = groupContext(mesh, 0);
    const env = taskEnv(ctx, ctx.group.Tasks![0]!, 0);
    expect(env.some((e) => e.name.startsWith('NOMAD_UPSTREAM_'))).toBe(false);
  });
});

describe('node attributes placement pins: ${attr.kernel.name}, ${attr.cpu.arch}', () => {
  const url = 'https://example.com/exporter-1.0.${attr.kernel.name}-${attr.cpu.arch}.tar.gz';
  /** blackbox: an exec task fetching the build of its node's OS and architecture. */
  const exporter = (constraints: unknown[] = [], extra: Record<string, unknown> = {}) =>
    groupContext(
      job({
        ID: 'blackbox',
        Type: 'system',
        Constraints: constraints,
        TaskGroups: [
          {
            Name: 'blackbox',
            Tasks: [
              {
                Name: 'blackbox',
                Driver: 'exec',
                Config: { command: 'local/exporter-1.0.${attr.kernel.name}-${attr.cpu.arch}/exporter' },
                Templates: [{ DestPath: 'local/os', EmbeddedTmpl: '{{ env "attr.kernel.name" }}' }],
              },
            ],
            ...extra,
          },
        ],
      } as Job),
      0,
      { nodeAttributeLabels: { 'meta.rack': 'example.com/rack' } },
    );

  it('unconstrained: linux and amd64, with the pods pinned there and the architecture guess said', () => {
    const c = exporter();
    expect(interpolate(c, task(c), url)).toBe('https://example.com/exporter-1.0.linux-amd64.tar.gz');
    expect(knownEnvValue(c, task(c), 'attr.kernel.name')).toBe('linux');
    expect(groupPlacement(c).nodeSelector).toEqual({
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
    });
    expect(c.warnings).toEqual([
      {
        path: 'TaskGroups[0]',
        message:
          '${attr.cpu.arch} is the node\'s CPU architecture, which a pod cannot read: the pods are pinned to amd64 nodes (kubernetes.io/arch=amd64) and it is "amd64" in them; to run on another architecture, constrain attr.cpu.arch to it (the pods are then pinned there and get that value)',
      },
    ]);
  });

  it('an equality constraint gives its value: the pods are pinned there by it, nothing is guessed', () => {
    const c = exporter([
      { LTarget: '${attr.cpu.arch}', RTarget: 'arm64', Operand: '=' },
      { LTarget: '${meta.rack}', RTarget: 'r1', Operand: '=' },
    ]);
    expect(interpolate(c, task(c), url)).toBe('https://example.com/exporter-1.0.linux-arm64.tar.gz');
    // Any mapped attribute an equality constraint pins.
    expect(interpolate(c, task(c), '--rack=${meta.rack}')).toBe('--rack=r1');
    expect(groupPlacement(c).nodeSelector).toEqual({
      'kubernetes.io/arch': 'arm64',
      'example.com/rack': 'r1',
      'kubernetes.io/os': 'linux',
    });
    expect(c.warnings).toEqual([]);
  });

  it('other rules on the attribute leave the node’s value open: as written, with the warning', () => {
    for (const rules of [
      { Constraints: [{ LTarget: '${attr.cpu.arch}', RTarget: '^(amd64|arm64)$', Operand: 'regexp' }] },
      { Affinities: [{ LTarget: '${attr.cpu.arch}', RTarget: 'arm64', Operand: '=', Weight: 50 }] },
    ]) {
      const c = exporter([], rules);
      expect(interpolate(c, task(c), url)).toBe(
        'https://example.com/exporter-1.0.linux-${attr.cpu.arch}.tar.gz',
      );
      expect(c.warnings.map((w) => w.message)).toEqual([
        '${attr.cpu.arch} is a property of the Nomad client node, unknown when translating; left as is',
      ]);
      expect(groupPlacement(c).nodeSelector?.['kubernetes.io/arch']).toBeUndefined();
    }
  });

  it('a group that does not use them is not pinned', () => {
    const c = groupContext(
      job({
        ID: 'web',
        TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }] }],
      } as Job),
    );
    expect(groupPlacement(c)).toEqual({});
  });

  it('a template’s text is not interpolated: ${attr.cpu.arch} there pins nothing, env "attr.cpu.arch" does', () => {
    const withTemplate = (text: string) =>
      groupContext(
        job({
          ID: 'web',
          TaskGroups: [
            {
              Name: 'g',
              Tasks: [
                {
                  Name: 't',
                  Driver: 'docker',
                  Config: { image: 'x' },
                  Templates: [{ DestPath: 'local/x.conf', EmbeddedTmpl: text }],
                },
              ],
            },
          ],
        } as Job),
      );
    expect(
      groupPlacement(withTemplate('# built for ${attr.cpu.arch} on ${attr.kernel.name}\nlisten 80;')),
    ).toEqual({});
    expect(groupPlacement(withTemplate('arch = {{ env "attr.cpu.arch" }}')).nodeSelector).toEqual({
      'kubernetes.io/arch': 'amd64',
    });
  });
});
