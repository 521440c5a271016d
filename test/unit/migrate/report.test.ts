// The migration report as the terminal table and as Markdown: rows, totals, warnings by kind, the
// jobs left out, a dry run's "would", and Markdown that survives pipes and backticks in job IDs.
import { describe, expect, it } from 'vitest';
import {
  type Report,
  type ReportEntry,
  renderMarkdown,
  renderTable,
  totals,
} from '../../../src/migrate/report.ts';

const entry = (over: Partial<ReportEntry>): ReportEntry => ({
  namespace: 'default',
  id: 'web',
  target: 'apps/web',
  source: 'api',
  stopped: false,
  objects: [],
  perDispatch: false,
  warnings: [],
  verdict: 'runs as is',
  reasons: [],
  notes: [],
  ...over,
});

const report: Report = {
  source: 'https://nomad.example:4646',
  mode: 'apply',
  entries: [
    entry({
      objects: [
        { kind: 'Deployment', name: 'web--web' },
        { kind: 'Service', name: 'web' },
        { kind: 'Service', name: 'web-admin' },
      ],
      source: 'submission',
      change: 'new',
    }),
    entry({
      id: 'a|b`c',
      target: 'apps/a-b-c--xyz',
      stopped: true,
      objects: [{ kind: 'Job', name: 'a-b-c--xyz--app' }],
      perDispatch: true,
      warnings: [
        { path: 'TaskGroups[0].Tasks[0].Vault', message: 'Vault is not applicable' },
        { path: 'Constraints[0]', message: 'pins nothing' },
      ],
      verdict: 'runs with warnings',
      change: 'unchanged',
      notes: ['the submitted jobspec did not convert (x); the API JSON job was used'],
    }),
    entry({
      id: 'gw',
      target: 'apps/gw',
      warnings: [{ path: 'TaskGroups[0]', message: 'no tasks' }],
      verdict: 'needs action',
      reasons: ['group "gw" becomes no workload'],
      change: 'changed',
    }),
  ],
  skipped: [
    { namespace: 'default', id: 'p/dispatch-1-a', reason: 'dispatched child of "p": dispatch it again' },
  ],
};

describe('totals', () => {
  it('count jobs by verdict and by change, and the jobs left out', () => {
    expect(totals(report)).toEqual({
      jobs: 3,
      skipped: 1,
      verdicts: { 'runs as is': 1, 'runs with warnings': 1, 'needs action': 1 },
      changes: { new: 1, changed: 1, unchanged: 1, unknown: 0 },
    });
  });
});

describe('renderTable', () => {
  it('one aligned row per job, the reasons, the jobs left out and the totals', () => {
    expect(renderTable(report)).toBe(
      [
        'JOB                      TARGET           VERDICT             WARNINGS  CHANGE     OBJECTS',
        'default/web              apps/web         runs as is          0         new        Deployment, 2 Service',
        'default/a|b`c (stopped)  apps/a-b-c--xyz  runs with warnings  2         unchanged  Job (per dispatch)',
        'default/gw               apps/gw          needs action        1         changed    —',
        'needs action: default/gw: group "gw" becomes no workload',
        'left out: default/p/dispatch-1-a: dispatched child of "p": dispatch it again',
        '3 jobs: 1 runs as is, 1 runs with warnings, 1 needs action; 1 new, 1 changed, 1 unchanged; 1 left out',
        '',
      ].join('\n'),
    );
  });

  it('a dry run says what would change, and ? when it could not tell', () => {
    const dry: Report = {
      ...report,
      mode: 'dry run',
      entries: [entry({ change: 'new' }), entry({ id: 'x', change: 'unchanged' }), entry({ id: 'y' })],
    };
    const rows = renderTable(dry).split('\n');
    expect(rows[1]).toMatch(/ new \(would\) /);
    expect(rows[2]).toMatch(/ unchanged /);
    expect(rows[3]).toMatch(/ \? /);
    expect(rows.at(-2)).toBe(
      '3 jobs: 3 runs as is, 0 runs with warnings, 0 needs action; 1 new, 1 unchanged, 1 unknown; 1 left out',
    );
  });
});

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(report);

  it('starts with the source, the mode and the totals', () => {
    expect(markdown).toContain('Source: `https://nomad.example:4646`. Mode: apply.');
    expect(markdown).toContain(
      [
        '| imported | 3 |',
        '| runs as is | 1 |',
        '| runs with warnings | 1 |',
        '| needs action | 1 |',
        '| new | 1 |',
        '| changed | 1 |',
        '| unchanged | 1 |',
        '| unknown | 0 |',
        '| left out | 1 |',
      ].join('\n'),
    );
  });

  it('has one table row per job, pipes escaped and backticks kept inside code', () => {
    expect(markdown).toContain(
      '| `default/web` | `apps/web` | runs as is | 0 | new | Deployment, 2 Service |\n' +
        '| `` default/a\\|b`c (stopped) `` | `apps/a-b-c--xyz` | runs with warnings | 2 | unchanged | Job (per dispatch) |\n' +
        '| `default/gw` | `apps/gw` | needs action | 1 | changed | — |',
    );
  });

  it('details each job: verdict and reasons, what it was read from, its objects, warnings by kind', () => {
    expect(markdown).toContain(
      [
        '### default/a\\|b`c (stopped)',
        '',
        '- Verdict: **runs with warnings**',
        "- Read from: the API's JSON job",
        '  - the submitted jobspec did not convert (x); the API JSON job was used',
        '- Kubernetes objects: Job (per dispatch)',
        '- Warnings:',
        '  - Constraints (1)',
        '    - `Constraints[0]`: pins nothing',
        '  - Vault (1)',
        '    - `TaskGroups[0].Tasks[0].Vault`: Vault is not applicable',
      ].join('\n'),
    );
    expect(markdown).toContain(
      [
        '### default/web',
        '',
        '- Verdict: **runs as is**',
        '- Read from: its original submission',
        '- Kubernetes objects: Deployment `web--web`, Service `web`, Service `web-admin`',
      ].join('\n'),
    );
    expect(markdown).toContain('- Verdict: **needs action**\n  - group "gw" becomes no workload\n');
  });

  it('ends with the jobs left out and why', () => {
    expect(
      markdown.endsWith(
        '## Left out\n\n| job | reason |\n| --- | --- |\n| `default/p/dispatch-1-a` | dispatched child of "p": dispatch it again |\n',
      ),
    ).toBe(true);
  });
});
