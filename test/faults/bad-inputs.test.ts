// Bad inputs against the operator as a real process (src/api/limits.ts, src/api/acl.ts): each is
// refused or bounded before it costs unbounded work. A client dripping its body is cut off (408) and
// others are still served; an oversized job ID and a 1,000-group job get Nomad-style 400s and
// nothing is written; many distinct bad tokens cost at most one TokenReview each, however often
// they are sent, all at once; blocking queries past the bound are answered at once, the held ones
// still wake on a change. Counts are printed as figures; nothing is timed.
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from '../support/raw-exchange.ts';
import {
  createTestNamespace,
  figure,
  killAllOperators,
  listNomadJobs,
  nomad,
  type OperatorProcess,
  serviceJob,
  sleep,
  startOperator,
  testKubeConfig,
  waitFor,
} from './support/operator.ts';

const kc = testKubeConfig();
let ns: { name: string; remove: () => Promise<void> };
let operator: OperatorProcess;

const MAX_BLOCKING = 5;

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'bad-inputs');
  operator = await startOperator({
    name: 'bad-inputs',
    namespace: ns.name,
    args: [
      '--api-request-timeout=3s',
      '--api-headers-timeout=2s',
      `--api-max-blocking-queries=${MAX_BLOCKING}`,
    ],
  });
});
afterAll(async () => {
  await killAllOperators();
  await ns?.remove();
});

/** Sum of the kube-apiserver's apiserver_request_total for TokenReview creations. */
async function tokenReviewsServed(config: KubeConfig): Promise<number> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const url = new URL('/metrics', cluster.server);
  const options: https.RequestOptions = { method: 'GET', headers: {} };
  await config.applyToHTTPSOptions(options);
  const text = await new Promise<string>((resolve, reject) => {
    const request = https.request(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    });
    request.on('error', reject);
    request.end();
  });
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    if (!line.includes('resource="tokenreviews"') || !line.includes('verb="POST"')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('bad inputs against a running operator', () => {
  it('cuts off a client that drips its body, and keeps serving others meanwhile', async () => {
    let sent = 0;
    let servedMeanwhile = 0;
    const answer = rawExchange(operator.apiUrl, (socket) => {
      socket.write('PUT /v1/jobs HTTP/1.1\r\nHost: nomad\r\nContent-Length: 1000000\r\n\r\n{"Job":');
      const drip = setInterval(() => {
        if (socket.destroyed || socket.writableEnded) clearInterval(drip);
        else {
          socket.write(' ');
          sent++;
        }
      }, 100);
      socket.on('close', () => clearInterval(drip));
    });
    let done = false;
    void answer.finally(() => {
      done = true;
    });
    while (!done) {
      const list = await nomad(operator.apiUrl, 'GET', '/v1/jobs');
      expect(list.status, list.text).toBe(200);
      servedMeanwhile++;
      await sleep(50);
    }
    expect(await answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const after = await nomad(operator.apiUrl, 'GET', '/v1/jobs');
    expect(after.status).toBe(200);
    figure('slow-body-client', { bodyBytesSent: sent, of: 1_000_000, otherRequestsServed: servedMeanwhile });
  });

  it('refuses an oversized job ID and a 1,000-group job with 400s, writing nothing', async () => {
    const longId = await nomad(operator.apiUrl, 'PUT', '/v1/jobs', { Job: serviceJob('i'.repeat(300_000)) });
    expect(longId.status).toBe(400);
    expect(longId.text).toBe('job ID length was greater than the limit: 300000 > 1024 bytes');

    const wide = serviceJob('wide');
    const template = (wide.TaskGroups as Record<string, unknown>[])[0];
    wide.TaskGroups = Array.from({ length: 1000 }, (_, i) => ({ ...template, Name: `g${i}` }));
    const groups = await nomad(operator.apiUrl, 'PUT', '/v1/jobs', { Job: wide });
    expect(groups.status).toBe(400);
    expect(groups.text).toBe(
      'number of task groups was greater than configured job_max_task_groups: 1000 > 100',
    );

    const big = { ...serviceJob('big'), Meta: { blob: 'x'.repeat(2_000_000) } };
    const size = await nomad(operator.apiUrl, 'PUT', '/v1/jobs', { Job: big });
    expect(size.status).toBe(400);
    expect(size.text).toMatch(/^job size was greater than configured job_max_size: \d+ > 1048576 bytes$/);

    expect(await listNomadJobs(kc, ns.name)).toEqual([]);
    figure('oversized-inputs', {
      longIdStatus: longId.status,
      wideJobStatus: groups.status,
      bigJobStatus: size.status,
    });
  });

  it('costs at most one TokenReview per distinct bad token, however often and however concurrently it is sent', async () => {
    const distinct = 50;
    const repeats = 10;
    const before = await tokenReviewsServed(kc);
    const answers = await Promise.all(
      Array.from({ length: distinct * repeats }, async (_, i) => {
        const res = await fetch(`${operator.apiUrl}/v1/jobs`, {
          headers: { 'X-Nomad-Token': `bad-token-${i % distinct}-${ns.name}` },
        });
        return { status: res.status, text: await res.text() };
      }),
    );
    const reviews = (await tokenReviewsServed(kc)) - before;
    for (const answer of answers) expect(answer).toEqual({ status: 403, text: 'ACL token not found' });
    // Other clients of the private cluster may review tokens too: a little room, far under 500.
    expect(reviews).toBeGreaterThanOrEqual(distinct);
    expect(reviews).toBeLessThanOrEqual(distinct + 10);
    figure('distinct-bad-tokens', {
      requests: distinct * repeats,
      distinctTokens: distinct,
      tokenReviews: reviews,
    });
  });

  it('answers blocking queries past the bound at once; the held ones still wake on a change', async () => {
    const seed = await nomad(operator.apiUrl, 'PUT', '/v1/jobs', { Job: serviceJob('seed') });
    expect(seed.status, seed.text).toBe(200);
    // An index that stays put: a blocking query on it ends by its wait, not by a change.
    const index = await waitFor('a settled index', async () => {
      const first = await fetch(`${operator.apiUrl}/v1/jobs`);
      await first.text();
      const before = first.headers.get('x-nomad-index');
      const held = await fetch(`${operator.apiUrl}/v1/jobs?index=${before}&wait=2s`);
      await held.text();
      return held.headers.get('x-nomad-index') === before ? Number(before) : undefined;
    });
    const heldAnswers: Array<{ status: number; index: number } | undefined> = [];
    const held = Array.from({ length: MAX_BLOCKING }, async (_, i) => {
      const res = await fetch(`${operator.apiUrl}/v1/jobs?index=${index}&wait=5m`);
      await res.text();
      heldAnswers[i] = { status: res.status, index: Number(res.headers.get('x-nomad-index')) };
    });
    // Give the held queries time to arrive (they are held: none answered), then ask past the bound.
    await sleep(1_000);
    expect(heldAnswers.filter(Boolean)).toHaveLength(0);
    let extra = 0;
    const atOnce = await waitFor('a blocking query answered at once', async () => {
      extra++;
      const res = await fetch(`${operator.apiUrl}/v1/jobs?index=${index}&wait=5m`, {
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      if (!res) return undefined;
      await res.text();
      return { status: res.status, index: Number(res.headers.get('x-nomad-index')) };
    });
    expect(atOnce).toEqual({ status: 200, index });
    expect(heldAnswers.filter(Boolean)).toHaveLength(0);

    const wake = await nomad(operator.apiUrl, 'PUT', '/v1/jobs', { Job: serviceJob('wake') });
    expect(wake.status, wake.text).toBe(200);
    await Promise.all(held);
    for (const answer of heldAnswers) {
      expect(answer?.status).toBe(200);
      expect(answer?.index).toBeGreaterThan(index);
    }
    figure('blocking-query-bound', {
      bound: MAX_BLOCKING,
      held: heldAnswers.length,
      askedPastTheBound: extra,
    });
  });
});
