// JSON text read the way Go's encoding/json reads it, where that differs from JSON.parse: Nomad's
// agent (and the apiserver behind us) decode every body with it, so the API and `convert` must too.

/** A `\uD800`–`\uDFFF` escape in JSON text: the only way a lone surrogate can reach JSON.parse. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Parsed JSON as Go's encoding/json decodes it: a lone UTF-16 surrogate (`"\ud800"` without its
 * pair) becomes U+FFFD, in values and keys alike (keys that become equal: the last wins). JavaScript
 * keeps lone surrogates, but Nomad (and the apiserver, which stores what we write) never sees one: a
 * job ID `"sur\ud800"` is the ID `sur\ufffd` to Nomad, and must be the same ID here.
 */
export function parseJsonAsGo(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  return SURROGATE_ESCAPE.test(text) ? wellFormed(value) : value;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const wellFormedString = (value: string) => value.replace(LONE_SURROGATE, '\uFFFD');

function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return wellFormedString(value);
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormedString(k), wellFormed(v)]));
}
