// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolations are literal "${…}" text
// translate() is deterministic, never throws, and emits only objects the apiserver's validation would
// accept (checked here structurally; the integration tests dry-run them against a real apiserver):
// on every corpus job and on generated jobs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { ANNOTATION_JOB_ID } from '../../../src/nomad/keys.ts';
import { type Job, JobSchema } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import type { TranslateResult } from '../../../src/translate/types.ts';
import { arbitraryFor } from '../../support/arbitrary-job.ts';
import { objectsProblems } from '../../support/kube-object-problems.ts';
import { corpusJob, corpusNames, run } from './workload-support.ts';

const names = corpusNames();

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What the apiserver would refuse (test/support/kube-object-problems.ts), plus what translate() promises:
 * objects sorted, each but Services carrying the job's identity, warnings sorted, no internal errors. */
function resultProblems(result: TranslateResult, namespace: string): string[] {
  const problems = objectsProblems(result.objects, namespace);
  for (const o of result.objects) {
    // Services are keyed by the Nomad service name and may be shared by jobs, so carry no job identity.
    if (o.kind !== 'Service' && o.metadata?.annotations?.[ANNOTATION_JOB_ID] === undefined)
      problems.push(`${o.kind}/${o.metadata?.name}: no ${ANNOTATION_JOB_ID} annotation`);
  }
  const keys = result.objects.map((o) => `${o.kind}\u0000${o.metadata?.name}`);
  const sortedKeys = [...keys].sort(compare);
  if (JSON.stringify(sortedKeys) !== JSON.stringify(keys)) problems.push('objects are not sorted');
  const warningKeys = result.warnings.map((w) => `${w.path}\u0000${w.message}`);
  if (JSON.stringify([...warningKeys].sort(compare)) !== JSON.stringify(warningKeys)) {
    problems.push('warnings are not sorted');
  }
  for (const w of result.warnings) {
    if (w.message.includes('internal error')) problems.push(`${w.path}: ${w.message}`);
  }
  return problems;
}

describe('every corpus job', () => {
  it.each(names)('%s: deterministic, valid, sorted, without internal errors', (name) => {
    const job = corpusJob(name);
    const before = JSON.stringify(job);
    const first = run(job);
    const second = run(corpusJob(name));
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(JSON.stringify(job)).toBe(before); // the input is not modified
    expect(resultProblems(first, 'apps')).toEqual([]);
  });

  it('most corpus jobs produce a workload', () => {
    const withWorkloads = names.filter((name) =>
      run(corpusJob(name)).objects.some((o) =>
        ['Deployment', 'Job', 'CronJob', 'DaemonSet'].includes(o.kind ?? ''),
      ),
    );
    expect(withWorkloads.length).toBeGreaterThanOrEqual(names.length - 2);
  });
});

// ---------------------------------------------------------------------------------------------------
// Generated jobs: the model's own generator (as in test/unit/crd/codec.test.ts), steered towards the
// job types and drivers the translator knows, with driver configs of plausible and implausible shapes.

const jsonValue = fc.jsonValue({ maxDepth: 2 });
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('${NOMAD_ALLOC_ID}', '$(HOME)', '${attr.kernel.name}', '/abs/path:/mnt:ro', 'a:b'),
);
const driverConfig = fc.record(
  {
    image: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('redis:7', 'app:${NOMAD_META_v}', 'ghcr.io/o/r:1') },
      { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    ),
    command: text,
    args: fc.oneof(fc.array(fc.oneof(text, fc.integer())), jsonValue),
    entrypoint: fc.array(text, { maxLength: 2 }),
    volumes: fc.oneof(fc.array(text, { maxLength: 3 }), jsonValue),
    mount: fc.oneof(
      fc.array(
        fc.record(
          {
            type: fc.constantFrom('bind', 'tmpfs', 'volume', 'x'),
            source: text,
            target: text,
            readonly: fc.boolean(),
            tmpfs_options: fc.array(fc.record({ size: fc.oneof(fc.integer(), fc.string()) })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
      jsonValue,
    ),
    labels: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), text, { maxKeys: 2 }), jsonValue),
    sysctl: fc.oneof(
      fc.dictionary(fc.constantFrom('net.core.somaxconn', 'kernel.shm_rmid_forced', 'Bad Name'), text),
      jsonValue,
    ),
    hostname: text,
    dns_servers: fc.array(fc.oneof(text, fc.ipV4(), fc.ipV6()), { maxLength: 4 }),
    dns_search_domains: fc.array(fc.oneof(text, fc.domain()), { maxLength: 2 }),
    dns_options: fc.array(text, { maxLength: 2 }),
    extra_hosts: fc.array(text, { maxLength: 2 }),
    auth: fc.oneof(
      fc.record({ username: text, password: text, server_address: text }, { requiredKeys: [] }),
      jsonValue,
    ),
    network_mode: fc.constantFrom('host', 'bridge', 'none', ''),
    pid_mode: fc.constantFrom('host', ''),
    ipc_mode: fc.constantFrom('host', 'private'),
    cap_add: fc.oneof(fc.array(text, { maxLength: 2 }), jsonValue),
    shm_size: fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.double()),
    jar_path: text,
    class: text,
    jvm_options: fc.array(text, { maxLength: 2 }),
    runtime: text,
    group_add: fc.array(text, { maxLength: 2 }),
    ports: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

const generatedJob = fc
  .tuple(
    arbitraryFor(JobSchema, { durationMin: -1e12 }),
    fc.constantFrom('service', 'batch', 'system', 'sysbatch', 'other'),
    fc.array(fc.constantFrom('docker', 'exec', 'raw_exec', 'java', 'podman', ''), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.array(driverConfig, { minLength: 1, maxLength: 4 }),
    fc.array(fc.constantFrom('', '', '', 'prestart', 'poststart', 'poststop', 'weird'), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.nat(9),
  )
  .map(([raw, type, drivers, configs, hooks, dice]) => {
    const job = raw as Job;
    job.Type = type;
    if (job.Periodic && type !== 'batch') delete job.Periodic;
    // Mostly jobs that run something: not parameterized templates, at least one group with a task.
    if (dice > 0) delete job.ParameterizedJob;
    if (dice > 1) {
      job.TaskGroups = job.TaskGroups?.length ? job.TaskGroups : [{ Name: 'g' }];
      for (const group of job.TaskGroups) group.Tasks = group.Tasks?.length ? group.Tasks : [{ Name: 't' }];
    }
    let n = 0;
    for (const group of job.TaskGroups ?? []) {
      for (const task of group.Tasks ?? []) {
        task.Driver = drivers[n % drivers.length];
        task.Config = { ...(task.Config ?? {}), ...configs[n % configs.length] };
        task.Lifecycle = { ...(task.Lifecycle ?? {}), Hook: hooks[n % hooks.length] };
        n++;
      }
    }
    return job;
  });

// TRANSLATE_RUNS=5000 npx vitest run --project unit test/unit/translate/determinism.test.ts for a longer search.
const runs = Number(process.env.TRANSLATE_RUNS ?? 300);

describe('generated jobs', () => {
  it('never throw, are deterministic and valid, raw and canonicalized', {
    timeout: 60_000 + runs * 50,
  }, () => {
    let withWorkload = 0;
    fc.assert(
      fc.property(generatedJob, (job) => {
        const copy = structuredClone(job);
        const first = translate(job, { namespace: 'gen' });
        if (first.objects.some((o) => o.kind !== 'Service')) withWorkload++;
        expect(JSON.stringify(translate(copy, { namespace: 'gen' }))).toBe(JSON.stringify(first));
        expect(resultProblems(first, 'gen')).toEqual([]);
        let canonical: Job | undefined;
        try {
          canonical = canonicalize(job);
        } catch {
          canonical = undefined; // not a job Nomad could store; translate() must still not throw above
        }
        if (canonical) expect(resultProblems(translate(canonical, { namespace: 'gen' }), 'gen')).toEqual([]);
      }),
      { numRuns: runs },
    );
    // The generator must reach the workload code, not only the early exits.
    expect(withWorkload).toBeGreaterThan(runs / 4);
  });
});
