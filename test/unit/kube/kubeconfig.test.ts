// The kubeconfig loader (src/kube/kubeconfig.ts) and the credentials it resolves per request
// (src/kube/credentials.ts), on real files in a temporary directory: tokens, token files, client
// certificates as data and as files, exec credential plugins (a tiny node script), KUBECONFIG's
// merge, the default chain and the in-cluster service account.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { inClusterKubeConfig, kubeConfigFromFiles, loadKubeConfig } from '../../../src/kube/kubeconfig.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
});

const write = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

/** A kubeconfig with one cluster, one user (its fields as given, YAML) and one context. */
const kubeconfig = (user: string, extra = '') => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: ${Buffer.from('CA PEM').toString('base64')}
users:
- name: u
  user:
${user
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
contexts:
- name: x
  context: { cluster: c, user: u, namespace: team }
current-context: x
${extra}`;

describe('loadKubeConfig', () => {
  it('reads the current context: server, namespace, CA data and a static token', async () => {
    const kc = loadKubeConfig(write('config', kubeconfig('token: secret')));
    expect(kc.server).toBe('https://10.0.0.1:6443');
    expect(kc.namespace).toBe('team');
    expect(kc.contextName).toBe('x');
    expect(kc.tls.caData?.toString()).toBe('CA PEM');
    expect(await kc.authenticate()).toEqual({ authorization: 'Bearer secret', certIdentity: '' });
  });

  it('reads a token file relative to the kubeconfig, and reads it again once the token was refused', async () => {
    write('sub/token', 'first\n');
    const kc = loadKubeConfig(write('sub/config', kubeconfig('tokenFile: token')));
    expect((await kc.authenticate()).authorization).toBe('Bearer first');
    write('sub/token', 'second\n');
    // Within the refresh minute the token read stands ...
    expect((await kc.authenticate()).authorization).toBe('Bearer first');
    // ... unless the apiserver refused it.
    kc.credentialsRejected();
    expect((await kc.authenticate()).authorization).toBe('Bearer second');
  });

  it('sends basic auth for username and password', async () => {
    const kc = loadKubeConfig(write('config', kubeconfig('username: ann\npassword: pw')));
    expect((await kc.authenticate()).authorization).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
  });

  it('takes a client certificate and key as data, or from files relative to the kubeconfig', async () => {
    const data = loadKubeConfig(
      write(
        'data',
        kubeconfig(
          `client-certificate-data: ${Buffer.from('CERT').toString('base64')}\nclient-key-data: ${Buffer.from('KEY').toString('base64')}`,
        ),
      ),
    );
    const fromData = await data.authenticate();
    expect([fromData.cert?.toString(), fromData.key?.toString(), fromData.authorization]).toEqual([
      'CERT',
      'KEY',
      undefined,
    ]);

    write('pki/client.crt', 'CERT FILE');
    write('pki/client.key', 'KEY FILE');
    const files = loadKubeConfig(
      write('files', kubeconfig('client-certificate: pki/client.crt\nclient-key: pki/client.key')),
    );
    const fromFiles = await files.authenticate();
    expect([fromFiles.cert?.toString(), fromFiles.key?.toString()]).toEqual(['CERT FILE', 'KEY FILE']);
    expect(fromFiles.certIdentity).toContain(join(dir, 'pki/client.crt'));

    const half = loadKubeConfig(write('half', kubeconfig('client-certificate: pki/client.crt')));
    await expect(half.authenticate()).rejects.toThrow(/needs its key/);
  });

  describe('exec credential plugins', () => {
    /** A plugin that counts its runs in a file and answers with TOKEN_PREFIX, its run and `expires`. */
    const plugin = (apiVersion: string, expires: string | undefined, answerVersion = apiVersion) => {
      const script = write(
        'plugin.mjs',
        `import { appendFileSync, readFileSync } from 'node:fs';
const counter = ${JSON.stringify(join(dir, 'runs'))};
appendFileSync(counter, 'x');
const runs = readFileSync(counter, 'utf8').length;
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
process.stdout.write(JSON.stringify({
  apiVersion: ${JSON.stringify(answerVersion)},
  kind: 'ExecCredential',
  status: {
    token: process.env.TOKEN_PREFIX + '-' + runs + '-' + process.argv[2] + '-' + info.spec.interactive,
    ${expires ? `expirationTimestamp: ${JSON.stringify(expires)},` : ''}
  },
}));
`,
      );
      return kubeconfig(
        `exec:
  apiVersion: ${apiVersion}
  command: ${process.execPath}
  args: [${JSON.stringify(script)}, arg1]
  env:
  - name: TOKEN_PREFIX
    value: tok`,
      );
    };
    const runs = () => readFileSync(join(dir, 'runs'), 'utf8').length;

    it('runs the plugin with its args and env, and caches its token until expirationTimestamp', async () => {
      const kc = loadKubeConfig(
        write('config', plugin('client.authentication.k8s.io/v1', '2999-01-01T00:00:00Z')),
      );
      expect((await kc.authenticate()).authorization).toBe('Bearer tok-1-arg1-false');
      expect((await kc.authenticate()).authorization).toBe('Bearer tok-1-arg1-false');
      expect(runs()).toBe(1);
      // A 401 renews it.
      kc.credentialsRejected();
      expect((await kc.authenticate()).authorization).toBe('Bearer tok-2-arg1-false');
    });

    it('runs it again once its credential expired (v1beta1)', async () => {
      const kc = loadKubeConfig(
        write('config', plugin('client.authentication.k8s.io/v1beta1', '2000-01-01T00:00:00Z')),
      );
      expect((await kc.authenticate()).authorization).toBe('Bearer tok-1-arg1-false');
      expect((await kc.authenticate()).authorization).toBe('Bearer tok-2-arg1-false');
    });

    it('refuses an answer of another apiVersion, and unsupported versions', async () => {
      const mismatched = loadKubeConfig(
        write(
          'config',
          plugin('client.authentication.k8s.io/v1', undefined, 'client.authentication.k8s.io/v1beta1'),
        ),
      );
      await expect(mismatched.authenticate()).rejects.toThrow(
        /answered client.authentication.k8s.io\/v1beta1/,
      );
      const old = loadKubeConfig(write('old', plugin('client.authentication.k8s.io/v1alpha1', undefined)));
      await expect(old.authenticate()).rejects.toThrow(/v1alpha1.*not supported/);
    });
  });

  it('refuses legacy auth-provider plugins and impersonation, naming them', () => {
    expect(() => loadKubeConfig(write('a', kubeconfig('auth-provider:\n  name: gcp\n  config: {}')))).toThrow(
      /auth-provider "gcp" is a legacy plugin .* use an exec credential plugin/,
    );
    expect(() => loadKubeConfig(write('b', kubeconfig('token: t\nas: admin')))).toThrow(/impersonation/);
  });

  it('names what is wrong with a broken kubeconfig', () => {
    expect(() => loadKubeConfig(write('a', 'clusters: 3'))).toThrow(/clusters/);
    expect(() =>
      loadKubeConfig(write('b', kubeconfig('token: t').replace('current-context: x', ''))),
    ).toThrow(/current-context is not set/);
    expect(() =>
      loadKubeConfig(write('c', kubeconfig('token: t').replace('current-context: x', 'current-context: y'))),
    ).toThrow(/context "y" not found/);
    expect(() => loadKubeConfig(join(dir, 'missing'))).toThrow(/missing/);
  });

  it('merges KUBECONFIG files as kubectl does: the first definition of a name and the first current-context win', () => {
    const first = write(
      'first',
      `clusters:
- name: c
  cluster: { server: https://first:6443, insecure-skip-tls-verify: true }
contexts:
- name: a
  context: { cluster: c }
current-context: a
`,
    );
    const second = write(
      'second',
      `clusters:
- name: c
  cluster: { server: https://second:6443 }
- name: d
  cluster: { server: https://d:6443 }
users:
- name: u
  user: { token: from-second }
contexts:
- name: a
  context: { cluster: d, user: u }
- name: b
  context: { cluster: d, user: u }
current-context: b
`,
    );
    const kc = loadKubeConfig(undefined, {
      env: { KUBECONFIG: [join(dir, 'absent'), first, second].join(delimiter) },
      homeDir: dir,
    });
    expect([kc.contextName, kc.server, kc.namespace, kc.tls.insecureSkipTlsVerify]).toEqual([
      'a',
      'https://first:6443',
      'default',
      true,
    ]);
    // Listed the other way round, the second file's current-context and clusters win.
    const merged = kubeConfigFromFiles([second, first]);
    expect([merged.contextName, merged.server]).toEqual(['b', 'https://d:6443']);
  });

  it('falls back to the service account, then to ~/.kube/config, and says so when there is neither', () => {
    const sa = join(dir, 'sa');
    write('sa/token', 'sa-token');
    write('sa/namespace', 'operators');
    write('sa/ca.crt', 'CA');
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const home = join(dir, 'home');
    write('home/.kube/config', kubeconfig('token: t'));
    expect(loadKubeConfig(undefined, { env, homeDir: home, serviceAccountDir: sa }).contextName).toBe(
      'in-cluster',
    );
    expect(loadKubeConfig(undefined, { env: {}, homeDir: home, serviceAccountDir: sa }).server).toBe(
      'https://10.0.0.1:6443',
    );
    expect(() =>
      loadKubeConfig(undefined, { env: {}, homeDir: join(dir, 'nobody'), serviceAccountDir: sa }),
    ).toThrow(/no kubeconfig: give --kubeconfig, set KUBECONFIG/);
  });

  it('merges a colon-separated list given as the kubeconfig (the flag also takes KUBECONFIG)', () => {
    const first = write('first', kubeconfig('token: t'));
    const kc = loadKubeConfig([join(dir, 'absent'), first].join(delimiter));
    expect(kc.server).toBe('https://10.0.0.1:6443');
  });
});

describe('inClusterKubeConfig', () => {
  it("uses the pod's service account: host and port, its CA file, its namespace, its token FILE read again as it rotates", async () => {
    const sa = join(dir, 'sa');
    write('sa/token', 'bound-1');
    write('sa/namespace', 'operators\n');
    write('sa/ca.crt', 'CA');
    const kc = inClusterKubeConfig(
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      sa,
    );
    expect(kc).toBeDefined();
    expect([kc?.server, kc?.namespace, kc?.tls.caFile]).toEqual([
      'https://[fd00::1]:443',
      'operators',
      join(sa, 'ca.crt'),
    ]);
    expect((await kc?.authenticate())?.authorization).toBe('Bearer bound-1');
    write('sa/token', 'bound-2');
    kc?.credentialsRejected();
    expect((await kc?.authenticate())?.authorization).toBe('Bearer bound-2');

    expect(inClusterKubeConfig({}, sa)).toBeUndefined();
    expect(
      inClusterKubeConfig(
        { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443' },
        join(dir, 'none'),
      ),
    ).toBeUndefined();
  });
});
