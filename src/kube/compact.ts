// Cached objects in the smallest form V8 has for them. The informers' transforms (informer.ts) drop
// fields the operator never reads with `delete`, and V8 turns an object that lost a property other
// than its newest into a hash table ("dictionary mode"): a stripped pod's metadata, spec and
// containers each became one, and the stripped pod took more heap than the whole pod had (4.6 KB
// against 4.3 KB, a kwok pod of the bench's job). Rebuilding the object through JSON gives every
// part the layout JSON.parse gives it (properties stored in the object, a shape shared by every
// object with the same fields); interning its short strings then keeps one copy of each value that
// repeats across the cache (namespaces, apiVersions, kinds, images, label keys and values, condition
// types and reasons, the timestamps of one second), where JSON.parse makes a copy per occurrence.
// The same pod: 1.9 KB. test/unit/kube/compact.test.ts holds the transform to it.
//
// Interning uses V8's own string table, through a property key (a property name is always the
// table's one copy of its text): the table holds its strings weakly, so a value no cached object
// uses anymore is collected, and there is no table of ours to grow with every name and uid.

/** Strings longer than this are kept as they are: long values rarely repeat. */
const INTERN_MAX_LENGTH = 64;

/** The one copy of `text` in V8's string table (the property key made of it). */
function interned(text: string): string {
  const holder = { [text]: 0 };
  for (const key in holder) return key;
  return text;
}

function internStrings(value: object): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'string') {
        if (item.length <= INTERN_MAX_LENGTH) value[i] = interned(item);
      } else if (typeof item === 'object' && item !== null) internStrings(item);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'string') {
      // (A parsed `__proto__` key is an own data property: assigning to it sets that property.)
      if (item.length <= INTERN_MAX_LENGTH) record[key] = interned(item);
    } else if (typeof item === 'object' && item !== null) internStrings(item);
  }
}

/**
 * A copy of a JSON value (what the apiserver sent, possibly with fields deleted) in V8's compact
 * form: rebuilt by JSON.parse, short strings interned. Equal to `value` as JSON.
 */
export function compactJson<T>(value: T): T {
  const copy = JSON.parse(JSON.stringify(value)) as T;
  if (typeof copy === 'object' && copy !== null) internStrings(copy);
  return copy;
}
