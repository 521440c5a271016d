// Plumbing for the chart's integration tests: helm and kubectl (the binaries built with the local
// control plane, inject('binDir')) with a private Helm home, rendering the chart, ServiceAccount
// tokens from the TokenRequest API, and kubeconfigs for them.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { inject } from 'vitest';
import { repoRoot } from '../../support/dockerfile.ts';

export const chartDir = path.join(repoRoot, 'helm', 'nomad-operator');

const helmHome = mkdtempSync(path.join(os.tmpdir(), 'nomad-operator-helm-home-'));

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

function run(binary: string, args: readonly string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          KUBECONFIG: inject('kubeconfig'),
          HELM_CACHE_HOME: path.join(helmHome, 'cache'),
          HELM_CONFIG_HOME: path.join(helmHome, 'config'),
          HELM_DATA_HOME: path.join(helmHome, 'data'),
        },
      },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export const helm = (args: readonly string[], input?: string) =>
  run(path.join(inject('binDir'), 'helm'), args, input);
export const kubectl = (args: readonly string[], input?: string) =>
  run(path.join(inject('binDir'), 'kubectl'), args, input);

/** Fails with the command's output unless it exited 0. */
export function ok(result: Result, what: string): Result {
  if (result.status !== 0)
    throw new Error(`${what} exited ${result.status}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** `helm template` of the chart: the objects, in order. */
export async function renderChart(
  release: string,
  namespace: string,
  set: readonly string[] = [],
  chart = chartDir,
): Promise<KubernetesObject[]> {
  const result = ok(
    await helm(['template', release, chart, '--namespace', namespace, ...set.flatMap((s) => ['--set', s])]),
    'helm template',
  );
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): KubernetesObject[] {
  return (yaml.loadAll(text) as Array<KubernetesObject | null>).filter(
    (o): o is KubernetesObject => o !== null && typeof o === 'object' && typeof o.kind === 'string',
  );
}

export function findObject<T extends KubernetesObject>(
  objects: readonly KubernetesObject[],
  kind: string,
  name?: string,
): T {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered chart`);
  return found as T;
}

/** A token of a ServiceAccount from the TokenRequest API (what a pod's projected token is). */
export async function serviceAccountToken(
  kc: KubeConfig,
  namespace: string,
  name: string,
  expirationSeconds = 3600,
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const response = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
  });
  const token = response.status?.token;
  if (!token) throw new Error(`no token for ${namespace}/${name}`);
  return token;
}

/** A KubeConfig for `server` (the test cluster's, or a local proxy's) authenticating with `token`. */
export function tokenKubeConfig(base: KubeConfig, token: string, server?: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'test',
        server: server ?? cluster.server,
        // client-node accepts plain http only with skipTLSVerify (there is no TLS to verify).
        ...(server
          ? { skipTLSVerify: true }
          : { caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: cluster.skipTLSVerify }),
      },
    ],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: 'test', user: 'sa' }],
    currentContext: 'sa',
  });
  return kc;
}
