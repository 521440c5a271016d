import { describe, expect, it } from 'vitest';
import { payloadSecretOf } from '../../../src/controller/reconcile.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import {
  checkDispatch,
  DISPATCH_PAYLOAD_SIZE_LIMIT,
  decodePayload,
  deriveDispatchedJob,
  dispatchedChildObject,
  dispatchedJobId,
  randomSuffix,
  tokenClaimName,
} from '../../../src/jobs/dispatch.ts';
import { checkSpec } from '../../../src/jobs/spec.ts';
import { isParentJob } from '../../../src/jobs/status.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { childName, isDns1123Subdomain, jobObjectName } from '../../../src/nomad/ids.ts';
import { ANNOTATION_PARENT_ID, LABEL_PARENT_ID } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';

function parent(parameterized: Job['ParameterizedJob'] = {}, extra: Partial<Job> = {}): Job {
  return canonicalize({
    ID: 'report',
    Type: 'batch',
    Datacenters: ['*'],
    Meta: { team: 'data', customer: 'default' },
    ParameterizedJob: parameterized,
    TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }] }],
    ...extra,
  });
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('checkDispatch', () => {
  it("refuses a job that is not parameterized, a dispatched child and a stopped parent with Nomad's messages", () => {
    const plain = canonicalize({ ID: 'plain', Type: 'batch' });
    expect(checkDispatch(plain, {})).toEqual({
      ok: false,
      status: 500,
      message: 'Specified job "plain" is not a parameterized job',
    });
    const child = { ...parent(), ID: 'report/dispatch-1-abcdef01', Dispatched: true };
    expect(checkDispatch(child, {})).toMatchObject({
      message: 'Specified job "report/dispatch-1-abcdef01" is not a parameterized job',
    });
    expect(checkDispatch(parent({}, { Stop: true }), {})).toMatchObject({
      message: 'Specified job "report" is stopped',
    });
  });

  it('enforces payload required / optional / forbidden and the 16 KiB limit (decoded)', () => {
    expect(checkDispatch(parent({ Payload: 'required' }), {})).toMatchObject({
      message: 'Payload is not provided but required by parameterized job',
    });
    expect(checkDispatch(parent({ Payload: 'required' }), { payload: '' })).toMatchObject({ ok: false });
    expect(checkDispatch(parent({ Payload: 'forbidden' }), { payload: b64('x') })).toMatchObject({
      message: 'Payload provided but forbidden by parameterized job',
    });
    expect(checkDispatch(parent({ Payload: 'forbidden' }), {})).toMatchObject({ ok: true });
    const exact = Buffer.alloc(DISPATCH_PAYLOAD_SIZE_LIMIT, 1).toString('base64');
    expect(checkDispatch(parent(), { payload: exact })).toMatchObject({ ok: true });
    const over = Buffer.alloc(DISPATCH_PAYLOAD_SIZE_LIMIT + 1, 1).toString('base64');
    expect(checkDispatch(parent(), { payload: over })).toEqual({
      ok: false,
      status: 500,
      message: 'Payload exceeds maximum size; 16385 > 16384',
    });
    // Optional is the default (canonicalize fills it in; an empty mode also means optional).
    expect(parent().ParameterizedJob?.Payload).toBe('optional');
    const result = checkDispatch(parent(), { payload: b64('hello') });
    expect(result.ok && result.payload.toString()).toBe('hello');
  });

  it('answers 400 for a payload that is not base64', () => {
    for (const payload of ['***', 'abc', 'YQ']) {
      expect(checkDispatch(parent(), { payload })).toEqual({
        ok: false,
        status: 400,
        message: 'Payload is not valid base64',
      });
    }
    expect(decodePayload('aGVs\nbG8=')?.toString()).toBe('hello');
  });

  it('enforces MetaRequired and MetaOptional, listing keys sorted as Go prints a []string', () => {
    const p = parent({ MetaRequired: ['b', 'a'], MetaOptional: ['opt'] });
    expect(checkDispatch(p, { meta: { a: '1', b: '2', opt: '3', zz: '4', yy: '5' } })).toMatchObject({
      message: 'Dispatch request included unpermitted metadata keys: [yy zz]',
    });
    expect(checkDispatch(p, { meta: { opt: '3' } })).toMatchObject({
      message: 'Dispatch did not provide required meta keys: [a b]',
    });
    expect(checkDispatch(p, { meta: { a: '1' } })).toMatchObject({
      message: 'Dispatch did not provide required meta keys: [b]',
    });
    expect(checkDispatch(p, { meta: { a: '1', b: '' } })).toMatchObject({ ok: true });
    // Unpermitted keys are reported before missing ones, as in Nomad.
    expect(checkDispatch(p, { meta: { x: '1' } })).toMatchObject({
      message: 'Dispatch request included unpermitted metadata keys: [x]',
    });
  });

  it('checks the priority', () => {
    for (const priority of [-1, 101, 1.5]) {
      expect(checkDispatch(parent(), { priority })).toMatchObject({
        message: 'dispatch job priority must be between [1, 100]',
      });
    }
    for (const priority of [0, 1, 100])
      expect(checkDispatch(parent(), { priority })).toMatchObject({ ok: true });
  });
});

describe('the dispatched child', () => {
  it("has Nomad's ID: <parent>/dispatch-[<template>-]<unix>-<8 hex>", () => {
    const at = new Date('2017-01-26T05:32:58.999Z');
    expect(dispatchedJobId('example', at, '81644024')).toBe('example/dispatch-1485408778-81644024');
    expect(dispatchedJobId('example', at, '81644024', 'nightly')).toBe(
      'example/dispatch-nightly-1485408778-81644024',
    );
    expect(randomSuffix()).toMatch(/^[0-9a-f]{8}$/);
    expect(randomSuffix()).not.toBe(randomSuffix());
  });

  it("is the parent's job with ParentID, Dispatched, merged meta, payload and token", () => {
    const p = {
      ...parent({ MetaOptional: ['customer', 'tier'] }),
      Version: 4,
      SubmitTime: 123,
      Stable: true,
    };
    const child = deriveDispatchedJob(
      p,
      { meta: { customer: 'acme' }, idempotencyToken: 'tok', priority: 70 },
      'report/dispatch-1-abcdef01',
      Buffer.from('hello'),
    );
    expect(child).toMatchObject({
      ID: 'report/dispatch-1-abcdef01',
      Name: 'report/dispatch-1-abcdef01',
      ParentID: 'report',
      Dispatched: true,
      DispatchIdempotencyToken: 'tok',
      Priority: 70,
      Meta: { team: 'data', customer: 'acme' },
      Payload: b64('hello'),
      ParameterizedJob: { MetaOptional: ['customer', 'tier'] },
    });
    for (const field of ['Version', 'SubmitTime', 'Stable'] as const) expect(child[field]).toBeUndefined();
    expect(isParentJob(child)).toBe(false);
    expect(isParentJob(p)).toBe(true);
    // The parent is left alone.
    expect(p.Meta).toEqual({ team: 'data', customer: 'default' });
    // No payload, no token: neither field.
    const bare = deriveDispatchedJob(p, {}, 'report/dispatch-2-abcdef02', Buffer.alloc(0));
    expect(bare.Payload).toBeUndefined();
    expect(bare.DispatchIdempotencyToken).toBeUndefined();
    expect(bare.Priority).toBe(p.Priority);
  });

  it('is a valid NomadJob owned by the parent, labelled and annotated with its parent, payload included', () => {
    const parentObject = {
      ...nomadJobObject(parent() as Record<string, unknown>),
      metadata: {
        name: 'report',
        namespace: 'team-a',
        uid: 'u-1',
        annotations: { 'nomadoperator.dev/job-id': 'report', 'nomadoperator.dev/namespace': 'default' },
      },
    };
    const childJob = deriveDispatchedJob(
      parent(),
      { meta: {} },
      'report/dispatch-1-abcdef01',
      Buffer.from('x'),
    );
    const object = dispatchedChildObject(parentObject as ReturnType<typeof nomadJobObject>, childJob);
    expect(object.metadata?.name).toBe(jobObjectName('report/dispatch-1-abcdef01'));
    expect(object.metadata?.namespace).toBe('team-a');
    expect(object.metadata?.annotations?.[ANNOTATION_PARENT_ID]).toBe('report');
    expect(object.metadata?.labels?.[LABEL_PARENT_ID]).toBe('report');
    expect(object.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'nomadoperator.dev/v1alpha1',
        kind: 'NomadJob',
        name: 'report',
        uid: 'u-1',
        controller: false,
        blockOwnerDeletion: true,
      },
    ]);
    // The reconciler accepts it although registration forbids payloads.
    const checked = checkSpec(object);
    expect(checked.ok && checked.job.Payload).toBe(b64('x'));
    expect(checkSpec({ ...object, spec: { ...object.spec, dispatched: false } })).toMatchObject({
      ok: false,
      message: expect.stringContaining("job can't be submitted with a payload, only dispatched"),
    });
  });

  it('claims a token under a name derived from (parent, token) only', () => {
    const a = tokenClaimName('report', 'token-1');
    expect(tokenClaimName('report', 'token-1')).toBe(a);
    expect(tokenClaimName('report', 'token-2')).not.toBe(a);
    expect(tokenClaimName('other', 'token-1')).not.toBe(a);
    expect(isDns1123Subdomain(a)).toBe(true);
    expect(isDns1123Subdomain(tokenClaimName('report', 'Any/thing ✓ at all'.repeat(20)))).toBe(true);
  });
});

describe('the payload Secret the reconciler makes for a dispatched child', () => {
  it('holds the raw payload under key payload, named after the child, and only for dispatched children', () => {
    const childJob = deriveDispatchedJob(
      parent(),
      {},
      'report/dispatch-1-abcdef01',
      Buffer.from([0, 1, 254, 255]),
    );
    const object = nomadJobObject(childJob as Record<string, unknown>, () => 'team-a');
    const secret = payloadSecretOf(object, childJob);
    expect(secret?.metadata?.name).toBe(childName(object.metadata?.name ?? '', 'payload'));
    expect(secret?.metadata?.namespace).toBe('team-a');
    expect(secret?.metadata?.labels?.[LABEL_PARENT_ID]).toBe('report');
    expect(Buffer.from(secret?.data?.payload ?? '', 'base64')).toEqual(Buffer.from([0, 1, 254, 255]));
    expect(payloadSecretOf(object, { ...childJob, Payload: undefined })).toBeUndefined();
    expect(payloadSecretOf(object, { ...childJob, Dispatched: false })).toBeUndefined();
  });
});
