// The translation cases of test/fixtures/translate-cases/ on a real apiserver: every object they
// translate to passes server-side validation (dry-run apply), with the file mounts and update strategy
// the job asks for still in the object the apiserver returns.
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApplier } from '../../src/kube/apply.ts';
import { translate } from '../../src/translate/index.ts';
import { TEMPLATES_CONTAINER, templateCopies } from '../../src/translate/storage.ts';
import { loadCase } from '../fixtures/translate-cases/load.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { ensureJobspecWasm } from '../unit/nomad/hcl/helpers.ts';
import { createTestNamespace, testKubeConfig } from './support/kube.ts';

const kc = testKubeConfig();
const applier = makeApplier(operatorConfig(kc), 'nomad-operator-tests');

let namespace: string;
let removeNamespace: () => Promise<void>;
beforeAll(async () => {
  ensureJobspecWasm();
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'translate-cases'));
}, 600_000);
afterAll(async () => removeNamespace());

describe('translation cases on the apiserver', () => {
  it('edge-stack: proxy template bound at /etc/nginx/nginx.conf, api canary without unavailability', async () => {
    const { objects } = translate(await loadCase('edge-stack'), { namespace });
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Deployment',
      'Service',
      'Service',
    ]);
    const accepted: KubernetesObject[] = [];
    for (const object of objects) accepted.push(await applier.apply(object, { dryRun: true }));

    const deployment = (name: string) =>
      accepted.find((o) => o.kind === 'Deployment' && o.metadata?.name === name) as V1Deployment;
    const proxy = deployment('edge--proxy').spec?.template.spec;
    const nginx = proxy?.containers.find((c) => c.name === 'nginx');
    // The template's file, written into local/ by the templates init container, bound over the image's.
    const mount = nginx?.volumeMounts?.find((m) => m.mountPath === '/etc/nginx/nginx.conf');
    const local = nginx?.volumeMounts?.find((m) => m.mountPath === '/local');
    expect(mount).toEqual({ name: local?.name, mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' });
    const init = proxy?.initContainers?.find((c) => c.name === TEMPLATES_CONTAINER);
    const [written] = templateCopies(init ?? { name: '' });
    expect(written?.destination).toBe('/nomad/tasks/0/local/nginx.conf');
    const from = init?.volumeMounts?.find((m) => written?.source.startsWith(`${m.mountPath}/`));
    const volume = proxy?.volumes?.find((v) => v.name === from?.name);
    const key = written?.source.slice((from?.mountPath.length ?? 0) + 1) ?? '';
    expect(volume?.configMap?.items?.map((i) => i.key)).toContain(key);
    const configMap = accepted.find((o) => o.kind === 'ConfigMap') as V1ConfigMap;
    expect(volume?.configMap?.name).toBe(configMap.metadata?.name);
    expect(configMap.data?.[key]).toContain('proxy_pass http://edge-api:8080;');
    // Services named after the Nomad services, so `edge-api` resolves as the proxy's config expects.
    const services = accepted.filter((o): o is V1Service => o.kind === 'Service');
    expect(services.map((s) => s.metadata?.name).sort()).toEqual(['edge-api', 'edge-proxy']);
    const api = services.find((s) => s.metadata?.name === 'edge-api');
    expect(api?.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([
      [8080, 'api'],
      [8080, 8080],
    ]);
    expect(deployment('edge--api').spec?.template.metadata?.labels).toMatchObject(api?.spec?.selector ?? {});
    expect(deployment('edge--api').spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });
});
