// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad attribute references are literal "${…}" text
// The translator options as an operator writes them — flag values of `convert` and `run`, environment
// variables of `run` — parsed and validated into `TranslateOptions`. Both commands use this one parser,
// so the same settings give the same translation (the chart renders its `translator.*` values into the
// same flags). Names: option-names.ts. Pure: the caller passes the texts it read.
//
// Each option is a list of occurrences (`OptionText`); single-valued options keep the last one. The
// single-label options (`--datacenter-label L` …) are shorthands for `--node-attribute-label
// node.datacenter=L` …; naming one attribute twice with different labels is an error. Environment
// variables of repeatable options hold a comma-separated list.
import { z } from 'zod';
import { DEFAULT_EXEC_IMAGE, DEFAULT_JAVA_IMAGE } from './drivers.ts';
import { DEFAULT_ARTIFACT_IMAGE } from './index.ts';
import {
  attributeOfLabelOption,
  type TranslatorOptionKey,
  translatorOptionKeys,
  translatorOptionNames,
} from './option-names.ts';
import { isLabelKey } from './placement.ts';
import type { TranslateOptions } from './types.ts';

export { type TranslatorOptionKey, translatorOptionKeys, translatorOptionNames } from './option-names.ts';

/** The options an operator sets: everything but the per-job ones (namespace, version, dispatch). */
export type TranslatorOptions = Pick<
  TranslateOptions,
  | 'millicoresPerMHz'
  | 'execImage'
  | 'javaImage'
  | 'artifactImage'
  | 'nodeAttributeLabels'
  | 'allowedUnsafeSysctls'
>;

/** One occurrence of an option: its text and where it came from (`--exec-image`, `NOMAD_OPERATOR_…`). */
export interface OptionText {
  text: string;
  source: string;
}

export type TranslatorOptionTexts = Partial<Record<TranslatorOptionKey, OptionText[]>>;

export type TranslatorOptionsResult =
  | { ok: true; options: TranslatorOptions }
  | { ok: false; errors: string[] };

/** What each option means and its default, for help texts and docs/translation.md. */
export const translatorOptionHelp: Readonly<
  Record<TranslatorOptionKey, { description: string; default: string }>
> = {
  datacenterLabel: {
    description:
      'node label holding the Nomad datacenter: `datacenters` and rules on ${node.datacenter} pin pods to it (e.g. topology.kubernetes.io/zone)',
    default: 'none: datacenters pin nothing',
  },
  regionLabel: {
    description:
      'node label holding the Nomad region: a job `region` other than global and rules on ${node.region} pin pods to it (e.g. topology.kubernetes.io/region)',
    default: 'none: the region pins nothing',
  },
  nodePoolLabel: {
    description:
      'node label holding the Nomad node pool: a `node_pool` other than default/all and rules on ${node.pool} pin pods to it',
    default: 'none: node pools pin nothing',
  },
  nodeClassLabel: {
    description: 'node label holding the Nomad node class: rules on ${node.class} pin pods to it',
    default: 'none: node classes pin nothing',
  },
  nodeAttributeLabels: {
    description: 'node label holding a node attribute, e.g. meta.rack=example.com/rack (repeatable)',
    default:
      'attr.kernel.name, attr.cpu.arch, node.unique.name, attr.unique.hostname and the cloud zone, region and instance type attributes only',
  },
  execImage: {
    description: 'image that runs exec and raw_exec tasks (it must contain their commands)',
    default: DEFAULT_EXEC_IMAGE,
  },
  javaImage: { description: 'image that runs java tasks', default: DEFAULT_JAVA_IMAGE },
  artifactImage: {
    description: 'image of the init containers that fetch artifacts and write template files',
    default: DEFAULT_ARTIFACT_IMAGE,
  },
  millicoresPerMHz: {
    description: 'CPU millicores requested per Nomad MHz (1: 1000 MHz is one core)',
    default: '1',
  },
  allowedUnsafeSysctls: {
    description:
      "sysctl outside Kubernetes' safe set that the nodes allow (their kubelet --allowed-unsafe-sysctls), kept in pods: a name, or a prefix ending in * (repeatable)",
    default: "none: a task's unsafe sysctls are left out, as a default kubelet rejects the pod",
  },
};

// --- value schemas ---------------------------------------------------------------------------

const labelKey = z
  .string()
  .trim()
  .refine(isLabelKey, {
    error: (issue) =>
      `expected a Kubernetes label key such as topology.kubernetes.io/zone, got ${JSON.stringify(issue.input)}`,
  });

const image = z
  .string()
  .trim()
  .regex(/^[^\s]+$/u, {
    error: (issue) => `expected an image reference, got ${JSON.stringify(issue.input)}`,
  });

const positiveNumber = z.string().transform((text, ctx) => {
  const value = /^\s*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/u.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a positive number, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return value;
});

/** A sysctl name (dots or slashes between segments), or such a prefix ending in `*`, as the kubelet takes them. */
const sysctlPattern = z
  .string()
  .trim()
  .regex(
    /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*([a-z0-9]([-_a-z0-9]*[a-z0-9])?|\*|[a-z0-9]([-_a-z0-9]*[a-z0-9])?\*)$/u,
    {
      error: (issue) =>
        `expected a sysctl name such as net.core.somaxconn, or a prefix ending in * such as net.core.*, got ${JSON.stringify(issue.input)}`,
    },
  );

/** `meta.rack` or `${meta.rack}`, a node attribute Nomad's constraints can name. */
const ATTRIBUTE = /^(?:node|attr|meta)\.[^\s${}=,]+$/u;

const attributeLabel = z.string().transform((text, ctx): [string, string] => {
  const eq = text.indexOf('=');
  const rawAttribute = text.slice(0, Math.max(eq, 0)).trim();
  const attribute = /^\$\{(.*)\}$/u.exec(rawAttribute)?.[1]?.trim() ?? rawAttribute;
  const label = text.slice(eq + 1).trim();
  if (eq < 0 || !ATTRIBUTE.test(attribute)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected <attribute>=<node label> with a node.*, attr.* or meta.* attribute, such as meta.rack=example.com/rack, got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }
  if (!isLabelKey(label)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a Kubernetes label key after ${attribute}=, got ${JSON.stringify(label)}`,
    });
    return z.NEVER;
  }
  return [attribute, label];
});

function parseText<T>(schema: z.ZodType<T, string>, value: OptionText, errors: string[]): T | undefined {
  const parsed = schema.safeParse(value.text);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) errors.push(`${value.source}: ${issue.message}`);
  return undefined;
}

// --- parsing ---------------------------------------------------------------------------------

/** The options given by environment variables of `run` (repeatable ones split at commas). */
export function translatorOptionTextsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): TranslatorOptionTexts {
  const texts: TranslatorOptionTexts = {};
  for (const key of translatorOptionKeys) {
    const names = translatorOptionNames[key];
    const value = env[names.env];
    if (value === undefined || value.trim() === '') continue;
    const parts = names.repeatable ? value.split(',').filter((part) => part.trim() !== '') : [value];
    texts[key] = parts.map((text) => ({ text, source: names.env }));
  }
  return texts;
}

/** Validates the texts into translator options; every error names the flag or variable it comes from. */
export function parseTranslatorOptions(texts: TranslatorOptionTexts): TranslatorOptionsResult {
  const errors: string[] = [];
  const options: TranslatorOptions = {};
  const last = (key: TranslatorOptionKey) => texts[key]?.at(-1);

  const ratio = last('millicoresPerMHz');
  if (ratio) {
    const value = parseText(positiveNumber, ratio, errors);
    if (value !== undefined) options.millicoresPerMHz = value;
  }
  for (const key of ['execImage', 'javaImage', 'artifactImage'] as const) {
    const text = last(key);
    if (!text) continue;
    const value = parseText(image, text, errors);
    if (value !== undefined) options[key] = value;
  }

  // Attribute → label, from the shorthands and the general option, each attribute once.
  const labels = new Map<string, { label: string; source: string }>();
  const map = (attribute: string, label: string, source: string) => {
    const previous = labels.get(attribute);
    if (previous && previous.label !== label) {
      errors.push(
        `${source}: node attribute ${attribute} is already mapped to ${previous.label} by ${previous.source}`,
      );
      return;
    }
    labels.set(attribute, { label, source });
  };
  for (const [key, attribute] of Object.entries(attributeOfLabelOption) as [TranslatorOptionKey, string][]) {
    const text = last(key);
    if (!text) continue;
    const label = parseText(labelKey, text, errors);
    if (label !== undefined) map(attribute, label, text.source);
  }
  for (const text of texts.nodeAttributeLabels ?? []) {
    const pair = parseText(attributeLabel, text, errors);
    if (pair) map(pair[0], pair[1], text.source);
  }
  const sysctls = (texts.allowedUnsafeSysctls ?? []).flatMap((text) => {
    const value = parseText(sysctlPattern, text, errors);
    return value === undefined ? [] : [value];
  });
  if (sysctls.length > 0) options.allowedUnsafeSysctls = [...new Set(sysctls)];
  if (labels.size > 0) {
    options.nodeAttributeLabels = Object.fromEntries(
      [...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([a, { label }]) => [a, label]),
    );
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, options };
}

/** Help lines for the options: `--flag <value>` then the meaning, the default and (for `run`) the variable. */
export function translatorOptionsUsage(format: { width: number; withEnv: boolean }): string[] {
  return translatorOptionKeys.map((key) => {
    const names = translatorOptionNames[key];
    const help = translatorOptionHelp[key];
    const env = `env ${names.env}${names.repeatable ? ', comma-separated' : ''}`;
    const tail = [format.withEnv ? env : undefined, `default ${help.default}`].filter(Boolean).join('; ');
    return `  ${`--${names.flag} ${names.value}`.padEnd(format.width)} ${help.description} (${tail})`;
  });
}
