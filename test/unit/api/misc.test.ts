// Small pieces of the façade: Go-style parameter parsing and the endpoints
// around jobs (namespaces, status, agent).
import { describe, expect, it } from 'vitest';
import {
  blockingParams,
  pagingParams,
  parseGoBool,
  parseGoInt,
  parseGoUint,
} from '../../../src/api/params.ts';
import { serviceJob, testApi } from './support.ts';

describe('Go-style parameters', () => {
  it('parses booleans like strconv.ParseBool and integers like ParseUint/Atoi', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(f)).toBe(false);
    for (const bad of ['yes', 'tRUE', '', ' true']) expect(parseGoBool(bad)).toBeUndefined();
    expect(parseGoUint('18446744073709551615')).toBeDefined();
    expect(parseGoUint('18446744073709551616')).toBeUndefined();
    expect(parseGoUint('-1')).toBeUndefined();
    expect(parseGoInt('+5')).toBe(5);
    expect(parseGoInt('-5')).toBe(-5);
    expect(parseGoInt('5.0')).toBeUndefined();
  });

  it('reads index and wait like Nomad, capping the wait at 5 minutes', () => {
    expect(blockingParams({ index: '7', wait: '300000ms' })).toEqual({ minIndex: 7, waitMs: 300_000 });
    expect(blockingParams({ wait: '10m' })).toEqual({ minIndex: 0, waitMs: 300_000 });
    expect(blockingParams({ wait: '1.5s' })).toEqual({ minIndex: 0, waitMs: 1_500 });
    expect(() => blockingParams({ wait: '5' })).toThrow('Invalid wait time');
    expect(() => blockingParams({ index: 'x' })).toThrow('Invalid index');
    expect(pagingParams({ per_page: '2', next_token: 'default.a', reverse: 'True' })).toEqual({
      perPage: 2,
      nextToken: 'default.a',
      reverse: true,
    });
  });
});

describe('around jobs', () => {
  it('lists namespaces, the leader and the agent', async () => {
    const { app, cluster } = await testApi({ defaultNamespace: 'nomad' });
    cluster.put('Namespace', { metadata: { name: 'prod' } });
    cluster.put('Namespace', { metadata: { name: 'kube-system' } });
    cluster.put('Namespace', { metadata: { name: 'nomad' } });
    await app.inject({
      method: 'PUT',
      url: '/v1/jobs?namespace=team',
      payload: JSON.stringify({ Job: serviceJob('j') }),
    });
    const names = JSON.parse((await app.inject({ method: 'GET', url: '/v1/namespaces' })).body).map(
      (n: { Name: string }) => n.Name,
    );
    expect(names).toEqual(['default', 'prod', 'team']);
    const one = await app.inject({ method: 'GET', url: '/v1/namespace/prod' });
    expect(JSON.parse(one.body).Name).toBe('prod');
    expect((await app.inject({ method: 'GET', url: '/v1/namespace/none' })).statusCode).toBe(404);
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/v1/status/leader' })).body)).toBe(
      '127.0.0.1:4647',
    );
    const self = JSON.parse((await app.inject({ method: 'GET', url: '/v1/agent/self' })).body);
    expect(self.config.Region).toBe('global');
    expect(self.member.Tags.region).toBe('global');
  });
});
