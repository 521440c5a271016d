// Fuzzing the Nomad /v1 API server over HTTP, on the test cluster, with a namespace of its own as
// Nomad's `default`: at least 10,000 generated requests across every endpoint (random methods; job
// IDs with awkward characters, raw and percent-encoded, malformed encodings; query strings with
// index, wait, per_page, filter, namespace and the endpoints' flags; bodies that are malformed JSON,
// wrong types, nulls, mutations of valid jobs, huge payloads; odd Content-Types and encodings).
//
// Every answer must be one Nomad could give: a status Nomad uses, a JSON body on 200, a plain-text
// error otherwise, and a 500 only with one of Nomad's own 500 messages (enforce index, validation,
// dispatch, evaluate, revert, namespace, region errors). No request may hang, the process must see
// no unhandled rejection, and the server must still answer afterwards. Violations are collected
// (not shrunk: the server is stateful) and reported with the request that caused them.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.ts';
import { ensureNomadJobCrd } from '../../src/kube/crds.ts';
import { createLogger } from '../../src/log.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig } from './support/kube.ts';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000); // lower only to iterate locally
const BATCH = 8;
const REQUEST_TIMEOUT_MS = 20_000;
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

const kc = testKubeConfig();
let namespace: string;
let removeNamespace: (() => Promise<void>) | undefined;
let server: { url: string; close(): Promise<void> } | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
/** Error lines the server logged (the app logs every error it did not expect as 'request failed'). */
const errorLogs: string[] = [];
const logger = createLogger({
  level: 'error',
  destination: { write: (line: string) => void errorLogs.push(line) },
});

// --- seed jobs, so that generated IDs often hit jobs that exist -----------------------------------

const task = (name = 'main') => ({
  Name: name,
  Driver: 'docker',
  Config: { image: 'registry.example/app:1' },
});
const group = (name = 'app', count = 1) => ({ Name: name, Count: count, Tasks: [task()] });
const SEED_JOBS: Record<string, unknown>[] = [
  { ID: 'fz-service', Type: 'service', Datacenters: ['*'], TaskGroups: [group()], Meta: { team: 'red' } },
  { ID: 'fz-batch', Type: 'batch', Datacenters: ['*'], TaskGroups: [group('g', 2)] },
  {
    ID: 'fz-param',
    Type: 'batch',
    Datacenters: ['*'],
    TaskGroups: [group()],
    ParameterizedJob: { Payload: 'optional', MetaRequired: ['k'], MetaOptional: ['o'] },
  },
  {
    ID: 'fz-periodic',
    Type: 'batch',
    Datacenters: ['*'],
    TaskGroups: [group()],
    Periodic: { Enabled: true, SpecType: 'cron', Spec: '*/30 * * * *' },
  },
  {
    ID: 'fz-scaled',
    Type: 'service',
    Datacenters: ['*'],
    TaskGroups: [{ ...group(), Scaling: { Min: 1, Max: 5, Enabled: true, Policy: {} } }],
  },
  { ID: 'fz/awk:ward\\id\n?&字 %2F', Type: 'batch', Datacenters: ['*'], TaskGroups: [group()] },
];
const SEED_IDS = SEED_JOBS.map((j) => j.ID as string);

async function registerSeeds(): Promise<void> {
  for (const job of SEED_JOBS) {
    await fetch(`${server!.url}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: job }) }).catch(
      () => undefined,
    );
  }
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  await ensureNomadJobCrd(operatorConfig(kc));
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'fuzz-api'));
  server = await startApiServer({
    kubeConfig: operatorConfig(kc),
    defaultNamespace: namespace,
    listen: { host: '127.0.0.1', port: 0 },
    allowAnonymous: true,
    logger,
  });
  await registerSeeds();
}, 180_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await server?.close();
  await removeNamespace?.();
}, 120_000);

// --- generators --------------------------------------------------------------------------------

/** Nomad's job endpoints: a suffix after /v1/job/<id> (empty: the job itself) and its methods. */
const R = ['GET'];
const W = ['PUT', 'POST'];
const JOB_SUFFIXES: [string, string[]][] = [
  ['', ['GET', 'PUT', 'POST', 'DELETE']],
  ['/versions', R],
  ['/allocations', R],
  ['/evaluations', R],
  ['/deployments', R],
  ['/deployment', R],
  ['/summary', R],
  ['/submission', R],
  ['/scale', ['GET', 'PUT', 'POST']],
  ['/services', R],
  ['/dispatch', W],
  ['/revert', W],
  ['/stable', W],
  ['/evaluate', W],
  ['/plan', W],
  ['/periodic/force', W],
  ['/versions/v1/tag', ['PUT', 'DELETE']],
  ['/action', R],
];
const FIXED_PATHS = [
  '/v1/jobs',
  '/v1/jobs/parse',
  '/v1/validate/job',
  '/v1/namespaces',
  '/v1/status/leader',
  '/v1/agent/self',
  '/v1/evaluation/',
  '/v1/allocation/',
  '/v1/deployment/',
  '/v1/job/',
  '/v1/job',
  '/v1/jobs/',
  '/v1/',
  '/v1/evaluations',
  '/',
];
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

const awkwardText = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...'/\\:?&#%=+;@ .\n\t\0~\'"<>{}|^`[]'.split('')), maxLength: 10 }),
  fc.constantFrom(
    '',
    '.',
    '..',
    '/',
    '//',
    '%',
    '%%',
    '%2F',
    '%252F',
    '%zz',
    '%E0%A4%A',
    '%00',
    '%C0%AF',
    'a'.repeat(5000),
  ),
);

/** A job ID as it appears in a path: an existing one or junk, escaped, raw, double-escaped or broken. */
const pathId = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SEED_IDS) }, { weight: 2, arbitrary: awkwardText }),
    fc.constantFrom('escape', 'raw', 'double', 'escape-slash-only'),
  )
  .map(([id, how]) => {
    try {
      switch (how) {
        case 'escape':
          return encodeURIComponent(id);
        case 'double':
          return encodeURIComponent(encodeURIComponent(id));
        case 'escape-slash-only':
          return id.replace(/\//g, '%2F');
        default:
          return encodeURI(id).replace(/%25/g, '%');
      }
    } catch {
      return 'lone-surrogate';
    }
  });

const uuidish = fc.oneof(
  fc.uuid(),
  awkwardText.map((s) => encodeURIComponent(s)),
);

const ALL = ['GET', 'PUT', 'POST', 'DELETE'];
const FIXED_METHODS: Record<string, string[]> = {
  '/v1/jobs': ['GET', 'PUT', 'POST'],
  '/v1/jobs/parse': W,
  '/v1/validate/job': W,
};
const path: fc.Arbitrary<{ path: string; methods: string[] }> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(pathId, fc.constantFrom(...JOB_SUFFIXES))
      .map(([id, [suffix, methods]]) => ({ path: `/v1/job/${id}${suffix}`, methods })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(...FIXED_PATHS.slice(0, 6))
      .map((p) => ({ path: p, methods: FIXED_METHODS[p] ?? R })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('/v1/evaluation/', '/v1/allocation/', '/v1/deployment/'), uuidish)
      .map(([p, id]) => ({ path: p + id, methods: R })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...FIXED_PATHS).map((p) => ({ path: p, methods: ALL })) },
);

const goBool = fc.constantFrom('true', 'false', 'True', 'False', '1', '0', 't', 'F', 'yes', '', 'TRUE ', '2');
const smallWait = fc.constantFrom('0s', '1ms', '5ms', '20ms', '50ms', '-1s', 'abc', '1x', 'ms', '5', '3e2ms');
const filterExpr = fc.oneof(
  fc.constantFrom(
    'Meta.team == "red"',
    'ID matches "^fz"',
    '"*" in Datacenters',
    'Type == "batch" and not (Priority < 10)',
    'Meta["team"] is not empty',
    'any TaskGroups as g { g.Count > 1 }',
    'Periodic.Enabled == true',
    'NoSuchField == 1',
    'ID ==',
    '((((',
    'ID matches "("',
    'Priority == "x"',
    'Stop == maybe',
    '',
  ),
  fc.string({ maxLength: 40 }),
);
const namespaceValue = fc.constantFrom('default', '*', '', 'fz-absent-ns', 'Weird/NS', 'ns with space', '%');

/** Nomad's blocking and paging parameters plus every endpoint's flags, valid or junk. */
const PARAMS: Record<string, fc.Arbitrary<string>> = {
  index: fc.oneof(fc.constantFrom('0', '1', '18446744073709551616', '-1', 'abc', ''), fc.nat().map(String)),
  wait: smallWait,
  per_page: fc.oneof(fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('x', '99999999999', '1.5')),
  next_token: fc.oneof(
    fc.constantFrom('default.fz-batch', 'default.', '.', ''),
    fc.string({ maxLength: 10 }),
  ),
  filter: filterExpr,
  namespace: namespaceValue,
  prefix: fc.oneof(fc.constantFrom('fz', 'fz-', ''), fc.string({ maxLength: 6 })),
  region: fc.constantFrom('global', 'mars', ''),
  stale: goBool,
  reverse: goBool,
  meta: goBool,
  all: goBool,
  diffs: goBool,
  purge: goBool,
  global: goBool,
  version: fc.constantFrom('0', '1', '-1', 'x', '99'),
  eval_priority: fc.constantFrom('0', '50', '101', '-1', 'x'),
  idempotency_token: fc.string({ maxLength: 8 }),
  diff_version: fc.constantFrom('0', 'x'),
  related: goBool,
  pretty: goBool,
  unknown: fc.string({ maxLength: 4 }),
};

/**
 * Query strings of up to four parameters (repeats allowed: the first one counts), sometimes with
 * broken encodings. Every generated wait is short or invalid (see neverBlockLong for the index).
 */
const queryString = fc
  .tuple(
    fc.array(
      fc.oneof(
        ...Object.entries(PARAMS).map(([name, value]) => value.map((v): [string, string] => [name, v])),
      ),
      { maxLength: 4 },
    ),
    fc.constantFrom('', '', '', '&%zz=1', '&=', '&a=%', '&&'),
  )
  .map(([pairs, junk]) => {
    const text = new URLSearchParams(pairs).toString();
    return text === '' && junk === '' ? '' : `?${text}${junk}`;
  });

/** A JSON value at `path` replaced, to reach deep into the job decoder with wrong types and nulls. */
function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value) && typeof head === 'number') {
    const copy = [...value];
    copy[head] = setAt(copy[head], rest, replacement);
    return copy;
  }
  if (value !== null && typeof value === 'object' && typeof head === 'string') {
    const record = value as Record<string, unknown>;
    return { ...record, [head]: setAt(record[head], rest, replacement) };
  }
  return replacement;
}

function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...prefix, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

const nastyValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    1.5,
    1e300,
    '@@raw:-9007199254740993@@',
    '@@raw:18446744073709551615@@',
    '@@raw:1e3@@',
    '@@raw:-0@@',
    '',
    'x',
    '300000ms',
    [],
    {},
    [null],
    { '': null },
    JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('x'.repeat(70_000), '字'.repeat(30_000)),
);

const FIELD_NAMES = [
  'ID',
  'Type',
  'Priority',
  'TaskGroups',
  'Datacenters',
  'Meta',
  'Periodic',
  'ParameterizedJob',
];
const mutatedJob = fc
  .tuple(fc.constantFrom(...SEED_JOBS), fc.nat(), nastyValue, fc.boolean())
  .map(([job, pick, replacement, rename]) => {
    const paths = pathsOf(job);
    const chosen = paths[pick % paths.length] ?? [];
    const mutated = setAt(job, chosen, replacement);
    if (rename && mutated !== null && typeof mutated === 'object' && !Array.isArray(mutated)) {
      // Keys in other cases: Go matches them case-insensitively.
      return Object.fromEntries(
        Object.entries(mutated).map(([k, v]) => [FIELD_NAMES.includes(k) ? k.toLowerCase() : k, v]),
      );
    }
    return mutated;
  });

/** JSON text; '@@raw:<text>@@' strings become <text> verbatim (numbers JS cannot hold exactly). */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/"@@raw:([^"@]*)@@"/g, '$1');
}

const deep = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);

/** Bodies: none, junk text, any JSON, request envelopes of every endpoint with good and bad values. */
const body: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '{',
      '}',
      '[',
      'null',
      'true',
      '0',
      '"x"',
      '{"Job":',
      '{"Job":null}',
      '{"Job":{}}',
      '{"Job":[]}',
      '{"Job":"x"}',
      '{"Job":{"ID":5}}',
      '{"Job":{"ID":"x","TaskGroups":{}}}',
      '{"JobHCL":null}',
      '{"JobHCL":"job \\"x\\" {"}',
      '{"JobHCL":"job \\"ok\\" {}","Canonicalize":"yes"}',
      '{"Count":-1,"Target":{"Group":"app"}}',
      '{"Count":1.5,"Target":{"Group":"app"}}',
      '{"Count":null,"Target":null,"Error":true}',
      '{"JobVersion":-1}',
      '{"JobVersion":"0","EnforcePriorVersion":-5}',
      '{"Payload":"not base64!!","Meta":{"k":"v"}}',
      '{"Payload":null,"Meta":{"k":5}}',
      '{"Meta":[]}',
      '{"EvalOptions":{"ForceReschedule":"yes"}}',
      '{"Job":{"ID":"x"},"EnforceIndex":true,"JobModifyIndex":-1}',
      '{"Job":{"ID":"x"},"EvalPriority":1e3}',
      '\u0000\u0001',
      '\ufeff{}',
      deep(20_000, '[', ']'),
      deep(5_000, '{"a":', '}').replace(/}$/, '1}'),
      `{"Job":{"ID":"fz-big","Meta":{"k":"${'x'.repeat(1_000_000)}"}}}`,
    ),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 4, arbitrary: mutatedJob.map((job) => json({ Job: job })) },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          Job: fc.oneof(fc.constantFrom(...SEED_JOBS), mutatedJob),
          EnforceIndex: fc.oneof(fc.boolean(), nastyValue),
          JobModifyIndex: fc.oneof(fc.nat(), nastyValue),
          PreserveCounts: fc.oneof(fc.boolean(), nastyValue),
          EvalPriority: fc.oneof(fc.integer({ min: -1, max: 101 }), nastyValue),
          Diff: fc.boolean(),
          Submission: fc.oneof(
            fc.constant(null),
            fc.record({ Source: fc.string(), Format: fc.constantFrom('hcl2', 'json', '') }),
          ),
        },
        { requiredKeys: ['Job'] },
      )
      .map((v) => json(v)),
  },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          Meta: fc.oneof(
            fc.constant({ k: 'v' }),
            fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })),
          ),
          Payload: fc.oneof(
            fc.base64String({ maxLength: 40 }),
            fc.constant(Buffer.alloc(16 * 1024 + 1, 1).toString('base64')),
            fc.constant(null),
          ),
          IdPrefixTemplate: fc.string({ maxLength: 8 }),
          Priority: fc.integer({ min: -2, max: 102 }),
          JobID: fc.constantFrom(...SEED_IDS),
          JobVersion: fc.integer({ min: -1, max: 3 }),
          EnforcePriorVersion: fc.oneof(fc.constant(null), fc.integer({ min: -1, max: 3 })),
          Stable: fc.boolean(),
          Count: fc.oneof(fc.constant(null), fc.integer({ min: -2, max: 7 })),
          Target: fc.record({
            Job: fc.constantFrom(...SEED_IDS),
            Group: fc.constantFrom('app', 'g', 'nope', ''),
          }),
          Message: fc.string({ maxLength: 8 }),
          Error: fc.boolean(),
          EvalOptions: fc.record({ ForceReschedule: fc.boolean() }),
          JobHCL: fc.constantFrom(
            'job "fz-hcl" {}',
            'job "x" { nope = 1 }',
            '',
            'variable "v" {}\njob "y" {}',
          ),
          Variables: fc.constantFrom('', 'v = 1', '{{{'),
          Canonicalize: fc.boolean(),
        },
        { requiredKeys: [] },
      )
      .map((v) => json(v)),
  },
);

const headers = fc
  .tuple(
    fc.option(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        '',
        ';;;',
      ),
    ),
    fc.option(fc.constantFrom('gzip', 'gzip, deflate, br', 'br', 'identity', 'gzip;q=0', '*', '')),
    fc.integer({ min: 0, max: 19 }),
  )
  .map(([type, encoding, dice]) => {
    const h: Record<string, string> = {};
    if (type !== null) h['Content-Type'] = type;
    if (encoding !== null) h['Accept-Encoding'] = encoding;
    if (dice === 0) h['X-Nomad-Token'] = 'not-a-token';
    if (dice === 1) h['X-Nomad-Token'] = '';
    return h;
  });

interface FuzzRequest {
  method: string;
  url: string;
  body: string | undefined;
  headers: Record<string, string>;
}

/**
 * A numeric `index` without a `wait` blocks for Nomad's default 5 minutes. The query the server
 * sees may not be the one generated (a raw `?` in an ID starts it early), so look at the URL as the
 * server will and put a short wait first when needed.
 */
function neverBlockLong(url: string): string {
  const parsed = new URL(url, 'http://x');
  const index = parsed.searchParams.get('index') ?? '';
  const wait = parsed.searchParams.get('wait');
  if (!/^[0-9]+$/.test(index) || /^0+$/.test(index) || (wait !== null && wait !== '')) return url;
  const at = url.indexOf('?');
  return at < 0 ? `${url}?wait=20ms` : `${url.slice(0, at + 1)}wait=20ms&${url.slice(at + 1)}`;
}

const request: fc.Arbitrary<FuzzRequest> = fc
  .record({
    target: path,
    natural: fc.nat(),
    other: fc.constantFrom(...METHODS),
    strange: fc.integer({ min: 0, max: 4 }),
    query: queryString,
    body,
    headers,
  })
  .map(({ target, natural, other, strange, query: q, body: b, headers: h }) => {
    // Mostly a method the endpoint takes, sometimes any.
    const method = strange === 0 ? other : (target.methods[natural % target.methods.length] ?? 'GET');
    return {
      method,
      url: neverBlockLong(target.path + q),
      body: method === 'GET' || method === 'HEAD' ? undefined : b,
      headers: h,
    };
  });

// --- the oracle --------------------------------------------------------------------------------

/** Nomad's own 500 answers (its RPC errors); any other 500 is a bug of the façade. */
const NOMAD_500 = [
  /^Enforcing job modify index \d+: /,
  /^\d+ errors? occurred:\n/,
  /is in nonexistent namespace/,
  /^No path to region$/,
  /^job not found$/,
  /^parameterized job not found$/,
  /^Specified job ".*" is not a parameterized job$/s,
  /is stopped$/,
  /^Payload is not provided but required by parameterized job$/,
  /^Payload provided but forbidden by parameterized job$/,
  /^Payload exceeds maximum size; \d+ > 16384$/,
  /^Dispatch request included unpermitted metadata keys: /,
  /^Dispatch did not provide required meta keys: /,
  /^dispatch job priority must be between \[1, 100\]$/,
  /^can't evaluate (periodic|parameterized) job$/,
  /^can't force launch non-periodic job$/,
  /^can't force run non-tracked job .* \(.*\)$/s,
  /^cannot update (job from type ".*" to ".*"|periodic job to being non-periodic|non-periodic job to being periodic|parameterized job to being non-parameterized|non-parameterized job to being parameterized)$/s,
  /^job can't be submitted with 'Dispatched' set$/,
  /^field 'Dispatched' is read-only$/,
  /is in nonexistent node pool/,
  /^Current job has version \d+; enforcing version \d+$/,
  /^can't revert to current version$/,
  /^job ".*"( in namespace ".*")? (at version \d+ )?not found$/s,
  /^job ".*" not found$/s,
];
const STATUSES = new Set([200, 400, 403, 404, 405, 413, 500]);

interface Violation {
  request: FuzzRequest;
  problem: string;
}

/** Answers by status, and Nomad 500s by message, to show in the log how deep the fuzzing got. */
const statusCounts = new Map<number, number>();
const internalErrors = new Map<string, number>();

async function send(req: FuzzRequest, violations: Violation[]): Promise<void> {
  const report = (problem: string) => violations.push({ request: req, problem });
  let response: Response;
  try {
    response = await fetch(server!.url + req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    // undici refuses some generated URLs or headers before sending: not the server's doing.
    if (error instanceof TypeError && !cause?.code) return;
    report(`no answer: ${String(error)}${cause?.code ? ` (${cause.code})` : ''}`);
    return;
  }
  // fetch (undici) decodes gzip itself; a broken gzip body makes reading it fail.
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    report(`${response.status}: the body could not be read or decoded: ${String(error)}`);
    return;
  }
  const status = response.status;
  statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
  const type = response.headers.get('content-type') ?? '';
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding !== 'gzip') report(`Content-Encoding ${encoding}`);
  // Without an Accept-Encoding of ours, fetch sends its own (gzip, deflate, br).
  const accepted = req.headers['Accept-Encoding'];
  if (encoding === 'gzip' && accepted !== undefined && !/gzip(?!;q=0)/.test(accepted)) {
    report(`gzip body for a client that accepts ${JSON.stringify(accepted)}`);
  }
  if (!STATUSES.has(status)) {
    report(`status ${status}: ${text.slice(0, 300)}`);
    return;
  }
  if (req.method === 'HEAD' || req.method === 'OPTIONS') return;
  if (status === 200) {
    if (!type.startsWith('application/json')) report(`200 with Content-Type ${type}`);
    try {
      JSON.parse(text);
    } catch {
      report(`200 with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (req.method === 'GET' && !/^\d+$/.test(response.headers.get('x-nomad-index') ?? '')) {
      const noIndex = ['/v1/status/leader', '/v1/agent/self'].some((p) => req.url.startsWith(p));
      if (!noIndex) report(`GET 200 without a numeric X-Nomad-Index`);
    }
    return;
  }
  if (!type.startsWith('text/plain')) report(`${status} with Content-Type ${type}: ${text.slice(0, 200)}`);
  if (text.trimStart().startsWith('{')) report(`${status} with a JSON error body: ${text.slice(0, 200)}`);
  if (status === 500) {
    const kind = text
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\d+/g, 'N')
      .slice(0, 80);
    internalErrors.set(kind, (internalErrors.get(kind) ?? 0) + 1);
  }
  if (status === 500 && !NOMAD_500.some((re) => re.test(text)))
    report(`500 outside Nomad's 500 cases: ${text.slice(0, 400)}`);
}

function describeViolations(violations: Violation[]): string {
  // One example per kind of problem (status and the start of the message).
  const byKind = new Map<string, { example: Violation; count: number }>();
  for (const v of violations) {
    const kind = v.problem.replace(/\d+/g, 'N').slice(0, 120);
    const seen = byKind.get(kind);
    if (seen) seen.count++;
    else byKind.set(kind, { example: v, count: 1 });
  }
  return [...byKind.values()]
    .slice(0, 30)
    .map(({ example, count }) => {
      const b = example.request.body;
      const shown =
        b === undefined ? '(no body)' : b.length > 300 ? `${b.slice(0, 300)}… (${b.length} bytes)` : b;
      return `${count}× ${example.problem}\n    ${example.request.method} ${example.request.url.slice(0, 300)}\n    headers ${JSON.stringify(example.request.headers)}\n    body ${shown}`;
    })
    .join('\n\n');
}

describe('fuzzing the Nomad /v1 API', () => {
  it(
    `answers ${REQUESTS} generated requests the way Nomad could (seed ${seed}; FUZZ_SEED=<n> replays)`,
    async () => {
      const violations: Violation[] = [];
      let sent = 0;
      let batches = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          if (++batches % 250 === 0) await registerSeeds(); // fuzzed deletes and purges remove them
          await Promise.all(batch.map((req) => send(req, violations)));
          sent += batch.length;
        }),
        { numRuns: Math.ceil(REQUESTS / BATCH), seed, endOnFailure: true },
      );

      const counts = [...statusCounts].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
      const top500 = [...internalErrors].sort(([, a], [, b]) => b - a).slice(0, 8);
      console.log(
        `api fuzz (seed ${seed}): ${sent} requests, answers ${counts.join(' ')}\n` +
          top500.map(([m, n]) => `  500×${n} ${JSON.stringify(m)}`).join('\n'),
      );

      // Still alive and still right.
      const leader = await fetch(`${server!.url}/v1/status/leader`);
      expect(leader.status, 'the server answers after the fuzzing').toBe(200);
      const job = await fetch(`${server!.url}/v1/job/fz-absent-${seed}`);
      expect([job.status, await job.text()]).toEqual([404, 'job not found']);

      expect(sent).toBeGreaterThanOrEqual(REQUESTS);
      expect(unhandled.map(String), 'unhandled rejections during the fuzzing').toEqual([]);
      expect(errorLogs.slice(0, 20), 'errors the server logged as unexpected').toEqual([]);
      expect(
        violations.length,
        `${violations.length} of ${sent} answers Nomad would not give:\n\n${describeViolations(violations)}`,
      ).toBe(0);
    },
    15 * 60_000,
  );
});
