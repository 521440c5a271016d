import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundedChildName,
  childName,
  createNamespaceMapper,
  hashToken,
  identityAnnotations,
  identityLabels,
  isJobObjectName,
  JOB_NAME_MAX_LENGTH,
  jobObjectName,
  kubernetesNamespaceFor,
  labelValueFor,
  objectRefFor,
  readIdentity,
} from '../../../src/nomad/ids.ts';
import {
  ANNOTATION_JOB_ID,
  ANNOTATION_NAMESPACE,
  ANNOTATION_PARENT_ID,
  LABEL_JOB,
  LABEL_JOB_ID,
  LABEL_NAMESPACE,
} from '../../../src/nomad/keys.ts';

// Validity is checked with regexes written out here, independent of the module's own validators.
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function expectJobName(name: string): void {
  expect(name.length).toBeLessThanOrEqual(JOB_NAME_MAX_LENGTH);
  expect(name).toMatch(DNS1035);
  expect(name).toMatch(DNS1123_SUBDOMAIN);
}

/** mulberry32: a small seeded PRNG, so the generated corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Every awkward character class a Nomad job ID can contain.
const CHAR_CLASSES: string[][] = [
  [...'abcdefghijklmnopqrstuvwxyz'],
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
  [...'0123456789'],
  ['-', '-', '--', '.', '_'],
  ['/', '\\', ':', '\n', '\r', '\t', '?', '&', ' ', '%', '#', '=', '"', "'", '*', '@', '+', '~', '\u0000'],
  ['é', 'e\u0301', 'ß', 'ı', 'İ', 'ﬁ', 'Ω', '中', '文', 'ｗ', '\u200b', '\u00a0', 'Ø'],
  ['🚀', '👍🏽', '\ud800', '\udc00', '\udbff\udfff'],
];

function awkwardIds(count: number, seed: number): Set<string> {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const randomString = (length: number, classes: string[][]): string => {
    let s = '';
    while (s.length < length) s += pick(pick(classes));
    return s;
  };
  const lengths = (): number => {
    const r = rand();
    if (r < 0.5) return 1 + Math.floor(rand() * 10);
    if (r < 0.8) return 40 + Math.floor(rand() * 12); // around the 45-character budget
    if (r < 0.95) return 60 + Math.floor(rand() * 10);
    return 100 + Math.floor(rand() * 500);
  };
  const ids = new Set<string>();
  const add = (id: string) => {
    if (ids.size < count) ids.add(id);
  };
  // Name-like material: lower case, digits and hyphens (a doubled hyphen now and then).
  const valid = [
    CHAR_CLASSES[0] as string[],
    CHAR_CLASSES[0] as string[],
    CHAR_CLASSES[2] as string[],
    ['-'],
  ];
  while (ids.size < count) {
    const kind = rand();
    if (kind < 0.3) {
      add(randomString(lengths(), CHAR_CLASSES));
    } else if (kind < 0.4) {
      // Valid names, most of which are used verbatim.
      for (let i = 0; i < 20; i++) {
        const words = Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
          randomString(1 + Math.floor(rand() * 10), [
            CHAR_CLASSES[0] as string[],
            CHAR_CLASSES[2] as string[],
          ]),
        );
        add(`${pick(CHAR_CLASSES[0] as string[])}${words.join('-')}`);
      }
    } else if (kind < 0.55) {
      // Mostly-valid names: many are verbatim, many break one rule (case, '--', length, leading digit).
      add(randomString(lengths(), valid));
    } else if (kind < 0.65) {
      const parent = randomString(1 + Math.floor(rand() * 30), valid);
      const ts = 1_400_000_000 + Math.floor(rand() * 300_000_000);
      add(
        `${parent}/dispatch-${ts}-${Math.floor(rand() * 0xffffffff)
          .toString(16)
          .padStart(8, '0')}`,
      );
      add(`${parent}/periodic-${ts}`);
    } else {
      // Near-collisions of one base: same sanitized stem, same prefix up to and past the truncation
      // points, case-only and Unicode-normalization-only differences, lone surrogates.
      const base = randomString(20 + Math.floor(rand() * 30), valid).toLowerCase();
      for (const sep of ['/', ':', ' ', '\\', '_', '.', '-', '--', '\n', '?', '&']) add(`${base}${sep}x`);
      add(base.toUpperCase());
      add(`${base}é`);
      add(`${base}e\u0301`);
      add(`${base}\ud800`);
      add(`${base}\udc00`);
      add(`${base}\ufffd`);
      add(`${base.padEnd(45, 'a')}`);
      add(`${base.padEnd(45, 'a')}b`);
      add(`${base.padEnd(46, 'a')}`);
      add(`${base.padEnd(27, 'a')}-z`);
      add(`${base.padEnd(27, 'a')}/z`);
    }
  }
  return ids;
}

describe('jobObjectName', () => {
  // Documented examples. These are persisted object names: if one of them changes, existing NomadJobs
  // would be orphaned, so a change here needs a migration, not a snapshot update.
  it.each([
    ['example', 'example'],
    ['cache-redis-v2', 'cache-redis-v2'],
    ['Example', 'example--2au7q7r5qd4p3gy3'],
    ['parent/dispatch-1485408778-81644024', 'parent-dispatch-1485408778--xaqawkwaklrrlt5c'],
    ['parent/periodic-1485408778', 'parent-periodic-1485408778--eft4u6kfnjz22skq'],
    ['my job', 'my-job--bnsnpttj276h55tj'],
    ['café', 'cafe--quhx3rbzcd7ysd4i'],
    ['123', 'job--uzs2iwjaiixz2ql6'],
    ['', 'job--4oymiquy7qobjgx3'],
    ['x\ny', 'x-y--tk454jlwrlaxei26'],
    ['a'.repeat(45), 'a'.repeat(45)],
    ['a'.repeat(46), `${'a'.repeat(27)}--mzbrcdcwfd77lhw7`],
    // Looks like a hashed name, so it is hashed itself and cannot collide with the ID that hashes to it.
    ['web--abcdefghijklmnop', 'web-abcdefghijklmnop--64vapdkzg2gdfqcw'],
  ])('%j -> %s', (id, name) => {
    expect(jobObjectName(id)).toBe(name);
    expectJobName(name);
  });

  it('is the identity exactly for DNS-1035 labels of at most 45 characters without "--"', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][-a-z0-9]{0,50}$/), (id) => {
        const verbatim = id.length <= 45 && DNS1035.test(id) && !id.includes('--');
        expect(jobObjectName(id) === id).toBe(verbatim);
        expectJobName(jobObjectName(id));
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective, valid and deterministic on 100,000 awkward IDs, including IDs equal to hashed names', () => {
    const ids = awkwardIds(95_000, 20_240_611);
    // IDs equal to other IDs' outputs (and to their label values), and one-character edits of them.
    const seeds = [...ids].slice(0, 2_000);
    for (const id of seeds) {
      const name = jobObjectName(id);
      ids.add(name);
      ids.add(labelValueFor(id));
      ids.add(`${name.slice(0, -1)}${name.endsWith('a') ? 'b' : 'a'}`);
    }
    while (ids.size < 100_000) ids.add(`filler-${ids.size}`);
    expect(ids.size).toBeGreaterThanOrEqual(100_000);

    const byName = new Map<string, string>();
    const problems: string[] = [];
    let verbatim = 0;
    for (const id of ids) {
      const name = jobObjectName(id);
      if (
        name.length > 45 ||
        !DNS1035.test(name) ||
        !DNS1123_SUBDOMAIN.test(name) ||
        !isJobObjectName(name)
      ) {
        problems.push(`${JSON.stringify(id)} -> invalid ${name}`);
      }
      const other = byName.get(name);
      if (other !== undefined) problems.push(`${JSON.stringify(id)} and ${JSON.stringify(other)} -> ${name}`);
      byName.set(name, id);
      if (name === id) verbatim++;
      else if (!name.includes('--'))
        problems.push(`${JSON.stringify(id)} -> hashed form without "--": ${name}`);
    }
    expect(problems).toEqual([]);
    expect(byName.size).toBe(ids.size);
    // The corpus exercises both forms heavily.
    expect(verbatim).toBeGreaterThan(15_000);
    expect(ids.size - verbatim).toBeGreaterThan(50_000);
    // Deterministic: a second pass gives the same names.
    for (const [name, id] of byName) expect(jobObjectName(id)).toBe(name);
  });

  it('hashes lone surrogates without merging them with U+FFFD', () => {
    const names = ['a\ud800', 'a\udc00', 'a\ufffd', 'a\ud800\ud800'].map(jobObjectName);
    expect(new Set(names).size).toBe(4);
    expect(hashToken('\ud800')).not.toBe(hashToken('\ufffd'));
  });
});

describe('labelValueFor', () => {
  it.each([
    ['example', 'example'],
    ['My_Job.v2', 'My_Job.v2'],
    ['', ''],
    ['parent/dispatch-1485408778-81644024', 'parent-dispatch-1485408778-81644024--xaqawkwaklrrlt5c'],
    ['web--abcdefghijklmnop', 'web-abcdefghijklmnop--64vapdkzg2gdfqcw'],
    ['a'.repeat(63), 'a'.repeat(63)],
  ])('%j -> %s', (value, label) => {
    expect(labelValueFor(value)).toBe(label);
  });

  it('is injective and always a valid label value', () => {
    const ids = awkwardIds(100_000, 7);
    const seen = new Map<string, string>();
    const problems: string[] = [];
    for (const id of ids) {
      const value = labelValueFor(id);
      if (value.length > 63 || !LABEL_VALUE.test(value))
        problems.push(`${JSON.stringify(id)} -> invalid ${value}`);
      const other = seen.get(value);
      if (other !== undefined)
        problems.push(`${JSON.stringify(id)} and ${JSON.stringify(other)} -> ${value}`);
      seen.set(value, id);
      // A hashed output fed back in is hashed again, so it cannot stand for itself.
      if (value !== id && labelValueFor(value) === value) problems.push(`${value} is a fixed point`);
    }
    expect(problems).toEqual([]);
  });
});

describe('childName', () => {
  it.each([
    [['web', 'cache'], 'web--cache'],
    [['web', 'cache', 'redis'], 'web--cache--redis'],
    [['web', 'api-v2'], 'web--api-v2'],
    [
      ['parent-dispatch-1485408778--xaqawkwaklrrlt5c', 'cache'],
      'parent-dispatch-1485408778--xaqawkwaklrrlt5c--cache',
    ],
  ])('%j -> %s', (args, expected) => {
    const [job, ...parts] = args as [string, ...string[]];
    expect(childName(job, ...parts)).toBe(expected);
  });

  it('hashes parts that are not plain names, or that do not fit', () => {
    for (const name of [
      childName('web', 'Cache'),
      childName('web', 'a/b'),
      childName('web', 'abcdefghijklmnop'),
      childName('a'.repeat(45), 'b'.repeat(17)),
    ]) {
      expect(name).toMatch(/--[a-z2-7]{16}$/);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS1035);
    }
    expect(childName('web', 'Cache')).toMatch(/^web-cache--/);
    // 16 characters fit next to a 45-character job name; '1' is not a base32 digit, so it is plain.
    expect(childName('a'.repeat(45), '1'.repeat(16))).toBe(`${'a'.repeat(45)}--${'1'.repeat(16)}`);
    expect(childName('a'.repeat(45), 'b'.repeat(16))).toMatch(/--[a-z2-7]{16}$/);
  });

  it('does not let a job use a hash as a part to collide with a hashed job', () => {
    const hashedJob = jobObjectName('Web'); // web--<hash>
    const hash = hashedJob.slice('web--'.length);
    expect(childName('web', hash, 'http')).not.toBe(childName(hashedJob, 'http'));
  });

  it('is injective across jobs, parts and arities, and respects the bound', () => {
    const rand = prng(99);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const rawIds = [...awkwardIds(400, 3), 'web', 'web-api', 'Web', 'a', 'a-b'];
    const jobs = rawIds.map(jobObjectName);
    const hashes = jobs.filter((j) => j.includes('--')).map((j) => j.slice(-16));
    const partPool = [
      'a',
      'b',
      'a-b',
      'b-c',
      'api',
      'api-v2',
      'v2',
      'http',
      'Cache',
      'a/b',
      '',
      '-',
      'x'.repeat(20),
      ...hashes.slice(0, 50),
      ...rawIds.slice(0, 50),
    ];
    const seen = [new Map<string, string>(), new Map<string, string>()];
    const problems: string[] = [];
    let readable = 0;
    for (let i = 0; i < 50_000; i++) {
      const job = pick(jobs);
      const parts = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(partPool));
      const key = JSON.stringify([job, ...parts]);
      for (const [index, bound] of [63, 52].entries()) {
        const name = boundedChildName(bound, job, ...parts);
        if (name.length > bound || !DNS1035.test(name)) problems.push(`${key} -> invalid ${name}`);
        const other = seen[index]?.get(name);
        if (other !== undefined && other !== key) problems.push(`${key} and ${other} -> ${name}`);
        seen[index]?.set(name, key);
        if (bound === 63 && name === [job, ...parts].join('--')) readable++;
      }
    }
    expect(problems).toEqual([]);
    expect(readable).toBeGreaterThan(1_000);
  });

  it('rejects calls without parts and impossible bounds', () => {
    expect(() => childName('web')).toThrow(TypeError);
    expect(() => boundedChildName(18, 'web', 'x')).toThrow(RangeError);
    expect(() => boundedChildName(64, 'web', 'x')).toThrow(RangeError);
  });
});

describe('namespace mapping', () => {
  it.each([
    ['default', {}, 'default'],
    ['prod', {}, 'prod'],
    ['Prod', {}, 'prod--l5ldlhxrspahmscn'],
    ['kube-system', {}, 'x-kube-system--raah64dgnw6ydkgs'],
    ['default', { defaultNamespace: 'nomad' }, 'nomad'],
    // Would land on the namespace that holds Nomad's `default`, so it is hashed.
    ['nomad', { defaultNamespace: 'nomad' }, 'nomad--w2colj6voz6m4f4w'],
    ['prod', { prefix: 'nomad-' }, 'nomad-prod'],
  ])('%s with %j -> %s', (nomadNamespace, options, expected) => {
    expect(kubernetesNamespaceFor(nomadNamespace, options)).toBe(expected);
  });

  it('is injective and yields DNS-1123 labels under several configurations', () => {
    const namespaces = new Set<string>([
      'default',
      'nomad',
      'nomad-prod',
      'prod',
      'kube-system',
      'kube-public',
    ]);
    const rand = prng(5);
    const chars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'];
    while (namespaces.size < 20_000) {
      let ns = '';
      const length = 1 + Math.floor(rand() * (rand() < 0.9 ? 12 : 128));
      while (ns.length < length) ns += chars[Math.floor(rand() * chars.length)];
      namespaces.add(ns);
    }
    for (const ns of awkwardIds(2_000, 11)) namespaces.add(ns);
    const configs = [
      {},
      { defaultNamespace: 'nomad' },
      { prefix: 'nomad-' },
      { defaultNamespace: 'nomad-prod', prefix: 'nomad-' },
    ];
    for (const config of configs) {
      const map = createNamespaceMapper(config);
      const seen = new Map<string, string>();
      for (const ns of namespaces) {
        const k8s = map(ns);
        expect(k8s.length).toBeLessThanOrEqual(63);
        expect(k8s).toMatch(DNS1123_LABEL);
        expect(k8s.startsWith('kube-')).toBe(false);
        const other = seen.get(k8s);
        if (other !== undefined)
          expect.fail(`${ns} and ${other} both map to ${k8s} with ${JSON.stringify(config)}`);
        seen.set(k8s, ns);
      }
    }
  });

  it('rejects configurations that would break injectivity', () => {
    expect(() => createNamespaceMapper({ defaultNamespace: 'a--b' })).toThrow();
    expect(() => createNamespaceMapper({ defaultNamespace: 'Nomad' })).toThrow();
    expect(() => createNamespaceMapper({ prefix: 'Nomad-' })).toThrow();
    expect(() => createNamespaceMapper({ prefix: 'nomad--' })).toThrow();
  });
});

describe('identity metadata', () => {
  it('stores the exact identity in annotations and reads it back', () => {
    const identity = {
      namespace: 'Team A',
      jobId: 'parent/dispatch-1485408778-81644024',
      parentId: 'parent',
    };
    const annotations = identityAnnotations(identity);
    expect(annotations[ANNOTATION_JOB_ID]).toBe(identity.jobId);
    expect(annotations[ANNOTATION_NAMESPACE]).toBe('Team A');
    expect(annotations[ANNOTATION_PARENT_ID]).toBe('parent');
    expect(readIdentity({ annotations })).toEqual(identity);
    expect(readIdentity({ annotations: {} })).toBeUndefined();
    expect(readIdentity({})).toBeUndefined();

    const labels = identityLabels(identity);
    expect(labels[LABEL_JOB]).toBe(jobObjectName(identity.jobId));
    expect(labels[LABEL_JOB_ID]).toBe(labelValueFor(identity.jobId));
    expect(labels[LABEL_NAMESPACE]).toBe('Team-A--'.concat(hashToken('Team A')));
    for (const value of Object.values(labels)) expect(value).toMatch(LABEL_VALUE);
  });

  it('maps a (namespace, ID) pair to a namespaced object reference', () => {
    expect(objectRefFor('default', 'example')).toEqual({ namespace: 'default', name: 'example' });
    expect(objectRefFor('prod', 'Example', createNamespaceMapper({ prefix: 'nomad-' }))).toEqual({
      namespace: 'nomad-prod',
      name: 'example--2au7q7r5qd4p3gy3',
    });
  });
});
