// Identity mapping: (Nomad namespace, Nomad job ID) <-> (Kubernetes namespace, object name).
//
// Nomad job IDs may contain anything: `/`, `\`, `:`, newlines, `?`, spaces, upper case, non-ASCII, and
// they may be long (dispatched children look like `parent/dispatch-1485408778-81644024`, periodic
// children `parent/periodic-1485408778`). Kubernetes names are far stricter. This module defines the
// one deterministic mapping the operator uses everywhere, and the labels/annotations (keys in keys.ts)
// under which the exact Nomad values are stored, so the reverse lookup never has to decode a name.
//
// ## Encoding rule (used for every mapping below)
//
// A value is used verbatim when it is already valid for the target AND contains no `--`. Otherwise it
// becomes `<stem>--<hash>`:
//   * `<stem>` is a readable, sanitized prefix of the value (lower-cased, diacritics dropped, runs of
//     other characters turned into one `-`, truncated). It never contains `--`.
//   * `<hash>` is 16 characters of RFC 4648 base32 (lower case, alphabet `a-z2-7`) of the SHA-256 of the
//     exact value: the first 80 bits of the digest.
// Verbatim outputs never contain `--`; hashed outputs always do. The two sets are therefore disjoint, so
// an ID that happens to look like another ID's hashed name (`web--abcdefghijklmnop`) is itself hashed
// and can never be confused with it. Verbatim outputs are injective (identity); hashed outputs are
// injective unless two values share the first 80 bits of their SHA-256 (about 4e-13 for a million IDs
// in one namespace). The stem is decoration only; uniqueness comes from the hash.
//
// ## Name budget
//
//   NomadJob name (jobObjectName)   <= 45 chars, DNS-1035 label (starts with a letter, [a-z0-9-]).
//   child object (childName)        <= 63 chars (or a smaller bound, e.g. 52 for CronJobs/StatefulSets):
//                                   `<job>--<part>[--<part>...]`, e.g. `web--cache` for group `cache`.
//   So a group/part name of up to 16 characters always fits readably next to a 45-character job name:
//   45 + `--` + 16 = 63. Anything longer, or not a plain lower-case name, makes the whole child name
//   `<stem>--<hash>` (still <= the bound).
// A DNS-1035 label is also a valid DNS-1123 subdomain and label, so every name here can be used for
// NomadJobs, Deployments, Jobs, ConfigMaps and Services alike.
import { createHash } from 'node:crypto';
import {
  ANNOTATION_JOB_ID,
  ANNOTATION_NAMESPACE,
  ANNOTATION_PARENT_ID,
  LABEL_JOB,
  LABEL_JOB_ID,
  LABEL_MANAGED_BY,
  LABEL_NAMESPACE,
  LABEL_PARENT_ID,
  MANAGED_BY,
} from './keys.ts';

/** Nomad's default namespace. */
export const NOMAD_DEFAULT_NAMESPACE = 'default';

/** Longest NomadJob object name this module produces. */
export const JOB_NAME_MAX_LENGTH = 45;
/** Longest DNS-1035 / DNS-1123 label (Service names, namespaces, label values). */
export const LABEL_MAX_LENGTH = 63;
/** Longest DNS-1123 subdomain (most object names). */
export const SUBDOMAIN_MAX_LENGTH = 253;
/** Characters of base32 hash in a hashed name (80 bits). */
export const HASH_LENGTH = 16;
/** `--` plus the hash. */
const HASH_SUFFIX_LENGTH = 2 + HASH_LENGTH;
/** Smallest bound `boundedChildName` accepts: a one-character stem plus `--<hash>`. */
export const MIN_CHILD_NAME_LENGTH = 1 + HASH_SUFFIX_LENGTH;

const DNS1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
/** Lower-case words joined by single hyphens: a DNS-1123 label without `--`. */
const SIMPLE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A segment that could be a hash: exactly HASH_LENGTH base32 characters. */
const HASH_LIKE = /^[a-z2-7]{16}$/;
/** A hashed job name: simple stem starting with a letter, `--`, hash. */
const HASHED_JOB_NAME = /^[a-z](?:[a-z0-9]*(?:-[a-z0-9]+)*)?--[a-z2-7]{16}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 1123 label: lower-case alphanumerics and `-`, alphanumeric at both ends, at most 63 characters. */
export function isDns1123Label(value: string): boolean {
  return value.length <= LABEL_MAX_LENGTH && DNS1123_LABEL.test(value);
}

/** RFC 1035 label (Service names): like a DNS-1123 label, but must start with a letter. */
export function isDns1035Label(value: string): boolean {
  return value.length <= LABEL_MAX_LENGTH && DNS1035_LABEL.test(value);
}

/** RFC 1123 subdomain (most object names): dot-separated DNS-1123 labels, at most 253 characters. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= SUBDOMAIN_MAX_LENGTH && DNS1123_SUBDOMAIN.test(value);
}

/** Kubernetes label value: empty, or at most 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends. */
export function isLabelValue(value: string): boolean {
  return value.length <= LABEL_MAX_LENGTH && LABEL_VALUE.test(value);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The bytes hashed for a string. Well-formed strings hash as UTF-8. A JavaScript string with a lone
 * surrogate has no UTF-8 form (Node would turn it into U+FFFD, merging distinct strings), so it hashes as
 * 0xFF followed by its UTF-16LE code units; 0xFF never occurs in UTF-8, so the two forms cannot meet.
 */
function hashInput(value: string): Buffer {
  if (!LONE_SURROGATE.test(value)) return Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([0xff]), Buffer.from(value, 'utf16le')]);
}

/** First 80 bits of SHA-256(value) as 16 lower-case base32 characters. */
export function hashToken(value: string): string {
  const digest = createHash('sha256').update(hashInput(value)).digest();
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of digest) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < HASH_LENGTH) {
      out += BASE32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === HASH_LENGTH) break;
  }
  return out;
}

/** Unicode letters with their diacritics removed (`é` -> `e`, full-width `ｗ` -> `w`). */
function fold(value: string): string {
  return value.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/**
 * A readable DNS-label stem: lower case, every run of other characters becomes one `-`, no `-` at
 * either end, at most `maxLength` characters. With `letterFirst`, leading characters up to the first
 * letter are dropped (DNS-1035). May be empty.
 */
function dnsStem(value: string, maxLength: number, letterFirst: boolean): string {
  let stem = fold(value)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
  stem = stem.replace(letterFirst ? /^[^a-z]+/ : /^-+/, '');
  return stem.slice(0, maxLength).replace(/-+$/, '');
}

/**
 * The NomadJob object name for a Nomad job ID (the Kubernetes namespace is chosen separately, see
 * `createNamespaceMapper`). The ID itself when it is a DNS-1035 label of at most 45 characters without
 * `--`; otherwise `<stem>--<hash>` with a stem of at most 27 characters. Always a DNS-1035 label of at
 * most JOB_NAME_MAX_LENGTH characters, so also a valid DNS-1123 subdomain.
 *
 *   'example'                              -> 'example'
 *   'Example'                              -> 'example--<hash>'
 *   'parent/dispatch-1485408778-81644024'  -> 'parent-dispatch-1485408778--<hash>'
 *   'web--abcdefghijklmnop'                -> 'web-abcdefghijklmnop--<hash>' (looks hashed, so hashed)
 */
export function jobObjectName(jobId: string): string {
  if (jobId.length <= JOB_NAME_MAX_LENGTH && SIMPLE.test(jobId) && DNS1035_LABEL.test(jobId)) return jobId;
  const stem = dnsStem(jobId, JOB_NAME_MAX_LENGTH - HASH_SUFFIX_LENGTH, true) || 'job';
  return `${stem}--${hashToken(jobId)}`;
}

/** Whether `name` is a possible output of `jobObjectName` (by form; says nothing about which ID). */
export function isJobObjectName(name: string): boolean {
  if (name.length > JOB_NAME_MAX_LENGTH) return false;
  return (SIMPLE.test(name) && DNS1035_LABEL.test(name)) || HASHED_JOB_NAME.test(name);
}

/**
 * A label value standing for an arbitrary string (job ID, namespace, group or task name): the string
 * itself when it is a valid label value without `--`, otherwise `<stem>--<hash>` where the stem keeps
 * case, `.` and `_`. Injective, deterministic, always a valid label value.
 *
 *   'example' -> 'example', 'My_Job.v2' -> 'My_Job.v2', 'a/b' -> 'a-b--<hash>', '' -> ''
 */
export function labelValueFor(value: string): string {
  if (value.length <= LABEL_MAX_LENGTH && LABEL_VALUE.test(value) && !value.includes('--')) return value;
  let stem = fold(value)
    .replace(/[^A-Za-z0-9_.]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  stem = stem.slice(0, LABEL_MAX_LENGTH - HASH_SUFFIX_LENGTH).replace(/[^A-Za-z0-9]+$/, '');
  return `${stem || 'x'}--${hashToken(value)}`;
}

/** A part of a child name that may appear verbatim: simple and not mistakable for a hash. */
function isPlainPart(part: string): boolean {
  return SIMPLE.test(part) && !HASH_LIKE.test(part);
}

/**
 * Name of an object owned by a NomadJob (Deployment, Service, Job, ConfigMap, ...), at most 63
 * characters and a DNS-1035 label. See `boundedChildName`.
 */
export function childName(jobName: string, ...parts: string[]): string {
  return boundedChildName(LABEL_MAX_LENGTH, jobName, ...parts);
}

/**
 * Name of an object owned by a NomadJob, a DNS-1035 label of at most `maxLength` characters (use 52 for
 * CronJobs and StatefulSets, whose controllers append suffixes).
 *
 * Readable form `<jobName>--<part>[--<part>...]` when `jobName` is a `jobObjectName` output, every part
 * is a plain lower-case name (DNS-1123 label chars, no `--`, not 16 base32 characters) and the result
 * fits; otherwise `<stem>--<hash of [jobName, ...parts]>`.
 *
 * Injective over all (jobName, parts) pairs, whatever the number of parts: split a name at `--`. A
 * hashed form has exactly two segments and its last one looks like a hash; a readable form's last
 * segment is a plain part, which never looks like a hash. In a readable form the second segment looks
 * like a hash exactly when the job name is itself hashed (`stem--hash`), so the job name and parts can
 * be read back unambiguously.
 *
 *   childName('web', 'cache')            -> 'web--cache'
 *   childName('web', 'cache', 'redis')   -> 'web--cache--redis'
 *   childName('web', 'Cache')            -> 'web-cache--<hash>'
 */
export function boundedChildName(maxLength: number, jobName: string, ...parts: string[]): string {
  if (parts.length === 0) throw new TypeError('childName needs at least one part besides the job name');
  if (!Number.isInteger(maxLength) || maxLength < MIN_CHILD_NAME_LENGTH || maxLength > LABEL_MAX_LENGTH) {
    throw new RangeError(
      `child name bound must be an integer from ${MIN_CHILD_NAME_LENGTH} to ${LABEL_MAX_LENGTH}, got ${maxLength}`,
    );
  }
  if (isJobObjectName(jobName) && parts.every(isPlainPart)) {
    const readable = [jobName, ...parts].join('--');
    if (readable.length <= maxLength) return readable;
  }
  const stem = dnsStem([jobName, ...parts].join('-'), maxLength - HASH_SUFFIX_LENGTH, true) || 'x';
  return `${stem}--${hashToken(JSON.stringify([jobName, ...parts]))}`;
}

/** How Nomad namespaces map onto Kubernetes namespaces. */
export interface NamespaceMappingOptions {
  /** Kubernetes namespace for Nomad's `default` namespace. Default `default`. */
  defaultNamespace?: string;
  /**
   * Prefix for every other Nomad namespace, e.g. `nomad-` maps Nomad `prod` to `nomad-prod`. Default
   * none: Nomad `prod` maps to Kubernetes `prod`.
   */
  prefix?: string;
}

/** Maps a Nomad namespace name to the Kubernetes namespace holding its jobs. */
export type NamespaceMapper = (nomadNamespace: string) => string;

/** Kubernetes namespaces a Nomad namespace must never land in verbatim. */
function isReservedNamespace(name: string): boolean {
  return name.startsWith('kube-');
}

/**
 * Builds the namespace mapping. Nomad `default` goes to `defaultNamespace`. Any other namespace `ns`
 * goes to `prefix + ns` when that is a DNS-1123 label without `--`, is not `defaultNamespace` and does
 * not start with `kube-`; otherwise to `<stem>--<hash of ns>`. Injective: verbatim results differ from
 * `defaultNamespace` by construction and never contain `--`, while hashed results always do and
 * `defaultNamespace` may not. Throws on an invalid configuration.
 */
export function createNamespaceMapper(options: NamespaceMappingOptions = {}): NamespaceMapper {
  const defaultNamespace = options.defaultNamespace ?? NOMAD_DEFAULT_NAMESPACE;
  const prefix = options.prefix ?? '';
  if (!isDns1123Label(defaultNamespace) || defaultNamespace.includes('--')) {
    throw new Error(
      `defaultNamespace ${JSON.stringify(defaultNamespace)} must be a DNS-1123 label without "--"`,
    );
  }
  if (
    prefix !== '' &&
    (!/^[a-z0-9][-a-z0-9]*$/.test(prefix) || prefix.includes('--') || prefix.length > 40)
  ) {
    throw new Error(
      `namespace prefix ${JSON.stringify(prefix)} must be at most 40 of [a-z0-9-], start with a letter or digit and have no "--"`,
    );
  }
  return (nomadNamespace: string): string => {
    if (nomadNamespace === NOMAD_DEFAULT_NAMESPACE) return defaultNamespace;
    const candidate = prefix + nomadNamespace;
    if (
      isDns1123Label(candidate) &&
      !candidate.includes('--') &&
      candidate !== defaultNamespace &&
      !isReservedNamespace(candidate)
    ) {
      return candidate;
    }
    let stem = dnsStem(candidate, LABEL_MAX_LENGTH - HASH_SUFFIX_LENGTH, false) || 'ns';
    // Keep hashed names out of the `kube-` prefix Kubernetes reserves for itself.
    if (isReservedNamespace(stem)) stem = dnsStem(`x-${stem}`, LABEL_MAX_LENGTH - HASH_SUFFIX_LENGTH, false);
    return `${stem}--${hashToken(nomadNamespace)}`;
  };
}

/** One-off form of `createNamespaceMapper(options)(nomadNamespace)`. */
export function kubernetesNamespaceFor(
  nomadNamespace: string,
  options: NamespaceMappingOptions = {},
): string {
  return createNamespaceMapper(options)(nomadNamespace);
}

/** Where a Nomad job lives in Kubernetes. */
export interface KubernetesObjectRef {
  namespace: string;
  name: string;
}

/** Kubernetes namespace and NomadJob name for a Nomad (namespace, job ID) pair. */
export function objectRefFor(
  nomadNamespace: string,
  jobId: string,
  mapNamespace: NamespaceMapper = createNamespaceMapper(),
): KubernetesObjectRef {
  return { namespace: mapNamespace(nomadNamespace), name: jobObjectName(jobId) };
}

/** The exact Nomad identity of a job, as stored in annotations. */
export interface NomadJobIdentity {
  namespace: string;
  jobId: string;
  /** Set on dispatched and periodic children. */
  parentId?: string;
}

/** Annotations holding the exact identity; the reverse lookup reads these, never the name. */
export function identityAnnotations(identity: NomadJobIdentity): Record<string, string> {
  const annotations: Record<string, string> = {
    [ANNOTATION_NAMESPACE]: identity.namespace,
    [ANNOTATION_JOB_ID]: identity.jobId,
  };
  if (identity.parentId !== undefined && identity.parentId !== '') {
    annotations[ANNOTATION_PARENT_ID] = identity.parentId;
  }
  return annotations;
}

/** Selector labels for a job and every object it owns. */
export function identityLabels(identity: NomadJobIdentity): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_JOB]: jobObjectName(identity.jobId),
    [LABEL_JOB_ID]: labelValueFor(identity.jobId),
    [LABEL_NAMESPACE]: labelValueFor(identity.namespace),
  };
  if (identity.parentId !== undefined && identity.parentId !== '') {
    labels[LABEL_PARENT_ID] = labelValueFor(identity.parentId);
  }
  return labels;
}

/** Reads the exact identity back from object metadata; undefined when the annotations are missing. */
export function readIdentity(metadata: {
  annotations?: Record<string, string> | null;
}): NomadJobIdentity | undefined {
  const annotations = metadata.annotations ?? {};
  const namespace = annotations[ANNOTATION_NAMESPACE];
  const jobId = annotations[ANNOTATION_JOB_ID];
  if (namespace === undefined || jobId === undefined) return undefined;
  const parentId = annotations[ANNOTATION_PARENT_ID];
  return parentId === undefined ? { namespace, jobId } : { namespace, jobId, parentId };
}
