import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  JobSchema,
  jobFieldPaths,
  jobFields,
  jobJsonSchema,
  nomadRegistry,
  structFieldNames,
  TaskGroupSchema,
} from '../../../src/nomad/schema.ts';
import { parseJobJson } from '../../../src/nomad/validate.ts';
import { documentedJobs } from './samples.ts';

/** Every Nomad api struct's JSON keys, in Go order (test/fixtures/api-samples/appendix-a-struct-fields.json). */
const appendixA = JSON.parse(
  readFileSync(new URL('../../fixtures/api-samples/appendix-a-struct-fields.json', import.meta.url), 'utf8'),
) as { structs: Record<string, { fields: string[] }> };

describe('job schema', () => {
  it.each(documentedJobs())('parses the documented job in $source', ({ job }) => {
    const result = JobSchema.safeParse(job);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('declares every field Appendix A lists for the structs it models, in the same order', () => {
    for (const [name, fields] of Object.entries(structFieldNames)) {
      const documented = appendixA.structs[name];
      if (!documented) continue; // structs Appendix A does not expand (Consul Connect, CSI, …)
      expect(fields, name).toEqual(documented.fields);
    }
  });

  it('models every struct of the job that Appendix A documents', () => {
    const jobStructs = [
      'Job',
      'TaskGroup',
      'Task',
      'Resources',
      'NetworkResource',
      'Port',
      'DNSConfig',
      'Service',
      'ServiceCheck',
      'CheckRestart',
      'UpdateStrategy',
      'MigrateStrategy',
      'PeriodicConfig',
      'ParameterizedJobConfig',
      'DispatchPayloadConfig',
      'RestartPolicy',
      'ReschedulePolicy',
      'DisconnectStrategy',
      'Constraint',
      'Affinity',
      'Spread',
      'SpreadTarget',
      'Template',
      'ChangeScript',
      'WaitConfig',
      'TaskArtifact',
      'TaskLifecycle',
      'VolumeRequest',
      'VolumeMount',
      'EphemeralDisk',
      'LogConfig',
      'ScalingPolicy',
      'Multiregion',
      'MultiregionStrategy',
      'MultiregionRegion',
      'JobUIConfig',
      'JobUILink',
      'JobVersionTag',
      'Vault',
      'Secret',
      'WorkloadIdentity',
      'RequestedDevice',
      'NUMAResource',
      'CNIConfig',
      'Consul',
      'Action',
    ];
    for (const name of jobStructs) {
      expect(appendixA.structs[name], `${name} in Appendix A`).toBeDefined();
      expect(structFieldNames[name], `${name} in the schema`).toBeDefined();
    }
  });

  it('accepts null for every field of every struct', () => {
    // One job per struct reachable from Job, with that struct present and every field of it null.
    const structPaths = jobFields.filter((f) => f.holds !== undefined);
    for (const field of structPaths) {
      const names = structFieldNames[field.holds ?? ''] ?? [];
      const allNull = Object.fromEntries(names.map((n) => [n, null]));
      // Reach into the element of a list field, or the value of a map field.
      const suffix = field.goType.startsWith('[]') ? '[]' : field.goType.startsWith('map[') ? '.*' : '';
      const job = buildAt(field.path + suffix, allNull);
      const result = parseJobJson(job);
      expect(result, field.path).toMatchObject({ ok: true });
    }
    const topLevel = Object.fromEntries((structFieldNames.Job ?? []).map((n) => [n, null]));
    expect(parseJobJson(topLevel)).toEqual({ ok: true, job: {} });
  });

  it('keeps keys it does not know, at every level', () => {
    const result = parseJobJson({
      ID: 'x',
      VaultToken: '',
      TaskGroups: [
        { Name: 'g', FutureField: { a: [1, null] }, Tasks: [{ Name: 't', Resources: { Extra: 7 } }] },
      ],
    });
    expect(result).toEqual({
      ok: true,
      job: {
        ID: 'x',
        VaultToken: '',
        TaskGroups: [
          { Name: 'g', FutureField: { a: [1, null] }, Tasks: [{ Name: 't', Resources: { Extra: 7 } }] },
        ],
      },
    });
  });

  it('rejects fractions and out-of-range values where Go has integers', () => {
    const result = parseJobJson({
      Priority: 50.5,
      Version: -1,
      TaskGroups: [
        {
          Count: 1e20,
          Affinities: [{ Weight: 200 }],
          Tasks: [{ Name: 'a' }, { Name: 'b', KillTimeout: 1.5, Resources: { CPU: 0.5 } }],
        },
      ],
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : [...result.errors].sort()).toEqual([
      'Priority: expected integer',
      'TaskGroups[0].Affinities[0].Weight: expected integer between -128 and 127 (Go int8)',
      'TaskGroups[0].Count: expected integer between -9223372036854775808 and 9223372036854775807 (Go int)',
      'TaskGroups[0].Tasks[1].KillTimeout: expected integer',
      'TaskGroups[0].Tasks[1].Resources.CPU: expected integer',
      'Version: expected non-negative integer (Go uint64)',
    ]);
  });

  it('accepts int64 values beyond 2^53, such as nanosecond timestamps', () => {
    expect(parseJobJson({ SubmitTime: 1608304897537638400 })).toEqual({
      ok: true,
      job: { SubmitTime: 1608304897537638400 },
    });
  });

  it('names the expected and received JSON types', () => {
    const result = parseJobJson({
      ID: 7,
      AllAtOnce: 'yes',
      Datacenters: 'dc1',
      Meta: { a: 1 },
      TaskGroups: [null],
      Payload: 'not base64!',
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : [...result.errors].sort()).toEqual([
      'AllAtOnce: expected boolean, received string',
      'Datacenters: expected array of strings, received string',
      'ID: expected string, received number',
      'Meta.a: expected string, received number',
      'Payload: expected base64-encoded bytes',
      'TaskGroups[0]: expected object, received null',
    ]);
  });

  it('lists every field path, once each', () => {
    expect(new Set(jobFieldPaths).size).toBe(jobFieldPaths.length);
    expect(jobFieldPaths).toContain('TaskGroups[].Tasks[].Resources.CPU');
    expect(jobFieldPaths).toContain('TaskGroups[].Volumes.*.MountOptions.FSType');
    expect(jobFieldPaths).toContain(
      'TaskGroups[].Services[].Connect.SidecarService.Proxy.Upstreams[].MeshGateway.Mode',
    );
    const cpu = jobFields.find((f) => f.path === 'TaskGroups[].Tasks[].KillTimeout');
    expect(cpu).toEqual({
      path: 'TaskGroups[].Tasks[].KillTimeout',
      struct: 'Task',
      name: 'KillTimeout',
      goType: 'time.Duration',
    });
    const networks = jobFields.find((f) => f.path === 'TaskGroups[].Networks');
    expect(networks).toMatchObject({ goType: '[]NetworkResource', holds: 'NetworkResource' });
  });

  it('converts to JSON Schema with one definition per struct', () => {
    for (const io of ['input', 'output'] as const) {
      const schema = jobJsonSchema(io) as { $ref: string; $defs: Record<string, { properties: object }> };
      expect(schema.$ref).toBe('#/$defs/Job');
      expect(Object.keys(schema.$defs).sort()).toEqual(Object.keys(structFieldNames).sort());
      expect(Object.keys(schema.$defs.TaskGroup?.properties ?? {})).toEqual(structFieldNames.TaskGroup);
    }
    expect(nomadRegistry.get(TaskGroupSchema)?.id).toBe('TaskGroup');
    // Plain zod conversion, as another module might call it, works too.
    for (const io of ['input', 'output'] as const) {
      expect(() => z.toJSONSchema(JobSchema, { io })).not.toThrow();
    }
  });
});

/** `{TaskGroups: [{Tasks: [{Resources: value}]}]}` for the path `TaskGroups[].Tasks[].Resources`. */
function buildAt(path: string, value: unknown): unknown {
  const parts = path.match(/[^.[\]]+|\[\]/g) ?? [];
  let built: unknown = value;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] ?? '';
    if (part === '[]') built = [built];
    else if (part === '*') built = { key: built };
    else built = { [part]: built };
  }
  return built;
}
