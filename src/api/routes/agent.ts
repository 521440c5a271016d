// GET /v1/agent/self (minimal): what clients read from it (region, datacenter, name, version).
import type { FastifyInstance } from 'fastify';
import { type ApiDeps, callerOf, sendPlain } from '../http.ts';

/** The Nomad version this API emulates. */
export const NOMAD_VERSION = '1.10.0';

export async function agentRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.get('/v1/agent/self', async (request, reply) => {
    await callerOf(request, deps);
    const region = deps.region ?? 'global';
    const [host = '127.0.0.1', port = '4648'] = (deps.advertise ?? '127.0.0.1:4647').split(':');
    return sendPlain(reply, {
      config: {
        Region: region,
        Datacenter: 'dc1',
        NodeName: 'nomad-operator',
        Version: { Version: NOMAD_VERSION, VersionPrerelease: '', VersionMetadata: '', Revision: '' },
        ACL: { Enabled: true },
        Server: { Enabled: true },
        Client: { Enabled: false },
      },
      member: {
        Name: `nomad-operator.${region}`,
        Addr: host,
        Port: Number(port) || 4648,
        Tags: { region, dc: 'dc1', role: 'nomad', build: NOMAD_VERSION, port: '4647', vsn: '1' },
        Status: 'alive',
        ProtocolMin: 1,
        ProtocolMax: 5,
        ProtocolCur: 2,
        DelegateMin: 2,
        DelegateMax: 5,
        DelegateCur: 4,
      },
      stats: { nomad: { leader: 'true', server: 'true', known_regions: '1' } },
    });
  });
}
