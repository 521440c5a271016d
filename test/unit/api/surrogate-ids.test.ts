// Request bodies decode as Go's encoding/json decodes them for Nomad: a lone UTF-16 surrogate escape
// (`"\ud800"`) becomes U+FFFD, in values and in keys. So `PUT /v1/jobs` with the ID `"sur\ud800"`
// registers the job `sur\ufffd`, as Nomad does — the ID the apiserver would hand back anyway, so the
// NomadJob's name, its identity annotations and every later lookup agree.
import { describe, expect, it } from 'vitest';
import { parseJsonAsGo } from '../../../src/nomad/go-json.ts';
import { jobObjectName } from '../../../src/nomad/ids.ts';
import { serviceJob, testApi } from './support.ts';

describe('parseJsonAsGo', () => {
  it('replaces lone surrogates with U+FFFD in strings and keys, keeping pairs', () => {
    expect(
      parseJsonAsGo(String.raw`{"a\ud800":["x\udc00y","\ud83d\ude00",1,null,{"\udfff":"\ud800\ud800"}]}`),
    ).toEqual({
      'a\ufffd': ['x\ufffdy', '\u{1F600}', 1, null, { '\ufffd': '\ufffd\ufffd' }],
    });
  });

  it('keeps the last of the keys that become equal, as Go fills a map', () => {
    expect(parseJsonAsGo(String.raw`{"k\ud800":"first","k\udbff":"last"}`)).toEqual({ 'k\ufffd': 'last' });
  });

  it('leaves text without surrogate escapes as JSON.parse reads it', () => {
    const text = String.raw`{"path":"C:\\udata","n":1.5,"s":"\u00e9"}`;
    expect(parseJsonAsGo(text)).toEqual(JSON.parse(text));
  });
});

describe('a job ID holding a lone surrogate', () => {
  it('registers as the ID with U+FFFD, found under that ID, and a retry is the same job', async () => {
    const { app, cluster } = await testApi();
    const body = JSON.stringify({ Job: serviceJob('sur\ud800', { Meta: { 'k\udc00': 'v\ud800' } }) });
    expect(body).toContain(String.raw`"sur\ud800"`);
    const reg = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: body });
    expect(reg.statusCode, reg.body).toBe(200);

    const objects = cluster.sources.NomadJob.list();
    expect(objects.map((o) => o.metadata?.name)).toEqual([jobObjectName('sur\ufffd')]);
    expect(objects[0]?.metadata?.annotations?.['nomadoperator.dev/job-id']).toBe('sur\ufffd');

    const read = await app.inject({ method: 'GET', url: `/v1/job/${encodeURIComponent('sur\ufffd')}` });
    expect(read.statusCode, read.body).toBe(200);
    expect(JSON.parse(read.body)).toMatchObject({
      ID: 'sur\ufffd',
      Name: 'sur\ufffd',
      Meta: { 'k\ufffd': 'v\ufffd' },
    });

    // Another lone surrogate is the same ID to Nomad: an update of that job, not a second one.
    const again = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: JSON.stringify({ Job: serviceJob('sur\udfff', { Meta: { 'k\udc00': 'v\ud800' } }) }),
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(cluster.sources.NomadJob.list()).toHaveLength(1);
    const versions = JSON.parse(
      (await app.inject({ method: 'GET', url: `/v1/job/${encodeURIComponent('sur\ufffd')}/versions` })).body,
    ) as { Versions: Array<{ Version: number }> };
    expect(versions.Versions.map((v) => v.Version)).toEqual([0]);
  });

  it('is still refused for what Nomad refuses in an ID (a space, a null character)', async () => {
    const { app } = await testApi();
    for (const [id, message] of [
      ['a\ud800 b', 'Job ID contains a space'],
      ['a\ud800\u0000', 'Job ID contains a null character'],
    ] as const) {
      const res = await app.inject({
        method: 'PUT',
        url: '/v1/jobs',
        payload: JSON.stringify({ Job: serviceJob(id) }),
      });
      expect(res.statusCode).toBe(500);
      expect(res.body).toContain(message);
    }
  });
});
