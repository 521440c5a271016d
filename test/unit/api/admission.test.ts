// Jobs that Nomad's HTTP API (the path `nomad job run` takes) accepts are accepted here too, and
// the ones Nomad refuses are refused with Nomad's own message: one case per rule, through the real
// register and validate routes.
import { describe, expect, it } from 'vitest';
import { serviceJob, testApi } from './support.ts';

type Json = Record<string, unknown>;

async function register(job: Json) {
  const { app } = await testApi();
  const reply = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: JSON.stringify({ Job: job }) });
  const validate = await app.inject({
    method: 'PUT',
    url: '/v1/validate/job',
    payload: JSON.stringify({ Job: job }),
  });
  const served = await app.inject({ method: 'GET', url: `/v1/job/${encodeURIComponent(String(job.ID))}` });
  return {
    status: reply.statusCode,
    body: reply.body,
    validationErrors:
      validate.statusCode === 200
        ? (JSON.parse(validate.body) as { ValidationErrors?: string[] | null }).ValidationErrors
        : [validate.body],
    job: served.statusCode === 200 ? (JSON.parse(served.body) as Json) : undefined,
    warnings: [reply, validate].map((r) =>
      r.statusCode === 200 ? (JSON.parse(r.body) as { Warnings: string }).Warnings : r.body,
    ),
  };
}

/** A job with one group (merged over the default `web` group) and its tasks. */
function withGroup(group: Json, extra: Json = {}): Json {
  const base = serviceJob('j', extra);
  const [first] = base.TaskGroups as Json[];
  return { ...base, TaskGroups: [{ ...first, ...group }] };
}

const task = (extra: Json = {}): Json => ({
  Name: 'server',
  Driver: 'docker',
  Config: { image: 'nginx:1.27' },
  ...extra,
});

describe('task resources disk', () => {
  it('is accepted and dropped, as Nomad’s HTTP agent drops it, with a warning saying so', async () => {
    const result = await register(
      withGroup({ Tasks: [task({ Resources: { CPU: 500, MemoryMB: 256, DiskMB: 300 } })] }),
    );
    // Nomad's register and validate answers' Warnings text (nothing for a job that sets no disk).
    const warning =
      "1 warning:\n\n* TaskGroups[0].Tasks[0].Resources.DiskMB: disk = 300 is dropped, as Nomad's HTTP API drops a task's disk (deprecated): size the group's ephemeral_disk instead";
    expect(result.warnings).toEqual([warning, warning]);
    expect((await register(withGroup({ Tasks: [task()] }))).warnings).toEqual(['', '']);
    expect(result.status, result.body).toBe(200);
    expect(result.validationErrors ?? []).toEqual([]);
    const [group] = (result.job?.TaskGroups ?? []) as Json[];
    const [served] = (group?.Tasks ?? []) as Json[];
    expect(served?.Resources).toMatchObject({ CPU: 500, MemoryMB: 256, DiskMB: 0 });
    // The group's ephemeral disk is what sizes the disk.
    expect(group?.EphemeralDisk).toMatchObject({ SizeMB: 300 });
  });
});

describe('Connect gateway groups', () => {
  const gatewayGroup = (gateway: Json, service: Json = {}, network: Json | null = { Mode: 'bridge' }) => ({
    Name: 'gateway',
    Tasks: [],
    ...(network ? { Networks: [network] } : {}),
    Services: [{ Name: 'gw', PortLabel: '8080', Connect: { Gateway: gateway }, ...service }],
  });

  it('accept ingress, terminating and mesh gateways without tasks (Nomad injects the gateway task)', async () => {
    for (const gateway of [
      { Ingress: { Listeners: [{ Port: 8080, Protocol: 'tcp', Services: [{ Name: 'api' }] }] } },
      { Terminating: { Services: [{ Name: 'legacy-db' }] } },
      { Mesh: {} },
    ]) {
      const result = await register(withGroup(gatewayGroup(gateway)));
      expect(result.status, `${JSON.stringify(gateway)}: ${result.body}`).toBe(200);
      expect(result.validationErrors ?? []).toEqual([]);
    }
  });

  it('refuses a gateway group without a network: Nomad’s hook injects nothing there', async () => {
    const result = await register(withGroup(gatewayGroup({ Mesh: {} }, {}, null)));
    expect(result.status).toBe(500);
    expect(result.body).toContain('\t* Missing tasks for task group\n');
  });

  it('refuses a mesh gateway without a port with the Connect hook’s error', async () => {
    const result = await register(withGroup(gatewayGroup({ Mesh: {} }, { PortLabel: '' })));
    expect(result.status).toBe(500);
    expect(result.body).toBe(
      'error in job mutator connect: service.port must be set for mesh gateway service',
    );
  });

  it('still refuses a group with neither tasks nor a gateway', async () => {
    const result = await register(withGroup({ Tasks: [] }));
    expect(result.status).toBe(500);
    expect(result.body).toContain('\t* Missing tasks for task group\n');
  });
});

describe('port to = -1', () => {
  it('is accepted (the host port is mapped to the same port inside the network namespace)', async () => {
    const result = await register(
      withGroup({ Networks: [{ Mode: 'bridge', DynamicPorts: [{ Label: 'http', To: -1 }] }] }),
    );
    expect(result.status, result.body).toBe(200);
  });

  it('below -1 is refused with Nomad’s message', async () => {
    const result = await register(withGroup({ Networks: [{ DynamicPorts: [{ Label: 'http', To: -2 }] }] }));
    expect(result.status).toBe(500);
    expect(result.body).toContain('\t* Port "http" cannot be mapped to negative value -2\n');
  });
});

describe('max_run_duration', () => {
  const batch = (group: Json) => withGroup(group, { Type: 'batch' });

  it('unset (null, as GET prints it) is accepted for every job type', async () => {
    for (const type of ['service', 'batch']) {
      const result = await register(withGroup({ MaxRunDuration: null, ShutdownDelay: null }, { Type: type }));
      expect(result.status, `${type}: ${result.body}`).toBe(200);
    }
  });

  it('is accepted on batch jobs', async () => {
    const result = await register(batch({ MaxRunDuration: 3600e9 }));
    expect(result.status, result.body).toBe(200);
    expect(((result.job?.TaskGroups ?? []) as Json[])[0]?.MaxRunDuration).toBe(3600e9);
  });

  it('zero is refused, as by Nomad (only null means unset)', async () => {
    const result = await register(batch({ MaxRunDuration: 0 }));
    expect(result.status).toBe(500);
    expect(result.body).toContain('\t* MaxRunDuration must be greater than zero\n');
  });

  it('on a service job is refused', async () => {
    const result = await register(withGroup({ MaxRunDuration: 60e9 }));
    expect(result.status).toBe(500);
    expect(result.body).toContain('\t* Job type "service" does not allow max_run_duration\n');
  });
});

describe('group volumes', () => {
  const mounting = (volume: Json) =>
    withGroup({
      Volumes: { data: { Name: 'data', Source: 'data', ...volume } },
      Tasks: [task({ VolumeMounts: [{ Volume: 'data', Destination: '/data' }] })],
    });

  it('of type host or csi are accepted', async () => {
    // The group runs several allocations: a CSI volume shared by all of them needs a multi-node mode.
    const modes: Record<string, string> = { host: 'single-node-writer', csi: 'multi-node-multi-writer' };
    for (const Type of ['host', 'csi']) {
      const result = await register(
        mounting({ Type, AccessMode: modes[Type], AttachmentMode: 'file-system' }),
      );
      expect(result.status, `${Type}: ${result.body}`).toBe(200);
    }
  });

  it('of another type are dropped as by Nomad’s HTTP agent, so mounting one is refused', async () => {
    const result = await register(mounting({}));
    expect(result.status).toBe(500);
    expect(result.body).toContain('\t* Volume Mount (0) references undefined volume data\n');
  });
});
