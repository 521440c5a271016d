import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { camelCaseKey, toNomad, toSpec } from '../../../src/crd/codec.ts';
import { unwrapField } from '../../../src/nomad/schema/introspect.ts';
import { JobSchema } from '../../../src/nomad/schema.ts';
import { arbitraryFor } from '../../support/arbitrary-job.ts';
import { documentedJobs } from '../nomad/samples.ts';

const corpusDir = new URL('../../fixtures/jobspecs/', import.meta.url);
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    source: file,
    job: JSON.parse(readFileSync(new URL(file, corpusDir), 'utf8')) as unknown,
  }));

/** What the model makes of a job: nulls read as unset, free-form maps verbatim. */
const modelled = (job: unknown) => JobSchema.parse(job) as Record<string, unknown>;

describe('camelCaseKey', () => {
  it.each([
    ['ID', 'id'],
    ['TaskGroups', 'taskGroups'],
    ['MemoryMB', 'memoryMB'],
    ['CPU', 'cpu'],
    ['TLSSkipVerify', 'tlsSkipVerify'],
    ['GRPCService', 'grpcService'],
    ['LTarget', 'lTarget'],
    ['SELinuxLabel', 'seLinuxLabel'],
    ['MBits', 'mBits'],
    ['IOPS', 'iops'],
    ['ParentID', 'parentID'],
  ])('%s → %s', (key, expected) => {
    expect(camelCaseKey(key)).toBe(expected);
  });
});

describe('NomadJob spec codec', () => {
  it('writes Kubernetes style: camelCase keys, Go duration strings, free-form maps as given', () => {
    const spec = toSpec({
      ID: 'web',
      Type: 'service',
      TaskGroups: [
        {
          Name: 'cache',
          Count: 2,
          Tasks: [
            {
              Name: 'redis',
              Driver: 'docker',
              KillTimeout: 5_000_000_000,
              Config: { image: 'redis:7', Port_Map: [{ db: 6379 }], nothing: null },
              Env: { REDIS_MODE: 'cache' },
              Resources: { CPU: 500, MemoryMB: 256 },
            },
          ],
          RestartPolicy: { Attempts: 2, Interval: 1_800_000_000_000, Delay: 15_000_000_000, Mode: 'fail' },
        },
      ],
      Meta: { Owner: 'team-a' },
    });
    expect(spec).toEqual({
      id: 'web',
      type: 'service',
      taskGroups: [
        {
          name: 'cache',
          count: 2,
          tasks: [
            {
              name: 'redis',
              driver: 'docker',
              killTimeout: '5s',
              config: { image: 'redis:7', Port_Map: [{ db: 6379 }], nothing: null },
              env: { REDIS_MODE: 'cache' },
              resources: { cpu: 500, memoryMB: 256 },
            },
          ],
          restartPolicy: { attempts: 2, interval: '30m0s', delay: '15s', mode: 'fail' },
        },
      ],
      meta: { Owner: 'team-a' },
    });
  });

  it.each(corpus)('round-trips corpus job $source exactly', ({ job }) => {
    expect(toNomad(toSpec(job as Record<string, unknown>))).toEqual({ ok: true, job: modelled(job) });
  });

  it.each(documentedJobs())(
    'round-trips the documented job from $source, less keys the model lacks',
    ({ job }) => {
      const dropped: string[] = [];
      const expected = knownFieldsOnly(modelled(job), JobSchema, '', dropped);
      expect(toNomad(toSpec(job as Record<string, unknown>))).toEqual({ ok: true, job: expected });
      // Older documentation samples carry fields that today's api.Job no longer has; nothing else.
      expect(dropped.every((path) => /(^|\.)(ConsulToken|VaultToken)$/.test(path))).toBe(true);
    },
  );

  it('round-trips any job the model can hold (property test over generated jobs)', () => {
    fc.assert(
      fc.property(arbitraryFor(JobSchema), (job) => {
        const result = toNomad(toSpec(job as Record<string, unknown>));
        expect(result).toEqual({ ok: true, job });
      }),
      { numRuns: 300 },
    );
  });

  it('reports every bad spec field with its path instead of throwing', () => {
    const result = toNomad({
      id: 'x',
      taskGroups: [{ name: 'g', tasks: [{ name: 't', killTimeout: '5 seconds', bogus: 1 }] }],
      update: { minHealthyTime: 10 },
      reschedule: { delay: true },
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        'taskGroups[0].tasks[0].killTimeout: time: unknown unit " seconds" in duration "5 seconds"',
        'taskGroups[0].tasks[0].bogus: unknown field',
        'reschedule.delay: expected a duration such as "30s"',
      ],
    });
  });
});

/** `value` without the struct keys the model does not know; their paths are pushed to `dropped`. */
function knownFieldsOnly(value: unknown, fieldSchema: z.ZodType, path: string, dropped: string[]): unknown {
  const schema = unwrapField(fieldSchema);
  if (Array.isArray(value) && schema instanceof z.ZodArray) {
    return value.map((item, i) =>
      knownFieldsOnly(item, schema.element as z.ZodType, `${path}[${i}]`, dropped),
    );
  }
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (schema instanceof z.ZodRecord && !(schema.valueType instanceof z.ZodUnknown)) {
    return Object.fromEntries(
      entries.map(([k, v]) => [
        k,
        knownFieldsOnly(v, schema.valueType as z.ZodType, `${path}.${k}`, dropped),
      ]),
    );
  }
  if (!(schema instanceof z.ZodObject)) return value;
  const kept = entries.filter(([k]) => {
    const known = Object.hasOwn(schema.shape, k);
    if (!known) dropped.push(path === '' ? k : `${path}.${k}`);
    return known;
  });
  return Object.fromEntries(
    kept.map(([k, v]) => [
      k,
      knownFieldsOnly(v, schema.shape[k] as z.ZodType, path === '' ? k : `${path}.${k}`, dropped),
    ]),
  );
}
