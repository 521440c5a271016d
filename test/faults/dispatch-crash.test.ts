// Dispatch with idempotency tokens across a crash: 50 dispatches of one parameterized job, each
// with its own token (half in the body's IdempotencyToken, half in ?idempotency_token=), the
// process SIGKILLed mid-way; after a restart the client retries every dispatch with the same
// token, as a Nomad client does when it got no answer. Exactly one child per token, and every
// child acknowledged before the crash is the one the retry names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATION_PARENT_ID } from '../../src/nomad/keys.ts';
import {
  createTestNamespace,
  figure,
  killAllOperators,
  listNomadJobs,
  nomad,
  parameterizedJob,
  startOperator,
  testKubeConfig,
} from './support/operator.ts';

const kc = testKubeConfig();
let ns: { name: string; remove: () => Promise<void> };
const PARENT = 'render';
const TOKENS = 50;
const IN_FLIGHT = 10;
const KILL_AFTER = 20;

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'dispatch-crash');
});
afterAll(async () => {
  await killAllOperators();
  await ns?.remove();
});

const tokens = Array.from({ length: TOKENS }, (_, i) => `token-${i}`);

function dispatch(url: string, token: string, i: number) {
  const inBody = i % 2 === 0;
  const query = inBody ? '' : `?idempotency_token=${token}`;
  return nomad(url, 'PUT', `/v1/job/${PARENT}/dispatch${query}`, {
    Meta: { n: String(i) },
    ...(inBody ? { IdempotencyToken: token } : {}),
  });
}

describe('dispatch across a crash', () => {
  it('creates exactly one child per idempotency token', async () => {
    const first = await startOperator({ name: 'dispatch-a', namespace: ns.name });
    const register = await nomad(first.apiUrl, 'PUT', '/v1/jobs', { Job: parameterizedJob(PARENT) });
    expect(register.status, register.text).toBe(200);

    const before = new Map<string, string>();
    const unanswered: string[] = [];
    let next = 0;
    let killed = false;
    const refusedBeforeKill: string[] = [];
    const sender = async () => {
      while (next < tokens.length) {
        const i = next++;
        const token = tokens[i]!;
        const answer = await dispatch(first.apiUrl, token, i);
        if (answer.status === 200) {
          before.set(token, (JSON.parse(answer.text) as { DispatchedJobID: string }).DispatchedJobID);
        } else {
          unanswered.push(token);
          if (!killed) refusedBeforeKill.push(`${token}: ${answer.status} ${answer.failed ?? answer.text}`);
        }
        if (before.size >= KILL_AFTER && !killed) {
          killed = true;
          first.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
    expect(refusedBeforeKill).toEqual([]);
    expect(killed, 'the process was killed mid-way').toBe(true);
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(unanswered.length).toBeGreaterThan(0);

    const second = await startOperator({ name: 'dispatch-b', namespace: ns.name });
    const after = new Map<string, string>();
    for (const [i, token] of tokens.entries()) {
      const answer = await dispatch(second.apiUrl, token, i);
      expect(answer.status, `${token}: ${answer.text}`).toBe(200);
      after.set(token, (JSON.parse(answer.text) as { DispatchedJobID: string }).DispatchedJobID);
    }
    for (const [token, child] of before) expect(after.get(token), token).toBe(child);
    expect(new Set(after.values()).size).toBe(TOKENS);

    const children = (await listNomadJobs(kc, ns.name)).filter(
      (job) => job.metadata?.annotations?.[ANNOTATION_PARENT_ID] === PARENT,
    );
    expect(children).toHaveLength(TOKENS);
    const childTokens = children.map(
      (child) => (child.spec as { dispatchIdempotencyToken?: string }).dispatchIdempotencyToken,
    );
    expect(new Set(childTokens)).toEqual(new Set(tokens));
    figure('dispatch-tokens-across-sigkill', {
      dispatches: TOKENS,
      acknowledgedBeforeKill: before.size,
      unansweredAtKill: unanswered.length,
      children: children.length,
      duplicates: children.length - new Set(childTokens).size,
    });
  });
});
