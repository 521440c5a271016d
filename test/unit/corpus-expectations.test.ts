// Runtime expectations of the realistic corpus, checked against the objects `nomad-operator convert
// --manifests` prints for each job: the files each task finds at its paths (and their content), its
// environment, command line, ports, host mounts and probes, and the Services consumers look up by the
// Nomad service name (test/fixtures/corpus-expectations/, written from the jobspecs and Nomad's
// behaviour; schema in its README.md). Parameterized jobs are checked on the child a dispatch with the
// expectation's meta and payload derives, translated as the reconciler translates it.
// test/integration/corpus.test.ts checks the same expectations on the live objects.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { desiredObjects } from '../../src/controller/reconcile.ts';
import { jobOfObject } from '../../src/crd/object.ts';
import type { NomadJobObject } from '../../src/crd/resource.ts';
import { deriveDispatchedJob, dispatchedChildObject, dispatchedJobId } from '../../src/jobs/dispatch.ts';
import { jobObjectName } from '../../src/nomad/ids.ts';
import { TEMPLATE_COPY_SCRIPT, TEMPLATES_CONTAINER, templateCopyArgs } from '../../src/translate/storage.ts';
import { convertCorpusJob, corpusEntries, objectsOf, warningLines } from '../support/corpus.ts';
import {
  checkJob,
  expectationCount,
  type JobExpectations,
  loadExpectations,
  ObjectSet,
} from '../support/corpus-expectations.ts';

const NAMESPACE = 'corpus';
const entries = corpusEntries();
const expectations = loadExpectations();

/** Corpus jobs with nothing a user can observe from inside their workloads, and why. */
const WITHOUT_RUNTIME_EXPECTATIONS: Record<string, string> = {
  'terminating-gateway':
    'a task-less terminating gateway: Nomad runs only an Envoy proxy for mesh traffic to an external service; no file, env, port or Service of the job is user-visible',
};

/** The objects the operator applies for a job: convert --manifests, or for a dispatch the child's. */
async function manifestsOf(
  entry: (typeof entries)[number],
  expected: JobExpectations,
): Promise<{ objects: KubernetesObject[]; jobObjectName: string; warnings: string[] }> {
  if (!expected.dispatch) {
    const converted = await convertCorpusJob(entry, NAMESPACE, ['--manifests']);
    expect(converted.status, converted.stderr).toBe(0);
    return {
      objects: objectsOf(converted.stdout),
      jobObjectName: jobObjectName(entry.name),
      warnings: warningLines(converted.stderr).map((line) => line.replace(/^warning: /, '')),
    };
  }
  const converted = await convertCorpusJob(entry, NAMESPACE);
  expect(converted.status, converted.stderr).toBe(0);
  const parent = objectsOf(converted.stdout)[0] as NomadJobObject;
  const job = jobOfObject(parent);
  if (!job.ok) throw new Error(`the converted NomadJob does not read back: ${JSON.stringify(job)}`);
  const payload = Buffer.from(expected.dispatch.payload ?? '', 'utf8');
  const childId = dispatchedJobId(entry.name, new Date(0), '00000000');
  const child = deriveDispatchedJob(job.job, { meta: expected.dispatch.meta }, childId, payload);
  const childObject = dispatchedChildObject(parent, child);
  const desired = desiredObjects(childObject, child, 0);
  return {
    objects: desired.objects,
    jobObjectName: childObject.metadata?.name ?? '',
    warnings: desired.warnings.map((w) => `${w.path}: ${w.message}`),
  };
}

describe('the corpus runtime expectations', () => {
  it('cover every corpus job, each with a meaningful set of expectations', () => {
    const names = entries.map((e) => e.name);
    expect([...expectations.keys()].filter((n) => !names.includes(n))).toEqual([]);
    expect(names.filter((n) => !expectations.has(n) && !(n in WITHOUT_RUNTIME_EXPECTATIONS))).toEqual([]);
    const thin = [...expectations.values()]
      .filter((e) => expectationCount(e) < 3)
      .map((e) => `${e.job}: ${expectationCount(e)}`);
    expect(thin).toEqual([]);
  });
});

describe.each(entries.filter((e) => expectations.has(e.name)))('$name', (entry) => {
  it('holds in the objects convert --manifests prints', async () => {
    const expected = expectations.get(entry.name) as JobExpectations;
    const { objects, jobObjectName: name, warnings } = await manifestsOf(entry, expected);
    expect(checkJob(expected, name, new ObjectSet(objects, false), warnings)).toEqual([]);
  });
});

// The checker itself, on objects written here: each way a pod resolves a file, a variable, a probe
// port and a Service's target is found when it holds, and reported when it does not.
describe('the expectation checker', () => {
  const labels = { 'nomadoperator.dev/job': 'app', 'nomadoperator.dev/group': 'web', pick: 'me' };
  const objects = (): KubernetesObject[] => [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'conf' },
      data: { 'app.conf': 'listen 8080\n' },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      data: {
        host: Buffer.from('db.internal').toString('base64'),
        'run.sh': Buffer.from('#!/bin/sh').toString('base64'),
      },
    } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app--web', labels, annotations: { 'nomadoperator.dev/group': 'web' } },
      spec: {
        template: {
          metadata: { labels },
          spec: {
            initContainers: [
              { name: 'fetch', image: 'curl', volumeMounts: [{ name: 'site', mountPath: '/out' }] },
              // A template file, written into the task's local/ as the translator's init container does.
              {
                name: TEMPLATES_CONTAINER,
                image: 'curl',
                command: ['/bin/sh', '-c', TEMPLATE_COPY_SCRIPT, TEMPLATES_CONTAINER],
                args: templateCopyArgs([
                  { source: '/tmpl/app.conf', destination: '/task/local/conf/app.conf', mode: 0o600 },
                ]),
                volumeMounts: [
                  { name: 'local', mountPath: '/task/local' },
                  { name: 'conf', mountPath: '/tmpl', readOnly: true },
                ],
              },
            ],
            containers: [
              {
                name: 'server',
                image: 'nginx:1',
                command: ['nginx'],
                args: ['-p', '$(PORT)'],
                ports: [{ name: 'http', containerPort: 8080 }],
                env: [
                  { name: 'PORT', value: '8080' },
                  { name: 'DB_HOST', valueFrom: { secretKeyRef: { name: 'creds', key: 'host' } } },
                  { name: 'DB_URL', value: 'postgres://$(DB_HOST):5432' },
                ],
                volumeMounts: [
                  { name: 'conf', mountPath: '/etc/app' },
                  { name: 'creds', mountPath: '/bin/run.sh', subPath: 'run' },
                  { name: 'site', mountPath: '/usr/share/html' },
                  { name: 'scratch', mountPath: '/tmp/scratch' },
                  { name: 'local', mountPath: '/local' },
                ],
                readinessProbe: { httpGet: { path: '/health', port: 'http' } },
              },
            ],
            volumes: [
              { name: 'conf', configMap: { name: 'conf' } },
              {
                name: 'creds',
                secret: { secretName: 'creds', items: [{ key: 'run.sh', path: 'run', mode: 0o755 }] },
              },
              { name: 'site', emptyDir: {} },
              { name: 'scratch', emptyDir: {} },
              { name: 'local', emptyDir: {} },
            ],
          },
        },
      },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { pick: 'me' }, ports: [{ port: 80, targetPort: 'http' }] },
    } as KubernetesObject,
  ];
  const check = (expected: Omit<JobExpectations, 'job'>) =>
    checkJob({ job: 'app', ...expected }, 'app', new ObjectSet(objects(), false));
  const server = (task: JobExpectations['groups'][string]['tasks'][string]) => ({
    groups: { web: { tasks: { server: task } } },
  });

  it('finds what holds', () => {
    expect(
      check({
        ...server({
          image: 'nginx:1',
          argv: ['-p', '8080'],
          env: {
            DB_HOST: 'db.internal',
            DB_URL: { matches: '^postgres://db\\.internal:5432$' },
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the expectation files' port placeholder
            PORT: '${port:http}',
          },
          files: [
            { path: '/etc/app/app.conf', contains: ['listen 8080'] },
            { path: '/bin/run.sh', contains: ['#!/bin/sh'], mode: '0755' },
            { path: '/usr/share/html', writtenAtStart: true },
            { path: '/local/conf/app.conf', contains: ['listen 8080'], mode: '0600' },
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          probes: [{ kind: 'readiness', http: { path: '/health', port: 8080 } }],
        }),
        services: [{ name: 'web', groups: ['web'], ports: [{ port: 80, targetPort: 8080 }] }],
      }),
    ).toEqual([]);
  });

  it('reports what does not', () => {
    const problems = check({
      ...server({
        image: 'nginx:2',
        argv: ['-p', '9090'],
        env: { DB_HOST: 'db.example', MISSING: { defined: true } },
        files: [
          { path: '/etc/app/other.conf' },
          { path: '/etc/app/app.conf', contains: ['listen 9090'], notContains: ['listen'] },
          { path: '/bin/run.sh', mode: '0644' },
          { path: '/tmp/scratch/data', contains: ['x'] },
          { path: '/tmp/scratch', writtenAtStart: true },
          { path: '/tmp/scratch/other' },
          { path: '/nowhere/file' },
          { path: '/local/conf/app.conf', contains: ['listen 9090'], mode: '0644' },
          { path: '/local/conf/other.conf', contains: ['listen'] },
        ],
        mounts: [{ path: '/usr/share/html', persistent: true }],
        probes: [
          { kind: 'readiness', tcp: { port: 8080 } },
          { kind: 'liveness', http: { path: '/health' } },
        ],
      }),
      services: [
        { name: 'web', groups: ['web'], ports: [{ targetPort: 9090 }] },
        { name: 'api', groups: ['web'], ports: [{ targetPort: 8080 }] },
      ],
    }).map((p) => p.replace(/ \[Deployment\/app--web\]$/, ''));
    expect(problems).toEqual([
      'group web: server: image nginx:1, expected "nginx:2"',
      'group web: server: argv ["nginx","-p","8080"], expected to end with ["-p", "9090"]',
      'group web: server: env DB_HOST="db.internal", expected "db.example"',
      'group web: server: env MISSING not set',
      'group web: server: file /etc/app/other.conf: ConfigMap conf has no item at other.conf',
      'group web: server: file /etc/app/app.conf: ConfigMap conf key app.conf lacks "listen 9090"',
      'group web: server: file /etc/app/app.conf: ConfigMap conf key app.conf holds "listen"',
      'group web: server: file /bin/run.sh: mode 755, expected 0644',
      'group web: server: file /tmp/scratch/data: on emptyDir scratch (mounted at /tmp/scratch): no content the job gave it',
      'group web: server: file /tmp/scratch: on emptyDir scratch (mounted at /tmp/scratch) that no init container writes',
      'group web: server: file /tmp/scratch/other: on emptyDir scratch (mounted at /tmp/scratch): nothing puts the file there',
      'group web: server: file /nowhere/file: no volume mounted at or above it',
      'group web: server: file /local/conf/app.conf: ConfigMap conf key app.conf, copied by init container nomad-templates lacks "listen 9090"',
      'group web: server: file /local/conf/app.conf: mode 600, expected 0644',
      'group web: server: file /local/conf/other.conf: on emptyDir local (mounted at /local): no content the job gave it',
      'group web: server: mount /usr/share/html: volume site does not outlive the pod (emptyDir)',
      'group web: server: readiness probe http GET /health on http, expected tcp 8080',
      'group web: server: liveness probe none, expected http GET /health',
      'Service web: no TCP port (any) → container port 9090; has [{"port":80,"targetPort":"http"}]',
      'Service api: not found',
    ]);
  });

  it('holds an unconverted task or group to exactly one warning that says what to do, and to its absence', () => {
    const unconverted = (warnings?: string[]) =>
      checkJob(
        {
          job: 'app',
          ...server({ image: 'nginx:1' }),
          unconverted: [
            {
              path: 'TaskGroups[0].Tasks[1].Lifecycle',
              group: 'web',
              task: 'cleanup',
              warning: 'poststop task is left out: .*; run it',
            },
            { path: 'TaskGroups[1].Tasks', group: 'gateway', warning: 'gateway is not converted.*; expose' },
          ],
        },
        'app',
        new ObjectSet(objects(), false),
        warnings,
      );
    expect(
      unconverted([
        'TaskGroups[0].Tasks[1].Lifecycle: poststop task is left out: no such containers; run it as a Job',
        'TaskGroups[1].Tasks: the ingress gateway is not converted; expose the Services with an Ingress',
        'TaskGroups[1].Services[0].Connect: another path',
      ]),
    ).toEqual([]);
    expect(
      unconverted([
        'TaskGroups[0].Tasks[1].Lifecycle: poststop task is left out: no such containers',
        'TaskGroups[1].Tasks: the ingress gateway is not converted; expose it',
        'TaskGroups[1].Tasks: twice',
      ]),
    ).toEqual([
      'task cleanup of group web: the warning at TaskGroups[0].Tasks[1].Lifecycle is "poststop task is left out: no such containers", expected /poststop task is left out: .*; run it/',
      'group gateway: 2 warnings at TaskGroups[1].Tasks, expected exactly one',
    ]);
    expect(unconverted()).toEqual([
      "task cleanup of group web: the translation's warnings are not available to check",
      "group gateway: the translation's warnings are not available to check",
    ]);
    // Once converted, the expectation fails: the task has a container, the group a workload.
    const converted = checkJob(
      {
        job: 'app',
        groups: {},
        unconverted: [
          { path: 'TaskGroups[0].Tasks[0]', group: 'web', task: 'server', warning: 'x' },
          { path: 'TaskGroups[0]', group: 'web', warning: 'x' },
        ],
      },
      'app',
      new ObjectSet(objects(), false),
      ['TaskGroups[0].Tasks[0]: x', 'TaskGroups[0]: x'],
    );
    expect(converted).toEqual([
      'task server of group web: converted (a container in Deployment/app--web); state what it does instead',
      'group web: converted (Deployment/app--web); state what it does instead',
    ]);
  });
});
