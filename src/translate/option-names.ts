// The names under which an operator sets each translator option: the flag of `convert` and `run`, the
// environment variable of `run`, the Helm value of the chart. One table, so that the parser
// (options.ts), the warnings that tell how to map a node attribute (placement.ts), the help texts and the
// documentation cannot drift apart. No imports: placement.ts and options.ts both depend on it.

export type TranslatorOptionKey =
  | 'datacenterLabel'
  | 'regionLabel'
  | 'nodePoolLabel'
  | 'nodeClassLabel'
  | 'nodeAttributeLabels'
  | 'execImage'
  | 'javaImage'
  | 'artifactImage'
  | 'millicoresPerMHz'
  | 'allowedUnsafeSysctls';

export interface TranslatorOptionName {
  /** Flag of `convert` and `run`, without the dashes. */
  flag: string;
  /** Environment variable of `run`. */
  env: string;
  /** Value of the Helm chart. */
  helm: string;
  /** Placeholder of the flag's value in help texts. */
  value: string;
  /** The flag may repeat (the environment variable then holds a comma-separated list). */
  repeatable: boolean;
}

/** The variable is NOMAD_OPERATOR_<FLAG>, plural (`…_LABELS`) for a repeatable flag: it holds a list. */
function name(flag: string, helm: string, value: string, repeatable = false): TranslatorOptionName {
  return {
    flag,
    env: `NOMAD_OPERATOR_${flag.toUpperCase().replaceAll('-', '_')}${repeatable ? 'S' : ''}`,
    helm: `translator.${helm}`,
    value,
    repeatable,
  };
}

/** In the order of help texts and documentation. */
export const translatorOptionNames: Readonly<Record<TranslatorOptionKey, TranslatorOptionName>> = {
  datacenterLabel: name('datacenter-label', 'datacenterLabel', '<node label>'),
  regionLabel: name('region-label', 'regionLabel', '<node label>'),
  nodePoolLabel: name('node-pool-label', 'nodePoolLabel', '<node label>'),
  nodeClassLabel: name('node-class-label', 'nodeClassLabel', '<node label>'),
  nodeAttributeLabels: name('node-attribute-label', 'nodeAttributeLabels', '<attribute>=<node label>', true),
  execImage: name('exec-image', 'execImage', '<image>'),
  javaImage: name('java-image', 'javaImage', '<image>'),
  artifactImage: name('artifact-image', 'artifactImage', '<image>'),
  millicoresPerMHz: name('millicores-per-mhz', 'millicoresPerMHz', '<number>'),
  allowedUnsafeSysctls: name('allowed-unsafe-sysctl', 'allowedUnsafeSysctls', '<sysctl or prefix*>', true),
};

export const translatorOptionKeys = Object.keys(translatorOptionNames) as TranslatorOptionKey[];

/** The node attribute (`node.datacenter`, without `${}`) each single-label option maps. */
export const attributeOfLabelOption = {
  datacenterLabel: 'node.datacenter',
  regionLabel: 'node.region',
  nodePoolLabel: 'node.pool',
  nodeClassLabel: 'node.class',
} as const satisfies Partial<Record<TranslatorOptionKey, string>>;

/**
 * How to map node attribute `attribute` (`meta.rack`, without `${}`) to a node label, naming the flag,
 * the environment variable and the Helm value: `--datacenter-label <node label> (env …, Helm value …)`.
 */
export function howToMapAttribute(attribute: string): string {
  const dedicated = (Object.entries(attributeOfLabelOption) as [TranslatorOptionKey, string][]).find(
    ([, a]) => a === attribute,
  );
  const names = translatorOptionNames[dedicated ? dedicated[0] : 'nodeAttributeLabels'];
  const flag = dedicated ? `--${names.flag} <node label>` : `--${names.flag} ${attribute}=<node label>`;
  return `${flag} (env ${names.env}, Helm value ${names.helm})`;
}
