// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
import { readdirSync } from 'node:fs';
import type { V1NodeSelectorRequirement } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isLabelValue } from '../../../src/nomad/ids.ts';
import { LABEL_GROUP } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { parseTranslatorOptions } from '../../../src/translate/options.ts';
import {
  defaultNodeAttributeLabels,
  groupPlacement,
  isLabelKey,
  nodeLabelFor,
  regexpLiterals,
} from '../../../src/translate/placement.ts';
import type { Placement, ResolvedOptions } from '../../../src/translate/types.ts';
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

/**
 * Node labels for the attributes these tests place on, as an operator maps them (`--datacenter-label`,
 * `--node-attribute-label meta.rack=…`): with a mapping, placement converts rules on them; without one
 * (the default) they pin nothing.
 */
const MAPPED: Partial<ResolvedOptions> = {
  nodeAttributeLabels: Object.fromEntries([
    ['node.datacenter', 'topology.kubernetes.io/zone'],
    ['node.region', 'topology.kubernetes.io/region'],
    ['node.class', 'nomadoperator.dev/node-class'],
    ['node.pool', 'nomadoperator.dev/node-pool'],
    ...['rack', 'features', 'tags', 'cores', 'v', 'n', 's', 'z', 'a', 'b'].map((m) => [
      `meta.${m}`,
      `nomadoperator.dev/meta.${m}`,
    ]),
    ...['cpu.numcores', 'os.version'].map((a) => [`attr.${a}`, `nomadoperator.dev/attr.${a}`]),
  ]),
};

/** Placement of a single group constraint (attributes mapped by MAPPED), with the context for its warnings. */
function oneConstraint(
  LTarget: string,
  Operand: string,
  RTarget: string,
): { p: Placement; ctx: TestContext } {
  const ctx = groupContext(placementJob({ Constraints: [{ LTarget, Operand, RTarget }] }), 0, MAPPED);
  return { p: groupPlacement(ctx), ctx };
}

/** The options `--datacenter-label` … give, parsed as `convert` and `run` parse them. */
function flags(texts: Record<string, string[]>): Partial<ResolvedOptions> {
  const parsed = parseTranslatorOptions(
    Object.fromEntries(
      Object.entries(texts).map(([key, values]) => [key, values.map((text) => ({ text, source: key }))]),
    ),
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.options;
}

const G = 'TaskGroups[0].Constraints[0]';

describe('defaultNodeAttributeLabels', () => {
  it('maps only attributes whose label every node has, with the same values', () => {
    expect(defaultNodeAttributeLabels).toEqual({
      '${attr.kernel.name}': 'kubernetes.io/os',
      '${attr.cpu.arch}': 'kubernetes.io/arch',
      '${node.unique.name}': 'kubernetes.io/hostname',
      '${attr.unique.hostname}': 'kubernetes.io/hostname',
      '${attr.platform.aws.placement.availability-zone}': 'topology.kubernetes.io/zone',
      '${attr.platform.aws.instance-type}': 'node.kubernetes.io/instance-type',
      '${attr.platform.gce.zone}': 'topology.kubernetes.io/zone',
      '${attr.platform.gce.machine-type}': 'node.kubernetes.io/instance-type',
      '${attr.platform.azure.location}': 'topology.kubernetes.io/region',
      '${attr.platform.azure.vm-size}': 'node.kubernetes.io/instance-type',
    });
    for (const key of Object.values(defaultNodeAttributeLabels)) expect(isLabelKey(key), key).toBe(true);
  });

  it('has no label for other attributes, and says which flag maps one', () => {
    expect(nodeLabelFor(testOptions, '${meta.rack}')).toEqual({
      ok: false,
      message:
        'node attribute ${meta.rack} has no node label (map one with --node-attribute-label meta.rack=<node label> (env NOMAD_OPERATOR_NODE_ATTRIBUTE_LABELS, Helm value translator.nodeAttributeLabels))',
    });
    for (const [attribute, flag] of [
      [
        'node.datacenter',
        '--datacenter-label <node label> (env NOMAD_OPERATOR_DATACENTER_LABEL, Helm value translator.datacenterLabel)',
      ],
      ['node.region', '--region-label <node label> (env NOMAD_OPERATOR_REGION_LABEL'],
      ['node.pool', '--node-pool-label <node label> (env NOMAD_OPERATOR_NODE_POOL_LABEL'],
      ['node.class', '--node-class-label <node label> (env NOMAD_OPERATOR_NODE_CLASS_LABEL'],
      ['attr.os.version', '--node-attribute-label attr.os.version=<node label>'],
      ['node.unique.id', '--node-attribute-label node.unique.id=<node label>'],
    ] as const) {
      const label = nodeLabelFor(testOptions, `\${${attribute}}`);
      expect(label.ok, attribute).toBe(false);
      if (!label.ok) expect(label.message, attribute).toContain(flag);
    }
    expect(nodeLabelFor(testOptions, '${attr.driver.docker}')).toEqual({
      ok: false,
      message:
        'node attribute ${attr.driver.docker} describes the Nomad client, which Kubernetes nodes do not run',
    });
    expect(nodeLabelFor(testOptions, '${foo.bar}')).toEqual({
      ok: false,
      message: 'unknown node attribute ${foo.bar}',
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

describe('constraints (constraints corpus job, attributes mapped)', () => {
  const j = corpusJob('constraints');
  const ctx = groupContext(j, 0, MAPPED);
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
    expect(warningsAt(ctx, 'TaskGroups[0].Constraints[5].LTarget')).toEqual([]);
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
      0,
      MAPPED,
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
      0,
      MAPPED,
    );
    const p = groupPlacement(ctx);
    expect(p.nodeSelector).toBeUndefined();
    expect(requiredExpressions(p)).toEqual([
      { key: 'nomadoperator.dev/node-class', operator: 'In', values: ['a'] },
      { key: 'nomadoperator.dev/node-class', operator: 'NotIn', values: ['b'] },
    ]);
  });
});

describe('datacenters, node pools and region', () => {
  it('by default pin nothing; "*", default/all and global say nothing, other values one warning each', () => {
    for (const fields of [{}, { Datacenters: ['*'] }, { NodePool: 'all' }, { Region: 'global' }]) {
      const ctx = groupContext(placementJob({}, fields));
      expect(groupPlacement(ctx), JSON.stringify(fields)).toEqual({});
      expect(ctx.warnings, JSON.stringify(fields)).toEqual([]);
    }
    const ctx = groupContext(placementJob({}, { Datacenters: ['dc1'], NodePool: 'gpu', Region: 'us-east' }));
    expect(groupPlacement(ctx)).toEqual({});
    expect(ctx.warnings).toEqual([
      {
        path: 'Datacenters',
        message:
          'pods run on any node: Kubernetes nodes have no Nomad datacenters unless a node label is mapped to ${node.datacenter}; to keep the job in datacenters "dc1", map one with --datacenter-label <node label> (env NOMAD_OPERATOR_DATACENTER_LABEL, Helm value translator.datacenterLabel), e.g. topology.kubernetes.io/zone',
      },
      {
        path: 'NodePool',
        message:
          'pods run on any node: Kubernetes nodes have no Nomad node pool unless a node label is mapped to ${node.pool}; to keep the job in node pool "gpu", map one with --node-pool-label <node label> (env NOMAD_OPERATOR_NODE_POOL_LABEL, Helm value translator.nodePoolLabel)',
      },
      {
        path: 'Region',
        message:
          'pods run on any node: Kubernetes nodes have no Nomad region unless a node label is mapped to ${node.region}; to keep the job in region "us-east", map one with --region-label <node label> (env NOMAD_OPERATOR_REGION_LABEL, Helm value translator.regionLabel), e.g. topology.kubernetes.io/region',
      },
    ]);
  });

  it('with --datacenter-label: names → In on that label; globs → warning', () => {
    const zone = flags({ datacenterLabel: ['topology.kubernetes.io/zone'] });
    const one = groupContext(placementJob({}, { Datacenters: ['dc1'] }), 0, zone);
    expect(groupPlacement(one)).toEqual({ nodeSelector: { 'topology.kubernetes.io/zone': 'dc1' } });
    expect(one.warnings).toEqual([]);
    const two = groupPlacement(groupContext(placementJob({}, { Datacenters: ['a', 'b'] }), 0, zone));
    expect(requiredExpressions(two)).toEqual([
      { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a', 'b'] },
    ]);
    const glob = groupContext(placementJob({}, { Datacenters: ['us-*'] }), 0, zone);
    expect(groupPlacement(glob)).toEqual({});
    expect(warningsAt(glob, 'Datacenters')).toHaveLength(1);
  });

  it('with --node-pool-label / --region-label: a pool other than default/all, a region other than global → In', () => {
    const options = flags({
      nodePoolLabel: ['nomadoperator.dev/node-pool'],
      regionLabel: ['topology.kubernetes.io/region'],
    });
    expect(groupPlacement(groupContext(placementJob({}, { NodePool: 'gpu' }), 0, options))).toEqual({
      nodeSelector: { 'nomadoperator.dev/node-pool': 'gpu' },
    });
    expect(groupPlacement(groupContext(placementJob({}, { NodePool: 'all' }), 0, options))).toEqual({});
    expect(groupPlacement(groupContext(placementJob({}, { Region: 'us-east' }), 0, options))).toEqual({
      nodeSelector: { 'topology.kubernetes.io/region': 'us-east' },
    });
    expect(groupPlacement(groupContext(placementJob({}, { Region: 'global' }), 0, options))).toEqual({});
  });

  it('job-level scopes are reported by the first group only', () => {
    const two = placementJob({}, { Datacenters: ['dc1'] });
    two.TaskGroups?.push({ ...two.TaskGroups[0], Name: 'h' });
    const second = groupContext(two, 1);
    groupPlacement(second);
    expect(second.warnings).toEqual([]);
  });
});

describe('rules on attributes without a label (the default)', () => {
  it('${attr.kernel.name} → the kubernetes.io/os nodeSelector, no warning', () => {
    const ctx = groupContext(
      placementJob({ Constraints: [{ LTarget: '${attr.kernel.name}', Operand: '=', RTarget: 'linux' }] }),
    );
    expect(groupPlacement(ctx)).toEqual({ nodeSelector: { 'kubernetes.io/os': 'linux' } });
    expect(ctx.warnings).toEqual([]);
  });

  it('an unmapped meta constraint → no requirement, one warning naming the flag; mapped → In', () => {
    const job = placementJob({ Constraints: [{ LTarget: '${meta.rack}', Operand: '=', RTarget: 'r1' }] });
    const ctx = groupContext(job);
    expect(groupPlacement(ctx)).toEqual({});
    expect(ctx.warnings).toEqual([
      {
        path: `${G}.LTarget`,
        message:
          'node attribute ${meta.rack} has no node label (map one with --node-attribute-label meta.rack=<node label> (env NOMAD_OPERATOR_NODE_ATTRIBUTE_LABELS, Helm value translator.nodeAttributeLabels)); not translated',
      },
    ]);
    const mapped = groupContext(job, 0, flags({ nodeAttributeLabels: ['meta.rack=example.com/rack'] }));
    expect(groupPlacement(mapped)).toEqual({ nodeSelector: { 'example.com/rack': 'r1' } });
    expect(mapped.warnings).toEqual([]);
  });

  it('the constraints corpus job: only os and hostname rules convert; one warning per other rule', () => {
    const ctx = groupContext(corpusJob('constraints'));
    const p = groupPlacement(ctx);
    expect(p.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(p.affinity?.nodeAffinity).toBeUndefined();
    expect(p.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      expect.objectContaining({ topologyKey: 'kubernetes.io/hostname' }),
    ]);
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      'TaskGroups[0].Constraints[0].LTarget',
      'TaskGroups[0].Constraints[1].LTarget',
      'TaskGroups[0].Constraints[2].LTarget',
      'TaskGroups[0].Constraints[3].LTarget',
      'TaskGroups[0].Constraints[4].LTarget',
      'TaskGroups[0].Constraints[5].LTarget',
      'TaskGroups[0].Tasks[0].Constraints[0].LTarget',
    ]);
  });

  it('the affinity-spread corpus job: unmapped rules pin and spread nothing, one warning each', () => {
    const ctx = groupContext(corpusJob('affinity-spread'));
    const p = groupPlacement(ctx);
    expect(p.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(p.topologySpreadConstraints).toBeUndefined();
    expect(p.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        weight: 25,
        preference: { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] },
      },
    ]);
    expect(warningsAt(ctx, 'Datacenters')).toHaveLength(1);
    expect(warningsAt(ctx, 'Affinities[0].LTarget')).toHaveLength(1);
    expect(warningsAt(ctx, 'Spreads[0].Attribute')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Affinities[0].LTarget')).toHaveLength(1);
    expect(warningsAt(ctx, 'TaskGroups[0].Spreads[0].Attribute')).toHaveLength(1);
    expect(warningsAt(ctx, 'Spreads[0].SpreadTarget')).toEqual([]);
  });
});

describe('affinities and spreads (affinity-spread corpus job, attributes mapped)', () => {
  const ctx = groupContext(corpusJob('affinity-spread'), 0, MAPPED);
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
      0,
      MAPPED,
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

  it.each(names)('%s: valid label keys and values, one warning per rule at most, deterministic', (name) => {
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
      // Each rule, and each job-level scope, is reported at most once.
      const perRule = new Map<string, number>();
      for (const w of ctx.warnings) {
        const rule = /^(.*?(?:Constraints|Affinities|Spreads)\[\d+\]|Datacenters|NodePool|Region)/.exec(
          w.path,
        )?.[1];
        if (rule) perRule.set(rule, (perRule.get(rule) ?? 0) + 1);
      }
      for (const [rule, count] of perRule) expect(count, `${name} ${rule}`).toBe(1);
      const again = groupContext(j, g);
      expect(groupPlacement(again)).toEqual(p);
      expect(again.warnings).toEqual(ctx.warnings);
    });
  });
});

describe('disconnect', () => {
  const placementOf = (group: Record<string, unknown>, type = 'service') => {
    const ctx = groupContext(
      job({
        ID: 'edge',
        Type: type,
        TaskGroups: [
          { Name: 'g', ...group, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }] },
        ],
      } as Job),
    );
    return { tolerations: groupPlacement(ctx).tolerations, ctx };
  };
  const sixHours = 6 * 3600e9;

  it('replace = false with lost_after: pods tolerate a node that lost contact that long', () => {
    const { tolerations, ctx } = placementOf({ Disconnect: { LostAfter: sixHours, Replace: false } });
    expect(tolerations).toEqual([
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 21600,
      },
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 21600,
      },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it('lost_after with replace = true (Nomad replaces at once) is said not converted, once', () => {
    const { tolerations, ctx } = placementOf({ Disconnect: { LostAfter: sixHours } });
    expect(tolerations).toBeUndefined();
    expect(warningsAt(ctx, 'TaskGroups[0].Disconnect.LostAfter')).toHaveLength(1);
    expect(ctx.warnings).toHaveLength(1);
  });

  it('replace = false without lost_after, and DaemonSets, are said not converted', () => {
    const alone = placementOf({ Disconnect: { Replace: false } });
    expect(alone.tolerations).toBeUndefined();
    expect(warningsAt(alone.ctx, 'TaskGroups[0].Disconnect.Replace')).toHaveLength(1);
    const system = placementOf({ Disconnect: { LostAfter: sixHours, Replace: false } }, 'system');
    expect(system.tolerations).toBeUndefined();
    expect(warningsAt(system.ctx, 'TaskGroups[0].Disconnect.LostAfter')).toHaveLength(1);
  });

  it('max_client_disconnect, which Nomad ignores, changes nothing', () => {
    expect(placementOf({ MaxClientDisconnect: sixHours }).tolerations).toBeUndefined();
  });
});
