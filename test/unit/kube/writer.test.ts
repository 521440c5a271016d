// The write port's one mapping of apiserver failures (WriteError kinds, with the apiserver's status
// and Status kept for callers that read them) and the one rate limit its writers share.
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubeErrorCode, kubeErrorMessage } from '../../../src/kube/errors.ts';
import { sharedWriteLimiter } from '../../../src/kube/rate-limit.ts';
import { createIfAbsent, isWriteError, WriteError, writeErrorOf } from '../../../src/kube/writer.ts';

const status = (code: number, message: string) =>
  new ApiException(code, 'Unsuccessful HTTP Request', { kind: 'Status', code, message }, {});

describe('writeErrorOf', () => {
  it.each([
    [409, 'configmaps "a" already exists', 'already-exists'],
    [409, 'Operation cannot be fulfilled on nomadjobs "a": the object has been modified', 'conflict'],
    [404, 'namespaces "gone" not found', 'namespace-missing'],
    [404, 'nomadjobs.nomadoperator.dev "a" not found', 'not-found'],
    [422, 'ControllerRevision "a--v0" is invalid: data: Invalid value', 'invalid'],
    [400, 'bad request', 'invalid'],
    [500, 'etcdserver: request timed out', 'other'],
  ])('%i %j is %s', (code, message, kind) => {
    const error = writeErrorOf(status(code, message));
    expect(error).toBeInstanceOf(WriteError);
    expect(error).toMatchObject({ kind, code, message });
    // What the apiserver said stays readable through the usual helpers.
    expect(kubeErrorCode(error)).toBe(code);
    expect(kubeErrorMessage(error)).toBe(message);
  });

  it('passes a WriteError through and maps anything else to other', () => {
    const already = new WriteError('conflict', 'x', 409);
    expect(writeErrorOf(already)).toBe(already);
    expect(writeErrorOf(new Error('socket hang up'))).toMatchObject({
      kind: 'other',
      message: 'socket hang up',
    });
    expect(isWriteError(already, 'conflict', 'not-found')).toBe(true);
    expect(isWriteError(already, 'not-found')).toBe(false);
    expect(isWriteError(new Error('x'))).toBe(false);
  });
});

describe('createIfAbsent', () => {
  const writer = (fail?: WriteError) =>
    ({
      create: async <T>(object: T) => {
        if (fail) throw fail;
        return object;
      },
    }) as unknown as Parameters<typeof createIfAbsent>[0];

  it('is true when it created, false when someone else had, and fails otherwise', async () => {
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } };
    expect(await createIfAbsent(writer(), object)).toBe(true);
    expect(await createIfAbsent(writer(new WriteError('already-exists', 'exists', 409)), object)).toBe(false);
    await expect(createIfAbsent(writer(new WriteError('invalid', 'no', 422)), object)).rejects.toThrow('no');
  });
});

describe('sharedWriteLimiter', () => {
  it('is one bucket per KubeConfig, sized by the first caller', () => {
    const kc = new KubeConfig();
    const first = sharedWriteLimiter(kc, { qps: 7, burst: 3 });
    expect(sharedWriteLimiter(kc, { qps: 100, burst: 100 })).toBe(first);
    expect(first).toMatchObject({ qps: 7, burst: 3 });
    expect(sharedWriteLimiter(new KubeConfig())).not.toBe(first);
  });
});
