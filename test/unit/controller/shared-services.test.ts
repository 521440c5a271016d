// The pure parts of shared Service ownership (src/controller/shared-services.ts).
import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  adoptPortNumbers,
  appliedKey,
  conflictManagers,
  jobFieldManager,
  withSharedOwnership,
} from '../../../src/controller/shared-services.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';

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
