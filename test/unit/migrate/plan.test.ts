// What import decides per job: what to leave out, the target's Nomad namespace, warning kinds,
// verdicts (on real translations and on the rules alone), and change detection.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../../src/cli/convert.ts';
import {
  assessJob,
  assessTranslation,
  changeOf,
  fileChangeOf,
  groupWarnings,
  holdsSpec,
  nomadNamespaceOf,
  skipReason,
  warningKind,
} from '../../../src/migrate/plan.ts';
import type { Job } from '../../../src/nomad/schema.ts';

async function canonical(job: Record<string, unknown>): Promise<Job> {
  const loaded = await loadJob({ text: JSON.stringify(job), path: 'job.json' });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.job;
}

const docker = (id: string, extra: Record<string, unknown> = {}) => ({
  ID: id,
  Datacenters: ['*'],
  TaskGroups: [
    {
      Name: 'app',
      Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'app:1' }, LogConfig: { Enabled: true } }],
    },
  ],
  ...extra,
});

describe('skipReason', () => {
  it('leaves out dispatched children and periodic launches, keeps everything else', () => {
    expect(skipReason({ ID: 'p/dispatch-1-abc', ParentID: 'p', Dispatched: true })).toBe(
      'dispatched child of "p": dispatch it again from the imported parent',
    );
    // The list stub does not say Dispatched: Nomad's child ID form does.
    expect(skipReason({ ID: 'p/dispatch-1-abc', ParentID: 'p' })).toMatch(/^dispatched child of "p"/);
    expect(skipReason({ ID: 'custom-child', ParentID: 'p', Dispatched: true })).toMatch(/^dispatched child/);
    expect(skipReason({ ID: 'r/periodic-1700000000', ParentID: 'r' })).toBe(
      'periodic launch of "r": the imported parent launches it on its schedule',
    );
    expect(skipReason({ ID: 'web' })).toBeUndefined();
    expect(skipReason({ ID: 'web', ParentID: '' })).toBeUndefined();
    expect(skipReason({ ID: 'q/periodic-1', ParentID: 'r' })).toBeUndefined();
  });
});

describe('nomadNamespaceOf', () => {
  it("is Nomad's default for the operator's default namespace, else the namespace's own name", () => {
    expect(nomadNamespaceOf('default', 'default')).toBe('default');
    expect(nomadNamespaceOf('apps', 'apps')).toBe('default');
    expect(nomadNamespaceOf('team-b', 'default')).toBe('team-b');
  });
});

describe('warning kinds', () => {
  it('name the field below the group and task, without list indexes', () => {
    expect(
      [
        '',
        'Type',
        'TaskGroups',
        'TaskGroups[0]',
        'TaskGroups[0].Networks[0].Mode',
        'TaskGroups[1].Tasks[0]',
      ].map(warningKind),
    ).toEqual(['Job', 'Type', 'TaskGroup', 'TaskGroup', 'Networks', 'Task']);
    expect(warningKind('TaskGroups[0].Tasks[1].Vault')).toBe('Vault');
    expect(warningKind('TaskGroups[0].Tasks[1].Config.port_map')).toBe('Config');
  });

  it('group warnings by kind, kinds sorted, each kind in the given order', () => {
    const warnings = [
      { path: 'TaskGroups[0].Tasks[0].Vault', message: 'b' },
      { path: 'Constraints[0]', message: 'a' },
      { path: 'TaskGroups[1].Tasks[0].Vault', message: 'c' },
    ];
    expect(groupWarnings(warnings)).toEqual([
      { kind: 'Constraints', warnings: [warnings[1]] },
      { kind: 'Vault', warnings: [warnings[0], warnings[2]] },
    ]);
  });
});

describe('verdicts', () => {
  it('runs as is: every group has a workload and nothing is left out', async () => {
    const assessment = assessJob(await canonical(docker('web')), 'apps', {});
    expect(assessment).toMatchObject({
      verdict: 'runs as is',
      warnings: [],
      reasons: [],
      perDispatch: false,
    });
    expect(assessment.objects).toEqual([{ kind: 'Deployment', name: 'web--app' }]);
  });

  it('runs with warnings: a field that does not translate', async () => {
    const job = await canonical(docker('web'));
    const task = job.TaskGroups?.[0]?.Tasks?.[0];
    if (task) task.LogConfig = { ...task.LogConfig, Disabled: true };
    const assessment = assessJob(job, 'apps', {});
    expect(assessment.verdict).toBe('runs with warnings');
    expect(assessment.warnings.map((w) => w.path)).toEqual(['TaskGroups[0].Tasks[0].LogConfig']);
  });

  it('a parameterized job is assessed as its dispatched children run, per dispatch', async () => {
    const job = await canonical(
      docker('process', { Type: 'batch', ParameterizedJob: { Payload: 'optional' } }),
    );
    const assessment = assessJob(job, 'apps', {});
    expect(assessment).toMatchObject({ verdict: 'runs as is', perDispatch: true, warnings: [] });
    expect(assessment.objects.map((o) => o.kind)).toEqual(['Job']);
  });

  it('needs action: a job type that runs nothing, or a group that becomes no workload', async () => {
    const job = await canonical(docker('web'));
    const unknownType = assessJob({ ...job, Type: 'mystery' }, 'apps', {});
    expect(unknownType).toMatchObject({
      verdict: 'needs action',
      reasons: ['job type "mystery" cannot be run'],
    });
    const twoGroups: Job = { ...job, TaskGroups: [...(job.TaskGroups ?? []), { Name: 'gateway' }] };
    const deployment: KubernetesObject = {
      kind: 'Deployment',
      metadata: { name: 'web--app', annotations: { 'nomadoperator.dev/group': 'app' } },
    };
    const warning = { path: 'TaskGroups[1]', message: 'the group has no tasks' };
    expect(assessTranslation(twoGroups, [deployment], [warning], false)).toEqual({
      objects: [{ kind: 'Deployment', name: 'web--app' }],
      perDispatch: false,
      warnings: [warning],
      verdict: 'needs action',
      reasons: ['group "gateway" becomes no workload'],
    });
    expect(
      assessTranslation(
        job,
        [deployment],
        [{ path: '', message: 'internal error while translating the job: x' }],
        false,
      ).reasons,
    ).toEqual(['the translator failed on it']);
  });
});

describe('changes', () => {
  const object = (spec: unknown, extra: Record<string, unknown> = {}) =>
    ({
      apiVersion: 'nomadoperator.dev/v1alpha1',
      kind: 'NomadJob',
      metadata: { name: 'web', labels: { a: '1', b: '2' }, annotations: { x: 'y' }, ...extra },
      spec,
    }) as KubernetesObject & { spec?: unknown };

  it('compare labels, annotations and spec only, in any key order', () => {
    expect(changeOf(undefined, object({ id: 'web' }))).toBe('new');
    const before = {
      ...object({ id: 'web', type: 'service' }, { resourceVersion: '5' }),
      status: { version: 3 },
    };
    const after = object(
      { type: 'service', id: 'web' },
      { resourceVersion: '6', labels: { b: '2', a: '1' } },
    );
    expect(changeOf(before, after)).toBe('unchanged');
    expect(changeOf(before, object({ id: 'web', type: 'batch' }))).toBe('changed');
    expect(changeOf(before, object({ id: 'web', type: 'service' }, { annotations: {} }))).toBe('changed');
  });

  it('a NomadJob holds the intended spec only when the whole spec is the same', () => {
    expect(holdsSpec(object({ id: 'web', type: 'service' }), object({ type: 'service', id: 'web' }))).toBe(
      true,
    );
    expect(holdsSpec(object({ id: 'web', meta: { edited: 'yes' } }), object({ id: 'web' }))).toBe(false);
  });

  it('compare files by their text', () => {
    expect(fileChangeOf(undefined, 'a')).toBe('new');
    expect(fileChangeOf('a', 'a')).toBe('unchanged');
    expect(fileChangeOf('a', 'b')).toBe('changed');
  });
});
