// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
import { readdirSync } from 'node:fs';
import type { V1NodeSelectorRequirement } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isLabelValue, LABEL_GROUP } from '../../../src/nomad/ids.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import {
  defaultNodeAttributeLabels,
  groupPlacement,
  isLabelKey,
  nodeLabelFor,
  regexpLiterals,
} from '../../../src/translate/placement.ts';
import type { Placement } from '../../../src/translate/types.ts';
import { corpusJob, groupContext, job, type TestContext, testOptions, warningsAt } from './group-context.ts';

/** A one-group job; `constraints` etc. go on the group unless given in `jobFields`. */
function placementJob(group: Record<string, unknown>, jobFields: Partial<Job> = {}): Job {
  return job({
    ID: 'place',
    Type: 'service',
    ...jobFields,
    TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }], ...group }],
  } as Job);
}

function requiredExpressions(p: Placement): V1NodeSelectorRequirement[] {
  return (
    p.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
      ?.matchExpressions ?? []
  );
}

/** Placement of a single group constraint, with the context for its warnings. */
function oneConstraint(
  LTarget: string,
  Operand: string,
  RTarget: string,
): { p: Placement; ctx: TestContext } {
  const ctx = groupContext(placementJob({ Constraints: [{ LTarget, Operand, RTarget }] }));
  return { p: groupPlacement(ctx), ctx };
}

const G = 'TaskGroups[0].Constraints[0]';

describe('defaultNodeAttributeLabels', () => {
  it('maps the documented attributes to valid label keys', () => {
    expect(defaultNodeAttributeLabels).toMatchObject({
      '${attr.kernel.name}': 'kubernetes.io/os',
      '${attr.cpu.arch}': 'kubernetes.io/arch',
      '${node.unique.name}': 'kubernetes.io/hostname',
      '${node.datacenter}': 'topology.kubernetes.io/zone',
      '${node.region}': 'topology.kubernetes.io/region',
      '${node.class}': 'nomadoperator.dev/node-class',
      '${node.pool}': 'nomadoperator.dev/node-pool',
    });
    for (const key of Object.values(defaultNodeAttributeLabels)) expect(isLabelKey(key), key).toBe(true);
  });

  it('falls back to nomadoperator.dev/meta.X and attr.X, label-safe, and knows what is not applicable', () => {
    expect(nodeLabelFor(testOptions, '${meta.rack}')).toMatchObject({
      ok: true,
      key: 'nomadoperator.dev/meta.rack',
    });
    expect(nodeLabelFor(testOptions, '${attr.os.version}')).toMatchObject({
      ok: true,
      key: 'nomadoperator.dev/attr.os.version',
    });
    const odd = nodeLabelFor(
      testOptions,
      '${meta.weird key/with:chars and a very long name that exceeds limits}',
    );
    expect(odd.ok).toBe(true);
    if (odd.ok) {
      expect(isLabelKey(odd.key)).toBe(true);
      expect(odd.key).toMatch(/^nomadoperator\.dev\/meta\.weird-key-with-chars.*--[a-z2-7]{16}$/);
    }
    expect(nodeLabelFor(testOptions, '${attr.driver.docker}')).toMatchObject({ ok: false });
    expect(nodeLabelFor(testOptions, '${node.unique.id}')).toEqual({
      ok: false,
      message: 'unknown node attribute ${node.unique.id}',
    });
    expect(nodeLabelFor(testOptions, 'linux')).toMatchObject({ ok: false });
  });

  it('options override and extend it, with or without ${…} around the key', () => {
    const options = {
      nodeAttributeLabels: {
        '${node.class}': 'node.kubernetes.io/instance-type',
        'meta.rack': 'example.com/rack',
      },
    };
    expect(nodeLabelFor(options, '${node.class}')).toEqual({
      ok: true,
      key: 'node.kubernetes.io/instance-type',
    });
    expect(nodeLabelFor(options, '${meta.rack}')).toEqual({ ok: true, key: 'example.com/rack' });
    expect(nodeLabelFor({ nodeAttributeLabels: { 'meta.x': 'not a label' } }, '${meta.x}')).toMatchObject({
      ok: false,
    });
  });
});

describe('constraints (constraints corpus job)', () => {
  const j = corpusJob('constraints');
  const ctx = groupContext(j);
  const p = groupPlacement(ctx);
  const jobSelector = { ...ctx.selector };
  delete jobSelector[LABEL_GROUP];

  it('= on a single key → nodeSelector; >= 8 → Gt 7', () => {
    expect(p.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(requiredExpressions(p)).toEqual([
      { key: 'nomadoperator.dev/attr.cpu.numcores', operator: 'Gt', values: ['7'] },
    ]);
    expect(p.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
  });

  it('job distinct_hosts → hostname anti-affinity over the job’s pods; distinct_property → over the group’s', () => {
    expect(p.affinity?.podAntiAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: jobSelector }, topologyKey: 'kubernetes.io/hostname' },
        { labelSelector: { matchLabels: ctx.selector }, topologyKey: 'nomadoperator.dev/meta.rack' },
      ],
    });
    expect(p.topologySpreadConstraints).toBeUndefined();
  });

  it('reports every constraint it cannot translate, by field path', () => {
    expect(warningsAt(ctx, 'TaskGroups[0].Constraints[1].Operand')).toEqual([
      'version constraints cannot be expressed on Kubernetes node labels; not translated',
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Constraints[2].LTarget')).toEqual([
      'node attribute ${attr.nomad.version} describes the Nomad client, which Kubernetes nodes do not run; not translated',
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Constraints[3].RTarget')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Constraints[4].RTarget')).toEqual([
      'set_contains "ssd,nvme": a node label holds one value, not a set, so it cannot contain several members; not translated',
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Constraints[5].LTarget')).toEqual([
      'node attribute ${attr.cpu.numcores} has no Kubernetes label: it is read from the node label nomadoperator.dev/attr.cpu.numcores (label the nodes, or map it in nodeAttributeLabels)',
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Tasks[0].Constraints[0].LTarget')).toHaveLength(1);
    expect(ctx.warnings.filter((w) => w.path.startsWith('Constraints'))).toEqual([]);
  });

  it('job-level warnings are reported by the first group only', () => {
    const two = placementJob(
      { Constraints: [] },
      { Constraints: [{ LTarget: '${attr.nomad.version}', Operand: 'semver', RTarget: '>= 1' }] },
    );
    two.TaskGroups?.push({ ...two.TaskGroups[0], Name: 'h' });
    const first = groupContext(two, 0);
    const second = groupContext(two, 1);
    groupPlacement(first);
    groupPlacement(second);
    expect(warningsAt(first, 'Constraints[0].LTarget')).toHaveLength(1);
    expect(second.warnings).toEqual([]);
  });
});

describe('constraint operators', () => {
  it.each([
    ['=', 'linux', { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }],
    ['==', 'linux', { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }],
    ['is', 'linux', { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }],
    ['!=', 'windows', { key: 'kubernetes.io/os', operator: 'NotIn', values: ['windows'] }],
    ['not', 'windows', { key: 'kubernetes.io/os', operator: 'NotIn', values: ['windows'] }],
    ['is_set', '', { key: 'kubernetes.io/os', operator: 'Exists' }],
    ['is_not_set', '', { key: 'kubernetes.io/os', operator: 'DoesNotExist' }],
    [
      'regexp',
      '^(linux|windows)$',
      { key: 'kubernetes.io/os', operator: 'In', values: ['linux', 'windows'] },
    ],
  ])('${attr.kernel.name} %s %j', (operand, rTarget, expected) => {
    const { p, ctx } = oneConstraint('${attr.kernel.name}', operand, rTarget);
    const all = [
      ...requiredExpressions(p),
      ...Object.entries(p.nodeSelector ?? {}).map(([key, v]) => ({ key, operator: 'In', values: [v] })),
    ];
    expect(all).toEqual([expected]);
    expect(ctx.warnings).toEqual([]);
  });

  it.each([
    ['>', '8', 'Gt', '8'],
    ['>=', '8', 'Gt', '7'],
    ['<', '8', 'Lt', '8'],
    ['<=', '8', 'Lt', '9'],
    ['>=', '-2', 'Gt', '-3'],
  ])('numeric %s %s → %s %s', (operand, rTarget, operator, value) => {
    const { p } = oneConstraint('${meta.cores}', operand, rTarget);
    expect(requiredExpressions(p)).toEqual([
      { key: 'nomadoperator.dev/meta.cores', operator, values: [value] },
    ]);
  });

  it.each([
    ['>', '1.5'],
    ['<', 'abc'],
  ])('non-integer order %s %s → warning, nothing', (operand, rTarget) => {
    const { p, ctx } = oneConstraint('${meta.v}', operand, rTarget);
    expect(p).toEqual({});
    expect(warningsAt(ctx, `${G}.RTarget`)).toHaveLength(1);
  });

  it('a literal on the left is swapped (with the order flipped): "4" < ${meta.n} → Gt 4', () => {
    const { p } = oneConstraint('4', '<', '${meta.n}');
    expect(requiredExpressions(p)).toEqual([
      { key: 'nomadoperator.dev/meta.n', operator: 'Gt', values: ['4'] },
    ]);
  });

  it('two literals: true → nothing, false → warning; two attributes → warning', () => {
    expect(oneConstraint('a', '=', 'a').ctx.warnings).toEqual([]);
    expect(warningsAt(oneConstraint('a', '=', 'b').ctx, `${G}.LTarget`)).toHaveLength(1);
    expect(warningsAt(oneConstraint('${meta.a}', '=', '${meta.b}').ctx, `${G}.RTarget`)).toHaveLength(1);
  });

  it('set operators: one member or "any" → In (approximated, reported); several required members → nothing', () => {
    const any = oneConstraint('${meta.tags}', 'set_contains_any', 'a, b');
    expect(requiredExpressions(any.p)).toEqual([
      { key: 'nomadoperator.dev/meta.tags', operator: 'In', values: ['a', 'b'] },
    ]);
    expect(warningsAt(any.ctx, `${G}.Operand`)).toHaveLength(1);
    const single = oneConstraint('${meta.tags}', 'set_contains_all', 'ssd');
    expect(single.p.nodeSelector).toEqual({ 'nomadoperator.dev/meta.tags': 'ssd' });
    const several = oneConstraint('${meta.tags}', 'set_contains', 'a,b');
    expect(several.p).toEqual({});
  });

  it('unknown attribute, unknown operator, invalid value: warnings naming the field, never an exception', () => {
    expect(warningsAt(oneConstraint('${foo.bar}', '=', 'x').ctx, `${G}.LTarget`)).toEqual([
      'unknown node attribute ${foo.bar}; not translated',
    ]);
    expect(warningsAt(oneConstraint('${meta.a}', '~=', 'x').ctx, `${G}.Operand`)).toEqual([
      'unknown operator "~="; not translated',
    ]);
    const invalid = oneConstraint('${meta.a}', '=', 'has space');
    expect(invalid.p).toEqual({});
    expect(warningsAt(invalid.ctx, `${G}.RTarget`)).toHaveLength(1);
    const empty = groupContext(placementJob({ Constraints: [{}] }));
    expect(() => groupPlacement(empty)).not.toThrow();
  });

  it('regexp literals: only fully anchored alternations of literals', () => {
    expect(regexpLiterals('^a$')).toEqual(['a']);
    expect(regexpLiterals('^(?:a|b-c|d\\.e)$')).toEqual(['a', 'b-c', 'd.e']);
    expect(regexpLiterals('^a|b$')).toBeUndefined();
    expect(regexpLiterals('^web-')).toBeUndefined();
    expect(regexpLiterals('^db-[a-z]+$')).toBeUndefined();
    expect(regexpLiterals('^a.b$')).toBeUndefined();
  });

  it('distinct_property with a limit above 1 → preferred anti-affinity, reported', () => {
    const ctx = groupContext(
      placementJob({
        Constraints: [{ LTarget: '${node.datacenter}', Operand: 'distinct_property', RTarget: '2' }],
      }),
    );
    expect(groupPlacement(ctx).affinity?.podAntiAffinity).toEqual({
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchLabels: ctx.selector },
            topologyKey: 'topology.kubernetes.io/zone',
          },
        },
      ],
    });
    expect(warningsAt(ctx, `${G}.RTarget`)).toHaveLength(1);
  });

  it('a value and an In on the same key stay together in the node affinity (both must hold)', () => {
    const ctx = groupContext(
      placementJob({
        Constraints: [
          { LTarget: '${node.class}', Operand: '=', RTarget: 'a' },
          { LTarget: '${node.class}', Operand: '!=', RTarget: 'b' },
        ],
      }),
    );
    const p = groupPlacement(ctx);
    expect(p.nodeSelector).toBeUndefined();
    expect(requiredExpressions(p)).toEqual([
      { key: 'nomadoperator.dev/node-class', operator: 'In', values: ['a'] },
      { key: 'nomadoperator.dev/node-class', operator: 'NotIn', values: ['b'] },
    ]);
  });
});

describe('datacenters and node pools', () => {
  it('"*" (the default) → nothing; names → In on the zone label; globs → warning', () => {
    expect(groupPlacement(groupContext(placementJob({})))).toEqual({});
    const two = groupPlacement(groupContext(placementJob({}, { Datacenters: ['a', 'b'] })));
    expect(requiredExpressions(two)).toEqual([
      { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a', 'b'] },
    ]);
    const glob = groupContext(placementJob({}, { Datacenters: ['us-*'] }));
    expect(groupPlacement(glob)).toEqual({});
    expect(warningsAt(glob, 'Datacenters')).toHaveLength(1);
  });

  it('a node pool other than default/all → In on the node-pool label', () => {
    expect(groupPlacement(groupContext(placementJob({}, { NodePool: 'gpu' })))).toEqual({
      nodeSelector: { 'nomadoperator.dev/node-pool': 'gpu' },
    });
    expect(groupPlacement(groupContext(placementJob({}, { NodePool: 'all' })))).toEqual({});
  });
});

describe('affinities and spreads (affinity-spread corpus job)', () => {
  const ctx = groupContext(corpusJob('affinity-spread'));
  const p = groupPlacement(ctx);

  it('datacenters → required; weights → preferred terms, negative weights prefer the complement', () => {
    expect(requiredExpressions(p)).toEqual([
      { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1', 'us-west-2'] },
    ]);
    expect(p.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        weight: 75,
        preference: {
          matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1'] }],
        },
      },
      {
        weight: 50,
        preference: {
          matchExpressions: [
            { key: 'nomadoperator.dev/meta.tags', operator: 'NotIn', values: ['fast', 'gpu'] },
          ],
        },
      },
      {
        weight: 25,
        preference: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] },
      },
    ]);
    expect(warningsAt(ctx, 'TaskGroups[0].Affinities[1].RTarget')).toHaveLength(1);
  });

  it('spreads → topology spread constraints (job spread over the job’s pods), targets reported', () => {
    const jobSelector = { ...ctx.selector };
    delete jobSelector[LABEL_GROUP];
    expect(p.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: jobSelector },
      },
      {
        maxSkew: 1,
        topologyKey: 'nomadoperator.dev/meta.rack',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: ctx.selector },
      },
    ]);
    expect(warningsAt(ctx, 'Spreads[0].SpreadTarget')).toEqual([
      'target percentages are approximated: pods are spread evenly over the topology.kubernetes.io/zone values (at most 1 pod of difference, best effort)',
    ]);
  });

  it('negative weights complement every operator; weights are clamped; weight 0 is reported', () => {
    const c = groupContext(
      placementJob({
        Affinities: [
          { LTarget: '${meta.n}', Operand: '>', RTarget: '3', Weight: -100 },
          { LTarget: '${meta.s}', Operand: 'is_set', Weight: -10 },
          { LTarget: '${meta.z}', Operand: '=', RTarget: 'x', Weight: 0 },
        ],
      }),
    );
    const preferred =
      groupPlacement(c).affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    expect(preferred).toEqual([
      {
        weight: 100,
        preference: {
          matchExpressions: [{ key: 'nomadoperator.dev/meta.n', operator: 'Lt', values: ['4'] }],
        },
      },
      {
        weight: 10,
        preference: { matchExpressions: [{ key: 'nomadoperator.dev/meta.s', operator: 'DoesNotExist' }] },
      },
    ]);
    expect(warningsAt(c, 'TaskGroups[0].Affinities[2].Weight')).toHaveLength(1);
  });
});

describe('placement over the corpus', () => {
  const names = readdirSync(new URL('../../fixtures/jobspecs/', import.meta.url))
    .filter((f) => f.endsWith('.canonical.json'))
    .map((f) => f.replace(/\.canonical\.json$/, ''))
    .sort();

  it.each(names)('%s: valid label keys and values, no exception, deterministic', (name) => {
    const j = corpusJob(name);
    (j.TaskGroups ?? []).forEach((_, g) => {
      const ctx = groupContext(j, g);
      const p = groupPlacement(ctx);
      for (const [key, value] of Object.entries(p.nodeSelector ?? {})) {
        expect(isLabelKey(key)).toBe(true);
        expect(isLabelValue(value)).toBe(true);
      }
      const node = p.affinity?.nodeAffinity;
      const requirements = [
        ...(node?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).flatMap(
          (t) => t.matchExpressions ?? [],
        ),
        ...(node?.preferredDuringSchedulingIgnoredDuringExecution ?? []).flatMap(
          (t) => t.preference.matchExpressions ?? [],
        ),
      ];
      for (const r of requirements) {
        expect(isLabelKey(r.key)).toBe(true);
        for (const v of r.values ?? []) expect(isLabelValue(v)).toBe(true);
        if (r.operator === 'Gt' || r.operator === 'Lt') expect(r.values?.[0]).toMatch(/^-?\d+$/);
        if (r.operator === 'Exists' || r.operator === 'DoesNotExist') expect(r.values).toBeUndefined();
        else expect(r.values?.length).toBeGreaterThan(0);
      }
      for (const w of node?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        expect(w.weight).toBeGreaterThanOrEqual(1);
        expect(w.weight).toBeLessThanOrEqual(100);
      }
      for (const s of p.topologySpreadConstraints ?? []) expect(isLabelKey(s.topologyKey)).toBe(true);
      const again = groupContext(j, g);
      expect(groupPlacement(again)).toEqual(p);
      expect(again.warnings).toEqual(ctx.warnings);
    });
  });
});
