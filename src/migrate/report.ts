// The migration report of `nomad-operator import`: one entry per job (its target, the Kubernetes
// objects it became, its warnings by kind, its verdict, what changed since the last run) and the jobs
// left out with the reason. Rendered as a terminal table and as Markdown with totals. Pure.

import type { Warning } from '../translate/types.ts';
import { type Change, groupWarnings, type ObjectRef, type Verdict, verdicts } from './plan.ts';

export interface ReportEntry {
  /** Nomad namespace and job ID in the source. */
  namespace: string;
  id: string;
  /** Where it goes: `<kubernetes namespace>/<NomadJob name>`. */
  target: string;
  /** What the job was read from: its original submission (HCL/JSON jobspec) or the API's JSON job. */
  source: 'submission' | 'api';
  stopped: boolean;
  objects: ObjectRef[];
  perDispatch: boolean;
  warnings: Warning[];
  verdict: Verdict;
  /** Why `needs action` (also read, convert and apply errors). */
  reasons: string[];
  /** Compared with the cluster or the -o folder; undefined when that could not be told. */
  change?: Change;
  /** Notes about how the job was read (e.g. a submission that did not parse, so the JSON job was used). */
  notes: string[];
}

export interface SkippedEntry {
  namespace: string;
  id: string;
  reason: string;
}

export interface Report {
  /** Where the jobs were read from (the Nomad address) and what was done with them. */
  source: string;
  mode: 'dry run' | 'apply' | 'files';
  entries: ReportEntry[];
  skipped: SkippedEntry[];
}

export interface Totals {
  jobs: number;
  skipped: number;
  verdicts: Record<Verdict, number>;
  changes: Record<Change | 'unknown', number>;
}

export function totals(report: Report): Totals {
  const out: Totals = {
    jobs: report.entries.length,
    skipped: report.skipped.length,
    verdicts: { 'runs as is': 0, 'runs with warnings': 0, 'needs action': 0 },
    changes: { new: 0, changed: 0, unchanged: 0, unknown: 0 },
  };
  for (const entry of report.entries) {
    out.verdicts[entry.verdict]++;
    out.changes[entry.change ?? 'unknown']++;
  }
  return out;
}

function objectsText(entry: ReportEntry): string {
  if (entry.objects.length === 0) return '—';
  const counts = new Map<string, number>();
  for (const o of entry.objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  const text = [...counts.entries()].map(([kind, n]) => (n > 1 ? `${n} ${kind}` : kind)).join(', ');
  return entry.perDispatch ? `${text} (per dispatch)` : text;
}

function jobText(entry: ReportEntry): string {
  return `${entry.namespace}/${entry.id}${entry.stopped ? ' (stopped)' : ''}`;
}

function changeText(mode: Report['mode'], change: Change | undefined): string {
  if (change === undefined) return '?';
  return mode === 'dry run' && change !== 'unchanged' ? `${change} (would)` : change;
}

function totalsLine(report: Report): string {
  const t = totals(report);
  const byVerdict = verdicts.map((v) => `${t.verdicts[v]} ${v}`).join(', ');
  const changes = (['new', 'changed', 'unchanged', 'unknown'] as const)
    .filter((c) => t.changes[c] > 0)
    .map((c) => `${t.changes[c]} ${c}`)
    .join(', ');
  return `${t.jobs} job${t.jobs === 1 ? '' : 's'}: ${byVerdict}${changes ? `; ${changes}` : ''}; ${t.skipped} left out`;
}

/** A plain-text table for the terminal: one row per job, then the totals and the jobs left out. */
export function renderTable(report: Report): string {
  const header = ['JOB', 'TARGET', 'VERDICT', 'WARNINGS', 'CHANGE', 'OBJECTS'];
  const rows = report.entries.map((e) => [
    jobText(e),
    e.target,
    e.verdict,
    String(e.warnings.length),
    changeText(report.mode, e.change),
    objectsText(e),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const e of report.entries) {
    for (const reason of e.reasons) out.push(`needs action: ${jobText(e)}: ${reason}`);
  }
  for (const s of report.skipped) out.push(`left out: ${s.namespace}/${s.id}: ${s.reason}`);
  out.push(totalsLine(report));
  return `${out.join('\n')}\n`;
}

/** Markdown table cell: pipes escaped, one line. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in the text. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.includes('`') ? ` ${text} ` : text}${fence}`;
}

/** The report as Markdown: totals, the table, then per job its objects and warnings by kind. */
export function renderMarkdown(report: Report): string {
  const t = totals(report);
  const out: string[] = [
    '# Migration report',
    '',
    `Source: ${code(report.source)}. Mode: ${report.mode}.`,
    '',
    '## Totals',
    '',
    '| | jobs |',
    '| --- | ---: |',
    `| imported | ${t.jobs} |`,
    ...verdicts.map((v) => `| ${v} | ${t.verdicts[v]} |`),
    ...(['new', 'changed', 'unchanged', 'unknown'] as const).map((c) => `| ${c} | ${t.changes[c]} |`),
    `| left out | ${t.skipped} |`,
    '',
    '## Jobs',
    '',
    '| job | target | verdict | warnings | change | objects |',
    '| --- | --- | --- | ---: | --- | --- |',
    ...report.entries.map(
      (e) =>
        `| ${cell(code(jobText(e)))} | ${cell(code(e.target))} | ${e.verdict} | ${e.warnings.length} | ${changeText(report.mode, e.change)} | ${cell(objectsText(e))} |`,
    ),
  ];
  for (const e of report.entries) {
    out.push('', `### ${cell(jobText(e))}`, '');
    out.push(`- Verdict: **${e.verdict}**`);
    for (const reason of e.reasons) out.push(`  - ${cell(reason)}`);
    out.push(`- Read from: ${e.source === 'submission' ? 'its original submission' : "the API's JSON job"}`);
    for (const note of e.notes) out.push(`  - ${cell(note)}`);
    // A dispatched child's objects are named after the child, which does not exist yet: kinds only.
    const objects = e.perDispatch
      ? objectsText(e)
      : e.objects.map((o) => `${o.kind} ${code(o.name)}`).join(', ');
    out.push(`- Kubernetes objects: ${objects || 'none'}`);
    const groups = groupWarnings(e.warnings);
    if (groups.length > 0) out.push('- Warnings:');
    for (const group of groups) {
      out.push(`  - ${group.kind} (${group.warnings.length})`);
      for (const w of group.warnings) {
        out.push(`    - ${w.path === '' ? '' : `${code(w.path)}: `}${cell(w.message)}`);
      }
    }
  }
  if (report.skipped.length > 0) {
    out.push('', '## Left out', '', '| job | reason |', '| --- | --- |');
    for (const s of report.skipped)
      out.push(`| ${cell(code(`${s.namespace}/${s.id}`))} | ${cell(s.reason)} |`);
  }
  return `${out.join('\n')}\n`;
}
