// Who the operator is to the apiserver, resolved per request: a static token, a token FILE (re-read
// at most a minute after it changed, as client-go does: a pod's bound service-account token rotates
// about hourly), basic auth, a client certificate (data or files), or an exec credential plugin
// (client.authentication.k8s.io/v1 or v1beta1 ExecCredential: run with its args and env, its answer
// cached until its expirationTimestamp, or until the apiserver answers 401). The plugin's output is
// untrusted input: zod-checked.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string;
}

export interface UserCredentials {
  token?: string;
  tokenFile?: string;
  basic?: { username: string; password: string };
  certData?: Buffer;
  certFile?: string;
  keyData?: Buffer;
  keyFile?: string;
  exec?: ExecConfig;
}

export interface Authentication {
  /** The Authorization header's value, when there is one. */
  authorization?: string;
  /** PEM of the client certificate and its key, when the identity is one. */
  cert?: Buffer;
  key?: Buffer;
  /** Tells client certificates apart (connection pools are per certificate): changes on rotation. */
  certIdentity: string;
}

const supportedExecVersions = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

const execCredentialSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal('ExecCredential'),
  status: z.looseObject({
    token: z.string().optional(),
    clientCertificateData: z.string().optional(),
    clientKeyData: z.string().optional(),
    expirationTimestamp: z.string().optional(),
  }),
});

interface ExecResult {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  /** ms since the epoch; undefined: valid until the apiserver refuses it. */
  expires?: number;
  /** Distinguishes one run's certificate from another's. */
  serial: number;
}

let execRuns = 0;

/** Runs the plugin once and checks its answer. */
export async function runExecPlugin(exec: ExecConfig, timeoutMs = 60_000): Promise<ExecResult> {
  if (!supportedExecVersions.includes(exec.apiVersion))
    throw new Error(
      `exec plugin ${exec.command}: apiVersion ${JSON.stringify(exec.apiVersion)} is not supported (use ${supportedExecVersions.join(' or ')})`,
    );
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const { name, value } of exec.env) env[name] = value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      exec.command,
      exec.args,
      { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true },
      (error, out, err) => {
        if (!error) return resolve(out);
        const hint =
          (error as NodeJS.ErrnoException).code === 'ENOENT' && exec.installHint
            ? `\n${exec.installHint}`
            : '';
        const said = String(err).trim().slice(0, 500);
        reject(
          new Error(`exec plugin ${exec.command} failed: ${error.message}${said ? `: ${said}` : ''}${hint}`),
        );
      },
    );
  });
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    throw new Error(`exec plugin ${exec.command}: its output is not JSON`);
  }
  const parsed = execCredentialSchema.safeParse(document);
  if (!parsed.success)
    throw new Error(
      `exec plugin ${exec.command}: its output is not an ExecCredential (${parsed.error.issues[0]?.message})`,
    );
  const credential = parsed.data;
  if (credential.apiVersion !== exec.apiVersion)
    throw new Error(
      `exec plugin ${exec.command}: answered ${credential.apiVersion}, but the kubeconfig asks for ${exec.apiVersion}`,
    );
  const { token, clientCertificateData, clientKeyData, expirationTimestamp } = credential.status;
  if (Boolean(clientCertificateData) !== Boolean(clientKeyData))
    throw new Error(`exec plugin ${exec.command}: clientCertificateData and clientKeyData come together`);
  if (!token && !clientCertificateData)
    throw new Error(
      `exec plugin ${exec.command}: the ExecCredential holds neither a token nor a client certificate`,
    );
  let expires: number | undefined;
  if (expirationTimestamp) {
    expires = Date.parse(expirationTimestamp);
    if (!Number.isFinite(expires))
      throw new Error(
        `exec plugin ${exec.command}: expirationTimestamp ${JSON.stringify(expirationTimestamp)} is not a time`,
      );
  }
  return {
    ...(token ? { token } : {}),
    ...(clientCertificateData && clientKeyData
      ? { cert: Buffer.from(clientCertificateData), key: Buffer.from(clientKeyData) }
      : {}),
    ...(expires !== undefined ? { expires } : {}),
    serial: ++execRuns,
  };
}

/**
 * A file's content, read again only when its modification time changed, and that checked at most
 * once a second: a rotated certificate or CA is picked up without a stat on every request.
 */
export class WatchedFile {
  readonly path: string;
  readonly #recheckMs: number;
  #checkedAt = 0;
  #mtime = -1;
  #content: Buffer | undefined;
  constructor(path: string, recheckMs = 1_000) {
    this.path = path;
    this.#recheckMs = recheckMs;
  }
  read(now = Date.now()): { content: Buffer; version: number } {
    if (this.#content === undefined || now - this.#checkedAt >= this.#recheckMs) {
      this.#checkedAt = now;
      let mtime: number;
      try {
        mtime = statSync(this.path).mtimeMs;
      } catch (error) {
        if (this.#content) return { content: this.#content, version: this.#mtime };
        throw new Error(`cannot read ${this.path}: ${(error as Error).message}`);
      }
      if (mtime !== this.#mtime || this.#content === undefined) {
        this.#content = readFileSync(this.path);
        this.#mtime = mtime;
      }
    }
    return { content: this.#content, version: this.#mtime };
  }
}

/** How often a token file is read again (client-go's in-cluster config: a minute). */
const tokenFileRefreshMs = 60_000;

export class CredentialSource {
  readonly #user: UserCredentials;
  readonly #server: string;
  readonly #certFile: WatchedFile | undefined;
  readonly #keyFile: WatchedFile | undefined;
  #fileToken: { token: string; readAt: number } | undefined;
  #exec: ExecResult | undefined;
  #execRun: Promise<ExecResult> | undefined;

  constructor(user: UserCredentials, server: string) {
    this.#user = user;
    this.#server = server;
    this.#certFile = !user.certData && user.certFile ? new WatchedFile(user.certFile) : undefined;
    this.#keyFile = !user.keyData && user.keyFile ? new WatchedFile(user.keyFile) : undefined;
  }

  async authenticate(): Promise<Authentication> {
    const user = this.#user;
    const exec = user.exec ? await this.#execCredential(user.exec) : undefined;
    let authorization: string | undefined;
    if (user.token) authorization = `Bearer ${user.token}`;
    else if (user.tokenFile) authorization = `Bearer ${await this.#tokenFromFile(user.tokenFile)}`;
    else if (exec?.token) authorization = `Bearer ${exec.token}`;
    else if (user.basic)
      authorization = `Basic ${Buffer.from(`${user.basic.username}:${user.basic.password}`).toString('base64')}`;
    if (exec?.cert && exec.key)
      return {
        ...(authorization ? { authorization } : {}),
        cert: exec.cert,
        key: exec.key,
        certIdentity: `exec#${exec.serial}`,
      };
    const cert = user.certData ?? this.#certFile?.read();
    const key = user.keyData ?? this.#keyFile?.read();
    if (!cert && !key) return { ...(authorization ? { authorization } : {}), certIdentity: '' };
    if (!cert || !key)
      throw new Error(
        `kubeconfig for ${this.#server}: a client certificate needs its key, and a key its certificate`,
      );
    const content = (part: Buffer | { content: Buffer }) => (Buffer.isBuffer(part) ? part : part.content);
    const version = (part: Buffer | { version: number }, file: string | undefined) =>
      Buffer.isBuffer(part) ? 'data' : `${file}@${part.version}`;
    return {
      ...(authorization ? { authorization } : {}),
      cert: content(cert),
      key: content(key),
      certIdentity: `${version(cert, user.certFile)}|${version(key, user.keyFile)}`,
    };
  }

  /** The apiserver refused the credentials: renewable ones are renewed before the next request. */
  forget(): void {
    this.#exec = undefined;
    this.#fileToken = undefined;
  }

  async #tokenFromFile(file: string): Promise<string> {
    const cached = this.#fileToken;
    if (cached && Date.now() - cached.readAt < tokenFileRefreshMs) return cached.token;
    try {
      const token = (await readFile(file, 'utf8')).trim();
      if (!token) throw new Error('it is empty');
      this.#fileToken = { token, readAt: Date.now() };
      return token;
    } catch (error) {
      // A token being rewritten may be missing for a moment: the last one read is still good.
      if (cached) return cached.token;
      throw new Error(`cannot read the token file ${file}: ${(error as Error).message}`);
    }
  }

  async #execCredential(exec: ExecConfig): Promise<ExecResult> {
    const cached = this.#exec;
    if (cached && (cached.expires === undefined || cached.expires > Date.now())) return cached;
    this.#execRun ??= runExecPlugin(exec).finally(() => {
      this.#execRun = undefined;
    });
    const result = await this.#execRun;
    this.#exec = result;
    return result;
  }
}
