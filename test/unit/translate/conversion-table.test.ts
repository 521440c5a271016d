// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conversionDoc } from '../../../scripts/generate-conversion-doc.ts';
import { jobFieldPaths, jobFields } from '../../../src/nomad/schema/introspect.ts';
import {
  conversionFor,
  conversionRows,
  coveringSubtree,
  fieldPattern,
  isEmptyValue,
  notApplicableWarnings,
} from '../../../src/translate/conversion-table.ts';
import { translate } from '../../../src/translate/index.ts';
import { corpusJob, jobOf, MISSING, valueAt } from './storage-support.ts';

const corpusNames = readdirSync(new URL('../../fixtures/jobspecs/', import.meta.url))
  .filter((f) => f.endsWith('.nomad.hcl'))
  .map((f) => f.slice(0, -'.nomad.hcl'.length))
  .sort();

function paths(warnings: { path: string }[]): string[] {
  return warnings.map((w) => w.path);
}

describe('the conversion table', () => {
  it('has a row for every field the schema knows (its own, or a subtree row above it)', () => {
    const missing = jobFieldPaths.filter((path) => conversionFor(path) === undefined);
    expect(missing).toEqual([]);
    expect(jobFieldPaths.length).toBeGreaterThan(900);
  });

  it('has no row for a field the schema does not know, and none below a subtree row', () => {
    const known = new Set(jobFieldPaths);
    expect(conversionRows.filter((r) => !known.has(r.path)).map((r) => r.path)).toEqual([]);
    expect(conversionRows.filter((r) => coveringSubtree(r.path) !== undefined).map((r) => r.path)).toEqual(
      [],
    );
  });

  it('says what each field becomes or why not, and which module does it', () => {
    const modules = new Set(readdirSync(new URL('../../../src/translate/', import.meta.url)));
    for (const row of conversionRows) {
      const where = `${row.path} (${row.status})`;
      if (row.status === 'converted') expect(row.target, where).toBeTruthy();
      if (row.status === 'partial') {
        expect(row.target, where).toBeTruthy();
        expect(row.why, where).toBeTruthy();
      }
      if (row.status === 'not-applicable' || row.status === 'metadata') expect(row.why, where).toBeTruthy();
      if (row.by !== undefined) expect(modules, where).toContain(row.by);
      if (row.warnedBy?.endsWith('.ts')) expect(modules, where).toContain(row.warnedBy);
      if (row.status === 'converted' || row.status === 'partial') expect(row.by, where).toBeDefined();
    }
  });

  it('looks fields up by pattern or by concrete path, map keys included', () => {
    expect(conversionFor('TaskGroups[].Tasks[].Resources.CPU')?.status).toBe('converted');
    expect(conversionFor('TaskGroups[2].Tasks[0].Resources.CPU')?.path).toBe(
      'TaskGroups[].Tasks[].Resources.CPU',
    );
    expect(fieldPattern('TaskGroups[0].Volumes["my vol"].MountOptions.FSType')).toBe(
      'TaskGroups[].Volumes.*.MountOptions.FSType',
    );
    expect(fieldPattern('TaskGroups[0].Volumes.data.Source')).toBe('TaskGroups[].Volumes.*.Source');
    const vault = conversionFor('TaskGroups[0].Tasks[1].Vault.Policies');
    expect(vault).toMatchObject({
      path: 'TaskGroups[].Tasks[].Vault',
      status: 'not-applicable',
      subtree: true,
    });
    expect(
      conversionFor('TaskGroups[].Services[].Connect.SidecarService.Proxy.Upstreams[].DestinationName')?.path,
    ).toBe('TaskGroups[].Services[].Connect');
    expect(conversionFor('NoSuchField')).toBeUndefined();
  });

  it('treats Go zero values as unset', () => {
    for (const empty of [undefined, null, '', 0, false, [], {}, { a: '', b: [] }])
      expect(isEmptyValue(empty)).toBe(true);
    for (const set of ['x', 1, true, ['a'], { a: 1 }]) expect(isEmptyValue(set)).toBe(false);
  });
});

describe('docs/conversion.md', () => {
  const file = new URL('../../../docs/conversion.md', import.meta.url);

  it('is the generator output (run `npm run generate:docs` after changing the table)', () => {
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(conversionDoc());
  });

  it('shows every struct that has rows, with the status symbols', () => {
    const doc = conversionDoc();
    const structs = new Set(
      conversionRows.map((r) => jobFields.find((f) => f.path === r.path)?.struct ?? '?'),
    );
    for (const struct of structs) expect(doc).toContain(`\n## ${struct}\n`);
    expect(doc).toContain('| `Vault` | ✗ |');
    expect(doc).toMatch(/\| `SizeMB` \| ✓ \| an ephemeral-storage request `<n>Mi`/);
    expect(doc).toMatch(/\| `EmbeddedTmpl` \| ~ \| .*\*\*Lost:\*\* other template actions are not rendered/);
    expect(doc).toContain('`millicoresPerMHz` = 1');
  });
});

describe('notApplicableWarnings', () => {
  it('reports Vault and Consul once per block, with the reason', () => {
    const job = corpusJob('vault-consul');
    const warnings = notApplicableWarnings(job);
    expect(paths(warnings)).toEqual([
      'TaskGroups[0].Tasks[0].Vault',
      'TaskGroups[0].Tasks[1].Vault',
      'TaskGroups[0].Tasks[1].Consul',
      'TaskGroups[0].Consul',
    ]);
    expect(warnings[0]?.message).toBe(
      'Vault is not applicable on Kubernetes: Vault tokens and policies; use a Kubernetes-native secret injector (Vault Agent Injector, External Secrets)',
    );
  });

  it('leaves Consul Connect and exposed checks to networking.ts', () => {
    const job = corpusJob('connect-sidecar');
    expect(valueAt(job, 'TaskGroups[0].Services[0].Connect')).not.toBe(MISSING);
    expect(valueAt(job, 'TaskGroups[0].Services[0].Checks[0].Expose')).toBe(true);
    expect(paths(notApplicableWarnings(job))).toEqual([]);
    // …and the translation as a whole reports Connect exactly once.
    const { warnings } = translate(job, { namespace: 'apps' });
    expect(paths(warnings).filter((p) => p === 'TaskGroups[0].Services[0].Connect')).toHaveLength(1);
  });

  it('reports multiregion, CSI plugins, UI, scaling, secrets, actions and schedules', () => {
    expect(paths(notApplicableWarnings(corpusJob('multiregion')))).toEqual(['Multiregion']);
    expect(paths(notApplicableWarnings(corpusJob('csi-plugin')))).toEqual([
      'TaskGroups[0].Tasks[0].CSIPluginConfig',
    ]);
    expect(paths(notApplicableWarnings(corpusJob('ui-block')))).toEqual(['UI']);
    expect(paths(notApplicableWarnings(corpusJob('scaling')))).toEqual([
      'TaskGroups[0].Tasks[0].ScalingPolicies',
      'TaskGroups[0].Scaling',
      'TaskGroups[1].Scaling',
    ]);
    expect(paths(notApplicableWarnings(corpusJob('group-vault-secrets')))).toEqual([
      'TaskGroups[0].Tasks[0].Vault',
      'TaskGroups[0].Tasks[1].Vault',
      'TaskGroups[0].Tasks[0].Secrets',
      'TaskGroups[0].Tasks[1].Secrets',
    ]);
    expect(paths(notApplicableWarnings(corpusJob('actions-schedule')))).toEqual([
      'TaskGroups[0].Tasks[0].Actions',
      'TaskGroups[0].Tasks[0].Schedule',
    ]);
  });

  it('stays silent about the defaults canonicalization fills in', () => {
    // Every task gets the default identity, log config, restart policy copy, migrate block, weights…
    const job = jobOf({
      ID: 'plain',
      Type: 'service',
      TaskGroups: [
        {
          Name: 'web',
          Networks: [{ DynamicPorts: [{ Label: 'http' }] }],
          Services: [
            {
              Name: 'web',
              PortLabel: 'http',
              Checks: [{ Type: 'http', Path: '/', Interval: 1e10, Timeout: 1e9 }],
            },
          ],
          Tasks: [{ Name: 'web', Driver: 'docker', Config: { image: 'nginx' }, Consul: {} }],
        },
      ],
    });
    expect(job.TaskGroups?.[0]?.Tasks?.[0]?.Identity).toBeDefined();
    expect(job.TaskGroups?.[0]?.Migrate).toBeDefined();
    expect(notApplicableWarnings(job)).toEqual([]);
  });

  it('leaves a task restart block to pod-template.ts, which reports it only when it differs from the group’s', () => {
    const job = (attempts: number) =>
      jobOf({
        ID: 'r',
        TaskGroups: [
          {
            Name: 'g',
            RestartPolicy: { Attempts: 5 },
            Tasks: [
              { Name: 't', Driver: 'docker', Config: { image: 'x' }, RestartPolicy: { Attempts: attempts } },
            ],
          },
        ],
      });
    expect(paths(notApplicableWarnings(job(1)))).toEqual([]);
    const restartWarnings = (attempts: number) =>
      translate(job(attempts), { namespace: 'apps' }).warnings.filter(
        (w) => w.path === 'TaskGroups[0].Tasks[0].RestartPolicy',
      );
    expect(restartWarnings(5)).toEqual([]);
    expect(restartWarnings(1)).toHaveLength(1);
  });

  it('reports a service’s on_update and check_restart once, at the service, not in every check they are copied into', () => {
    const job = jobOf({
      ID: 'u',
      TaskGroups: [
        {
          Name: 'g',
          Networks: [{ DynamicPorts: [{ Label: 'http' }] }],
          Services: [
            {
              Name: 'web',
              PortLabel: 'http',
              OnUpdate: 'ignore_warnings',
              CheckRestart: { Limit: 3, IgnoreWarnings: true },
              Checks: [
                { Type: 'http', Path: '/a', Interval: 1e10, Timeout: 1e9 },
                { Type: 'http', Path: '/b', Interval: 1e10, Timeout: 1e9, OnUpdate: 'ignore' },
              ],
            },
          ],
          Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }],
        },
      ],
    });
    expect(job.TaskGroups?.[0]?.Services?.[0]?.Checks?.[0]?.OnUpdate).toBe('ignore_warnings');
    expect(job.TaskGroups?.[0]?.Services?.[0]?.Checks?.[1]?.CheckRestart?.IgnoreWarnings).toBe(true);
    expect(
      paths(notApplicableWarnings(job)).filter((p) => p.endsWith('OnUpdate') || p.endsWith('IgnoreWarnings')),
    ).toEqual([
      'TaskGroups[0].Services[0].Checks[1].OnUpdate',
      'TaskGroups[0].Services[0].CheckRestart.IgnoreWarnings',
      'TaskGroups[0].Services[0].OnUpdate',
    ]);
  });

  it('names map entries like validation paths do', () => {
    const job = jobOf({
      ID: 'm',
      TaskGroups: [
        {
          Name: 'g',
          Disconnect: { StopOnClientAfter: 3e10 },
          Tasks: [
            // (A task's DiskMB never gets here: canonicalization drops it, as Nomad's HTTP agent does.)
            { Name: 't', Driver: 'docker', Config: { image: 'x' }, Resources: { DiskMB: 500, IOPS: 10 } },
          ],
        },
      ],
    });
    expect(paths(notApplicableWarnings(job))).toEqual([
      'TaskGroups[0].Tasks[0].Resources.IOPS',
      'TaskGroups[0].Disconnect.StopOnClientAfter',
    ]);
  });

  it('only names paths that exist in the job, for every corpus job', () => {
    for (const name of corpusNames) {
      const job = corpusJob(name);
      for (const w of notApplicableWarnings(job)) {
        expect(valueAt(job, w.path), `${name}: ${w.path}`).not.toBe(MISSING);
        expect(w.message, `${name}: ${w.path}`).toMatch(/ is not applicable on Kubernetes: ./);
      }
    }
  });

  it('is part of every translation, and warnedBy modules do report what they claim', () => {
    for (const name of corpusNames) {
      const job = corpusJob(name);
      const result = translate(job, { namespace: 'apps' });
      const reported = paths(result.warnings);
      for (const w of notApplicableWarnings(job)) expect(reported, `${name}`).toContain(w.path);
      // Rows that leave the warning to a module: a set occurrence must be reported at or below it.
      for (const row of conversionRows) {
        if (row.status !== 'not-applicable' || !row.warnedBy?.endsWith('.ts')) continue;
        if (row.path.includes('.Templates[]')) continue; // rendering settings: reported with the template
        const matches = jobFieldPaths.includes(row.path) ? occurrencesOf(job, row.path) : [];
        for (const { path, value } of matches) {
          const set = row.isSet ? row.isSet(value, { job, path }) : !isEmptyValue(value);
          if (!set) continue;
          // At the field, below it, or at the block holding it (e.g. a check that is not translated).
          const parent = path.slice(0, path.lastIndexOf('.'));
          expect(
            reported.some(
              (p) => p === path || p === parent || p.startsWith(`${path}.`) || p.startsWith(`${path}[`),
            ),
            `${name}: ${path} should be reported by ${row.warnedBy}`,
          ).toBe(true);
        }
      }
    }
  });
});

/** Concrete occurrences of a pattern (arrays only; the rows checked here hold no maps). */
function occurrencesOf(job: unknown, pattern: string): Array<{ path: string; value: unknown }> {
  let current: Array<{ path: string; value: unknown }> = [{ path: '', value: job }];
  for (const part of pattern.split('.')) {
    const list = part.endsWith('[]');
    const key = list ? part.slice(0, -2) : part;
    const next: Array<{ path: string; value: unknown }> = [];
    for (const { path, value } of current) {
      const here = path === '' ? key : `${path}.${key}`;
      const child = valueAt(value, key);
      if (child === MISSING) continue;
      if (!list) next.push({ path: here, value: child });
      else if (Array.isArray(child)) {
        child.forEach((v, i) => {
          next.push({ path: `${here}[${i}]`, value: v });
        });
      }
    }
    current = next;
  }
  return current;
}

describe('unset pointer fields', () => {
  it('reports no LogConfig for a job read back from the API (Enabled: false, which Nomad ignores)', () => {
    const job = jobOf({
      ID: 'web',
      Type: 'service',
      TaskGroups: [
        {
          Name: 'app',
          Tasks: [
            {
              Name: 'main',
              Driver: 'docker',
              Config: { image: 'x:1' },
              LogConfig: { MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false, Enabled: false },
            },
          ],
        },
      ],
    });
    expect(notApplicableWarnings(job).map((w) => w.path)).not.toContain('TaskGroups[0].Tasks[0].LogConfig');
    // A rotation that differs from Nomad's default still is reported.
    const rotated = jobOf({
      ID: 'web',
      Type: 'service',
      TaskGroups: [
        {
          Name: 'app',
          Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'x:1' }, LogConfig: { MaxFiles: 3 } }],
        },
      ],
    });
    expect(notApplicableWarnings(rotated).map((w) => w.path)).toContain('TaskGroups[0].Tasks[0].LogConfig');
  });
});
