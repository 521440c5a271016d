// How the product finds its cluster, and who it is there, in controller-runtime's order: the
// kubeconfig given (--kubeconfig; src/config.ts also takes KUBECONFIG for it), else the files of
// KUBECONFIG, else the pod's service account (in-cluster), else ~/.kube/config. A list of files
// (KUBECONFIG's colon-separated form) is merged as kubectl merges it: the first definition of a name
// and the first current-context win. This replaces client-node's loader: importing client-node's
// values costs about 80 MiB of resident memory (docs/performance.md).
//
// A kubeconfig is untrusted input: it is parsed with zod, relative paths are resolved against the
// file that holds them (as kubectl does), and what this loader cannot honour is refused with an error
// naming it (legacy auth-provider plugins, impersonation, proxies) rather than silently ignored.
// Credentials that change while the process runs (a bound service-account token, an exec plugin's
// short-lived token) are resolved per request by credentials.ts.
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { z } from 'zod';
import {
  type Authentication,
  CredentialSource,
  type ExecConfig,
  type UserCredentials,
} from './credentials.ts';

/** Where the apiserver is and how its certificate is checked. */
export interface ClusterTls {
  /** PEM of the CA bundle (certificate-authority-data), or the file holding it. */
  caData?: Buffer;
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  /** The name the server certificate is checked against, when not the server's host. */
  tlsServerName?: string;
}

export interface KubeConfigSettings {
  /** The apiserver's base URL, e.g. `https://10.0.0.1:443`. */
  server: string;
  /** The context's namespace. Default `default`. */
  namespace?: string;
  /** Which context (or `in-cluster`) this came from, for messages. */
  contextName?: string;
  tls?: ClusterTls;
  user?: UserCredentials;
}

/** A resolved cluster, namespace and identity: what every request of src/kube/client.ts uses. */
export class KubeConfig {
  readonly server: string;
  readonly namespace: string;
  readonly contextName: string;
  readonly tls: Readonly<ClusterTls>;
  readonly #credentials: CredentialSource;

  constructor(settings: KubeConfigSettings) {
    let url: URL;
    try {
      url = new URL(settings.server);
    } catch {
      throw new Error(`kubeconfig: cluster server ${JSON.stringify(settings.server)} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`kubeconfig: cluster server ${settings.server} is neither https nor http`);
    this.server = settings.server.replace(/\/+$/u, '');
    this.namespace = settings.namespace || 'default';
    this.contextName = settings.contextName ?? '';
    this.tls = { ...settings.tls };
    this.#credentials = new CredentialSource(settings.user ?? {}, this.server);
  }

  /** The headers and client certificate of the next request (tokens re-read, exec plugins cached). */
  authenticate(): Promise<Authentication> {
    return this.#credentials.authenticate();
  }

  /** The apiserver answered 401: credentials that can be renewed (exec, token file) are, next time. */
  credentialsRejected(): void {
    this.#credentials.forget();
  }
}

// --- the kubeconfig file format ------------------------------------------------------------------

const clusterSchema = z.looseObject({
  server: z.string().min(1),
  'certificate-authority': z.string().nullish(),
  'certificate-authority-data': z.string().nullish(),
  'insecure-skip-tls-verify': z.boolean().nullish(),
  'tls-server-name': z.string().nullish(),
  'proxy-url': z.string().nullish(),
});

const execSchema = z.looseObject({
  apiVersion: z.string().min(1),
  command: z.string().min(1),
  args: z.array(z.string()).nullish(),
  env: z.array(z.object({ name: z.string().min(1), value: z.string() })).nullish(),
  installHint: z.string().nullish(),
  // Sending the cluster's details to the plugin (KUBERNETES_EXEC_INFO's spec.cluster) is not
  // implemented; plugins that need it (rare: ones keyed on the cluster's CA or server) fail with
  // their own message. The flag is accepted so that kubeconfigs written for kubectl still load.
  provideClusterInfo: z.boolean().nullish(),
  interactiveMode: z.string().nullish(),
});

const userSchema = z.looseObject({
  'client-certificate': z.string().nullish(),
  'client-certificate-data': z.string().nullish(),
  'client-key': z.string().nullish(),
  'client-key-data': z.string().nullish(),
  token: z.string().nullish(),
  tokenFile: z.string().nullish(),
  username: z.string().nullish(),
  password: z.string().nullish(),
  exec: execSchema.nullish(),
  'auth-provider': z.looseObject({ name: z.string() }).nullish(),
  as: z.string().nullish(),
  'as-groups': z.array(z.string()).nullish(),
});

const contextSchema = z.looseObject({
  cluster: z.string().min(1),
  user: z.string().nullish(),
  namespace: z.string().nullish(),
});

const kubeconfigSchema = z.looseObject({
  'current-context': z.string().nullish(),
  clusters: z.array(z.object({ name: z.string().min(1), cluster: clusterSchema })).nullish(),
  users: z.array(z.object({ name: z.string().min(1), user: userSchema })).nullish(),
  contexts: z.array(z.object({ name: z.string().min(1), context: contextSchema })).nullish(),
});

type ClusterEntry = z.infer<typeof clusterSchema>;
type UserEntry = z.infer<typeof userSchema>;
type ContextEntry = z.infer<typeof contextSchema>;

/** Entries of one or more files, each remembering the directory its relative paths are relative to. */
interface Merged {
  currentContext: string | undefined;
  clusters: Map<string, { entry: ClusterEntry; dir: string }>;
  users: Map<string, { entry: UserEntry; dir: string }>;
  contexts: Map<string, ContextEntry>;
  files: string[];
}

function parseFile(file: string, text: string): z.infer<typeof kubeconfigSchema> {
  let document: unknown;
  try {
    document = yaml.load(text) ?? {};
  } catch (error) {
    throw new Error(`kubeconfig ${file}: not YAML: ${(error as Error).message}`);
  }
  const parsed = kubeconfigSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `kubeconfig ${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** Adds a file's entries; names already defined (by an earlier file) keep their first definition. */
function mergeInto(merged: Merged, file: string, text: string): void {
  const config = parseFile(file, text);
  const dir = dirname(resolve(file));
  merged.files.push(file);
  merged.currentContext ||= config['current-context'] || undefined;
  for (const { name, cluster } of config.clusters ?? [])
    if (!merged.clusters.has(name)) merged.clusters.set(name, { entry: cluster, dir });
  for (const { name, user } of config.users ?? [])
    if (!merged.users.has(name)) merged.users.set(name, { entry: user, dir });
  for (const { name, context } of config.contexts ?? [])
    if (!merged.contexts.has(name)) merged.contexts.set(name, context);
}

const relativeTo = (dir: string, path: string | null | undefined) =>
  path === undefined || path === null || path === '' ? undefined : isAbsolute(path) ? path : join(dir, path);

const base64 = (field: string, value: string | null | undefined) => {
  if (value === undefined || value === null || value === '') return undefined;
  if (!/^[A-Za-z0-9+/=\s]*$/u.test(value)) throw new Error(`kubeconfig: ${field} is not base64`);
  return Buffer.from(value, 'base64');
};

function userCredentials(name: string, entry: UserEntry, dir: string): UserCredentials {
  const authProvider = entry['auth-provider'];
  if (authProvider)
    throw new Error(
      `kubeconfig user ${name}: auth-provider ${JSON.stringify(authProvider.name)} is a legacy plugin nomad-operator does not support; use an exec credential plugin (users[].user.exec) instead`,
    );
  if (entry.as || (entry['as-groups'] ?? []).length > 0)
    throw new Error(`kubeconfig user ${name}: impersonation (as, as-groups) is not supported`);
  const exec = entry.exec;
  let execConfig: ExecConfig | undefined;
  if (exec) {
    // kubectl resolves a relative command that names a path against the kubeconfig's directory; a
    // bare name is looked up on PATH.
    const command =
      exec.command.includes('/') && !isAbsolute(exec.command) ? join(dir, exec.command) : exec.command;
    execConfig = {
      apiVersion: exec.apiVersion,
      command,
      args: exec.args ?? [],
      env: exec.env ?? [],
      ...(exec.installHint ? { installHint: exec.installHint } : {}),
    };
  }
  return {
    ...(entry.token ? { token: entry.token } : {}),
    ...(entry.tokenFile ? { tokenFile: relativeTo(dir, entry.tokenFile) } : {}),
    ...(entry.username || entry.password
      ? { basic: { username: entry.username ?? '', password: entry.password ?? '' } }
      : {}),
    ...(entry['client-certificate-data']
      ? { certData: base64('client-certificate-data', entry['client-certificate-data']) }
      : {}),
    ...(entry['client-certificate'] ? { certFile: relativeTo(dir, entry['client-certificate']) } : {}),
    ...(entry['client-key-data'] ? { keyData: base64('client-key-data', entry['client-key-data']) } : {}),
    ...(entry['client-key'] ? { keyFile: relativeTo(dir, entry['client-key']) } : {}),
    ...(execConfig ? { exec: execConfig } : {}),
  };
}

function fromMerged(merged: Merged): KubeConfig {
  const where = merged.files.join(delimiter);
  const contextName = merged.currentContext;
  if (!contextName) throw new Error(`kubeconfig ${where}: current-context is not set`);
  const context = merged.contexts.get(contextName);
  if (!context) throw new Error(`kubeconfig ${where}: context ${JSON.stringify(contextName)} not found`);
  const cluster = merged.clusters.get(context.cluster);
  if (!cluster) throw new Error(`kubeconfig ${where}: cluster ${JSON.stringify(context.cluster)} not found`);
  if (cluster.entry['proxy-url'])
    throw new Error(`kubeconfig cluster ${context.cluster}: proxy-url is not supported`);
  const user = context.user ? merged.users.get(context.user) : undefined;
  if (context.user && !user)
    throw new Error(`kubeconfig ${where}: user ${JSON.stringify(context.user)} not found`);
  const caData = base64('certificate-authority-data', cluster.entry['certificate-authority-data']);
  const caFile = relativeTo(cluster.dir, cluster.entry['certificate-authority']);
  return new KubeConfig({
    server: cluster.entry.server,
    ...(context.namespace ? { namespace: context.namespace } : {}),
    contextName,
    tls: {
      ...(caData ? { caData } : caFile ? { caFile } : {}),
      ...(cluster.entry['insecure-skip-tls-verify'] ? { insecureSkipTlsVerify: true } : {}),
      ...(cluster.entry['tls-server-name'] ? { tlsServerName: cluster.entry['tls-server-name'] } : {}),
    },
    ...(user ? { user: userCredentials(context.user ?? '', user.entry, user.dir) } : {}),
  });
}

const emptyMerged = (): Merged => ({
  currentContext: undefined,
  clusters: new Map(),
  users: new Map(),
  contexts: new Map(),
  files: [],
});

/** Loads kubeconfig files (the first definition of each name wins; missing files are skipped). */
export function kubeConfigFromFiles(files: readonly string[]): KubeConfig {
  const merged = emptyMerged();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      // kubectl skips a KUBECONFIG entry that does not exist; anything else is an error.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && files.length > 1) continue;
      throw new Error(`kubeconfig ${file}: ${(error as Error).message}`);
    }
    mergeInto(merged, file, text);
  }
  if (merged.files.length === 0) throw new Error(`kubeconfig: none of ${files.join(delimiter)} exists`);
  return fromMerged(merged);
}

/** A kubeconfig document given as text (tests, `--kubeconfig -` style callers). */
export function kubeConfigFromYaml(text: string, baseDir = process.cwd()): KubeConfig {
  const merged = emptyMerged();
  mergeInto(merged, join(baseDir, '(inline)'), text);
  return fromMerged(merged);
}

// --- in-cluster ----------------------------------------------------------------------------------

export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The pod's service account: KUBERNETES_SERVICE_HOST/PORT, the CA and namespace files, and the token
 * FILE (re-read as it rotates: bound tokens live about an hour). Undefined outside a pod.
 */
export function inClusterKubeConfig(
  env: NodeJS.ProcessEnv = process.env,
  dir = serviceAccountDir,
): KubeConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = join(dir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  // As client-node did: the conventional plain-HTTP ports of an apiserver proxy, else TLS.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const namespaceFile = join(dir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  return new KubeConfig({
    server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ...(namespace ? { namespace } : {}),
    contextName: 'in-cluster',
    tls: { caFile: join(dir, 'ca.crt') },
    user: { tokenFile },
  });
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Default: the user's home directory. */
  homeDir?: string;
  /** Default: /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir?: string;
}

/**
 * The kubeconfig of `path` when given (a colon-separated list is merged); else KUBECONFIG's files;
 * else the pod's service account; else ~/.kube/config. Throws, naming what it tried, when there is
 * none.
 */
export function loadKubeConfig(path?: string, options: LoadOptions = {}): KubeConfig {
  const given = (path ?? '').split(delimiter).filter(Boolean);
  if (given.length > 0) return kubeConfigFromFiles(given);
  const env = options.env ?? process.env;
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (listed.length > 0) return kubeConfigFromFiles(listed);
  const inCluster = inClusterKubeConfig(env, options.serviceAccountDir ?? serviceAccountDir);
  if (inCluster) return inCluster;
  const home = options.homeDir ?? homedir();
  const userConfig = home ? join(home, '.kube', 'config') : undefined;
  if (userConfig && existsSync(userConfig)) return kubeConfigFromFiles([userConfig]);
  throw new Error(
    `no kubeconfig: give --kubeconfig, set KUBECONFIG, run in a pod with a service account, or create ${userConfig ?? '~/.kube/config'}`,
  );
}
