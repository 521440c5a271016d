// Writes docs/conversion.md from the conversion table (npm run generate:docs). A unit test compares
// the committed file with `conversionDoc()`, so the document cannot drift from the table.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jobFields } from '../src/nomad/schema/introspect.ts';
import {
  type ConversionRow,
  type ConversionStatus,
  conversionFor,
  conversionRows,
  coveringSubtree,
} from '../src/translate/conversion-table.ts';
import { DEFAULT_EXEC_IMAGE, DEFAULT_JAVA_IMAGE } from '../src/translate/drivers.ts';
import { DEFAULT_ARTIFACT_IMAGE } from '../src/translate/index.ts';
import { HOST_VOLUME_ROOT } from '../src/translate/paths.ts';
import { defaultNodeAttributeLabels } from '../src/translate/placement.ts';
import { DEFAULT_CSI_SIZE } from '../src/translate/storage.ts';

const SYMBOL: Record<ConversionStatus, string> = {
  converted: '✓',
  partial: '~',
  'not-applicable': '✗',
  metadata: '·',
};

/** Table cell text: no line breaks, `|` escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');
}

function describe(row: ConversionRow): string {
  const below = row.subtree
    ? jobFields.filter((f) => f.path.startsWith(`${row.path}.`) || f.path.startsWith(`${row.path}[]`)).length
    : 0;
  const suffix = below > 0 ? ` *(the whole block: ${below} fields)*` : '';
  // Why setting the field needs neither a change nor a warning (the schema walk accepts the silence).
  const quiet = row.noEffect ? `. **No effect:** ${row.noEffect}` : '';
  switch (row.status) {
    case 'converted':
      return `${row.target ?? ''}${quiet}${suffix}`;
    case 'partial':
      return `${row.target && row.target !== '—' ? `${row.target}. ` : ''}**Lost:** ${row.why ?? ''}${quiet}${suffix}`;
    default:
      return `${row.why ?? ''}${quiet}${suffix}`;
  }
}

/** Rows that describe the same thing are shown once. */
function rowKey(row: ConversionRow): string {
  return JSON.stringify([row.status, row.target, row.why, row.subtree === true]);
}

interface Section {
  struct: string;
  /** Where the struct occurs (paths of the fields holding it that the table details). */
  places: string[];
  /** Field name → variants (distinct rows) with the paths they apply to. */
  fields: Map<string, Array<{ row: ConversionRow; paths: string[] }>>;
}

function sections(): Section[] {
  const info = new Map(jobFields.map((f) => [f.path, f]));
  const byStruct = new Map<string, Section>();
  for (const row of conversionRows) {
    const field = info.get(row.path);
    if (!field) throw new Error(`conversion table row ${row.path} is not a field of the job model`);
    let section = byStruct.get(field.struct);
    if (!section) {
      section = { struct: field.struct, places: [], fields: new Map() };
      byStruct.set(field.struct, section);
    }
    const variants = section.fields.get(field.name) ?? [];
    section.fields.set(field.name, variants);
    const same = variants.find((v) => rowKey(v.row) === rowKey(row));
    if (same) same.paths.push(row.path);
    else variants.push({ row, paths: [row.path] });
  }
  for (const section of byStruct.values()) {
    section.places = jobFields
      .filter(
        (f) => f.holds === section.struct && !conversionFor(f.path)?.subtree && !coveringSubtree(f.path),
      )
      .map((f) => f.path);
  }
  return [...byStruct.values()];
}

function counts(): Record<ConversionStatus, number> {
  const out: Record<ConversionStatus, number> = {
    converted: 0,
    partial: 0,
    'not-applicable': 0,
    metadata: 0,
  };
  for (const field of jobFields) {
    const row = conversionFor(field.path);
    if (row) out[row.status]++;
  }
  return out;
}

function intro(): string[] {
  const total = jobFields.length;
  const n = counts();
  const byLabel = new Map<string, string[]>();
  for (const [attribute, label] of Object.entries(defaultNodeAttributeLabels)) {
    byLabel.set(label, [...(byLabel.get(label) ?? []), `\`${attribute}\``]);
  }
  const attributes = [...byLabel].map(([label, names]) => `  - ${names.join(', ')} → \`${label}\``);
  return [
    '# Nomad jobspec → Kubernetes: what each field becomes',
    '',
    '<!-- Generated from src/translate/conversion-table.ts by `npm run generate:docs`. Do not edit by hand. -->',
    '',
    'The translator turns a canonical Nomad job (Nomad’s defaults filled in) into Kubernetes objects and',
    'warnings: every field it cannot carry over is reported with its Nomad path (`TaskGroups[0].Tasks[1].Vault`)',
    'when the job sets it. This page lists every field of the job model, by struct, with the JSON (API) names;',
    'in HCL they are snake_case blocks and attributes (`GetterSource` is `artifact { source }`).',
    '',
    `| | meaning | fields |`,
    '| --- | --- | --- |',
    `| ${SYMBOL.converted} | converted, to what | ${n.converted} |`,
    `| ${SYMBOL.partial} | partially converted: what it becomes, and what is lost | ${n.partial} |`,
    `| ${SYMBOL['not-applicable']} | not applicable on Kubernetes, and why (a warning when the job sets it) | ${n['not-applicable']} |`,
    `| ${SYMBOL.metadata} | Nomad bookkeeping (state, not spec) | ${n.metadata} |`,
    `| | total | ${total} |`,
    '',
    '## Defaults and conventions',
    '',
    '- **Workloads**: `service` → Deployment, `batch` → Indexed Job, periodic → CronJob, `system` → DaemonSet,',
    '  `sysbatch` → a run-once DaemonSet, parameterized → nothing until dispatched. Objects are named',
    '  `<job>--<group>[--<part>]` (hashed when a name is not a valid DNS label) and labelled with the job,',
    '  its Nomad namespace, the group and the version.',
    '- **CPU**: `millicoresPerMHz` = 1 by default, so 100 MHz (Nomad’s default) is `100m` and 1000 MHz one',
    '  core; `cores` reserve whole CPUs. Memory is requested and limited (`memory_max` raises the limit).',
    `- **Images**: \`exec\`/\`raw_exec\` tasks run their command in \`execImage\` (default \`${DEFAULT_EXEC_IMAGE}\`),`,
    `  \`java\` tasks in \`javaImage\` (default \`${DEFAULT_JAVA_IMAGE}\`); artifacts are fetched, and template files`,
    `  written, by init containers of \`artifactImage\` (default \`${DEFAULT_ARTIFACT_IMAGE}\`; it needs \`sh\`, \`curl\` or`,
    '  `wget`, `tar`, `unzip`, `sha256sum`-style tools and `cp`, `chmod`, `chown`).',
    '- **Task directories**: every pod has an emptyDir at `/alloc` shared by its tasks, with `data/`, `logs/`',
    '  and `tmp/` in it as in Nomad (`ephemeral_disk.size` is an ephemeral-storage request), and each task an',
    '  emptyDir at `/local` and an in-memory one at `/secrets`, as NOMAD_ALLOC_DIR, NOMAD_TASK_DIR and',
    '  NOMAD_SECRETS_DIR say.',
    '- **Templates** are rendered only where the value is known when translating (the job’s own services,',
    '  known `env`): the text is a ConfigMap (or Secret) key that the init container `nomad-templates` copies',
    '  into local/, secrets/ or the alloc directory as an ordinary file, root’s unless `uid`/`gid` say',
    '  otherwise, with the template’s `perms` (another destination is a read-only mount of the key); other',
    '  `{{ … }}` actions stay as written, with a warning naming the functions.',
    `- **Host volumes** are expected at \`${HOST_VOLUME_ROOT}/<source>\` on the nodes; **CSI volumes** become`,
    `  PersistentVolumeClaims of the default storage class requesting ${DEFAULT_CSI_SIZE} (edit or pre-create them).`,
    '- **Node attributes** map to node labels through `nodeAttributeLabels`, over these defaults (labels every',
    '  node has, with the same values):',
    ...attributes,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Nomad attribute references are literal "${…}" text
    '  - any other attribute (`${node.datacenter}`, `${node.pool}`, `${meta.X}`, …), and `datacenters`, `node_pool`',
    '    and `region`, pin nothing unless the operator maps a label (`--datacenter-label`,',
    '    `--node-attribute-label meta.X=<label>`, …: docs/translation.md#options); each rule left out is a warning.',
    '',
  ];
}

/** docs/conversion.md, from the table. */
export function conversionDoc(): string {
  const out = intro();
  for (const section of sections()) {
    out.push(`## ${section.struct}`, '');
    if (section.struct === 'Job') out.push('The job itself.', '');
    else out.push(`At ${section.places.map((p) => `\`${p}\``).join(', ')}.`, '');
    out.push('| field | | Kubernetes |', '| --- | --- | --- |');
    for (const [name, variants] of section.fields) {
      for (const { row, paths } of variants) {
        const where = variants.length > 1 ? ` (at ${paths.map((p) => `\`${p}\``).join(', ')})` : '';
        out.push(`| \`${name}\`${cell(where)} | ${SYMBOL[row.status]} | ${cell(describe(row))} |`);
      }
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = new URL('../docs/conversion.md', import.meta.url);
  writeFileSync(file, conversionDoc());
  process.stderr.write(`wrote ${fileURLToPath(file)}\n`);
}
