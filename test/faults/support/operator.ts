// The operator as a real process for fault tests: `node src/cli/main.ts run` as a child process
// against the private fault cluster, its JSON log lines collected, its API and ops URLs read from
// them. Plus a small Nomad API client, the Lease, and figures printed and kept for
// docs/reliability.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Lease,
} from '@kubernetes/client-node';
import { inject } from 'vitest';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { repoRoot } from '../../cluster/binaries.ts';
import { readState } from '../../cluster/local-cluster.ts';
import { createTestNamespace as createNamespace, waitFor } from '../../integration/support/kube.ts';

export { testKubeConfig, waitFor } from '../../integration/support/kube.ts';

/**
 * A namespace for one scenario, made once the earlier scenarios' namespaces are gone. The fault
 * files share one cluster and run one after another; while an earlier namespace terminates, its
 * objects' deletions keep the operator busy and move the cluster-wide indexes (Nomad's `/v1/jobs`
 * index is global too), which would wake the blocking queries a scenario means to hold.
 */
export async function createTestNamespace(kc: KubeConfig, prefix: string) {
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(
    'no namespace of an earlier scenario still terminating',
    async () => (await core.listNamespace()).items.every((n) => n.status?.phase !== 'Terminating'),
    { timeoutMs: 180_000, intervalMs: 500 },
  );
  return createNamespace(kc, prefix);
}

const nodeBinary = path.join(repoRoot, 'node_modules', '.bin', 'node');

/** One JSON log line of the operator. */
export interface LogLine {
  level: string;
  time: string;
  msg: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() of the exit. */
  at: number;
}

export interface OperatorProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** `http://127.0.0.1:<port>` of the Nomad API. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:<port>` of /metrics, /healthz, /readyz. */
  readonly opsUrl: string;
  readonly logs: LogLine[];
  readonly exited: Promise<Exit>;
  /** The exit, once it happened. */
  exit: Exit | undefined;
  /** The Lease identity it logs (known once it logged about the Lease). */
  identity(): string | undefined;
  kill(signal: NodeJS.Signals): void;
}

export interface OperatorOptions {
  /** For log prefixes and figures. */
  name: string;
  /** Kubernetes namespace of Nomad's `default` namespace; the Lease lives there too. */
  namespace: string;
  leaseName?: string;
  args?: string[];
  env?: Record<string, string>;
}

const running = new Set<OperatorProcess>();

/** Starts the operator and resolves once its Nomad API listens. */
export async function startOperator(options: OperatorOptions): Promise<OperatorProcess> {
  const args = [
    path.join(repoRoot, 'src/cli/main.ts'),
    'run',
    `--kubeconfig=${inject('kubeconfig')}`,
    '--listen=127.0.0.1:0',
    '--metrics-listen=127.0.0.1:0',
    `--default-namespace=${options.namespace}`,
    `--leader-election-namespace=${options.namespace}`,
    `--leader-election-id=${options.leaseName ?? 'nomad-operator-leader'}`,
    ...(options.args ?? []),
  ];
  const child = spawn(nodeBinary, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env, KUBECONFIG: inject('kubeconfig') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  // Every line also goes to .local/faults/logs/<name>-<pid>.jsonl, to read after a failure.
  const logDir = path.join(repoRoot, '.local', 'faults', 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${options.name}-${child.pid}.jsonl`);
  let apiUrl: string | undefined;
  let opsUrl: string | undefined;
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (text) => {
    appendFileSync(logFile, `${text}\n`);
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    logs.push(line);
    if (line.msg === 'serving the Nomad /v1 API') apiUrl = String(line.url);
    if (line.msg === 'serving /metrics, /healthz, /readyz') opsUrl = String(line.url);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    appendFileSync(logFile, chunk);
    stderr += chunk.toString();
  });
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal, at: performance.now() };
      resolve(exit);
    });
  });
  const operator: OperatorProcess = {
    name: options.name,
    child,
    pid: child.pid!,
    get apiUrl() {
      return apiUrl ?? '';
    },
    get opsUrl() {
      return opsUrl ?? '';
    },
    logs,
    exited,
    get exit() {
      return exit;
    },
    identity: () => logs.find((l) => typeof l.identity === 'string')?.identity as string | undefined,
    kill: (signal) => {
      if (!exit) child.kill(signal);
    },
  };
  running.add(operator);
  void exited.then(() => running.delete(operator));
  const serving = waitFor(`${options.name} serving the Nomad API`, async () => apiUrl && opsUrl, {
    timeoutMs: 120_000,
    intervalMs: 100,
  });
  const failedToStart = exited.then((e) => {
    throw new Error(`${options.name} exited (${e.code ?? e.signal}) before serving: ${stderr.slice(-2000)}`);
  });
  await Promise.race([serving, failedToStart]).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  failedToStart.catch(() => undefined);
  return operator;
}

/** SIGKILLs every operator a test started and left running (afterEach/afterAll). */
export async function killAllOperators(): Promise<void> {
  const left = [...running];
  for (const operator of left) operator.kill('SIGKILL');
  await Promise.all(left.map((operator) => operator.exited));
}

export interface Answer {
  status: number;
  text: string;
  /** The request failed before any answer (connection refused or reset). */
  failed?: string;
}

/** One Nomad API request (with `token` as X-Nomad-Token); network failures are answers too (`failed`), never exceptions. */
export async function nomad(
  baseUrl: string,
  method: string,
  pathAndQuery: string,
  body?: unknown,
  timeoutMs = 30_000,
  token?: string,
): Promise<Answer> {
  try {
    const res = await fetch(baseUrl + pathAndQuery, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      ...(token ? { headers: { 'X-Nomad-Token': token } } : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, text: await res.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { status: 0, text: '', failed: cause ?? (error as Error).name ?? String(error) };
  }
}

/** A small service job (one Deployment with `count` pods). */
export function serviceJob(id: string, count = 1): Record<string, unknown> {
  return {
    ID: id,
    Type: 'service',
    Datacenters: ['*'],
    TaskGroups: [
      {
        Name: 'web',
        Count: count,
        Tasks: [{ Name: 'web', Driver: 'docker', Config: { image: 'registry.example/web:1' } }],
      },
    ],
  };
}

/** A parameterized batch job that dispatches children. */
export function parameterizedJob(id: string): Record<string, unknown> {
  return {
    ID: id,
    Type: 'batch',
    Datacenters: ['*'],
    ParameterizedJob: { Payload: 'optional', MetaOptional: ['n'] },
    TaskGroups: [
      {
        Name: 'work',
        Count: 1,
        Tasks: [{ Name: 'run', Driver: 'docker', Config: { image: 'registry.example/worker:1' } }],
      },
    ],
  };
}

export async function readLease(
  kc: KubeConfig,
  namespace: string,
  name = 'nomad-operator-leader',
): Promise<V1Lease> {
  return kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace });
}

export async function listNomadJobs(kc: KubeConfig, namespace: string): Promise<NomadJobObject[]> {
  const list = (await kc
    .makeApiClient(CustomObjectsApi)
    .listNamespacedCustomObject({ group, version, plural, namespace })) as { items: NomadJobObject[] };
  return list.items;
}

/** The private fault cluster's state (to stop and start its kube-apiserver). */
export function faultCluster() {
  const state = readState(inject('faultClusterDir'));
  if (!state) throw new Error(`no cluster state in ${inject('faultClusterDir')}`);
  return state;
}

/**
 * Prints a figure of a scenario and appends it to .local/faults/figures.jsonl (the run's record,
 * from which docs/reliability.md is written).
 */
export function figure(scenario: string, values: Record<string, number | string | boolean>): void {
  const record = { scenario, at: new Date().toISOString(), ...values };
  process.stdout.write(`[fault figure] ${JSON.stringify(record)}\n`);
  const dir = path.join(repoRoot, '.local', 'faults');
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, 'figures.jsonl'), `${JSON.stringify(record)}\n`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
