// The pure parts of shared Service ownership (src/controller/shared-services.ts).
import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  adoptPortNumbers,
  agreeNotReadyAddresses,
  appliedKey,
  conflictFields,
  conflictManagers,
  jobFieldManager,
  publishNotReadyKey,
  reconcileSharedServices,
  withSharedOwnership,
} from '../../../src/controller/shared-services.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { WriteError } from '../../../src/kube/writer.ts';
import { MemoryCluster } from './support/memory-cluster.ts';

const owner = {
  apiVersion: 'nomadoperator.dev/v1alpha1',
  kind: 'NomadJob',
  metadata: { name: 'alpha', namespace: 'apps', uid: 'uid-alpha' },
} as NomadJobObject;

const service = (ports: { name: string; port: number }[]): V1Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'api', namespace: 'apps', labels: { 'nomadoperator.dev/service': 'api' } },
  spec: { selector: { x: 'true' }, ports: ports.map((p) => ({ ...p, targetPort: p.name, protocol: 'TCP' })) },
});

describe('shared Service ownership', () => {
  it('adds the job as a non-controller owner and a per-job hash of its intent', () => {
    const object = withSharedOwnership(service([{ name: 'http', port: 80 }]), owner);
    expect(object.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'nomadoperator.dev/v1alpha1',
        kind: 'NomadJob',
        name: 'alpha',
        uid: 'uid-alpha',
        controller: false,
      },
    ]);
    const hash = object.metadata?.annotations?.[appliedKey('alpha')];
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    // The same intent, the same hash; another intent, another one.
    expect(withSharedOwnership(service([{ name: 'http', port: 80 }]), owner).metadata?.annotations).toEqual(
      object.metadata?.annotations,
    );
    expect(
      withSharedOwnership(service([{ name: 'http', port: 81 }]), owner).metadata?.annotations?.[
        appliedKey('alpha')
      ],
    ).not.toBe(hash);
    expect(jobFieldManager('alpha')).toBe('nomad-operator/job/alpha');
    expect(appliedKey('a-45-character-job-name-is-the-longest-one-xy')).toMatch(
      /^applied\.nomadoperator\.dev\/[a-z0-9-]{1,63}$/,
    );
  });

  it('keeps the port number another job already serves a label on', () => {
    const desired = service([
      { name: 'http', port: 9090 },
      { name: 'grpc', port: 9091 },
    ]);
    const live = service([{ name: 'http', port: 8080 }]);
    expect(adoptPortNumbers(desired, live)).toEqual([{ name: 'http', number: 8080, wanted: 9090 }]);
    expect(desired.spec?.ports?.map((p) => [p.name, p.port])).toEqual([
      ['http', 8080],
      ['grpc', 9091],
    ]);
    // Never onto a number another port of the intent uses.
    const clash = service([
      { name: 'http', port: 9090 },
      { name: 'admin', port: 8080 },
    ]);
    expect(adoptPortNumbers(clash, live)).toEqual([]);
    // A port and its UDP twin move together (the same number for two protocols is no clash), and the
    // twin keeps the container port the Service already sends it to.
    const twins = (port: number, container: number): V1Service => ({
      ...service([{ name: 'http', port }]),
      spec: {
        selector: { x: 'true' },
        ports: [
          { name: 'http', port, targetPort: 'http', protocol: 'TCP' },
          { name: 'http-udp', port, targetPort: container, protocol: 'UDP' },
        ],
      },
    });
    const wanted = twins(9090, 9090);
    expect(adoptPortNumbers(wanted, twins(8080, 8080))).toEqual([
      { name: 'http', number: 8080, wanted: 9090 },
      { name: 'http-udp', number: 8080, wanted: 9090, target: true },
    ]);
    expect(wanted.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([
      [8080, 'http'],
      [8080, 8080],
    ]);
    // A live Service without twins (written before them): the twin still follows its TCP port.
    const fresh = twins(9090, 9090);
    expect(adoptPortNumbers(fresh, service([{ name: 'http', port: 8080 }]))).toEqual([
      { name: 'http', number: 8080, wanted: 9090 },
    ]);
    expect(fresh.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([
      [8080, 'http'],
      [8080, 9090],
    ]);
  });

  it('reads the managers of a server-side apply conflict', () => {
    const conflict = {
      code: 409,
      body: JSON.stringify({
        kind: 'Status',
        reason: 'Conflict',
        details: {
          causes: [
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "nomad-operator/job/beta" using v1',
              field: '.metadata.annotations',
            },
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "kubectl" using v1',
              field: '.spec.selector',
            },
          ],
        },
      }),
    };
    expect(conflictManagers(conflict)).toEqual(['nomad-operator/job/beta', 'kubectl']);
    expect(conflictManagers({ code: 409, body: 'not json' })).toBeUndefined();
    expect(
      conflictManagers({ code: 409, body: '{"details":{"causes":[{"message":"other"}]}}' }),
    ).toBeUndefined();
  });
});

describe('publishNotReadyAddresses of a shared Service', () => {
  /** A Service as job `alpha` declares it, wanting `wish` (undefined: no opinion). */
  const wanting = (wish?: boolean): V1Service => {
    const s = service([{ name: 'transport', port: 9300 }]);
    if (wish !== undefined && s.spec) s.spec.publishNotReadyAddresses = wish;
    return s;
  };
  /** The live Service, owned by `owners`, with their recorded wishes. */
  const live = (owners: string[], wishes: Record<string, boolean>, value?: boolean): V1Service => {
    const s = service([{ name: 'transport', port: 9300 }]);
    s.metadata = {
      ...s.metadata,
      ownerReferences: owners.map((name) => ({
        apiVersion: 'nomadoperator.dev/v1alpha1',
        kind: 'NomadJob',
        name,
        uid: `uid-${name}`,
        controller: false,
      })),
      annotations: Object.fromEntries(
        Object.entries(wishes).map(([job, wish]) => [publishNotReadyKey(job), String(wish)]),
      ),
    };
    if (value !== undefined && s.spec) s.spec.publishNotReadyAddresses = value;
    return s;
  };

  it('records the job’s wish and applies it when no other job has one', () => {
    const desired = wanting(true);
    expect(agreeNotReadyAddresses(desired, undefined, 'alpha')).toEqual({
      wanted: true,
      agreed: true,
      holdouts: [],
    });
    expect(desired.spec?.publishNotReadyAddresses).toBe(true);
    expect(desired.metadata?.annotations?.[publishNotReadyKey('alpha')]).toBe('true');
    expect(publishNotReadyKey('alpha')).toBe('publish-not-ready.nomadoperator.dev/alpha');
  });

  it('is true only when every owning job that has a wish wants true', () => {
    // beta registers the service with checks: its not-ready pods must not get traffic.
    const desired = wanting(true);
    expect(agreeNotReadyAddresses(desired, live(['alpha', 'beta'], { beta: false }), 'alpha')).toEqual({
      wanted: true,
      agreed: false,
      holdouts: ['beta'],
    });
    expect(desired.spec?.publishNotReadyAddresses).toBe(false);
    // Alpha's own wish is still recorded, so that it counts once beta is gone.
    expect(desired.metadata?.annotations?.[publishNotReadyKey('alpha')]).toBe('true');
    // The other way round: beta's false wins over alpha's true.
    const checked = wanting(false);
    expect(agreeNotReadyAddresses(checked, live(['alpha', 'beta'], { alpha: true }, true), 'beta')).toEqual({
      wanted: false,
      agreed: false,
      holdouts: [],
    });
    expect(checked.spec?.publishNotReadyAddresses).toBe(false);
  });

  it('keys a long NomadJob name (kubectl allows 253 characters) within the 63 an annotation name holds', () => {
    const long = `${'x'.repeat(70)}.example-job`;
    const other = `${'x'.repeat(70)}.example-job2`;
    for (const key of [appliedKey(long), publishNotReadyKey(long)]) {
      const name = key.slice(key.indexOf('/') + 1);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    }
    // Two names alike in their first 45 characters get two keys.
    expect(appliedKey(long)).not.toBe(appliedKey(other));
    // The other owner's wish is read back under its key.
    const desired = wanting(true);
    expect(agreeNotReadyAddresses(desired, live([long, other], { [other]: false }), long)).toEqual({
      wanted: true,
      agreed: false,
      holdouts: [other],
    });
  });

  it('ignores the wish of a job that no longer owns the Service, and follows the others without one', () => {
    // gamma was deleted without releasing: its annotation stays, its ownerReference does not.
    const desired = wanting(true);
    expect(agreeNotReadyAddresses(desired, live(['alpha'], { gamma: false }), 'alpha').agreed).toBe(true);
    // A job without a wish (pods without probes) applies what the others agreed on…
    const indifferent = wanting();
    expect(
      agreeNotReadyAddresses(indifferent, live(['alpha', 'beta'], { beta: true }, true), 'alpha'),
    ).toEqual({
      agreed: true,
      holdouts: [],
    });
    expect(indifferent.spec?.publishNotReadyAddresses).toBe(true);
    expect(indifferent.metadata?.annotations?.[publishNotReadyKey('alpha')]).toBeUndefined();
    // …and leaves the field alone when nobody has one.
    const nobody = wanting();
    expect(agreeNotReadyAddresses(nobody, live(['alpha'], {}), 'alpha')).toEqual({ holdouts: [] });
    expect(nobody.spec).not.toHaveProperty('publishNotReadyAddresses');
  });

  it('reads the fields of a server-side apply conflict', () => {
    const conflict = (fields: (string | undefined)[]) => ({
      code: 409,
      body: JSON.stringify({
        details: {
          causes: fields.map((field) => ({ message: 'conflict with "nomad-operator/job/beta"', field })),
        },
      }),
    });
    expect(conflictFields(conflict(['.spec.publishNotReadyAddresses']))).toEqual([
      '.spec.publishNotReadyAddresses',
    ]);
    expect(conflictFields(conflict([undefined]))).toBeUndefined();
    expect(conflictFields({ code: 409, body: 'not json' })).toBeUndefined();
  });

  describe('reconcileSharedServices', () => {
    const alpha = { ...owner, metadata: { ...owner.metadata, uid: 'uid-alpha' } } as NomadJobObject;
    const events = (cluster: MemoryCluster) =>
      cluster.writes.flatMap((w) => (w.verb === 'event' ? [`${w.type} ${w.reason}`] : []));
    const applies = (cluster: MemoryCluster) =>
      cluster.writes.flatMap((w) => (w.verb === 'apply' ? [w] : []));

    it('applies the agreed value and tells a job that wanted true why it is not', async () => {
      const cluster = new MemoryCluster();
      cluster.put(live(['beta'], { beta: false }, false));
      await reconcileSharedServices(alpha, [wanting(true)], cluster.view, cluster.writer);
      const [apply] = applies(cluster);
      const spec = (apply?.object as V1Service | undefined)?.spec;
      expect(spec?.publishNotReadyAddresses).toBe(false);
      expect(apply?.object.metadata?.annotations?.[publishNotReadyKey('alpha')]).toBe('true');
      expect(events(cluster)).toEqual(['Normal Updated', 'Warning ServiceReadiness']);
      expect(cluster.writes.find((w) => w.verb === 'event' && w.reason === 'ServiceReadiness')).toMatchObject(
        {
          message: expect.stringContaining(
            'also selects the pods of job(s) beta, which register the service with checks',
          ),
        },
      );
    });

    it('moves a field another job set to the agreed value without a conflict event', async () => {
      const cluster = new MemoryCluster();
      cluster.put(live(['alpha', 'beta'], { beta: true }, true));
      const writer = { ...cluster.writer };
      let refused = false;
      const forced: (boolean | undefined)[] = [];
      writer.apply = async (object, options) => {
        forced.push(options?.force);
        if (!options?.force && !refused) {
          refused = true;
          throw new WriteError(
            'conflict',
            'Apply failed with 1 conflict',
            409,
            JSON.stringify({
              details: {
                causes: [
                  {
                    reason: 'FieldManagerConflict',
                    message: 'conflict with "nomad-operator/job/beta" using v1',
                    field: '.spec.publishNotReadyAddresses',
                  },
                ],
              },
            }),
          );
        }
        return cluster.writer.apply(object, options);
      };
      await reconcileSharedServices(alpha, [wanting(false)], cluster.view, writer);
      expect(forced).toEqual([false, true]);
      expect(cluster.get<V1Service>('Service', 'apps', 'api')?.spec?.publishNotReadyAddresses).toBe(false);
      expect(events(cluster)).toEqual(['Normal Updated']);
    });

    it('re-applies when another job moved the field, even if its own intent is unchanged', async () => {
      const cluster = new MemoryCluster();
      await reconcileSharedServices(alpha, [wanting(true)], cluster.view, cluster.writer);
      expect(applies(cluster)).toHaveLength(1);
      // Unchanged: nothing to do.
      await reconcileSharedServices(alpha, [wanting(true)], cluster.view, cluster.writer);
      expect(applies(cluster)).toHaveLength(1);
      // A job with checks came and went, leaving the field false (its own value, released).
      const moved = cluster.get<V1Service>('Service', 'apps', 'api') as V1Service;
      cluster.put({ ...moved, spec: { ...moved.spec, publishNotReadyAddresses: false } });
      await reconcileSharedServices(alpha, [wanting(true)], cluster.view, cluster.writer);
      expect(applies(cluster)).toHaveLength(2);
      expect(cluster.get<V1Service>('Service', 'apps', 'api')?.spec?.publishNotReadyAddresses).toBe(true);
    });
  });
});
