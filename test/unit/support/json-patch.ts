// RFC 6902 JSON patch for the in-memory clusters of unit tests, as the apiserver applies an
// `application/json-patch+json` body: every operation or none, a failed `test` (or a path that is
// not there) refuses the whole patch with the apiserver's 422 `Invalid`.
import { isDeepStrictEqual } from 'node:util';
import { type JsonPatchOperation, WriteError } from '../../../src/kube/writer.ts';

const refused = () =>
  new WriteError('invalid', 'the server rejected our request due to an error in our request', 422);

/** The keys of a JSON pointer (RFC 6901), unescaped. */
function keysOf(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw refused();
  return pointer
    .slice(1)
    .split('/')
    .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));
}

type Container = Record<string, unknown> | unknown[];

/** The container a pointer's last key is in, and that key. */
function locate(document: unknown, pointer: string): { container: Container; key: string } {
  const keys = keysOf(pointer);
  const key = keys.pop() ?? '';
  let container: unknown = document;
  for (const k of keys) {
    if (container === null || typeof container !== 'object') throw refused();
    container = (container as Record<string, unknown>)[k];
  }
  if (container === null || typeof container !== 'object') throw refused();
  return { container: container as Container, key };
}

/** `document` patched (a copy); throws the apiserver's WriteError when the patch does not apply. */
export function applyJsonPatch<T>(document: T, operations: JsonPatchOperation[]): T {
  const result = structuredClone(document);
  for (const operation of operations) {
    const { container, key } = locate(result, operation.path);
    const present = Object.hasOwn(container, key);
    if (Array.isArray(container)) throw new Error('array paths are not needed by these tests');
    switch (operation.op) {
      case 'test':
        if (!present || !isDeepStrictEqual(container[key], operation.value)) throw refused();
        break;
      case 'add':
        container[key] = structuredClone(operation.value);
        break;
      case 'replace':
        if (!present) throw refused();
        container[key] = structuredClone(operation.value);
        break;
      case 'remove':
        if (!present) throw refused();
        delete container[key];
        break;
    }
  }
  return result;
}
