// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad attribute references are literal "${…}" text
// Placement: datacenters, node pools, region, constraints, affinities and spreads → node affinity, node
// selector, pod anti-affinity and topology spread constraints.
//
// Nomad places on node attributes (`${attr.kernel.name}`, `${node.datacenter}`, `${meta.rack}`, …);
// Kubernetes places on node labels. The rule: a placement rule pins pods only to labels that really
// exist on the nodes. By default only attributes whose label every Kubernetes node carries, with the same
// meaning and the same values, are mapped (`defaultNodeAttributeLabels`): `${attr.kernel.name}` →
// kubernetes.io/os and `${attr.cpu.arch}` → kubernetes.io/arch (both are Go's GOOS/GOARCH on either
// side), `${node.unique.name}` / `${attr.unique.hostname}` → kubernetes.io/hostname, and the cloud
// fingerprints of AWS, GCE and Azure whose values are exactly those the cloud controller managers of EKS,
// GKE and AKS write into the well-known zone, region and instance-type labels (an AWS availability zone
// `us-east-1a` is the zone label's value on EKS; a job asking for one places on AWS nodes only, in Nomad
// as here). Everything else — `Datacenters`, `NodePool`, `Region`, and rules on `${node.datacenter}`,
// `${node.region}`, `${node.class}`, `${node.pool}`, `${meta.*}` and other `${attr.*}` — has no label a
// cluster is known to carry: it pins nothing unless the operator maps it (`options.nodeAttributeLabels`;
// the flags and values are named in option-names.ts), and each rule left out gets exactly one warning
// naming its path and the flag, environment variable and Helm value that map it. Pinning to a guessed
// label would leave every pod Pending on a cluster that lacks it, while the job claims to run.
// `Datacenters = ["*"]`, `NodePool` `default`/`all` and `Region` `global` (Nomad's defaults) mean
// anywhere: nothing, no warning. Attributes about Nomad itself and its drivers (`${attr.nomad.*}`,
// `${attr.driver.*}`, `${attr.consul.*}`, `${attr.vault.*}`, `${attr.plugins.*}`) describe the Nomad
// client, which does not exist on Kubernetes: rules on them are dropped with a warning (unless mapped:
// a mapping always wins). Any other target is unknown and reported.
//
// Constraints (job, group and every task, in that order; all must hold, so they form one node selector
// term; a single-valued `In` on a key no other requirement uses is written as `nodeSelector` instead):
//   `=` `==` `is` → In [v]       `!=` `not` → NotIn [v]       `is_set` → Exists     `is_not_set` → DoesNotExist
//   `>` n → Gt n   `>=` n → Gt n-1   `<` n → Lt n   `<=` n → Lt n+1   (integers only: Kubernetes compares
//   label values as integers; Nomad's float and lexical orders are reported and dropped)
//   `regexp` → In [a, b, …] when it is a fully anchored alternation of literals (`^(a|b)$`), else dropped
//   `set_contains` / `set_contains_all` with one member, `set_contains_any` → In members (approximated: a
//   label holds one value, not a comma-separated set); several required members → dropped
//   `version`, `semver` → dropped (no version comparison on labels)
//   `distinct_hosts` → required pod anti-affinity on the hostname label
//   `distinct_property` → pod anti-affinity on the attribute's label: required for a limit of 1, preferred
//   (weight 100) for a higher limit, which Kubernetes cannot express
// Job-level `distinct_*` select every pod of the job (the group label is left out of the selector).
// With a label mapped: `datacenters` (other than `*`) → In on the `${node.datacenter}` label (globs are
// dropped); a `node_pool` other than `default`/`all` → In on the `${node.pool}` label; a `region` other
// than `global` → In on the `${node.region}` label.
// Affinities → preferred node affinity, weight |w| (1..100); a negative weight prefers the complement
// (In↔NotIn, Exists↔DoesNotExist, Gt n↔Lt n+1). Spreads → topology spread constraints (maxSkew 1,
// ScheduleAnyway) over the attribute's label; spread targets and weights are approximated by an even
// spread. `disconnect { replace = false, lost_after }` → NoExecute tolerations of the unreachable and
// not-ready node taints for that long (Kubernetes evicts after 300 s otherwise).
// Node values the tasks use (`${attr.cpu.arch}` in an artifact URL): an equality constraint on a mapped
// attribute makes its value known (pinnedNodeValue, read by env.ts); `attr.kernel.name` and
// `attr.cpu.arch` that the job does not place on pin the pods of a group using them to linux (the pods
// are Linux containers) and amd64 (a guess, reported), so that the value written into the pod is the
// node's.
// Nothing here throws: anything that cannot be translated is a warning naming its Nomad path, and is left
// out. Warnings about job-level blocks are reported by the first group only, so each appears once.
import type {
  V1Affinity,
  V1NodeSelectorRequirement,
  V1PodAffinityTerm,
  V1PreferredSchedulingTerm,
  V1Toleration,
  V1TopologySpreadConstraint,
  V1WeightedPodAffinityTerm,
} from '@kubernetes/client-node';
import { NOMAD_DEFAULTS } from '../nomad/defaults.ts';
import { LABEL_GROUP } from '../nomad/keys.ts';
import type { Affinity, Constraint, Spread } from '../nomad/schema.ts';
import { howToMapAttribute } from './option-names.ts';
import type { GroupContext, Placement, ResolvedOptions } from './types.ts';

/**
 * Nomad node attribute → Kubernetes node label, where the label has the attribute's meaning and values on
 * every node that has the attribute (see the module comment). Deliberately absent: `${node.datacenter}`
 * (a zone is the closest concept, but its values are the cloud's, never `dc1`), `${node.region}`,
 * `${node.class}` (an operator-chosen group such as "gpu", not a machine type), `${node.pool}`, and every
 * `${meta.*}`: the operator maps them (`options.nodeAttributeLabels`) when the cluster has such labels.
 * Also absent: `${attr.platform.azure.zone}` (`1` in Nomad, `westeurope-1` in AKS's zone label).
 */
export const defaultNodeAttributeLabels: Record<string, string> = {
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
};

/** Attribute prefixes that describe the Nomad client itself: not applicable on Kubernetes. */
const NOMAD_CLIENT_ATTRIBUTES = [
  'attr.nomad.',
  'attr.driver.',
  'attr.consul.',
  'attr.vault.',
  'attr.plugins.',
];

const LABEL_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Kubernetes label key: `[prefix/]name`, prefix a DNS-1123 subdomain ≤ 253, name ≤ 63. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return false;
  return prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
}

function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** `attr.kernel.name` or `${attr.kernel.name}` → `${attr.kernel.name}`. */
function normalizeAttribute(key: string): string {
  return key.startsWith('${') ? key : `\${${key}}`;
}

/** The attribute mapping in effect: the defaults under the options' entries, keys in `${…}` form. */
export function nodeAttributeLabels(
  options: Pick<ResolvedOptions, 'nodeAttributeLabels'>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(defaultNodeAttributeLabels)) out[normalizeAttribute(k)] = v;
  for (const [k, v] of Object.entries(options.nodeAttributeLabels ?? {})) out[normalizeAttribute(k)] = v;
  return out;
}

export type AttributeLabel = { ok: true; key: string } | { ok: false; message: string };

/** The node label standing for a Nomad target such as `${meta.rack}` (see the module comment). */
export function nodeLabelFor(
  options: Pick<ResolvedOptions, 'nodeAttributeLabels'>,
  target: string,
): AttributeLabel {
  const match = /^\$\{([^}]*)\}$/.exec(target.trim());
  if (!match) return { ok: false, message: `${JSON.stringify(target)} is not a node attribute (\${…})` };
  return nodeLabelForName(options, (match[1] ?? '').trim());
}

/** `nodeLabelFor` of an attribute name without the braces: `node.datacenter`, `meta.rack`. */
export function nodeLabelForName(
  options: Pick<ResolvedOptions, 'nodeAttributeLabels'>,
  name: string,
): AttributeLabel {
  const target = `\${${name}}`;
  const mapped = nodeAttributeLabels(options)[`\${${name}}`];
  if (mapped !== undefined) {
    if (isLabelKey(mapped)) return { ok: true, key: mapped };
    return {
      ok: false,
      message: `node attribute ${target} is mapped to ${JSON.stringify(mapped)}, which is not a valid label key`,
    };
  }
  if (NOMAD_CLIENT_ATTRIBUTES.some((prefix) => name.startsWith(prefix))) {
    return {
      ok: false,
      message: `node attribute ${target} describes the Nomad client, which Kubernetes nodes do not run`,
    };
  }
  if (/^(?:node|meta|attr)\.[^.]/.test(name)) {
    return {
      ok: false,
      message: `node attribute ${target} has no node label (map one with ${howToMapAttribute(name)})`,
    };
  }
  return { ok: false, message: `unknown node attribute ${target}` };
}

function isAttribute(target: string | undefined): boolean {
  return (target ?? '').trim().startsWith('${');
}

const INTEGER = /^[+-]?\d+$/;

function integerOf(value: string): number | undefined {
  if (!INTEGER.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The literal values a regexp matches when it is a fully anchored alternation of literals (`^a$`, `^(a|b)$`, `^(?:a|b)$`); undefined otherwise (`^a|b$` means `(^a)|(b$)`). */
export function regexpLiterals(pattern: string): string[] | undefined {
  const match = /^\^(.*)\$$/s.exec(pattern);
  if (!match) return undefined;
  let body = match[1] ?? '';
  const group = /^\((?:\?:)?(.*)\)$/s.exec(body);
  if (group) body = group[1] ?? '';
  else if (body.includes('|')) return undefined; // `^a|b$` means (^a)|(b$)
  const literals: string[] = [];
  for (const alternative of body.split('|')) {
    if (!/^(?:[A-Za-z0-9_-]|\\[.\-_])*$/.test(alternative)) return undefined;
    literals.push(alternative.replace(/\\(.)/g, '$1'));
  }
  return literals;
}

function members(value: string): string[] {
  return value
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
}

type Warn = (path: string, message: string) => void;

/**
 * The node selector requirement for an attribute constraint or affinity; undefined (warned) when there
 * is none (also when the rule always holds, e.g. two equal literals).
 */
function requirement(
  options: ResolvedOptions,
  rule: Constraint | Affinity,
  path: string,
  warn: Warn,
): V1NodeSelectorRequirement | undefined {
  const operand = (rule.Operand ?? '').trim() || '=';
  let lTarget = rule.LTarget ?? '';
  let rTarget = rule.RTarget ?? '';
  let op = operand;
  const flipped: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
  if (!isAttribute(lTarget) && isAttribute(rTarget)) {
    const symmetric = ['=', '==', 'is', '!=', 'not'].includes(op);
    if (!symmetric && flipped[op] === undefined) {
      warn(`${path}.LTarget`, `${JSON.stringify(lTarget)} is not a node attribute; not translated`);
      return undefined;
    }
    [lTarget, rTarget] = [rTarget, lTarget];
    op = flipped[op] ?? op;
  }
  if (!isAttribute(lTarget)) {
    if (op === '=' || op === '==' || op === 'is' || op === '!=' || op === 'not') {
      const equal = lTarget === rTarget;
      const holds = op === '!=' || op === 'not' ? !equal : equal;
      if (!holds) {
        warn(
          `${path}.LTarget`,
          `compares two literals and never holds (Nomad could not place it); not translated`,
        );
      }
      return undefined;
    }
    warn(`${path}.LTarget`, `${JSON.stringify(lTarget)} is not a node attribute; not translated`);
    return undefined;
  }
  if (isAttribute(rTarget)) {
    warn(
      `${path}.RTarget`,
      `comparing two node attributes (${rTarget}) has no Kubernetes equivalent; not translated`,
    );
    return undefined;
  }
  const label = nodeLabelFor(options, lTarget);
  if (!label.ok) {
    warn(`${path}.LTarget`, `${label.message}; not translated`);
    return undefined;
  }
  const key = label.key;

  switch (op) {
    case '=':
    case '==':
    case 'is':
      if (!isLabelValue(rTarget)) {
        warn(
          `${path}.RTarget`,
          `${JSON.stringify(rTarget)} is not a valid label value, so no node label can equal it; not translated`,
        );
        return undefined;
      }
      return { key, operator: 'In', values: [rTarget] };
    case '!=':
    case 'not':
      if (!isLabelValue(rTarget)) {
        warn(
          `${path}.RTarget`,
          `${JSON.stringify(rTarget)} is not a valid label value, so no node label can equal it: always holds`,
        );
        return undefined;
      }
      return { key, operator: 'NotIn', values: [rTarget] };
    case '>':
    case '>=':
    case '<':
    case '<=': {
      const n = integerOf(rTarget);
      if (n === undefined) {
        warn(
          `${path}.RTarget`,
          `${op} ${JSON.stringify(rTarget)}: Kubernetes compares label values only as integers (Nomad also compares floats and strings); not translated`,
        );
        return undefined;
      }
      if (op === '>') return { key, operator: 'Gt', values: [String(n)] };
      if (op === '>=') return { key, operator: 'Gt', values: [String(n - 1)] };
      if (op === '<') return { key, operator: 'Lt', values: [String(n)] };
      return { key, operator: 'Lt', values: [String(n + 1)] };
    }
    case 'is_set':
      return { key, operator: 'Exists' };
    case 'is_not_set':
      return { key, operator: 'DoesNotExist' };
    case 'regexp': {
      const literals = regexpLiterals(rTarget);
      if (!literals?.every(isLabelValue)) {
        warn(
          `${path}.RTarget`,
          `regexp ${JSON.stringify(rTarget)} is not an anchored list of literal values (^(a|b)$); Kubernetes cannot match label values by regexp; not translated`,
        );
        return undefined;
      }
      return { key, operator: 'In', values: [...new Set(literals)] };
    }
    case 'set_contains':
    case 'set_contains_all':
    case 'set_contains_any': {
      const wanted = members(rTarget);
      if (wanted.length === 0 || !wanted.every(isLabelValue)) {
        warn(
          `${path}.RTarget`,
          `${op} ${JSON.stringify(rTarget)} has no members usable as label values; not translated`,
        );
        return undefined;
      }
      if (op !== 'set_contains_any' && wanted.length > 1) {
        warn(
          `${path}.RTarget`,
          `${op} ${JSON.stringify(rTarget)}: a node label holds one value, not a set, so it cannot contain several members; not translated`,
        );
        return undefined;
      }
      warn(
        `${path}.Operand`,
        `${op} is approximated: a node label holds one value, so nodes match when ${key} equals ${wanted.map((w) => JSON.stringify(w)).join(' or ')}`,
      );
      return { key, operator: 'In', values: [...new Set(wanted)] };
    }
    case 'version':
    case 'semver':
      warn(
        `${path}.Operand`,
        `${op} constraints cannot be expressed on Kubernetes node labels; not translated`,
      );
      return undefined;
    default:
      warn(`${path}.Operand`, `unknown operator ${JSON.stringify(operand)}; not translated`);
      return undefined;
  }
}

/** The requirement preferring the complement (for negative affinity weights). */
function complement(req: V1NodeSelectorRequirement): V1NodeSelectorRequirement {
  const value = Number(req.values?.[0] ?? '0');
  switch (req.operator) {
    case 'In':
      return { ...req, operator: 'NotIn' };
    case 'NotIn':
      return { ...req, operator: 'In' };
    case 'Exists':
      return { key: req.key, operator: 'DoesNotExist' };
    case 'DoesNotExist':
      return { key: req.key, operator: 'Exists' };
    case 'Gt':
      return { key: req.key, operator: 'Lt', values: [String(value + 1)] };
    default:
      return { key: req.key, operator: 'Gt', values: [String(value - 1)] };
  }
}

interface Rules<T> {
  rules: T[];
  path: string;
  warn: Warn;
  /** Job-level rules apply to every pod of the job, not only to the group's. */
  jobLevel: boolean;
}

/** Constraints, affinities or spreads of the job, the group and its tasks, with their paths. */
function collect<T>(
  ctx: GroupContext,
  pick: (owner: {
    Constraints?: Constraint[];
    Affinities?: Affinity[];
    Spreads?: Spread[];
  }) => T[] | undefined,
  field: string,
  withTasks: boolean,
): Rules<T>[] {
  const silent: Warn = () => {};
  const warn: Warn = (path, message) => ctx.warn(path, message);
  const out: Rules<T>[] = [
    { rules: pick(ctx.job) ?? [], path: field, warn: ctx.groupIndex === 0 ? warn : silent, jobLevel: true },
    { rules: pick(ctx.group) ?? [], path: `${ctx.path}.${field}`, warn, jobLevel: false },
  ];
  if (withTasks) {
    (ctx.group.Tasks ?? []).forEach((task, t) => {
      out.push({ rules: pick(task) ?? [], path: `${ctx.path}.Tasks[${t}].${field}`, warn, jobLevel: false });
    });
  }
  return out;
}

/** Selector of the pods a rule is about: the group's, or the whole job's for job-level rules. */
function podSelector(ctx: GroupContext, jobLevel: boolean): Record<string, string> {
  const selector = { ...ctx.selector };
  if (jobLevel) delete selector[LABEL_GROUP];
  return selector;
}

function uniqueBy<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Node attributes a pod is pinned to by default when its task uses their value and the job does not
 * constrain them: the value every node the pod can then run on has. `linux`: the pods here are Linux
 * containers (the exec and java images are Linux images, and a Linux image runs on no other node).
 * `amd64` is a guess — a pod cannot read its node's labels — reported where it is made.
 */
const DEFAULT_PINS: Record<string, { key: string; value: string; guessed: boolean }> = {
  'attr.kernel.name': { key: 'kubernetes.io/os', value: 'linux', guessed: false },
  'attr.cpu.arch': { key: 'kubernetes.io/arch', value: 'amd64', guessed: true },
};

/**
 * Whether the group uses `${name}` in a field Nomad interpolates (its tasks' config, env, artifacts,
 * services, template destinations, meta), or reads it with `env "name"` in a template's text. A
 * template's text is not interpolated: `${name}` there (a comment, a shell script) is text, and
 * pinning the pods for it would keep them off nodes they can run on.
 */
function groupUsesAttribute(ctx: GroupContext, name: string): boolean {
  const { Constraints, Affinities, Spreads, ...group } = ctx.group;
  const texts: string[] = [];
  const tasks = (group.Tasks ?? []).map(({ Constraints, Affinities, Templates, ...task }) => ({
    ...task,
    Templates: (Templates ?? []).map(({ EmbeddedTmpl, ...template }) => {
      texts.push(EmbeddedTmpl ?? '');
      return template;
    }),
  }));
  const interpolated = JSON.stringify([ctx.job.Meta, { ...group, Tasks: tasks }]);
  const read = new RegExp(`\\benv\\s+"${name.replaceAll('.', '\\.')}"`, 'u');
  return interpolated.includes(`\${${name}}`) || texts.some((text) => read.test(text));
}

/**
 * The value node attribute `name` (`attr.cpu.arch`) has on every node the group's pods can run on, when
 * placement makes it one, so that `${attr.cpu.arch}` can be written into the pod (env.ts):
 *   * an equality constraint of the job, group or a task on it, with its label mapped: the pods are
 *     pinned to nodes whose label has that value (with several different ones Nomad places nowhere);
 *   * else, when nothing of the job places on it and its task uses it, the default pin of
 *     `attr.kernel.name` (linux) or `attr.cpu.arch` (amd64), which `pin` says to add; other rules on
 *     the attribute (`!=`, a regexp, an affinity, a spread) leave the node's value open: undefined.
 */
export function pinnedNodeValue(
  ctx: GroupContext,
  name: string,
): { value: string; pin?: { key: string; value: string; guessed: boolean } } | undefined {
  const target = `\${${name}}`;
  const on = (rule: Constraint | Affinity) =>
    (rule.LTarget ?? '').trim() === target || (rule.RTarget ?? '').trim() === target;
  const constraints = collect(ctx, (o) => o.Constraints, 'Constraints', true).flatMap((r) => r.rules);
  const others = [
    ...collect(ctx, (o) => o.Affinities, 'Affinities', true).flatMap((r) => r.rules),
    ...collect(ctx, (o) => o.Spreads, 'Spreads', false)
      .flatMap((r) => r.rules)
      .map((spread) => ({ LTarget: spread.Attribute })),
  ];
  const mine = constraints.filter(on);
  const silent: Warn = () => {};
  const values = new Set(
    mine.flatMap((c) => {
      const req = requirement(ctx.options, c, '', silent);
      return req?.operator === 'In' && req.values?.length === 1 && req.values[0] !== undefined
        ? [req.values[0]]
        : [];
    }),
  );
  if (values.size === 1) return { value: [...values][0] ?? '' };
  if (values.size > 1 || mine.length > 0 || others.some(on)) return undefined;
  const pin = DEFAULT_PINS[name];
  if (!pin || !groupUsesAttribute(ctx, name)) return undefined;
  return { value: pin.value, pin };
}

/** The scheduling fields of the group's pods (see the module comment). */
export function groupPlacement(ctx: GroupContext): Placement {
  const options = ctx.options;
  const jobWarn: Warn = ctx.groupIndex === 0 ? (p, m) => ctx.warn(p, m) : () => {};
  const required: V1NodeSelectorRequirement[] = [];
  const antiRequired: V1PodAffinityTerm[] = [];
  const antiPreferred: V1WeightedPodAffinityTerm[] = [];

  // Datacenters, node pool, region: where the job may run, meaningful only with a mapped label.
  const datacenters = ctx.job.Datacenters ?? [];
  if (datacenters.length > 0 && !datacenters.includes('*')) {
    const pinned = jobScope(options, jobWarn, 'Datacenters', 'node.datacenter', 'datacenters', datacenters);
    if (pinned) {
      if (datacenters.some((dc) => /[*?[\]]/.test(dc))) {
        jobWarn('Datacenters', 'datacenter globs have no Kubernetes equivalent; pods may run in any zone');
      } else if (!datacenters.every(isLabelValue)) {
        jobWarn('Datacenters', 'a datacenter name is not a valid label value; pods may run in any zone');
      } else required.push({ key: pinned, operator: 'In', values: [...new Set(datacenters)] });
    }
  }
  const pool = ctx.job.NodePool ?? '';
  if (pool !== '' && pool !== 'default' && pool !== 'all') {
    const pinned = jobScope(options, jobWarn, 'NodePool', 'node.pool', 'node pool', [pool]);
    if (pinned && !isLabelValue(pool)) {
      jobWarn('NodePool', 'the node pool name is not a valid label value; not translated');
    } else if (pinned) required.push({ key: pinned, operator: 'In', values: [pool] });
  }
  const region = ctx.job.Region ?? '';
  if (region !== '' && region !== 'global') {
    const pinned = jobScope(options, jobWarn, 'Region', 'node.region', 'region', [region]);
    if (pinned && !isLabelValue(region)) {
      jobWarn('Region', 'the region name is not a valid label value; not translated');
    } else if (pinned) required.push({ key: pinned, operator: 'In', values: [region] });
  }

  // Constraints.
  const hostname = nodeLabelForName(options, 'node.unique.name');
  const hostnameKey = hostname.ok ? hostname.key : 'kubernetes.io/hostname';
  for (const { rules, path, warn, jobLevel } of collect(ctx, (o) => o.Constraints, 'Constraints', true)) {
    rules.forEach((constraint, i) => {
      const at = `${path}[${i}]`;
      const operand = (constraint.Operand ?? '').trim();
      if (operand === 'distinct_hosts') {
        if ((constraint.RTarget ?? '').trim().toLowerCase() === 'false') return;
        antiRequired.push({
          labelSelector: { matchLabels: podSelector(ctx, jobLevel) },
          topologyKey: hostnameKey,
        });
        return;
      }
      if (operand === 'distinct_property') {
        const label = nodeLabelFor(options, constraint.LTarget ?? '');
        if (!label.ok) {
          warn(`${at}.LTarget`, `${label.message}; not translated`);
          return;
        }
        const limitText = (constraint.RTarget ?? '').trim();
        const limit = limitText === '' ? 1 : integerOf(limitText);
        if (limit === undefined || limit < 1) {
          warn(
            `${at}.RTarget`,
            `distinct_property limit ${JSON.stringify(limitText)} is not a positive integer; not translated`,
          );
          return;
        }
        const term: V1PodAffinityTerm = {
          labelSelector: { matchLabels: podSelector(ctx, jobLevel) },
          topologyKey: label.key,
        };
        if (limit === 1) antiRequired.push(term);
        else {
          warn(
            `${at}.RTarget`,
            `at most ${limit} allocations per ${constraint.LTarget} value cannot be expressed: pods prefer distinct ${label.key} values instead`,
          );
          antiPreferred.push({ weight: 100, podAffinityTerm: term });
        }
        return;
      }
      const req = requirement(options, constraint, at, warn);
      if (req) required.push(req);
    });
  }

  // Affinities.
  const preferred: V1PreferredSchedulingTerm[] = [];
  for (const { rules, path, warn } of collect(ctx, (o) => o.Affinities, 'Affinities', true)) {
    rules.forEach((affinity, i) => {
      const at = `${path}[${i}]`;
      const weight = affinity.Weight ?? 50;
      if (weight === 0) {
        warn(`${at}.Weight`, 'an affinity with weight 0 has no effect; not translated');
        return;
      }
      const req = requirement(options, affinity, at, warn);
      if (!req) return;
      preferred.push({
        weight: Math.min(100, Math.max(1, Math.abs(weight))),
        preference: { matchExpressions: [weight < 0 ? complement(req) : req] },
      });
    });
  }

  // Spreads.
  const spreads: V1TopologySpreadConstraint[] = [];
  for (const { rules, path, warn, jobLevel } of collect(ctx, (o) => o.Spreads, 'Spreads', false)) {
    rules.forEach((spread, i) => {
      const at = `${path}[${i}]`;
      const label = nodeLabelFor(options, spread.Attribute ?? '');
      if (!label.ok) {
        warn(`${at}.Attribute`, `${label.message}; not translated`);
        return;
      }
      if (spread.Weight !== undefined && spread.Weight !== NOMAD_DEFAULTS.api.spreadWeight) {
        // Nomad scores nodes by weighted spreads; topology spread constraints have no weight.
        warn(
          `${at}.Weight`,
          `spread weight ${spread.Weight} is not converted: topology spread constraints have no weight, so every spread counts equally (best effort)`,
        );
      }
      if ((spread.SpreadTarget ?? []).length > 0) {
        warn(
          `${at}.SpreadTarget`,
          `target percentages are approximated: pods are spread evenly over the ${label.key} values (at most 1 pod of difference, best effort)`,
        );
      }
      spreads.push({
        maxSkew: 1,
        topologyKey: label.key,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: podSelector(ctx, jobLevel) },
      });
    });
  }

  // A value of the node the tasks use, which the pods are pinned to (pinnedNodeValue).
  for (const name of Object.keys(DEFAULT_PINS)) {
    const pin = pinnedNodeValue(ctx, name)?.pin;
    if (!pin) continue;
    required.push({ key: pin.key, operator: 'In', values: [pin.value] });
    if (pin.guessed) {
      ctx.warn(
        ctx.path,
        `\${${name}} is the node's CPU architecture, which a pod cannot read: the pods are pinned to ${pin.value} nodes (${pin.key}=${pin.value}) and it is ${JSON.stringify(pin.value)} in them; to run on another architecture, constrain attr.cpu.arch to it (the pods are then pinned there and get that value)`,
      );
    }
  }

  const placement = assemble(
    uniqueBy(required),
    preferred,
    uniqueBy(antiRequired),
    uniqueBy(antiPreferred),
    spreads,
  );
  const tolerations = disconnectTolerations(ctx);
  return tolerations.length > 0 ? { ...placement, tolerations } : placement;
}

/** The taints a node gets when the node controller loses contact with it, or it is not ready. */
const UNREACHABLE_TAINTS = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'];

/**
 * `disconnect { replace = false, lost_after = d }`: an allocation on a client that lost contact is
 * not replaced, and is lost (then replaced) after d. Kubernetes replaces a pod of a node it lost
 * contact with once the pod stops tolerating the node's unreachable / not-ready taints (300 s unless
 * it says otherwise), which it does here for d. With `replace = true` (the default) Nomad replaces at
 * once and keeps the original for d in case it comes back, which Kubernetes cannot: the conversion
 * table warns. DaemonSet pods tolerate those taints without end anyway (their controller sets it).
 */
function disconnectTolerations(ctx: GroupContext): V1Toleration[] {
  const disconnect = ctx.group.Disconnect;
  const lostAfter = disconnect?.LostAfter ?? 0;
  const path = `${ctx.path}.Disconnect`;
  const type = ctx.job.Type ?? 'service';
  if (disconnect?.Replace === false && lostAfter <= 0) {
    ctx.warn(
      `${path}.Replace`,
      'replace = false without lost_after is not converted: Kubernetes evicts and replaces a pod of a node it lost contact with after 300 s; set lost_after to keep it there that long',
    );
    return [];
  }
  if (lostAfter <= 0) return [];
  const duration = `${Math.ceil(lostAfter / 1e9)} s`;
  if (type === 'system' || type === 'sysbatch') {
    ctx.warn(
      `${path}.LostAfter`,
      `lost_after (${duration}) is not converted: DaemonSet pods stay on a node Kubernetes lost contact with until it is back or removed`,
    );
    return [];
  }
  if (disconnect?.Replace !== false) {
    ctx.warn(
      `${path}.LostAfter`,
      `lost_after (${duration}) is not converted: with replace = true Nomad replaces the allocation at once and keeps the original that long in case its client comes back; Kubernetes evicts a pod of a node it lost contact with after 300 s and replaces it, and cannot keep both (with replace = false the pod would stay that long instead)`,
    );
    return [];
  }
  const tolerationSeconds = Math.ceil(lostAfter / 1e9);
  return UNREACHABLE_TAINTS.map((key) => ({
    key,
    operator: 'Exists',
    effect: 'NoExecute',
    tolerationSeconds,
  }));
}

/**
 * The node label that carries a job-level scope (datacenters, node pool, region), or undefined after the
 * one warning saying that pods run on any node and how to map the label.
 */
function jobScope(
  options: ResolvedOptions,
  jobWarn: Warn,
  field: string,
  attribute: string,
  what: string,
  values: string[],
): string | undefined {
  const label = nodeLabelForName(options, attribute);
  if (label.ok) return label.key;
  if (nodeAttributeLabels(options)[`\${${attribute}}`] !== undefined) {
    jobWarn(field, `${label.message}; pods run on any node`);
    return undefined;
  }
  const example = exampleLabels[attribute];
  jobWarn(
    field,
    `pods run on any node: Kubernetes nodes have no Nomad ${what} unless a node label is mapped to \${${attribute}}; to keep the job in ${what} ${values.map((v) => JSON.stringify(v)).join(', ')}, map one with ${howToMapAttribute(attribute)}${example ? `, e.g. ${example}` : ''}`,
  );
  return undefined;
}

/** Labels a cluster often uses for a job-level scope, named in the warnings as examples. */
const exampleLabels: Record<string, string> = {
  'node.datacenter': 'topology.kubernetes.io/zone',
  'node.region': 'topology.kubernetes.io/region',
};

function assemble(
  required: V1NodeSelectorRequirement[],
  preferred: V1PreferredSchedulingTerm[],
  antiRequired: V1PodAffinityTerm[],
  antiPreferred: V1WeightedPodAffinityTerm[],
  spreads: V1TopologySpreadConstraint[],
): Placement {
  const placement: Placement = {};
  // A single-valued In on a key nothing else constrains reads best as a nodeSelector.
  const keyCount = new Map<string, number>();
  for (const req of required) keyCount.set(req.key, (keyCount.get(req.key) ?? 0) + 1);
  const nodeSelector: Record<string, string> = {};
  const expressions: V1NodeSelectorRequirement[] = [];
  for (const req of required) {
    const value = req.values?.[0];
    if (
      req.operator === 'In' &&
      req.values?.length === 1 &&
      value !== undefined &&
      keyCount.get(req.key) === 1
    ) {
      nodeSelector[req.key] = value;
    } else expressions.push(req);
  }
  if (Object.keys(nodeSelector).length > 0) placement.nodeSelector = nodeSelector;

  const affinity: V1Affinity = {};
  if (expressions.length > 0 || preferred.length > 0) {
    affinity.nodeAffinity = {};
    if (expressions.length > 0) {
      affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
        nodeSelectorTerms: [{ matchExpressions: expressions }],
      };
    }
    if (preferred.length > 0)
      affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = preferred;
  }
  if (antiRequired.length > 0 || antiPreferred.length > 0) {
    affinity.podAntiAffinity = {};
    if (antiRequired.length > 0) {
      affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution = antiRequired;
    }
    if (antiPreferred.length > 0) {
      affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution = antiPreferred;
    }
  }
  if (affinity.nodeAffinity || affinity.podAntiAffinity) placement.affinity = affinity;

  const uniqueSpreads = spreads.filter(
    (s, i) => spreads.findIndex((o) => o.topologyKey === s.topologyKey) === i,
  );
  if (uniqueSpreads.length > 0) placement.topologySpreadConstraints = uniqueSpreads;
  return placement;
}
