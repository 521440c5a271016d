// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolations are literal "${…}" text
// `nomad-operator convert`, end to end (spawned as users run it) and its helpers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CommandIo,
  runConvert,
  splitAssignments,
  variableLine,
  variablesText,
} from '../../../src/cli/convert.ts';
import { parseConfig } from '../../../src/config.ts';
import { desiredObjects } from '../../../src/controller/reconcile.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { checkSpec } from '../../../src/jobs/spec.ts';
import { ensureJobspecWasm } from '../nomad/hcl/helpers.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const corpus = (name: string) => join('test/fixtures/jobspecs', name);

function cli(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ['src/cli/main.ts', ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function documents(stdout: string): KubernetesObject[] {
  return yaml.loadAll(stdout) as KubernetesObject[];
}

beforeAll(ensureJobspecWasm, 600_000);

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'nomad-operator-convert-'));
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('nomad-operator convert (spawned)', () => {
  it('--manifests prints the Kubernetes objects as a YAML stream and the warnings on stderr', () => {
    const { status, stdout, stderr } = cli([
      'convert',
      corpus('service-redis-cache.nomad.hcl'),
      '--manifests',
    ]);
    expect(status).toBe(0);
    const objects = documents(stdout);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Deployment/example--cache',
      'Service/redis-cache',
    ]);
    const deployment = objects[0] as V1Deployment;
    expect(deployment.metadata?.namespace).toBe('default');
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('redis:7');
    expect(deployment.spec?.template.spec?.nodeSelector).toBeUndefined();
    expect(stderr.trim().split('\n')).toEqual([
      'warning: Datacenters: pods run on any node: Kubernetes nodes have no Nomad datacenters unless a node label is mapped to ${node.datacenter}; to keep the job in datacenters "dc1", map one with --datacenter-label <node label> (env NOMAD_OPERATOR_DATACENTER_LABEL, Helm value translator.datacenterLabel), e.g. topology.kubernetes.io/zone',
      expect.stringMatching(/^warning: TaskGroups\[0\]\.Tasks\[0\]\.Identity: /),
    ]);
  });

  it('takes the translator options as flags: --datacenter-label pins, --millicores-per-mhz scales', () => {
    const { status, stdout, stderr } = cli([
      'convert',
      corpus('service-redis-cache.nomad.hcl'),
      '--manifests',
      '--datacenter-label',
      'topology.kubernetes.io/zone',
      '--millicores-per-mhz=2',
    ]);
    expect(status).toBe(0);
    const deployment = documents(stdout).find((o) => o.kind === 'Deployment') as V1Deployment;
    expect(deployment.spec?.template.spec?.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'dc1' });
    expect(deployment.spec?.template.spec?.containers[0]?.resources?.requests?.cpu).toBe('1');
    expect(stderr).not.toContain('Datacenters');
    const exec = cli([
      'convert',
      corpus('batch-simple.nomad.hcl'),
      '--manifests',
      '--exec-image',
      'debian:12',
    ]);
    expect(exec.status).toBe(0);
    const job = documents(exec.stdout).find((o) => o.kind === 'Job') as KubernetesObject & {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(job.spec.template.spec.containers.map((c) => c.image)).toContain('debian:12');
  });

  it('says what Nomad’s HTTP API would drop (a task’s disk), with or without --manifests', async () => {
    const file = join(scratch, 'disk.nomad.hcl');
    writeFileSync(
      file,
      'job "disk" {\n  datacenters = ["*"]\n  group "app" {\n    task "server" {\n      driver = "docker"\n' +
        '      config { image = "registry.example/app:1" }\n      resources {\n        memory = 256\n        disk = 500\n      }\n    }\n  }\n}\n',
    );
    const warning =
      "warning: TaskGroups[0].Tasks[0].Resources.DiskMB: disk = 500 is dropped, as Nomad's HTTP API drops a task's disk (deprecated): size the group's ephemeral_disk instead";
    for (const args of [[file], [file, '--manifests']]) {
      const converted = await convertInProcess(args);
      expect(converted.status).toBe(0);
      expect(
        converted.stderr
          .trim()
          .split('\n')
          .filter((l) => l.includes('DiskMB')),
      ).toEqual([warning]);
    }
  });

  it('exits 2 naming the flag when a translator option is invalid', async () => {
    const file = corpus('batch-simple.nomad.hcl');
    const bad = await convertInProcess([file, '--manifests', '--datacenter-label', 'not a label']);
    expect(bad).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'error: --datacenter-label: expected a Kubernetes label key such as topology.kubernetes.io/zone, got "not a label"\n',
    });
    const ratio = await convertInProcess([file, '--millicores-per-mhz', '0', '--node-attribute-label', 'x']);
    expect(ratio.status).toBe(2);
    expect(ratio.stderr.trim().split('\n')).toEqual([
      'error: --millicores-per-mhz: expected a positive number, got "0"',
      'error: --node-attribute-label: expected <attribute>=<node label> with a node.*, attr.* or meta.* attribute, such as meta.rack=example.com/rack, got "x"',
    ]);
  });

  it('prints a NomadJob by default', () => {
    const { status, stdout } = cli(['convert', corpus('batch-simple.nomad.hcl')]);
    expect(status).toBe(0);
    const [object, ...rest] = documents(stdout) as (KubernetesObject & { spec: Record<string, unknown> })[];
    expect(rest).toEqual([]);
    expect(object?.apiVersion).toBe('nomadoperator.dev/v1alpha1');
    expect(object?.kind).toBe('NomadJob');
    expect(object?.metadata).toMatchObject({
      name: 'nightly-report',
      namespace: 'reports',
      annotations: { 'nomadoperator.dev/job-id': 'nightly-report', 'nomadoperator.dev/namespace': 'reports' },
    });
    expect(object?.spec.id).toBe('nightly-report');
    expect(object?.spec.type).toBe('batch');
  });

  it('reads API JSON ({"Job": …}) from stdin; --namespace sets the namespace', () => {
    const job = JSON.parse(readFileSync(join(root, corpus('periodic-cron.json')), 'utf8'));
    const { status, stdout } = cli(
      ['convert', '-', '--manifests', '--namespace', 'ops'],
      JSON.stringify({ Job: job }),
    );
    expect(status).toBe(0);
    const objects = documents(stdout);
    expect(objects.map((o) => [o.kind, o.metadata?.namespace])).toEqual([['CronJob', 'ops']]);
  });

  it('reads API JSON as Nomad does: a lone surrogate in the ID is U+FFFD, as the API stores it', () => {
    const job = JSON.parse(readFileSync(join(root, corpus('periodic-cron.json')), 'utf8'));
    const text = JSON.stringify({ Job: { ...job, ID: 'nightly-PLACEHOLDER' } }).replace(
      'PLACEHOLDER',
      '\\ud800',
    );
    const { status, stdout } = cli(['convert', '-'], text);
    expect(status).toBe(0);
    const [object] = yaml.loadAll(stdout) as Array<{ spec: { id: string } }>;
    expect(object?.spec.id).toBe('nightly-\uFFFD');
  });

  it('reads HCL JSON syntax and a bare API job from .json files', () => {
    const hclJson = cli(['convert', corpus('json-syntax.nomad.hcl'), '--manifests']);
    expect(hclJson.status).toBe(0);
    expect(documents(hclJson.stdout).map((o) => o.kind)).toEqual(['Job']);
    const api = cli(['convert', corpus('system-job.json'), '--manifests']);
    expect(api.status).toBe(0);
    expect(documents(api.stdout).map((o) => o.kind)).toEqual(['DaemonSet']);
  });

  it('--var overrides --var-file, as in Nomad', () => {
    const { status, stdout } = cli([
      'convert',
      corpus('variables-override.nomad.hcl'),
      '--var-file',
      corpus('variables-override.vars.hcl'),
      '--var',
      'image_tag=v9',
      '--var',
      'dcs=["x1"]',
      '--manifests',
    ]);
    expect(status).toBe(0);
    const deployment = documents(stdout).find((o) => o.kind === 'Deployment') as V1Deployment;
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('example/app:v9');
  });

  it('-o writes one file per object', () => {
    const dir = join(scratch, 'out');
    const { status, stdout, stderr } = cli([
      'convert',
      corpus('service-redis-cache.nomad.hcl'),
      '--manifests',
      '-o',
      dir,
    ]);
    expect(status).toBe(0);
    expect(stdout).toBe('');
    expect(readdirSync(dir).sort()).toEqual(['deployment-example--cache.yaml', 'service-redis-cache.yaml']);
    expect(stderr).toContain(`wrote ${join(dir, 'service-redis-cache.yaml')}`);
    const service = yaml.load(
      readFileSync(join(dir, 'service-redis-cache.yaml'), 'utf8'),
    ) as KubernetesObject;
    expect(service.kind).toBe('Service');
  });

  it('exits 1 with the parser message on a bad jobspec, or with Nomad validation errors', () => {
    const parse = cli(['convert', '-'], 'job "x" {\n  group "g" {\n');
    expect(parse.status).toBe(1);
    expect(parse.stderr).toMatch(/^error: stdin: /);
    expect(parse.stdout).toBe('');
    const invalid = cli(['convert', corpus('kill-shutdown-leader.nomad.hcl')]);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('Job type "service" does not allow max_run_duration');
    const unset = cli(['convert', corpus('variables-override.nomad.hcl')]);
    expect(unset.status).toBe(1);
    expect(unset.stderr).toContain('required_secret_path');
    const badJson = cli(['convert', '-'], '{"Job": {"ID": 5}}');
    expect(badJson.status).toBe(1);
    expect(badJson.stderr).toContain('ID');
  });

  it('exits 2 on usage errors', () => {
    expect(cli([]).status).toBe(2);
    expect(cli(['frobnicate']).stderr).toContain('unknown command "frobnicate"');
    expect(cli(['convert']).status).toBe(2);
    expect(cli(['convert', 'a', 'b']).status).toBe(2);
    expect(cli(['convert', 'a', '--bogus']).status).toBe(2);
    expect(cli(['convert', 'a', '--var', 'novalue']).status).toBe(2);
    expect(cli(['convert', 'a', '--namespace', 'Not_Valid']).status).toBe(2);
    const help = cli(['convert', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: nomad-operator convert');
  });

  it('is the npm script `convert`', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.convert).toBe('node src/cli/main.ts convert');
  });
});

/** Runs `convert` in this process; resolves to its exit status and output. */
async function convertInProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    readStdin: async () => '',
  };
  const status = await runConvert(args, io);
  return { status, stdout, stderr };
}

describe('convert and the operator translate alike', () => {
  // Every option, once as convert's flags and once as the operator's environment variables.
  const flags = [
    '--datacenter-label=topology.kubernetes.io/zone',
    '--region-label=topology.kubernetes.io/region',
    '--node-class-label=example.com/class',
    '--node-pool-label=example.com/pool',
    '--node-attribute-label=meta.rack=example.com/rack',
    '--node-attribute-label=attr.cpu.numcores=example.com/cores',
    '--exec-image=debian:12',
    '--java-image=eclipse-temurin:17-jre',
    '--artifact-image=alpine:3',
    '--millicores-per-mhz=0.5',
  ];
  const env = {
    NOMAD_OPERATOR_DATACENTER_LABEL: 'topology.kubernetes.io/zone',
    NOMAD_OPERATOR_REGION_LABEL: 'topology.kubernetes.io/region',
    NOMAD_OPERATOR_NODE_CLASS_LABEL: 'example.com/class',
    NOMAD_OPERATOR_NODE_POOL_LABEL: 'example.com/pool',
    NOMAD_OPERATOR_NODE_ATTRIBUTE_LABELS: 'meta.rack=example.com/rack,attr.cpu.numcores=example.com/cores',
    NOMAD_OPERATOR_EXEC_IMAGE: 'debian:12',
    NOMAD_OPERATOR_JAVA_IMAGE: 'eclipse-temurin:17-jre',
    NOMAD_OPERATOR_ARTIFACT_IMAGE: 'alpine:3',
    NOMAD_OPERATOR_MILLICORES_PER_MHZ: '0.5',
  };
  const jobs = [
    'service-redis-cache',
    'affinity-spread',
    'constraints',
    'artifacts',
    'batch-simple',
    'periodic-cron',
    'sysbatch-job',
    'meta-env',
    'lifecycle',
  ];

  it.each(jobs)('%s: convert --manifests prints exactly the reconciler’s desired objects', async (name) => {
    for (const [convertFlags, runEnv] of [
      [[], {}],
      [flags, env],
    ] as const) {
      const file = join(root, corpus(`${name}.nomad.hcl`));
      // What `kubectl apply` would send: the NomadJob that convert prints.
      const nomadJob = await convertInProcess([file]);
      expect(nomadJob.status, nomadJob.stderr).toBe(0);
      const object = yaml.load(nomadJob.stdout) as NomadJobObject;
      const checked = checkSpec(object);
      if (!checked.ok) throw new Error(checked.message);
      const config = parseConfig([], runEnv);
      if (!config.ok) throw new Error(config.errors.join('; '));
      const desired = desiredObjects(object, checked.job, 0, config.config.translator);

      const manifests = await convertInProcess([file, '--manifests', ...convertFlags]);
      expect(manifests.status, manifests.stderr).toBe(0);
      expect(documents(manifests.stdout)).toEqual(JSON.parse(JSON.stringify(desired.objects)));
      expect(manifests.stderr.trim().split('\n').filter(Boolean)).toEqual(
        desired.warnings.map((w) => `warning: ${w.path}: ${w.message}`),
      );
    }
  });
});

describe('variables', () => {
  it('writes --var values as HCL: numbers, booleans, lists and maps as given, the rest quoted', () => {
    expect(variableLine('n', '3')).toBe('n = 3');
    expect(variableLine('b', 'true')).toBe('b = true');
    expect(variableLine('l', '["a", "b"]')).toBe('l = ["a", "b"]');
    expect(variableLine('s', 'v1.2')).toBe('s = "v1.2"');
    expect(variableLine('q', 'say "hi" ${x} %{y} \\')).toBe('q = "say \\"hi\\" $${x} %%{y} \\\\"');
  });

  it('splits a variables file into assignments, multi-line values included', () => {
    const text = [
      '# comment',
      'a = "x" // trailing',
      'list = [',
      '  "p",',
      '  "q",',
      ']',
      'doc = <<EOT',
      'line = 1',
      'EOT',
      '/* block */ m = { k = "v" }',
    ].join('\n');
    expect(splitAssignments(text)?.map((a) => a.name)).toEqual(['a', 'list', 'doc', 'm']);
    expect(splitAssignments(text)?.[1]?.text).toBe('list = [\n  "p",\n  "q",\n]');
    expect(splitAssignments('a = [')).toBeUndefined();
  });

  it('later files and --var replace earlier values', () => {
    expect(variablesText(['a = 1\nb = 2', 'b = 3'], [{ name: 'a', value: 'x' }])).toBe('b = 3\na = "x"');
  });
});
