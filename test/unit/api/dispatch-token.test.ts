// Which idempotency token a dispatch request carries, as Nomad's HTTP handler reads it: the body's
// `IdempotencyToken` (any letter case, as Go's encoding/json matches fields), overridden by a non-empty
// `?idempotency_token=`. The dispatch action behind the route is a recorder here; deduplication itself
// is tested against the cluster in test/integration/api/dispatch-idempotency.test.ts.
import { describe, expect, it } from 'vitest';
import { recordingDispatchActions, serviceJob, testApi } from './support.ts';

async function dispatchApi() {
  const { actions, requests } = recordingDispatchActions(
    (request) => `token ${request.idempotencyToken ?? '(none)'}`,
  );
  const { app } = await testApi({ actions });
  const register = await app.inject({
    method: 'PUT',
    url: '/v1/jobs',
    payload: JSON.stringify({ Job: serviceJob('batch-param') }),
  });
  expect(register.statusCode, register.body).toBe(200);
  const dispatch = async (query: string, body: unknown) => {
    const res = await app.inject({
      method: 'PUT',
      url: `/v1/job/batch-param/dispatch${query}`,
      payload: JSON.stringify(body),
    });
    return { status: res.statusCode, body: res.body };
  };
  return { dispatch, requests };
}

describe('dispatch idempotency token', () => {
  it('is read from the body when the query has none', async () => {
    const { dispatch, requests } = await dispatchApi();
    expect(await dispatch('', { IdempotencyToken: 'from-body' })).toEqual({
      status: 500,
      body: 'token from-body',
    });
    expect(requests[0]?.idempotencyToken).toBe('from-body');
  });

  it('matches the body field in any letter case, the last spelling winning', async () => {
    const { dispatch } = await dispatchApi();
    expect((await dispatch('', { idempotencytoken: 'lower' })).body).toBe('token lower');
    expect((await dispatch('', { IdempotencyToken: 'first', IDEMPOTENCYTOKEN: 'last' })).body).toBe(
      'token last',
    );
  });

  it('is not read from a snake_case body key (python-nomad sends one; Go matches no such field)', async () => {
    const { dispatch } = await dispatchApi();
    expect((await dispatch('', { idempotency_token: 'snake' })).body).toBe('token (none)');
  });

  it('is read from the query, which wins over the body', async () => {
    const { dispatch } = await dispatchApi();
    expect((await dispatch('?idempotency_token=from-query', {})).body).toBe('token from-query');
    expect((await dispatch('?idempotency_token=from-query', { IdempotencyToken: 'from-body' })).body).toBe(
      'token from-query',
    );
  });

  it('an empty query token leaves the body token in force', async () => {
    const { dispatch } = await dispatchApi();
    expect((await dispatch('?idempotency_token=', { IdempotencyToken: 'from-body' })).body).toBe(
      'token from-body',
    );
  });

  it('is absent when neither gives one (null in the body is absent too)', async () => {
    const { dispatch, requests } = await dispatchApi();
    expect((await dispatch('', {})).body).toBe('token (none)');
    expect((await dispatch('', { IdempotencyToken: null })).body).toBe('token (none)');
    expect((await dispatch('', { IdempotencyToken: '' })).body).toBe('token (none)');
    expect(requests.every((r) => !('idempotencyToken' in r))).toBe(true);
  });

  it('refuses a token of the wrong JSON type as Go decoding does, before dispatching', async () => {
    const { dispatch, requests } = await dispatchApi();
    expect(await dispatch('', { IdempotencyToken: 7 })).toEqual({
      status: 400,
      body: 'json: cannot unmarshal number into Go struct field .IdempotencyToken of type string',
    });
    expect(requests).toHaveLength(0);
  });
});
