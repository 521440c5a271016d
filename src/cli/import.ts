// `nomad-operator import`: reads every job of a live Nomad cluster through its HTTP API (read-only),
// converts each as `convert` does (its original submission when the server kept one, else the API's
// JSON job), and either prints the plan (default, a dry run), writes NomadJob YAML (-o DIR, or -o -
// for a YAML stream on stdout) or applies the NomadJobs with server-side apply (--apply). A migration
// report (src/migrate/report.ts) goes to the terminal and, with --report FILE, to a Markdown file.
// Exit status: 0 every job was read, converted and written (whatever its verdict), 1 the jobs could
// not be listed or some job could not be read, converted or written, 2 bad usage.
//
// The pure parts live in src/migrate/ (connection settings, what to leave out, verdicts, report);
// this file is the I/O around them.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { group, plural, version } from '../crd/resource.ts';
import { makeApplier } from '../kube/apply.ts';
import { kubeErrorCode, kubeErrorMessage } from '../kube/errors.ts';
import { type KubeConfig, loadKubeConfig } from '../kube/kubeconfig.ts';
import { kubeObjects } from '../kube/objects.ts';
import { resolveConnection } from '../migrate/connection.ts';
import {
  type ApiJob,
  makeNomadReader,
  type NomadReader,
  NomadRequestError,
} from '../migrate/nomad-client.ts';
import {
  assessJob,
  type Change,
  changeOf,
  fileChangeOf,
  holdsSpec,
  nomadNamespaceOf,
  skipReason,
  withoutServerFields,
} from '../migrate/plan.ts';
import { type Report, type ReportEntry, renderMarkdown, renderTable } from '../migrate/report.ts';
import { createNamespaceMapper, type NamespaceMapper, NOMAD_DEFAULT_NAMESPACE } from '../nomad/ids.ts';
import type { Job } from '../nomad/schema.ts';
import {
  parseTranslatorOptions,
  type TranslatorOptions,
  translatorOptionsUsage,
} from '../translate/options.ts';
import { type CommandIo, loadJob, nomadJobFor, processIo, variablesText, yamlStream } from './convert.ts';
import { translatorFlags, translatorTextsOf } from './translator-flags.ts';

/** The field manager of the import's applies: the operator's own writes stay under theirs. */
export const IMPORT_FIELD_MANAGER = 'nomad-operator-import';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const IMPORT_USAGE = `Usage: nomad-operator import [options]

Reads every job from a Nomad cluster's HTTP API (never writing to it), converts each into a NomadJob
(from its original submission when the server kept one) and prints the plan (the default: a dry run),
writes the NomadJobs as YAML (-o) or applies them (--apply). Dispatched children and periodic launches
are left out: their imported parents make them again. Stopped jobs stay stopped.

Nomad connection (flags win over the variables, as in the Nomad CLI):
  --address URL           Nomad HTTP API address (NOMAD_ADDR, default http://127.0.0.1:4646)
  --token T               ACL token, sent as X-Nomad-Token (NOMAD_TOKEN)
  --nomad-namespace NS    Nomad namespace to read, * for all (NOMAD_NAMESPACE, default default)
  --region R              Nomad region (NOMAD_REGION)
  --ca-cert FILE          CA certificates of the server's TLS certificate (NOMAD_CACERT)
  --client-cert FILE      client certificate for mutual TLS (NOMAD_CLIENT_CERT)
  --client-key FILE       its key (NOMAD_CLIENT_KEY)
  --tls-skip-verify       do not verify the server's certificate (NOMAD_SKIP_VERIFY)

Target:
  --namespace ns          Kubernetes namespace for every job (default: mapped from each job's Nomad
                          namespace; the jobs then belong to the Nomad namespace of ns)
  --default-namespace ns  Kubernetes namespace of Nomad's default namespace, as the operator's
                          --default-namespace (default default)
  --apply                 apply the NomadJobs to the cluster (server-side apply; safe to re-run)
  -o, --output dir        write one NomadJob YAML file per job under dir/<namespace>/ (- for stdout)
  --kubeconfig file       kubeconfig (default: KUBECONFIG, in-cluster, ~/.kube/config)
  --report file           write the migration report as Markdown
  -h, --help              show this help

Translator options (the same as \`nomad-operator run\`, docs/translation.md; they decide the verdicts):
${translatorOptionsUsage({ width: 48, withEnv: false }).join('\n')}
`;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: false,
    strict: true,
    options: {
      address: { type: 'string' },
      token: { type: 'string' },
      'nomad-namespace': { type: 'string' },
      region: { type: 'string' },
      'ca-cert': { type: 'string' },
      'client-cert': { type: 'string' },
      'client-key': { type: 'string' },
      'tls-skip-verify': { type: 'boolean' },
      namespace: { type: 'string' },
      'default-namespace': { type: 'string' },
      apply: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      kubeconfig: { type: 'string' },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...translatorFlags,
    },
  });
}

/** Where the command reads and writes, plus the environment it takes its Nomad settings from. */
export interface ImportIo extends CommandIo {
  env: Readonly<Record<string, string | undefined>>;
  /** Show a progress line on stderr (the real process: when stderr is a terminal). */
  progress: boolean;
}

export const processImportIo: ImportIo = {
  ...processIo,
  env: process.env,
  progress: process.stderr.isTTY === true,
};

/** What the command does with each converted job. */
type Target =
  | { mode: 'dry run'; cluster?: ClusterAccess }
  | { mode: 'apply'; cluster: ClusterAccess }
  | { mode: 'files'; dir: string }
  | { mode: 'stdout' };

interface ClusterAccess {
  read(namespace: string, name: string): Promise<KubernetesObject | undefined>;
  apply(object: KubernetesObject, dryRun: boolean): Promise<KubernetesObject>;
}

function clusterAccess(kc: KubeConfig): ClusterAccess {
  const objects = kubeObjects(kc);
  const applier = makeApplier(kc, IMPORT_FIELD_MANAGER);
  const nomadJobs = {
    apiVersion: `${group}/${version}`,
    kind: 'NomadJob',
    resource: { plural, namespaced: true },
  };
  return {
    async read(namespace, name) {
      try {
        return await objects.read({ ...nomadJobs, namespace, name });
      } catch (error) {
        if (kubeErrorCode(error) === 404) return undefined;
        throw error;
      }
    },
    async apply(object, dryRun) {
      const applied: KubernetesObject & { spec?: unknown } = await applier.apply(object, { dryRun });
      if (holdsSpec(applied, object)) return applied;
      // Server-side apply keeps the fields other managers set (an edit through the Nomad API or
      // kubectl). The source job is the intent: its spec replaces the whole spec, guarded by the
      // resourceVersion just applied, so a concurrent write fails instead of being lost.
      const { managedFields: _managedFields, ...metadata } = applied.metadata ?? {};
      return await objects.replace(
        { ...applied, metadata, spec: (object as { spec?: unknown }).spec },
        { fieldManager: IMPORT_FIELD_MANAGER, dryRun, resource: nomadJobs.resource },
      );
    },
  };
}

/** A job as read from the source: converted, or why it could not be. */
type Converted =
  | { ok: true; job: Job; source: 'submission' | 'api'; notes: string[] }
  | { ok: false; errors: string[] };

/**
 * Converts one job as `convert` would: the original submission (source and variables) through the
 * jobspec parser when the server has it for the job's current version, else the API's JSON job. What
 * the submission cannot say is taken from the API's job: its ID, its namespace and whether it is stopped.
 */
async function convertJob(reader: NomadReader, namespace: string, apiJob: ApiJob): Promise<Converted> {
  const notes: string[] = [];
  let loaded: Awaited<ReturnType<typeof loadJob>> | undefined;
  let source: 'submission' | 'api' = 'api';
  if (apiJob.Version !== undefined) {
    const submission = await reader.readSubmission(namespace, apiJob.ID, apiJob.Version);
    if (submission !== undefined) {
      const variables = variablesText(
        submission.Variables ? [submission.Variables] : [],
        Object.entries(submission.VariableFlags ?? {}).map(([name, value]) => ({ name, value })),
      );
      const fromSource = await loadJob({
        text: submission.Source,
        path: `${apiJob.ID}.nomad.hcl`,
        variables,
      });
      if (fromSource.ok) {
        loaded = fromSource;
        source = 'submission';
      } else {
        notes.push(
          `the submitted jobspec did not convert (${fromSource.errors.join('; ')}); the API's JSON job was used`,
        );
      }
    }
  }
  if (loaded === undefined) {
    loaded = await loadJob({ text: JSON.stringify(apiJob), path: `${apiJob.ID}.json` });
    if (!loaded.ok) return { ok: false, errors: loaded.errors };
  }
  if (!loaded.ok) return { ok: false, errors: loaded.errors };
  const job: Job = { ...withoutServerFields(loaded.job), ID: apiJob.ID, Namespace: namespace };
  if (apiJob.Stop === true) job.Stop = true;
  else delete job.Stop;
  return { ok: true, job, source, notes };
}

function describe(error: unknown): string {
  return kubeErrorCode(error) !== undefined
    ? kubeErrorMessage(error)
    : error instanceof Error
      ? error.message
      : String(error);
}

/** Runs `import` with its arguments (after the subcommand); returns the exit status. */
export async function runImport(argv: readonly string[], io: ImportIo = processImportIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n\n${IMPORT_USAGE}`);
    return 2;
  }
  const { values } = args;
  if (values.help) {
    io.stdout.write(IMPORT_USAGE);
    return 0;
  }
  const usageErrors: string[] = [];
  if (values.apply && values.output !== undefined)
    usageErrors.push('--apply and -o are exclusive: apply, or write files');
  for (const flag of ['namespace', 'default-namespace'] as const) {
    const value = values[flag];
    if (value !== undefined && (!DNS_LABEL.test(value) || value.length > 63)) {
      usageErrors.push(`--${flag} ${JSON.stringify(value)} is not a valid Kubernetes namespace name`);
    }
  }
  const translator = parseTranslatorOptions(translatorTextsOf(values));
  if (!translator.ok) usageErrors.push(...translator.errors);
  const resolved = resolveConnection(
    {
      address: values.address,
      token: values.token,
      nomadNamespace: values['nomad-namespace'],
      region: values.region,
      caCert: values['ca-cert'],
      clientCert: values['client-cert'],
      clientKey: values['client-key'],
      tlsSkipVerify: values['tls-skip-verify'],
    },
    io.env,
  );
  if (!resolved.ok) usageErrors.push(...resolved.errors);
  let mapNamespace: NamespaceMapper | undefined;
  try {
    mapNamespace = createNamespaceMapper({
      defaultNamespace: values['default-namespace'] ?? NOMAD_DEFAULT_NAMESPACE,
    });
  } catch (error) {
    usageErrors.push((error as Error).message);
  }
  if (usageErrors.length > 0 || !resolved.ok || !translator.ok || mapNamespace === undefined) {
    io.stderr.write(`${usageErrors.map((e) => `error: ${e}`).join('\n')}\n`);
    return 2;
  }
  const connection = resolved.connection;
  const defaultNamespace = values['default-namespace'] ?? NOMAD_DEFAULT_NAMESPACE;

  let target: Target;
  if (values.output === '-') target = { mode: 'stdout' };
  else if (values.output !== undefined) target = { mode: 'files', dir: values.output };
  else {
    let kc: KubeConfig | undefined;
    try {
      kc = loadKubeConfig(values.kubeconfig);
    } catch (error) {
      if (values.apply) {
        io.stderr.write(`error: no Kubernetes cluster to apply to: ${(error as Error).message}\n`);
        return 1;
      }
    }
    if (values.apply && kc) target = { mode: 'apply', cluster: clusterAccess(kc) };
    else target = { mode: 'dry run', ...(kc ? { cluster: clusterAccess(kc) } : {}) };
  }

  let reader: NomadReader;
  try {
    reader = await makeNomadReader(connection);
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
  let stubs: Awaited<ReturnType<NomadReader['listJobs']>>;
  try {
    stubs = await reader.listJobs();
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
  stubs.sort((a, b) => compare(a.Namespace ?? '', b.Namespace ?? '') || compare(a.ID, b.ID));

  const report: Report = {
    source: connection.address,
    mode: target.mode === 'apply' ? 'apply' : target.mode === 'dry run' ? 'dry run' : 'files',
    entries: [],
    skipped: [],
  };
  const yamlOut: KubernetesObject[] = [];
  /** Target (`namespace/name`) → the source job that took it. */
  const targets = new Map<string, string>();
  let failed = false;
  // A dry run compares with the cluster while it answers; once it does not, the rest is not compared.
  let compareWithCluster = target.mode === 'dry run' && target.cluster !== undefined;
  const progress = (text: string) => {
    if (io.progress) io.stderr.write(`\r\x1b[2K${text}`);
  };

  for (const [index, stub] of stubs.entries()) {
    const sourceNamespace =
      stub.Namespace ?? (connection.namespace === '*' ? NOMAD_DEFAULT_NAMESPACE : connection.namespace);
    progress(`[${index + 1}/${stubs.length}] ${sourceNamespace}/${stub.ID}`);
    const listedSkip = skipReason(stub);
    if (listedSkip !== undefined) {
      report.skipped.push({ namespace: sourceNamespace, id: stub.ID, reason: listedSkip });
      continue;
    }
    const kubernetesNamespace = values.namespace ?? mapNamespace(sourceNamespace);
    const nomadNamespace =
      values.namespace !== undefined ? nomadNamespaceOf(values.namespace, defaultNamespace) : sourceNamespace;
    const entry: ReportEntry = {
      namespace: sourceNamespace,
      id: stub.ID,
      target: `${kubernetesNamespace}/?`,
      source: 'api',
      stopped: stub.Stop === true,
      objects: [],
      perDispatch: false,
      warnings: [],
      verdict: 'needs action',
      reasons: [],
      notes: [],
    };
    let converted: Converted;
    try {
      const apiJob = await reader.readJob(sourceNamespace, stub.ID);
      const fullSkip = skipReason(apiJob);
      if (fullSkip !== undefined) {
        report.skipped.push({ namespace: sourceNamespace, id: stub.ID, reason: fullSkip });
        continue;
      }
      entry.stopped = apiJob.Stop === true;
      converted = await convertJob(reader, sourceNamespace, apiJob);
    } catch (error) {
      if (error instanceof NomadRequestError && error.status === 404) {
        // Purged between the list and the read: nothing left to import.
        report.skipped.push({
          namespace: sourceNamespace,
          id: stub.ID,
          reason: 'purged since it was listed',
        });
        continue;
      }
      converted = { ok: false, errors: [(error as Error).message] };
    }
    report.entries.push(entry);
    if (!converted.ok) {
      failed = true;
      entry.reasons.push(...converted.errors.map((e) => `could not be converted: ${e}`));
      continue;
    }
    const job: Job = { ...converted.job, Namespace: nomadNamespace };
    const object = nomadJobFor(job, kubernetesNamespace);
    object.metadata = { ...object.metadata, namespace: kubernetesNamespace };
    entry.target = `${kubernetesNamespace}/${object.metadata.name ?? ''}`;
    entry.source = converted.source;
    entry.notes.push(...converted.notes);
    // Jobs of the same ID in two Nomad namespaces meet when --namespace puts them in one: the first wins.
    const taken = targets.get(entry.target);
    if (taken !== undefined) {
      failed = true;
      entry.reasons.push(`${taken} already goes to ${entry.target}; import its namespace separately`);
      continue;
    }
    targets.set(entry.target, `${sourceNamespace}/${stub.ID}`);
    const assessment = assessJob(job, kubernetesNamespace, translator.options as TranslatorOptions);
    Object.assign(entry, {
      objects: assessment.objects,
      perDispatch: assessment.perDispatch,
      warnings: assessment.warnings,
      verdict: assessment.verdict,
      reasons: assessment.reasons,
    });
    try {
      const change = await write(target, object, compareWithCluster);
      if (change !== undefined) entry.change = change;
      if (target.mode === 'stdout') yamlOut.push(object);
    } catch (error) {
      if (target.mode === 'dry run') {
        // No cluster to compare with (none reachable, or no right to read there): the plan is still the plan.
        compareWithCluster = false;
        entry.notes.push(`not compared with the cluster: ${describe(error)}`);
      } else {
        failed = true;
        entry.verdict = 'needs action';
        entry.reasons.push(
          `could not be ${target.mode === 'apply' ? 'applied' : 'written'}: ${describe(error)}`,
        );
      }
    }
  }
  if (io.progress && stubs.length > 0) io.stderr.write('\r\x1b[2K');

  const table = renderTable(report);
  if (target.mode === 'stdout') {
    io.stdout.write(yamlStream(yamlOut));
    io.stderr.write(table);
  } else io.stdout.write(table);
  if (values.report !== undefined) {
    try {
      await writeFile(values.report, renderMarkdown(report));
    } catch (error) {
      io.stderr.write(`error: ${(error as Error).message}\n`);
      return 1;
    }
  }
  return failed ? 1 : 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Writes (or, on a dry run, tries) one NomadJob; returns how it compares with what was there. */
async function write(
  target: Target,
  object: KubernetesObject,
  compareWithCluster: boolean,
): Promise<Change | undefined> {
  switch (target.mode) {
    case 'stdout':
      return undefined;
    case 'files': {
      const dir = join(target.dir, object.metadata?.namespace ?? 'default');
      const path = join(dir, `${object.metadata?.name ?? 'unnamed'}.yaml`);
      const text = yamlStream([object]);
      const before = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      const change = fileChangeOf(before, text);
      if (change !== 'unchanged') {
        await mkdir(dir, { recursive: true });
        await writeFile(path, text);
      }
      return change;
    }
    case 'apply': {
      const before = await target.cluster.read(object.metadata?.namespace ?? '', object.metadata?.name ?? '');
      const after = await target.cluster.apply(object, false);
      return changeOf(before, after);
    }
    case 'dry run': {
      if (!compareWithCluster || target.cluster === undefined) return undefined;
      const before = await target.cluster.read(object.metadata?.namespace ?? '', object.metadata?.name ?? '');
      if (before === undefined) return 'new';
      return changeOf(before, await target.cluster.apply(object, true));
    }
  }
}
