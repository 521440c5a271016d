// A real Kubernetes control plane on loopback, without Docker: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (which plays the kubelet for fake nodes): by default
// three nodes with the default labels only, as a fresh small managed cluster has (DEFAULT_NODE_COUNT).
//
// Each cluster lives in a state folder: component logs, the etcd data, the kubeconfig and a
// state.json with ports and process ids. `up` reuses a healthy cluster found in the folder;
// `down` stops every process it started and leaves only the logs.
//
// kube-controller-manager and kube-scheduler run as on a kubeadm or managed control plane: with
// leader election, under a supervisor that starts them again when they exit (the kubelet's part for
// static pods). They exit when they lose their Lease, which they do whenever the kube-apiserver is
// away longer than their renew deadline (10 s); a fresh process lists everything again at once.
// Without that, a controller-manager that outlived a 20 s outage sat on informer caches older than
// its own writes for up to a minute, while its reflectors waited out their grown backoff.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Binaries, ensureBinaries, repoRoot } from './binaries.ts';

export const components = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
] as const;
export type Component = (typeof components)[number];

export interface ClusterState {
  name: string;
  dir: string;
  binDir: string;
  server: string;
  kubeconfig: string;
  ports: {
    etcdClient: number;
    etcdPeer: number;
    apiserver: number;
    controllerManager: number;
    scheduler: number;
  };
  pids: Partial<Record<Component, number>>;
  /** How each component was launched, so that one can be stopped and started again alone. */
  launches?: Partial<Record<Component, Launch>>;
  startedAt: string;
}

/** A component's command line and the environment variables set on top of ours. */
export interface Launch {
  args: string[];
  env?: Record<string, string>;
}

/** Where clusters keep their state unless told otherwise. */
export function defaultClusterDir(name: string): string {
  return path.join(
    process.env.NOMAD_OPERATOR_CLUSTERS_DIR ?? path.join(repoRoot, '.local', 'clusters'),
    name,
  );
}

/** A component that failed to start: names it and carries the tail of its log. */
export class ComponentError extends Error {
  readonly component: Component | 'build' | 'node';
  constructor(component: Component | 'build' | 'node', message: string, logTail = '') {
    super(
      `${component}: ${message}${logTail ? `\n--- last lines of the ${component} log ---\n${logTail}` : ''}`,
    );
    this.component = component;
  }
}

export interface UpOptions {
  name?: string;
  dir?: string;
  /** How many kwok nodes (kwok-node-0 … kwok-node-<n-1>); DEFAULT_NODE_COUNT unless given. */
  nodes?: number;
  log?: (line: string) => void;
  /** Extra command-line flags per component (for experiments, and for tests of failed starts). */
  extraArgs?: Partial<Record<Component, string[]>>;
}

/** Worker nodes of a fresh cluster: a small managed cluster's default node pool has three. Tests that
 * depend on the node count (system jobs run one pod per node) read it from the cluster, never assume it. */
export const DEFAULT_NODE_COUNT = 3;

const stateFile = (dir: string) => path.join(dir, 'state.json');

export function readState(dir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Starts the cluster in `dir`, or returns the running one found there. */
export async function up(options: UpOptions = {}): Promise<{ state: ClusterState; reused: boolean }> {
  const name = options.name ?? 'default';
  const dir = path.resolve(options.dir ?? defaultClusterDir(name));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const existing = readState(dir);
  if (existing && (await isHealthy(existing))) return { state: existing, reused: true };
  if (existing) {
    log(`cluster ${name}: found a stale state in ${dir}; cleaning it up`);
    await stopProcesses(existing);
  }

  const binaries = ensureBinaries(log);
  // A port chosen free may be taken by someone else before the component binds it. The
  // component then exits, we notice (we only trust answers from processes we started), and the
  // whole start is retried with fresh ports.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const nodeCount = Math.max(1, options.nodes ?? DEFAULT_NODE_COUNT);
      const state = await start(name, dir, binaries, nodeCount, options.extraArgs ?? {}, log);
      return { state, reused: false };
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
      log(`cluster ${name}: ${error.message}; retrying with other ports`);
    }
  }
  throw lastError;
}

/** Stops every process of the cluster in `dir` and removes its data (logs are kept). */
export async function down(options: { name?: string; dir?: string } = {}): Promise<boolean> {
  const dir = path.resolve(options.dir ?? defaultClusterDir(options.name ?? 'default'));
  const state = readState(dir);
  if (!state) return false;
  await stopProcesses(state);
  rmSync(stateFile(dir), { force: true });
  rmSync(path.join(dir, 'etcd'), { recursive: true, force: true });
  return true;
}

class PortInUseError extends Error {}

async function start(
  name: string,
  dir: string,
  binaries: Binaries,
  nodeCount: number,
  extraArgs: Partial<Record<Component, string[]>>,
  log: (line: string) => void,
): Promise<ClusterState> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'pki'), { recursive: true });
  const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler] = await freePorts(5);
  const state: ClusterState = {
    name,
    dir,
    binDir: binaries.dir,
    server: `https://127.0.0.1:${apiserver}`,
    kubeconfig: path.join(dir, 'kubeconfig'),
    ports: {
      etcdClient: etcdClient!,
      etcdPeer: etcdPeer!,
      apiserver: apiserver!,
      controllerManager: controllerManager!,
      scheduler: scheduler!,
    },
    pids: {},
    startedAt: new Date().toISOString(),
  };
  const saveState = () => writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
  const started = Date.now();
  try {
    // Credentials: the service-account signing key, and a static admin token (system:masters)
    // that every component and the kubeconfig use. TLS serving certs are self-signed by the
    // apiserver into its cert dir.
    const pki = path.join(dir, 'pki');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(path.join(pki, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(path.join(pki, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const token = randomBytes(24).toString('hex');
    writeFileSync(
      path.join(pki, 'tokens.csv'),
      `${token},cluster-admin,cluster-admin-uid,"system:masters"\n`,
      {
        mode: 0o600,
      },
    );

    const run = (component: Component, args: string[], env: Record<string, string> = {}) => {
      const allArgs = [...args, ...(extraArgs[component] ?? [])];
      const child = launch(binaries.path(component), allArgs, path.join(dir, `${component}.log`), {
        ...process.env,
        ...env,
      });
      state.pids[component] = child.pid!;
      state.launches = { ...state.launches, [component]: { args: allArgs, env } };
      saveState();
      return child;
    };

    // etcd
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = run('etcd', [
      '--name=node0',
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=node0=${peerUrl}`,
      '--unsafe-no-fsync=true',
      '--auto-compaction-retention=1',
      '--quota-backend-bytes=2147483648',
      '--log-level=warn',
    ]);
    await waitHealthy('etcd', etcd, dir, () => httpOk(`${etcdUrl}/health`), etcdClient);

    // kube-apiserver
    const certDir = path.join(dir, 'apiserver-certs');
    const apiserverProcess = run('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserver}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${path.join(pki, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${path.join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(pki, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--allow-privileged=true',
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--max-requests-inflight=0',
      '--max-mutating-requests-inflight=0',
    ]);
    await waitHealthy(
      'kube-apiserver',
      apiserverProcess,
      dir,
      () => httpsOk(`${state.server}/readyz`, token),
      apiserver,
    );
    writeFileSync(
      state.kubeconfig,
      kubeconfigYaml(state.server, path.join(certDir, 'apiserver.crt'), token),
      { mode: 0o600 },
    );

    // kube-controller-manager and kube-scheduler
    const componentArgs = (port: number) => [
      `--kubeconfig=${state.kubeconfig}`,
      `--authentication-kubeconfig=${state.kubeconfig}`,
      `--authorization-kubeconfig=${state.kubeconfig}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
    ];
    const kcm = run('kube-controller-manager', [
      ...componentArgs(controllerManager!),
      `--service-account-private-key-file=${path.join(pki, 'sa.key')}`,
      `--root-ca-file=${path.join(certDir, 'apiserver.crt')}`,
      '--node-monitor-period=5s',
      '--node-monitor-grace-period=40s',
    ]);
    const sched = run('kube-scheduler', componentArgs(scheduler!));
    await Promise.all([
      waitHealthy(
        'kube-controller-manager',
        kcm,
        dir,
        () => httpsOk(`https://127.0.0.1:${controllerManager}/healthz`),
        controllerManager,
      ),
      waitHealthy(
        'kube-scheduler',
        sched,
        dir,
        () => httpsOk(`https://127.0.0.1:${scheduler}/healthz`),
        scheduler,
      ),
    ]);

    // kwok: HOME points into the state dir so that a ~/.kwok/kwok.yaml of the user is never loaded.
    writeFileSync(path.join(dir, 'kwok.yaml'), kwokConfig(binaries.kwokStagesDir));
    const kwok = run(
      'kwok',
      [`--kubeconfig=${state.kubeconfig}`, `--config=${path.join(dir, 'kwok.yaml')}`],
      { HOME: dir },
    );

    const kubectl = (...args: Array<string | { stdin: string }>) =>
      runKubectl(binaries.path('kubectl'), state.kubeconfig, args);
    const nodeNames = Array.from({ length: nodeCount }, (_, i) => `kwok-node-${i}`);
    for (const node of nodeNames) kubectl('apply', '-f', '-', { stdin: nodeManifest(node) });
    // Every node Ready before anyone schedules: a test reading the node count sees them all usable.
    await waitHealthy('kwok', kwok, dir, async () => {
      const listed = kubectl(
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      );
      const ready = new Set(
        listed.stdout
          .split('\n')
          .filter((line) => line.endsWith('=True'))
          .map((line) => line.slice(0, -'=True'.length)),
      );
      return listed.ok && nodeNames.every((node) => ready.has(node));
    });
    // Pods are refused until the service-account controller has made the namespace's `default` SA.
    await waitHealthy(
      'kube-controller-manager',
      kcm,
      dir,
      async () => kubectl('get', 'serviceaccount', 'default').ok,
    );

    saveState();
    log(`cluster ${name}: started in ${Math.round((Date.now() - started) / 100) / 10}s (${state.server})`);
    return state;
  } catch (error) {
    await stopProcesses(state);
    throw error;
  }
}

/**
 * Stops one component of a running cluster (SIGTERM, then SIGKILL after 10 s; or SIGKILL at once, as
 * a crash), leaving the others up: fault tests use it to take the kube-apiserver away. The cluster's state keeps the component's
 * command line for startComponent().
 */
export async function stopComponent(
  state: ClusterState,
  component: Component,
  options: { signal?: 'SIGTERM' | 'SIGKILL' } = {},
): Promise<void> {
  const pid = state.pids[component];
  if (!isAlive(pid, state.binDir)) return;
  signal(pid!, options.signal ?? 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && isAlive(pid, state.binDir)) await sleep(50);
  if (isAlive(pid, state.binDir)) signal(pid!, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

/**
 * Freezes (SIGSTOP) or thaws (SIGCONT) one component: a frozen kube-apiserver keeps its port but
 * answers nothing, so clients hang instead of being refused (a partition, an overloaded apiserver).
 */
export function freezeComponent(state: ClusterState, component: Component, frozen: boolean): void {
  const pid = state.pids[component];
  if (isAlive(pid, state.binDir)) signal(pid!, frozen ? 'SIGSTOP' : 'SIGCONT');
}

/**
 * Starts a component stopped by stopComponent() again with the command line it was first started
 * with (same ports, same data), and waits until it is healthy. Only the kube-apiserver and etcd
 * have a health probe here; the others count once they are alive.
 */
export async function startComponent(state: ClusterState, component: Component): Promise<void> {
  if (isAlive(state.pids[component], state.binDir)) return;
  const launched = state.launches?.[component];
  if (!launched) throw new ComponentError(component, 'no recorded command line; restart the cluster');
  const child = launch(
    path.join(state.binDir, component),
    launched.args,
    path.join(state.dir, `${component}.log`),
    {
      ...process.env,
      ...launched.env,
    },
  );
  state.pids[component] = child.pid!;
  writeFileSync(stateFile(state.dir), `${JSON.stringify(state, null, 2)}\n`);
  if (component === 'kube-apiserver') {
    const token = readFileSync(path.join(state.dir, 'pki', 'tokens.csv'), 'utf8').split(',')[0] ?? '';
    await waitHealthy(
      component,
      child,
      state.dir,
      () => httpsOk(`${state.server}/readyz`, token),
      state.ports.apiserver,
    );
  } else if (component === 'etcd') {
    await waitHealthy(
      component,
      child,
      state.dir,
      () => httpOk(`http://127.0.0.1:${state.ports.etcdClient}/health`),
      state.ports.etcdClient,
    );
  } else {
    await waitHealthy(component, child, state.dir, async () => true);
  }
}

/** Components restarted when they exit, as the kubelet restarts a control plane's static pods. */
const supervised: ReadonlySet<Component> = new Set(['kube-controller-manager', 'kube-scheduler']);

// The supervisor: runs the component, starts it again a second after it exits; SIGTERM or SIGINT
// stop it and the component. `$0` is the binary, `$@` its arguments.
const SUPERVISOR = [
  'trap \'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0\' TERM INT',
  'while :; do "$0" "$@" & child=$!; wait "$child"; echo "supervisor: exited with $?, starting again in 1 s"; sleep 1; done',
].join('\n');

function launch(binary: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    // Detached: the cluster outlives `npm run cluster:up`, and each component leads a process
    // group of its own (its supervisor's, with the component in it), which signal() addresses.
    // Output goes straight to the log file.
    const component = path.basename(binary) as Component;
    const [command, argv] = supervised.has(component)
      ? ['/bin/sh', ['-c', SUPERVISOR, binary, ...args]]
      : [binary, args];
    const child = spawn(command, argv, { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

const logTail = (dir: string, component: Component, lines = 25) => {
  try {
    return readFileSync(path.join(dir, `${component}.log`), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
};

/**
 * Waits until `probe` succeeds while `child` is alive. With `port`, the answer only counts once the
 * child itself is listening on that port: a component that lost its port to another program must
 * never pass a health check answered by that program (two clusters never share a component).
 */
async function waitHealthy(
  component: Component,
  child: ChildProcess,
  dir: string,
  probe: () => Promise<boolean>,
  port?: number,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = logTail(dir, component);
      if (/address already in use/i.test(tail)) throw new PortInUseError(`${component}: its port was taken`);
      throw new ComponentError(
        component,
        `exited (${child.exitCode ?? child.signalCode}) before becoming healthy`,
        tail,
      );
    }
    if ((port === undefined || listensOn(child.pid!, port)) && (await probe().catch(() => false))) return;
    await sleep(250);
  }
  throw new ComponentError(component, `not healthy after ${timeoutMs / 1000}s`, logTail(dir, component));
}

/** True when process `pid` holds a TCP socket listening on `port` (Linux /proc). */
export function listensOn(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ... inode (index 9); st 0A = LISTEN
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return false;
  // The process itself, or a child of it (a supervised component runs as its supervisor's child).
  return [pid, ...childrenOf(pid)].some((holder) => {
    try {
      return readdirSync(`/proc/${holder}/fd`).some((fd) => {
        try {
          const target = readlinkSync(`/proc/${holder}/fd/${fd}`);
          return inodes.has(target.slice('socket:['.length, -1));
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function isAlive(pid: number | undefined, binDir?: string): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Guard against a recycled pid: only count processes running one of our binaries (directly, or
  // as the supervisor's argument).
  if (!binDir) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(binDir);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

async function isHealthy(state: ClusterState): Promise<boolean> {
  if (!components.every((c) => isAlive(state.pids[c], state.binDir))) return false;
  const token = readFileSync(path.join(state.dir, 'pki', 'tokens.csv'), 'utf8').split(',')[0] ?? '';
  return httpsOk(`${state.server}/readyz`, token).catch(() => false);
}

async function stopProcesses(state: ClusterState): Promise<void> {
  // Reverse start order: kwok and the controllers first, etcd last.
  const pids = [...components]
    .reverse()
    .map((c) => state.pids[c])
    .filter((pid): pid is number => isAlive(pid, state.binDir));
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && pids.some((pid) => isAlive(pid, state.binDir))) await sleep(100);
  for (const pid of pids) if (isAlive(pid, state.binDir)) signal(pid, 'SIGKILL');
  while (pids.some((pid) => isAlive(pid))) await sleep(50);
}

/** Signals a component's process group: the component, or its supervisor and the component. */
function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Ports that were free a moment ago, all distinct: every listener is held until all are chosen. */
async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function httpsOk(url: string, token?: string): Promise<boolean> {
  return new Promise((resolve) => {
    // Health probes only: the serving certificate is self-signed and the probe proves liveness,
    // not identity (the kubeconfig that clients use pins the CA).
    const req = https.get(
      url,
      {
        timeout: 2000,
        rejectUnauthorized: false,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export function runKubectl(
  kubectl: string,
  kubeconfig: string,
  args: Array<string | { stdin: string }>,
): { ok: boolean; stdout: string; stderr: string } {
  const stdin = args.find((a): a is { stdin: string } => typeof a !== 'string')?.stdin;
  const result = spawnSync(
    kubectl,
    [`--kubeconfig=${kubeconfig}`, ...args.filter((a) => typeof a === 'string')],
    {
      encoding: 'utf8',
      input: stdin,
      timeout: 60_000,
    },
  );
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: cluster-admin
  user:
    token: ${token}
contexts:
- name: local
  context:
    cluster: local
    user: cluster-admin
    namespace: default
current-context: local
`;
}

/** Nodes kwok manages carry this annotation; kwok leaves every other node alone. */
export const kwokNodeAnnotation = 'kwok.x-k8s.io/node';

export function nodeManifest(name: string, labels: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [kwokNodeAnnotation]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...labels,
      },
    },
    // What a managed cluster's node reports (a 100 GB boot disk gives about 90 GiB of allocatable
    // ephemeral storage), so pods requesting ephemeral storage schedule as they would there.
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '90Gi' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' },
    },
  });
}

function kwokConfig(stagesDir: string): string {
  const options = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageAllNodes: false
  manageNodesWithAnnotationSelector: ${kwokNodeAnnotation}=fake
  cidr: 10.244.0.0/16
  nodeIP: 192.0.2.1
  nodeLeaseDurationSeconds: 40
  # The standalone binary does not apply the +default markers of its config type: set them.
  nodeLeaseParallelism: 4
  podPlayStageParallelism: 4
  nodePlayStageParallelism: 4
  podsOnNodeSyncParallelism: 1
  enablePodsOnNodeSyncListPager: true
  enablePodsOnNodeSyncStreamWatch: false
`;
  const stages = [
    'node-initialize',
    'node-heartbeat-with-lease',
    'pod-ready',
    'pod-complete',
    'pod-delete',
  ].map((stage) => {
    const file = path.join(stagesDir, `${stage}.yaml`);
    if (!existsSync(file))
      throw new ComponentError(
        'kwok',
        `stage definition ${file} is missing; rebuild with npm run cluster:build`,
      );
    return readFileSync(file, 'utf8');
  });
  return [options, ...stages].join('\n---\n');
}
