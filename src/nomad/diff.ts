// Structured job diffs in Nomad's own shape: the `JobDiff` that `GET /v1/job/:id/versions?diffs=true` and
// `PUT /v1/job/:id/plan` return, plus the plan annotations (`forces create`, `forces in-place update`, ...)
// and the per-group update counts of a plan.
//
// The rules follow Nomad's behaviour (nomad/structs/diff.go, scheduler/annotate.go; read for behaviour
// only, nothing copied), applied to plain job JSON with Nomad's PascalCase keys:
// * Primitive fields of an object (strings, numbers, booleans, and `map[string]string` fields such as
//   `Meta`/`Env` flattened to `Meta[key]`) become FieldDiffs with string values; `""` and absent are the
//   same, so `Added` means "was empty". Nested objects and lists are never primitive fields: each kind of
//   nested object has its own ObjectDiff, named as Nomad names it (`Resources`, `Network`, `Dynamic Port`,
//   `Constraint`, `Datacenters`, ...).
// * Task groups and tasks are matched by Name; checks, devices, secrets, identities, volumes and
//   regions by name; ports by label; upstreams by datacenter/destination; templates by destination;
//   services by a name/port/position score; constraints, affinities, artifacts and networks as sets.
// * Job bookkeeping is ignored: ID, Status, StatusDescription, Version, Stable, CreateIndex, ModifyIndex,
//   JobModifyIndex, SubmitTime, NomadTokenID, VaultToken and the job-level Update (Nomad folds it into
//   every group's Update before diffing).
// * Empty lists are `null`, as Go encodes nil slices. FieldDiffs are sorted by Name, Old, New; ObjectDiffs
//   inside a list of like objects by Name, Type (Edited, Added, Deleted, None), size, then contents.
// * Pointer fields Nomad's flattener skips are skipped here too (e.g. a group's MaxClientDisconnect);
//   ShutdownDelay of a group, a template's Uid/Gid and a few Consul gateway pointers are added back the
//   way Nomad does.
//
// Inputs should be canonicalized the same way on both sides (as Nomad diffs canonicalized structs):
// a key that is absent on one side and `null` on the other is treated as equal, but `[]` and `null`, or
// `0` and absent, are not.
//
// Deliberate differences from Nomad: where Nomad's comparator is not a strict order (ObjectDiff.Less),
// this module sorts lexicographically, and where Nomad iterates a map without sorting (group volumes) this
// module sorts, so output never depends on hash-map order. Set members that would diff to nothing (Go
// appends a nil entry there) are left out instead of being emitted as `null`.
import { canonicalJson } from './canonical-json.ts';
import { formatGoDuration } from './duration.ts';
import { goCompareStrings } from './go.ts';
import { keyedBy } from './keyed.ts';

export type DiffType = 'None' | 'Added' | 'Deleted' | 'Edited';

export interface FieldDiff {
  Type: DiffType;
  Name: string;
  Old: string;
  New: string;
  Annotations: string[] | null;
}

export interface ObjectDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
}

export interface TaskDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Annotations: string[] | null;
}

export interface TaskGroupDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Tasks: TaskDiff[] | null;
  /** Plan update counts by kind (`create`, `destroy`, `in-place update`, ...); set by `annotateDiff`. */
  Updates: Record<string, number> | null;
}

export interface JobDiff {
  Type: DiffType;
  ID: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  TaskGroups: TaskGroupDiff[] | null;
}

/** A Nomad job (or any Nomad struct) as JSON with PascalCase keys. */
export type NomadJson = Record<string, unknown>;

export interface DiffOptions {
  /**
   * Also report unchanged fields of changed nested objects (Type `None`), as Nomad's plan and versions
   * endpoints do. Job, group and task level fields are never contextual. Default false.
   */
  contextual?: boolean;
}

/** Task annotations, as Nomad's scheduler writes them. */
export const ANNOTATION_FORCES_CREATE = 'forces create';
export const ANNOTATION_FORCES_DESTROY = 'forces destroy';
export const ANNOTATION_FORCES_INPLACE_UPDATE = 'forces in-place update';
export const ANNOTATION_FORCES_DESTRUCTIVE_UPDATE = 'forces create/destroy update';

/** Keys of `TaskGroupDiff.Updates`. */
export const UPDATE_TYPE_IGNORE = 'ignore';
export const UPDATE_TYPE_CREATE = 'create';
export const UPDATE_TYPE_DESTROY = 'destroy';
export const UPDATE_TYPE_MIGRATE = 'migrate';
export const UPDATE_TYPE_CANARY = 'canary';
export const UPDATE_TYPE_INPLACE_UPDATE = 'in-place update';
export const UPDATE_TYPE_DESTRUCTIVE_UPDATE = 'create/destroy update';

/** Nomad's `DesiredUpdates`: what the scheduler would do to one task group. */
export interface DesiredUpdates {
  Ignore: number;
  Place: number;
  Migrate: number;
  Stop: number;
  InPlaceUpdate: number;
  DestructiveUpdate: number;
  Canary: number;
  Preemptions: number;
  Disconnect: number;
  Reconnect: number;
  RescheduleNow: number;
  RescheduleLater: number;
}

/** Nomad's `PlanAnnotations`. */
export interface PlanAnnotations {
  DesiredTGUpdates: Record<string, DesiredUpdates> | null;
  PreemptedAllocs: unknown[] | null;
}

// ---------------------------------------------------------------------------------------------------
// JSON helpers

type Obj = Record<string, unknown>;
type Flat = Map<string, string>;
type Scalar = string | number | boolean;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObj(value: unknown): Obj | null {
  return isObj(value) ? value : null;
}

function objectsOf(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isObj) : [];
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function textOf(value: unknown): string {
  return isScalar(value) ? formatTyped(value) : '';
}

function numberOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** JSON equality where an absent key equals `null` (both are a Go nil/zero pointer, slice or map). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null) return b === undefined || b === null;
  if (b === undefined || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isObj(a)) {
    if (!isObj(b)) return false;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!jsonEqual(a[key], b[key])) return false;
    }
    return true;
  }
  return false;
}

/** Canonical JSON with sorted keys and without null members: equal Go values give equal strings. */
const goJson = (value: unknown): string => canonicalJson(value, { omitNull: true });

// ---------------------------------------------------------------------------------------------------
// Value formatting (Go's fmt %v)

/** A Go integer, string or bool struct field as Go's `%v` prints it. */
function formatTyped(value: Scalar): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Number.isInteger(value)) return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  return formatGoFloat(value);
}

/** A value of an `interface{}` (task config, scaling policy): JSON numbers are float64 in Go. */
function formatLoose(value: Scalar): string {
  return typeof value === 'number' ? formatGoFloat(value) : formatTyped(value);
}

/**
 * Go's `%v` for a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest digits, exponent form when
 * the exponent is below -4 or at least 6, with a signed exponent of at least two digits.
 *   8080 -> '8080', 1e6 -> '1e+06', 1234567 -> '1.234567e+06', 0.5 -> '0.5', 1e-5 -> '1e-05'
 */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

// ---------------------------------------------------------------------------------------------------
// Flattening

/** Struct fields of Go type `map[string]string`; their entries are primitive fields `Name[key]`. */
const STRING_MAP_FIELDS = new Set([
  'Meta',
  'Env',
  'CanaryMeta',
  'TaggedAddresses',
  'GetterOptions',
  'GetterHeaders',
  'Target',
  'Args',
  'Add',
  'Set',
]);

/**
 * The primitive fields of a struct, as Nomad's flattener sees them in "primitives only" mode: scalar
 * fields, and `map[string]string` fields as `Field[key]`. Nested objects, lists and `interface{}` maps
 * are skipped. `exclude` lists field names (or flattened names such as `Target[Job]`) to leave out,
 * including pointer fields the flattener would skip.
 */
function flattenPrimitive(o: Obj, exclude: readonly string[] = []): Flat {
  const flat: Flat = new Map();
  for (const [key, value] of Object.entries(o)) {
    if (exclude.includes(key)) continue;
    if (isScalar(value)) {
      flat.set(key, formatTyped(value));
    } else if (isObj(value) && STRING_MAP_FIELDS.has(key)) {
      for (const [entry, entryValue] of Object.entries(value)) {
        if (isScalar(entryValue)) flat.set(`${key}[${entry}]`, formatTyped(entryValue));
      }
    }
  }
  for (const key of exclude) flat.delete(key);
  return flat;
}

/** A value of interface type, fully flattened: `a[b]`, `a[0]`, `nil` for null. */
function flattenLoose(out: Flat, prefix: string, value: unknown): void {
  if (value === null || value === undefined) {
    out.set(prefix, 'nil');
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      flattenLoose(out, `${prefix}[${i}]`, item);
    });
  } else if (isObj(value)) {
    for (const [key, item] of Object.entries(value))
      flattenLoose(out, prefix === '' ? key : `${prefix}[${key}]`, item);
  } else if (isScalar(value)) {
    out.set(prefix, formatLoose(value));
  }
}

/** A Go map (`map[string]any`, `map[string][]string`), fully flattened with its keys at the top level. */
function flattenMap(m: Obj | null): Flat {
  const flat: Flat = new Map();
  if (m) for (const [key, value] of Object.entries(m)) flattenLoose(flat, key, value);
  return flat;
}

/** Struct fields of map type that the full flattener leaves out when nil. */
const NIL_MAP_FIELDS = new Set(['Config', 'Env', 'Meta']);

/** A struct fully flattened (pointers followed, `nil` for null pointers), for the few diffs that do so. */
function flattenStructFull(o: Obj): Flat {
  const flat: Flat = new Map();
  for (const [key, value] of Object.entries(o)) {
    if (value === null || value === undefined) {
      if (!NIL_MAP_FIELDS.has(key)) flat.set(key, 'nil');
    } else if (isScalar(value)) {
      flat.set(key, formatTyped(value));
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        flattenLoose(flat, `${key}[${i}]`, item);
      });
    } else if (isObj(value)) {
      for (const [entry, item] of Object.entries(value)) flattenLoose(flat, `${key}[${entry}]`, item);
    }
  }
  return flat;
}

// ---------------------------------------------------------------------------------------------------
// Diff building blocks

const TYPE_RANK: Record<DiffType, number> = { Edited: 0, Added: 1, Deleted: 2, None: 3 };

function orNull<T>(items: T[]): T[] | null {
  return items.length === 0 ? null : items;
}

function makeObjectDiff(
  type: DiffType,
  name: string,
  fields: FieldDiff[],
  objects: ObjectDiff[],
): ObjectDiff {
  return { Type: type, Name: name, Fields: orNull(fields), Objects: orNull(objects) };
}

function compareFieldDiffs(a: FieldDiff, b: FieldDiff): number {
  return goCompareStrings(a.Name, b.Name) || goCompareStrings(a.Old, b.Old) || goCompareStrings(a.New, b.New);
}

function compareObjectDiffs(a: ObjectDiff, b: ObjectDiff): number {
  const byHeader =
    goCompareStrings(a.Name, b.Name) ||
    TYPE_RANK[a.Type] - TYPE_RANK[b.Type] ||
    (a.Fields?.length ?? 0) - (b.Fields?.length ?? 0) ||
    (a.Objects?.length ?? 0) - (b.Objects?.length ?? 0);
  if (byHeader !== 0) return byHeader;
  const fa = a.Fields ?? [];
  const fb = b.Fields ?? [];
  for (let i = 0; i < fa.length; i++) {
    const c = compareFieldDiffs(fa[i] as FieldDiff, fb[i] as FieldDiff);
    if (c !== 0) return c;
  }
  const oa = a.Objects ?? [];
  const ob = b.Objects ?? [];
  for (let i = 0; i < oa.length; i++) {
    const c = compareObjectDiffs(oa[i] as ObjectDiff, ob[i] as ObjectDiff);
    if (c !== 0) return c;
  }
  return 0;
}

function sortObjects(diffs: ObjectDiff[]): ObjectDiff[] {
  return diffs.sort(compareObjectDiffs);
}

/** One field: null when unchanged (unless contextual); `""` on one side means Added/Deleted. */
function fieldDiff(oldValue: string, newValue: string, name: string, contextual: boolean): FieldDiff | null {
  if (oldValue === newValue) {
    return contextual ? { Type: 'None', Name: name, Old: oldValue, New: newValue, Annotations: null } : null;
  }
  if (oldValue === '') return { Type: 'Added', Name: name, Old: '', New: newValue, Annotations: null };
  if (newValue === '') return { Type: 'Deleted', Name: name, Old: oldValue, New: '', Annotations: null };
  return { Type: 'Edited', Name: name, Old: oldValue, New: newValue, Annotations: null };
}

function fieldDiffs(oldFlat: Flat | null, newFlat: Flat | null, contextual: boolean): FieldDiff[] {
  const before = oldFlat ?? new Map<string, string>();
  const after = newFlat ?? new Map<string, string>();
  const diffs: FieldDiff[] = [];
  for (const [name, value] of before) {
    const diff = fieldDiff(value, after.get(name) ?? '', name, contextual);
    if (diff) diffs.push(diff);
  }
  for (const [name, value] of after) {
    if (before.has(name)) continue;
    const diff = fieldDiff('', value, name, contextual);
    if (diff) diffs.push(diff);
  }
  return diffs.sort(compareFieldDiffs);
}

/** Added if only new fields, Deleted if only old ones, Edited otherwise; null when nothing changed. */
function typeFromFields(fields: FieldDiff[]): DiffType | null {
  let added = false;
  let deleted = false;
  for (const field of fields) {
    if (field.Type === 'Edited') return 'Edited';
    if (field.Type === 'Added') added = true;
    if (field.Type === 'Deleted') deleted = true;
  }
  if (added && deleted) return 'Edited';
  if (added) return 'Added';
  if (deleted) return 'Deleted';
  return null;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter(isScalar).map(formatTyped) : [];
}

/** A list of strings compared as a set; each member is a field named after the set. */
function stringSetDiff(
  oldList: unknown,
  newList: unknown,
  name: string,
  contextual: boolean,
): ObjectDiff | null {
  const before = new Set(stringsOf(oldList));
  const after = new Set(stringsOf(newList));
  const same = before.size === after.size && [...before].every((item) => after.has(item));
  if (same && !contextual) return null;
  const fields: FieldDiff[] = [];
  let added = false;
  let removed = false;
  for (const item of before) {
    if (!after.has(item)) {
      const diff = fieldDiff(item, '', name, contextual);
      if (diff) fields.push(diff);
      removed = true;
    } else if (contextual) {
      const diff = fieldDiff(item, item, name, contextual);
      if (diff) fields.push(diff);
    }
  }
  for (const item of after) {
    if (before.has(item)) continue;
    const diff = fieldDiff('', item, name, contextual);
    if (diff) fields.push(diff);
    added = true;
  }
  fields.sort(compareFieldDiffs);
  let type: DiffType;
  if (added && removed) type = 'Edited';
  else if (added) type = 'Added';
  else if (removed) type = 'Deleted';
  else if (fields.length === 0) return null;
  else type = 'None';
  return makeObjectDiff(type, name, fields, []);
}

/** A set diff reported only when something changed (the job and region Datacenters, Periodic Specs). */
function changedSetDiff(
  oldList: unknown,
  newList: unknown,
  name: string,
  contextual: boolean,
): ObjectDiff | null {
  const diff = stringSetDiff(oldList, newList, name, contextual);
  return diff && diff.Type !== 'None' ? diff : null;
}

/** Primitive fields of two objects; the type follows from the fields, null when none changed. */
function primitiveObjectDiff(
  oldObject: unknown,
  newObject: unknown,
  exclude: readonly string[],
  name: string,
  contextual: boolean,
): ObjectDiff | null {
  const o = asObj(oldObject);
  const n = asObj(newObject);
  const fields = fieldDiffs(
    o ? flattenPrimitive(o, exclude) : null,
    n ? flattenPrimitive(n, exclude) : null,
    contextual,
  );
  const type = typeFromFields(fields);
  return type ? makeObjectDiff(type, name, fields, []) : null;
}

/** Like primitiveObjectDiff for a `map[string]string` (entries at the top level). */
function primitiveMapDiff(
  oldMap: unknown,
  newMap: unknown,
  name: string,
  contextual: boolean,
): ObjectDiff | null {
  const flat = (m: Obj | null): Flat => {
    const out: Flat = new Map();
    if (m)
      for (const [key, value] of Object.entries(m)) if (isScalar(value)) out.set(key, formatTyped(value));
    out.delete('');
    return out;
  };
  const fields = fieldDiffs(flat(asObj(oldMap)), flat(asObj(newMap)), contextual);
  const type = typeFromFields(fields);
  return type ? makeObjectDiff(type, name, fields, []) : null;
}

/**
 * A list of objects compared as a set of primitive objects, keyed by `diffId` (empty id: the whole
 * value). A member present on both sides yields an Edited diff only when its id does not cover all of
 * its fields (artifacts by destination); otherwise members are Added or Deleted.
 */
function primitiveObjectSetDiff(
  oldList: unknown,
  newList: unknown,
  exclude: readonly string[],
  name: string,
  contextual: boolean,
  diffId?: (o: Obj) => string,
): ObjectDiff[] {
  const keyed = (list: unknown): Map<string, Obj> => {
    const map = new Map<string, Obj>();
    for (const o of objectsOf(list)) {
      const id = diffId ? diffId(o) : '';
      map.set(id === '' ? `\u0000${goJson(o)}` : id, o);
    }
    return map;
  };
  const before = keyed(oldList);
  const after = keyed(newList);
  const diffs: ObjectDiff[] = [];
  for (const [key, o] of before) {
    const diff = primitiveObjectDiff(o, after.get(key) ?? null, exclude, name, contextual);
    if (diff) diffs.push(diff);
  }
  for (const [key, n] of after) {
    if (before.has(key)) continue;
    const diff = primitiveObjectDiff(null, n, exclude, name, contextual);
    if (diff) diffs.push(diff);
  }
  return sortObjects(diffs);
}

type Children = (o: Obj, n: Obj, contextual: boolean) => Array<ObjectDiff | ObjectDiff[] | null>;

interface StructSpec {
  name: string;
  /** Primitive fields (or pointer fields) to leave out. */
  exclude?: readonly string[];
  /** Flattener replacing the primitive one. */
  flatten?: (o: Obj) => Flat;
  /** Fields contextual regardless of the option (Nomad passes `false` in a few places). */
  fieldsContextual?: boolean;
  /** Adds pointer fields back: called with the flattened maps (null for a missing side). */
  extra?: (o: Obj | null, n: Obj | null, oldFlat: Flat | null, newFlat: Flat | null) => void;
  children?: Children;
  sortObjects?: boolean;
}

function collect(items: Array<ObjectDiff | ObjectDiff[] | null>): ObjectDiff[] {
  const out: ObjectDiff[] = [];
  for (const item of items) {
    if (Array.isArray(item)) out.push(...item);
    else if (item) out.push(item);
  }
  return out;
}

/**
 * The common shape of Nomad's nested diffs: null when both sides are equal; Added/Deleted when a side
 * is missing, Edited otherwise (even if only fields that are not diffed changed); fields from the
 * primitive (or custom) flattening, then child objects.
 */
function structDiff(
  oldValue: unknown,
  newValue: unknown,
  spec: StructSpec,
  contextual: boolean,
): ObjectDiff | null {
  const o = asObj(oldValue);
  const n = asObj(newValue);
  if (jsonEqual(o, n)) return null;
  const type: DiffType = o === null ? 'Added' : n === null ? 'Deleted' : 'Edited';
  const flatten = spec.flatten ?? ((x: Obj) => flattenPrimitive(x, spec.exclude));
  const oldFlat = o ? flatten(o) : null;
  const newFlat = n ? flatten(n) : null;
  spec.extra?.(o, n, oldFlat, newFlat);
  const fields = fieldDiffs(oldFlat, newFlat, spec.fieldsContextual ?? contextual);
  const objects = collect(spec.children?.(o ?? {}, n ?? {}, contextual) ?? []);
  if (spec.sortObjects) sortObjects(objects);
  return makeObjectDiff(type, spec.name, fields, objects);
}

/** An `interface{}` map (task Config, scaling Policy, check Header): typed by emptiness, fully flattened. */
function mapDiff(
  oldMap: unknown,
  newMap: unknown,
  name: string,
  contextual: boolean,
  flatten: (m: Obj | null) => Flat = flattenMap,
): ObjectDiff | null {
  if (jsonEqual(oldMap, newMap)) return null;
  const o = asObj(oldMap);
  const n = asObj(newMap);
  const size = (m: Obj | null) => (m ? Object.keys(m).length : 0);
  const type: DiffType = size(o) === 0 ? 'Added' : size(n) === 0 ? 'Deleted' : 'Edited';
  return makeObjectDiff(type, name, fieldDiffs(flatten(o), flatten(n), contextual), []);
}

/** Objects matched by a key (the last one wins on duplicates, as with Go maps); results sorted. */
function keyedDiffs(
  oldList: unknown,
  newList: unknown,
  key: (o: Obj) => string,
  diff: (o: Obj | null, n: Obj | null) => ObjectDiff | null,
): ObjectDiff[] {
  const index = (list: unknown) => new Map(objectsOf(list).map((o) => [key(o), o] as const));
  const before = index(oldList);
  const after = index(newList);
  const diffs: ObjectDiff[] = [];
  for (const [k, o] of before) {
    const d = diff(o, after.get(k) ?? null);
    if (d) diffs.push(d);
  }
  for (const [k, n] of after) {
    if (before.has(k)) continue;
    const d = diff(null, n);
    if (d) diffs.push(d);
  }
  return sortObjects(diffs);
}

/** Objects matched by position; results sorted. */
function positionalDiffs(
  oldList: unknown,
  newList: unknown,
  diff: (o: Obj | null, n: Obj | null) => ObjectDiff | null,
): ObjectDiff[] {
  const before = objectsOf(oldList);
  const after = objectsOf(newList);
  const diffs: ObjectDiff[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const d = diff(before[i] ?? null, after[i] ?? null);
    if (d) diffs.push(d);
  }
  return sortObjects(diffs);
}

/**
 * Objects without a stable identity, matched by `findMatch` (an index into the new list, or -1); the
 * trivial one-to-one case is diffed directly. Results sorted.
 */
function matchedDiffs(
  oldList: unknown,
  newList: unknown,
  findMatch: (o: Obj, oldIndex: number, candidates: Obj[], taken: boolean[]) => number,
  diff: (o: Obj | null, n: Obj | null) => ObjectDiff | null,
): ObjectDiff[] {
  const before = objectsOf(oldList);
  const after = objectsOf(newList);
  if (before.length === 1 && after.length === 1) {
    const d = diff(before[0] as Obj, after[0] as Obj);
    return d ? [d] : [];
  }
  const taken = after.map(() => false);
  const diffs: ObjectDiff[] = [];
  before.forEach((o, oldIndex) => {
    const match = findMatch(o, oldIndex, after, taken);
    if (match < 0) {
      const d = diff(o, null);
      if (d) diffs.push(d);
      return;
    }
    taken[match] = true;
    const d = diff(o, after[match] as Obj);
    if (d) diffs.push(d);
  });
  after.forEach((n, i) => {
    if (taken[i]) return;
    const d = diff(null, n);
    if (d) diffs.push(d);
  });
  return sortObjects(diffs);
}

const byName = (o: Obj): string => textOf(o.Name);

// ---------------------------------------------------------------------------------------------------
// Nested objects, by Nomad struct

const constraintId = (c: Obj): string => `${textOf(c.LTarget)} ${textOf(c.Operand)} ${textOf(c.RTarget)}`;
const affinityId = (a: Obj): string =>
  `${textOf(a.LTarget)} ${textOf(a.Operand)} ${textOf(a.RTarget)} ${formatTyped(numberOf(a.Weight))}`;

function placementDiffs(o: Obj, n: Obj, contextual: boolean): ObjectDiff[] {
  return [
    ...primitiveObjectSetDiff(o.Constraints, n.Constraints, ['str'], 'Constraint', contextual, constraintId),
    ...primitiveObjectSetDiff(o.Affinities, n.Affinities, ['str'], 'Affinity', contextual, affinityId),
  ];
}

function configDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return mapDiff(o, n, 'Config', contextual);
}

function identityDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Identity',
      children: (a, b, ctx) => [stringSetDiff(a.Audience, b.Audience, 'Audience', ctx)],
    },
    contextual,
  );
}

function identitiesDiffs(o: unknown, n: unknown, contextual: boolean): ObjectDiff[] {
  return keyedDiffs(o, n, byName, (a, b) => identityDiff(a, b, contextual));
}

function volumeMountDiffs(o: unknown, n: unknown, contextual: boolean): ObjectDiff[] {
  return positionalDiffs(o, n, (a, b) => structDiff(a, b, { name: 'VolumeMount' }, contextual));
}

function portDiffs(o: unknown, n: unknown, dynamic: boolean, contextual: boolean): ObjectDiff[] {
  const exclude = dynamic ? ['_struct', 'Value', 'IgnoreCollision'] : ['_struct'];
  const name = dynamic ? 'Dynamic Port' : 'Static Port';
  return keyedDiffs(
    o,
    n,
    (p) => textOf(p.Label),
    (a, b) => primitiveObjectDiff(a, b, exclude, name, contextual),
  );
}

function dnsDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const flatten = (dns: Obj): Flat => {
    const flat: Flat = new Map();
    for (const key of ['Servers', 'Searches', 'Options']) {
      const items = stringsOf(dns[key]);
      if (items.length > 0) flat.set(key, items.join(','));
    }
    return flat;
  };
  return structDiff(o, n, { name: 'DNS', flatten }, contextual);
}

function cniDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const args = (cni: unknown) => asObj(asObj(cni)?.Args) ?? {};
  if (jsonEqual(args(o), args(n))) return null;
  return primitiveMapDiff(args(o), args(n), 'CNIConfig', contextual);
}

function networkDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Network',
      exclude: ['_struct', 'Device', 'CIDR', 'IP', 'MBits'],
      children: (a, b, ctx) => [
        portDiffs(a.ReservedPorts, b.ReservedPorts, false, ctx),
        portDiffs(a.DynamicPorts, b.DynamicPorts, true, ctx),
        dnsDiff(a.DNS, b.DNS, ctx),
        cniDiff(a.CNI, b.CNI, ctx),
      ],
    },
    contextual,
  );
}

/** Networks have no identity: a changed network is a Deleted one plus an Added one. */
function networkDiffs(o: unknown, n: unknown, contextual: boolean): ObjectDiff[] {
  const keyed = (list: unknown) => new Map(objectsOf(list).map((net) => [goJson(net), net] as const));
  const before = keyed(o);
  const after = keyed(n);
  const diffs: ObjectDiff[] = [];
  for (const [key, net] of before) {
    if (after.has(key)) continue;
    const d = networkDiff(net, null, contextual);
    if (d) diffs.push(d);
  }
  for (const [key, net] of after) {
    if (before.has(key)) continue;
    const d = networkDiff(null, net, contextual);
    if (d) diffs.push(d);
  }
  return sortObjects(diffs);
}

function resourcesDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Resources',
      children: (a, b, ctx) => [
        networkDiffs(a.Networks, b.Networks, ctx),
        keyedDiffs(a.Devices, b.Devices, byName, (x, y) => structDiff(x, y, { name: 'Device' }, ctx)),
        structDiff(a.NUMA, b.NUMA, { name: 'NUMA' }, ctx),
      ],
    },
    contextual,
  );
}

function logConfigDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  // `Enabled` exists only in the API struct (deprecated); Nomad's struct keeps `Disabled`.
  return primitiveObjectDiff(o, n, ['Enabled'], 'LogConfig', contextual);
}

function checkDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Check',
      children: (a, b, ctx) => [
        mapDiff(a.Header, b.Header, 'Header', ctx),
        structDiff(a.CheckRestart, b.CheckRestart, { name: 'CheckRestart' }, ctx),
      ],
    },
    contextual,
  );
}

function weightsDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const flatten = (weights: Obj): Flat => {
    const flat: Flat = new Map();
    for (const key of ['Passing', 'Warning']) {
      const value = numberOf(weights[key]);
      if (value > 0) flat.set(key, formatTyped(value));
    }
    return flat;
  };
  return structDiff(o, n, { name: 'Weights', flatten }, contextual);
}

function upstreamDiffs(o: unknown, n: unknown, contextual: boolean): ObjectDiff[] {
  return keyedDiffs(
    o,
    n,
    (u) => `${textOf(u.Datacenter)}/${textOf(u.DestinationName)}`,
    (a, b) =>
      structDiff(
        a,
        b,
        {
          name: 'ConsulUpstreams',
          children: (x, y, ctx) => [
            primitiveObjectDiff(x.MeshGateway, y.MeshGateway, [], 'MeshGateway', ctx),
          ],
        },
        contextual,
      ),
  );
}

function exposeDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  if (jsonEqual(o, n)) return null;
  const isEmpty = (x: unknown) => {
    const e = asObj(x);
    return e === null || objectsOf(e.Paths).length === 0;
  };
  const type: DiffType = isEmpty(o) ? 'Added' : isEmpty(n) ? 'Deleted' : 'Edited';
  const paths = primitiveObjectSetDiff(asObj(o)?.Paths, asObj(n)?.Paths, [], 'Paths', contextual);
  return makeObjectDiff(type, 'Expose', [], paths);
}

function transparentProxyDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff {
  // Nomad reports an unchanged transparent proxy as an empty `None` object rather than omitting it.
  const a = asObj(o);
  const b = asObj(n);
  if (jsonEqual(a, b)) return makeObjectDiff('None', 'TransparentProxy', [], []);
  const type: DiffType = a === null ? 'Added' : b === null ? 'Deleted' : 'Edited';
  const x = a ?? {};
  const y = b ?? {};
  const sets = ['ExcludeInboundPorts', 'ExcludeOutboundPorts', 'ExcludeOutboundCIDRs', 'ExcludeUIDs'].map(
    (key) => changedSetDiff(x[key], y[key], key, contextual),
  );
  const fields = fieldDiffs(a ? flattenPrimitive(a) : null, b ? flattenPrimitive(b) : null, contextual);
  return makeObjectDiff(type, 'TransparentProxy', fields, collect(sets));
}

function consulProxyDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'ConsulProxy',
      children: (a, b, ctx) => [
        upstreamDiffs(a.Upstreams, b.Upstreams, ctx),
        exposeDiff(a.Expose, b.Expose, ctx),
        transparentProxyDiff(a.TransparentProxy, b.TransparentProxy, ctx),
        configDiff(a.Config, b.Config, ctx),
      ],
    },
    contextual,
  );
}

function sidecarTaskDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'SidecarTask',
      exclude: ['KillTimeout', 'ShutdownDelay'],
      fieldsContextual: false,
      children: (a, b, ctx) => [
        configDiff(a.Config, b.Config, ctx),
        resourcesDiff(a.Resources, b.Resources, ctx),
        identitiesDiffs(a.Identities, b.Identities, ctx),
        logConfigDiff(a.LogConfig, b.LogConfig, ctx),
        volumeMountDiffs(a.VolumeMounts, b.VolumeMounts, ctx),
      ],
    },
    contextual,
  );
}

function gatewayTlsDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'TLS',
      children: (a, b, ctx) => [
        stringSetDiff(a.CipherSuites, b.CipherSuites, 'CipherSuites', ctx),
        primitiveObjectDiff(a.SDS, b.SDS, [], 'SDS', ctx),
      ],
    },
    contextual,
  );
}

function headerModifiersDiff(o: unknown, n: unknown, name: string, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    { name, children: (a, b, ctx) => [stringSetDiff(a.Remove, b.Remove, 'Remove', ctx)] },
    contextual,
  );
}

function ingressServiceDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const pointers = ['MaxConnections', 'MaxPendingRequests', 'MaxConcurrentRequests'];
  return structDiff(
    o,
    n,
    {
      name: 'ConsulIngressService',
      exclude: pointers,
      extra: (a, b, oldFlat, newFlat) => {
        for (const key of pointers) {
          const before = a?.[key];
          const after = b?.[key];
          if (oldFlat && isScalar(before)) oldFlat.set(key, formatTyped(before));
          if (newFlat && isScalar(after)) newFlat.set(key, formatTyped(after));
        }
      },
      children: (a, b, ctx) => [
        stringSetDiff(a.Hosts, b.Hosts, 'Hosts', ctx),
        gatewayTlsDiff(a.TLS, b.TLS, ctx),
        headerModifiersDiff(a.RequestHeaders, b.RequestHeaders, 'RequestHeaders', ctx),
        headerModifiersDiff(a.ResponseHeaders, b.ResponseHeaders, 'ResponseHeaders', ctx),
      ],
    },
    contextual,
  );
}

function gatewayProxyDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const bindAddresses = (m: Obj | null): Flat => {
    const flat: Flat = new Map();
    for (const [key, value] of Object.entries(m ?? {})) {
      const address = asObj(value);
      if (!address) continue;
      const host = textOf(address.Address);
      const port = formatTyped(numberOf(address.Port));
      flat.set(key, host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
    }
    return flat;
  };
  return structDiff(
    o,
    n,
    {
      name: 'Proxy',
      exclude: ['ConnectTimeout'],
      extra: (a, b, oldFlat, newFlat) => {
        if (!oldFlat || !newFlat) return;
        const timeout = (x: Obj | null) =>
          typeof x?.ConnectTimeout === 'number' ? formatGoDuration(x.ConnectTimeout) : '';
        oldFlat.set('ConnectTimeout', timeout(a));
        newFlat.set('ConnectTimeout', timeout(b));
      },
      children: (a, b, ctx) => [
        mapDiff(
          a.EnvoyGatewayBindAddresses,
          b.EnvoyGatewayBindAddresses,
          'EnvoyGatewayBindAddresses',
          ctx,
          bindAddresses,
        ),
        configDiff(a.Config, b.Config, ctx),
      ],
    },
    contextual,
  );
}

function ingressListenerDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Listener',
      children: (a, b, ctx) => [
        keyedDiffs(a.Services, b.Services, byName, (x, y) => ingressServiceDiff(x, y, ctx)),
      ],
    },
    contextual,
  );
}

function ingressGatewayDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const listenerKey = (l: Obj) => `${textOf(l.Protocol)}/${formatTyped(numberOf(l.Port))}`;
  return structDiff(
    o,
    n,
    {
      name: 'Ingress',
      children: (a, b, ctx) => [
        gatewayTlsDiff(a.TLS, b.TLS, ctx),
        keyedDiffs(a.Listeners, b.Listeners, listenerKey, (x, y) => ingressListenerDiff(x, y, ctx)),
      ],
    },
    contextual,
  );
}

function terminatingGatewayDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Terminating',
      children: (a, b, ctx) => [
        keyedDiffs(a.Services, b.Services, byName, (x, y) => structDiff(x, y, { name: 'Service' }, ctx)),
      ],
    },
    contextual,
  );
}

function gatewayDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Gateway',
      children: (a, b, ctx) => [
        gatewayProxyDiff(a.Proxy, b.Proxy, ctx),
        ingressGatewayDiff(a.Ingress, b.Ingress, ctx),
        terminatingGatewayDiff(a.Terminating, b.Terminating, ctx),
        // A mesh gateway has no fields: only its presence is reported.
        structDiff(a.Mesh, b.Mesh, { name: 'Mesh', flatten: () => new Map() }, ctx),
      ],
    },
    contextual,
  );
}

function connectDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'ConsulConnect',
      children: (a, b, ctx) => [
        structDiff(
          a.SidecarService,
          b.SidecarService,
          { name: 'SidecarService', children: (x, y, c) => [consulProxyDiff(x.Proxy, y.Proxy, c)] },
          ctx,
        ),
        sidecarTaskDiff(a.SidecarTask, b.SidecarTask, ctx),
        gatewayDiff(a.Gateway, b.Gateway, ctx),
      ],
    },
    contextual,
  );
}

function serviceDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Service',
      children: (a, b, ctx) => [
        stringSetDiff(a.CanaryTags, b.CanaryTags, 'CanaryTags', ctx),
        stringSetDiff(a.Tags, b.Tags, 'Tags', ctx),
        keyedDiffs(a.Checks, b.Checks, byName, (x, y) => checkDiff(x, y, ctx)),
        connectDiff(a.Connect, b.Connect, ctx),
        identityDiff(a.Identity, b.Identity, ctx),
        weightsDiff(a.Weights, b.Weights, ctx),
      ],
    },
    contextual,
  );
}

/** Services have no identity: the best unmatched candidate by name (3), port label (2), position (1). */
function serviceDiffs(o: unknown, n: unknown, contextual: boolean): ObjectDiff[] {
  return matchedDiffs(
    o,
    n,
    (service, oldIndex, candidates, taken) => {
      let best = 0;
      let match = -1;
      candidates.forEach((candidate, i) => {
        if (taken[i]) return;
        let score = i === oldIndex ? 1 : 0;
        if (textOf(service.PortLabel) === textOf(candidate.PortLabel)) score += 2;
        if (textOf(service.Name) === textOf(candidate.Name)) score += 3;
        if (score > 2 && score > best) {
          best = score;
          match = i;
        }
      });
      return match;
    },
    (a, b) => serviceDiff(a, b, contextual),
  );
}

function templateDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Template',
      exclude: ['Uid', 'Gid'],
      extra: (a, b, oldFlat, newFlat) => {
        for (const key of ['Uid', 'Gid']) {
          const before = a?.[key];
          const after = b?.[key];
          if (oldFlat && isScalar(before)) oldFlat.set(key, formatTyped(before));
          if (newFlat && isScalar(after)) newFlat.set(key, formatTyped(after));
        }
      },
      children: (a, b, ctx) => [
        // Nomad names the wait block's diff "Template" too.
        structDiff(a.Wait, b.Wait, { name: 'Template', flatten: flattenStructFull }, ctx),
        structDiff(
          a.ChangeScript,
          b.ChangeScript,
          { name: 'ChangeScript', children: (x, y, c) => [stringSetDiff(x.Args, y.Args, 'Args', c)] },
          ctx,
        ),
      ],
    },
    contextual,
  );
}

/** Templates are matched by destination path. */
function templateDiffs(o: unknown, n: unknown, contextual: boolean): ObjectDiff[] {
  return matchedDiffs(
    o,
    n,
    (template, _oldIndex, candidates, taken) =>
      candidates.findIndex(
        (candidate, i) => !taken[i] && textOf(candidate.DestPath) === textOf(template.DestPath),
      ),
    (a, b) => templateDiff(a, b, contextual),
  );
}

function scalingDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'Scaling',
      exclude: [
        'CreateIndex',
        'ModifyIndex',
        'ID',
        'Type',
        'Target[Job]',
        'Target[Group]',
        'Target[Namespace]',
      ],
      fieldsContextual: false,
      sortObjects: true,
      children: (a, b) => [mapDiff(a.Policy, b.Policy, 'Policy', false)],
    },
    contextual,
  );
}

function volumeDiffs(o: unknown, n: unknown, contextual: boolean): ObjectDiff[] {
  if (jsonEqual(o, n)) return [];
  const before = asObj(o) ?? {};
  const after = asObj(n) ?? {};
  const diff = (a: unknown, b: unknown) =>
    structDiff(
      a,
      b,
      {
        name: 'Volume',
        children: (x, y, ctx) => [
          structDiff(
            x.MountOptions,
            y.MountOptions,
            {
              name: 'MountOptions',
              children: (p, q, c) => [stringSetDiff(p.MountFlags, q.MountFlags, 'MountFlags', c)],
            },
            ctx,
          ),
        ],
      },
      contextual,
    );
  const diffs: ObjectDiff[] = [];
  for (const [name, request] of Object.entries(before)) {
    const d = diff(request, after[name] ?? null);
    if (d) diffs.push(d);
  }
  for (const [name, request] of Object.entries(after)) {
    if (name in before) continue;
    const d = diff(null, request);
    if (d) diffs.push(d);
  }
  return sortObjects(diffs);
}

function periodicDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    { name: 'Periodic', children: (a, b, ctx) => [changedSetDiff(a.Specs, b.Specs, 'Specs', ctx)] },
    contextual,
  );
}

function parameterizedDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  return structDiff(
    o,
    n,
    {
      name: 'ParameterizedJob',
      children: (a, b, ctx) => [
        stringSetDiff(a.MetaOptional, b.MetaOptional, 'MetaOptional', ctx),
        stringSetDiff(a.MetaRequired, b.MetaRequired, 'MetaRequired', ctx),
      ],
    },
    contextual,
  );
}

function regionDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const a = asObj(o);
  const b = asObj(n);
  if (jsonEqual(a, b)) return null;
  const fields = fieldDiffs(a ? flattenPrimitive(a) : null, b ? flattenPrimitive(b) : null, contextual);
  // A region's type comes from its fields alone; a Datacenters-only change is not reported.
  const type = typeFromFields(fields);
  if (!type) return null;
  const datacenters = changedSetDiff(a?.Datacenters, b?.Datacenters, 'Datacenters', contextual);
  return makeObjectDiff(type, 'Region', fields, datacenters ? [datacenters] : []);
}

function multiregionDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const a = asObj(o);
  const b = asObj(n);
  if (jsonEqual(a, b)) return null;
  const type: DiffType = a === null ? 'Added' : b === null ? 'Deleted' : 'Edited';
  // Nomad compares an added block against a canonicalized empty one, whose strategy is all zeroes.
  const oldStrategy = a === null ? { MaxParallel: 0, OnFailure: '' } : a.Strategy;
  const objects = collect([
    primitiveObjectDiff(oldStrategy, b?.Strategy, [], 'Strategy', contextual),
    keyedDiffs(a?.Regions, b?.Regions, byName, (x, y) => regionDiff(x, y, contextual)),
  ]);
  return makeObjectDiff(type, 'Multiregion', [], sortObjects(objects));
}

function uiDiff(o: unknown, n: unknown, contextual: boolean): ObjectDiff | null {
  const linkDiff = (a: Obj | null, b: Obj | null): ObjectDiff | null => {
    const x = a ?? {};
    const y = b ?? {};
    if (jsonEqual(x, y)) return null;
    const fields = fieldDiffs(flattenPrimitive(x), flattenPrimitive(y), contextual);
    const type: DiffType = a === null ? 'Added' : b === null ? 'Deleted' : 'Edited';
    return makeObjectDiff(type, 'Link', fields, []);
  };
  return structDiff(
    o,
    n,
    { name: 'UI', sortObjects: true, children: (a, b) => [positionalDiffs(a.Links, b.Links, linkDiff)] },
    contextual,
  );
}

// ---------------------------------------------------------------------------------------------------
// Tasks, groups, jobs

function taskDiff(o: Obj | null, n: Obj | null, contextual: boolean): TaskDiff {
  const name = textOf((n ?? o)?.Name);
  if (o && n && name !== textOf(o.Name)) {
    throw new Error(
      `can not diff tasks with different names: ${JSON.stringify(textOf(o.Name))} and ${JSON.stringify(name)}`,
    );
  }
  const type: DiffType = o === null ? 'Added' : n === null ? 'Deleted' : jsonEqual(o, n) ? 'None' : 'Edited';
  const exclude = ['Name', 'Config'];
  const fields = fieldDiffs(
    o ? flattenPrimitive(o, exclude) : null,
    n ? flattenPrimitive(n, exclude) : null,
    false,
  );
  const a = o ?? {};
  const b = n ?? {};
  const objects = collect([
    placementDiffs(a, b, contextual),
    configDiff(a.Config, b.Config, contextual),
    resourcesDiff(a.Resources, b.Resources, contextual),
    logConfigDiff(a.LogConfig, b.LogConfig, contextual),
    primitiveObjectDiff(a.DispatchPayload, b.DispatchPayload, [], 'DispatchPayload', contextual),
    primitiveObjectSetDiff(a.Artifacts, b.Artifacts, [], 'Artifact', contextual, (x) =>
      textOf(x.RelativeDest),
    ),
    serviceDiffs(a.Services, b.Services, contextual),
    structDiff(a.Vault, b.Vault, { name: 'Vault' }, contextual),
    keyedDiffs(a.Secrets, b.Secrets, byName, (x, y) =>
      structDiff(x, y, { name: 'Secret', flatten: flattenStructFull }, contextual),
    ),
    primitiveObjectDiff(a.Consul, b.Consul, [], 'Consul', contextual),
    templateDiffs(a.Templates, b.Templates, contextual),
    identityDiff(a.Identity, b.Identity, contextual),
    identitiesDiffs(a.Identities, b.Identities, contextual),
    positionalDiffs(a.Actions, b.Actions, (x, y) =>
      structDiff(
        x,
        y,
        { name: 'Action', children: (p, q, c) => [stringSetDiff(p.Args, q.Args, 'Args', c)] },
        contextual,
      ),
    ),
    volumeMountDiffs(a.VolumeMounts, b.VolumeMounts, contextual),
    jsonEqual(a.Schedule, b.Schedule)
      ? null
      : primitiveObjectDiff(asObj(a.Schedule)?.Cron, asObj(b.Schedule)?.Cron, [], 'Schedule', contextual),
  ]);
  return { Type: type, Name: name, Fields: orNull(fields), Objects: orNull(objects), Annotations: null };
}

function taskDiffs(oldTasks: unknown, newTasks: unknown, contextual: boolean): TaskDiff[] {
  const index = (list: unknown) => new Map(objectsOf(list).map((t) => [textOf(t.Name), t] as const));
  const before = index(oldTasks);
  const after = index(newTasks);
  const diffs: TaskDiff[] = [];
  for (const [name, task] of before) diffs.push(taskDiff(task, after.get(name) ?? null, contextual));
  for (const [name, task] of after) if (!before.has(name)) diffs.push(taskDiff(null, task, contextual));
  return diffs.sort((x, y) => goCompareStrings(x.Name, y.Name));
}

/** Group pointer fields the flattener skips; ShutdownDelay is added back when both groups exist. */
const GROUP_POINTER_FIELDS = [
  'ShutdownDelay',
  'MaxRunDuration',
  'StopAfterClientDisconnect',
  'MaxClientDisconnect',
];

function taskGroupDiff(o: Obj | null, n: Obj | null, contextual: boolean): TaskGroupDiff {
  const name = textOf((n ?? o)?.Name);
  if (o && n && name !== textOf(o.Name)) {
    throw new Error(
      `can not diff task groups with different names: ${JSON.stringify(textOf(o.Name))} and ${JSON.stringify(name)}`,
    );
  }
  const type: DiffType = o === null ? 'Added' : n === null ? 'Deleted' : jsonEqual(o, n) ? 'None' : 'Edited';
  const exclude = ['Name', ...GROUP_POINTER_FIELDS];
  const oldFlat = o ? flattenPrimitive(o, exclude) : null;
  const newFlat = n ? flattenPrimitive(n, exclude) : null;
  if (o && n && oldFlat && newFlat) {
    const delay = (g: Obj) => (isScalar(g.ShutdownDelay) ? formatTyped(g.ShutdownDelay) : '');
    oldFlat.set('ShutdownDelay', delay(o));
    newFlat.set('ShutdownDelay', delay(n));
  }
  const fields = fieldDiffs(oldFlat, newFlat, false);
  const a = o ?? {};
  const b = n ?? {};
  const objects = collect([
    placementDiffs(a, b, contextual),
    primitiveObjectDiff(a.RestartPolicy, b.RestartPolicy, [], 'RestartPolicy', contextual),
    primitiveObjectDiff(a.Migrate, b.Migrate, [], 'Migrate', contextual),
    primitiveObjectDiff(a.ReschedulePolicy, b.ReschedulePolicy, [], 'ReschedulePolicy', contextual),
    primitiveObjectDiff(a.EphemeralDisk, b.EphemeralDisk, [], 'EphemeralDisk', contextual),
    primitiveObjectDiff(a.Consul, b.Consul, [], 'Consul', contextual),
    primitiveObjectDiff(a.Update, b.Update, ['Stagger'], 'Update', contextual),
    structDiff(a.Disconnect, b.Disconnect, { name: 'Disconnect', flatten: flattenStructFull }, contextual),
    networkDiffs(a.Networks, b.Networks, contextual),
    scalingDiff(a.Scaling, b.Scaling, contextual),
    serviceDiffs(a.Services, b.Services, contextual),
    volumeDiffs(a.Volumes, b.Volumes, contextual),
  ]);
  const tasks = taskDiffs(a.Tasks, b.Tasks, contextual);
  return {
    Type: type,
    Name: name,
    Fields: orNull(fields),
    Objects: orNull(objects),
    Tasks: orNull(tasks),
    Updates: null,
  };
}

function taskGroupDiffs(oldGroups: unknown, newGroups: unknown, contextual: boolean): TaskGroupDiff[] {
  const index = (list: unknown) => new Map(objectsOf(list).map((g) => [textOf(g.Name), g] as const));
  const before = index(oldGroups);
  const after = index(newGroups);
  const diffs: TaskGroupDiff[] = [];
  for (const [name, group] of before) diffs.push(taskGroupDiff(group, after.get(name) ?? null, contextual));
  for (const [name, group] of after)
    if (!before.has(name)) diffs.push(taskGroupDiff(null, group, contextual));
  return diffs.sort((x, y) => goCompareStrings(x.Name, y.Name));
}

/** Job fields that change on every version or are folded into the groups. */
const JOB_IGNORED_FIELDS = [
  'ID',
  'Status',
  'StatusDescription',
  'Version',
  'Stable',
  'CreateIndex',
  'ModifyIndex',
  'JobModifyIndex',
  'Update',
  'SubmitTime',
  'NomadTokenID',
  'VaultToken',
  // Not primitive in Nomad's struct (`[]byte`), or absent from it (API-only, deprecated).
  'Payload',
  'ConsulToken',
];

/**
 * Nomad's structured diff between two versions of a job (`null` for "no job": the result is then
 * Added or Deleted). Throws when both jobs exist with different IDs, or when groups or tasks cannot be
 * matched, as Nomad does.
 */
export function diffJobs(
  oldJob: NomadJson | null | undefined,
  newJob: NomadJson | null | undefined,
  options: DiffOptions = {},
): JobDiff {
  const contextual = options.contextual ?? false;
  const o = asObj(oldJob);
  const n = asObj(newJob);
  if (o === null && n === null)
    return { Type: 'None', ID: '', Fields: null, Objects: null, TaskGroups: null };
  if (o && n && textOf(o.ID) !== textOf(n.ID)) {
    throw new Error(
      `can not diff jobs with different IDs: ${JSON.stringify(textOf(o.ID))} and ${JSON.stringify(textOf(n.ID))}`,
    );
  }
  const fields = fieldDiffs(
    o ? flattenPrimitive(o, JOB_IGNORED_FIELDS) : null,
    n ? flattenPrimitive(n, JOB_IGNORED_FIELDS) : null,
    false,
  );
  const a = o ?? {};
  const b = n ?? {};
  const taskGroups = taskGroupDiffs(a.TaskGroups, b.TaskGroups, contextual);
  const objects = collect([
    changedSetDiff(a.Datacenters, b.Datacenters, 'Datacenters', contextual),
    placementDiffs(a, b, contextual),
    periodicDiff(a.Periodic, b.Periodic, contextual),
    parameterizedDiff(a.ParameterizedJob, b.ParameterizedJob, contextual),
    multiregionDiff(a.Multiregion, b.Multiregion, contextual),
    uiDiff(a.UI, b.UI, contextual),
  ]);
  let type: DiffType = o === null ? 'Added' : n === null ? 'Deleted' : 'None';
  if (
    type === 'None' &&
    (fields.some((f) => f.Type !== 'None') ||
      objects.some((d) => d.Type !== 'None') ||
      taskGroups.some((g) => g.Type !== 'None'))
  ) {
    type = 'Edited';
  }
  return {
    Type: type,
    ID: textOf((n ?? o)?.ID),
    Fields: orNull(fields),
    Objects: orNull(objects),
    TaskGroups: orNull(taskGroups),
  };
}

/**
 * The `Diffs` of `GET /v1/job/:id/versions?diffs=true`: `versions` newest first (as that endpoint lists
 * them); each version is diffed against the next older one, or against `compareTo` (the `diff_version`
 * / `diff_tag` version) for every version when given. Contextual, as Nomad computes them.
 */
export function versionDiffs(versions: readonly NomadJson[], compareTo?: NomadJson): JobDiff[] {
  const diffs: JobDiff[] = [];
  versions.forEach((version, i) => {
    const older = compareTo ?? versions[i + 1];
    if (older === undefined) return;
    diffs.push(diffJobs(older, version, { contextual: true }));
  });
  return diffs;
}

// ---------------------------------------------------------------------------------------------------
// Plan annotations

function addAnnotation(list: string[] | null, annotation: string): string[] {
  const out = list ?? [];
  if (!out.includes(annotation)) out.push(annotation);
  return out;
}

/** Task changes that Nomad can apply without replacing the allocation. */
const IN_PLACE_OBJECTS = new Set(['Service', 'Constraint', 'Affinity', 'Spread']);

/**
 * How a changed task is applied, by Nomad's annotation rules: created/destroyed with its group;
 * in place when only KillTimeout, services, constraints, affinities or log settings other than
 * `Disabled` changed; otherwise by replacing the allocation. Null for an unchanged task.
 */
function taskAnnotation(task: TaskDiff, group: TaskGroupDiff): string | null {
  if (task.Type === 'None') return null;
  if (group.Type === 'Added' || group.Type === 'Deleted') {
    if (task.Type === 'Added') return ANNOTATION_FORCES_CREATE;
    if (task.Type === 'Deleted') return ANNOTATION_FORCES_DESTROY;
  }
  const destructive =
    (task.Fields ?? []).some((field) => field.Name !== 'KillTimeout') ||
    (task.Objects ?? []).some((object) => {
      if (IN_PLACE_OBJECTS.has(object.Name)) return false;
      if (object.Name === 'LogConfig')
        return (object.Fields ?? []).some((field) => field.Name === 'Disabled');
      return true;
    });
  return destructive ? ANNOTATION_FORCES_DESTRUCTIVE_UPDATE : ANNOTATION_FORCES_INPLACE_UPDATE;
}

/**
 * Adds Nomad's plan annotations to a diff, in place, and returns it:
 * * each group's `Updates` from `annotations.DesiredTGUpdates` (non-zero counts only, keyed `create`,
 *   `destroy`, `ignore`, `migrate`, `canary`, `in-place update`, `create/destroy update`);
 * * the group `Count` field: `forces create` when it grows, `forces destroy` when it shrinks;
 * * every changed task: `forces create` / `forces destroy` inside an added / deleted group, otherwise
 *   `forces in-place update` or `forces create/destroy update`.
 * Annotations already present are not repeated, so annotating twice is harmless.
 */
export function annotateDiff(
  diff: JobDiff,
  annotations?: Pick<PlanAnnotations, 'DesiredTGUpdates'> | null,
): JobDiff {
  for (const group of diff.TaskGroups ?? []) {
    const desired = annotations?.DesiredTGUpdates?.[group.Name];
    if (desired) {
      const counts: Array<[string, number]> = [
        [UPDATE_TYPE_IGNORE, desired.Ignore],
        [UPDATE_TYPE_CREATE, desired.Place],
        [UPDATE_TYPE_MIGRATE, desired.Migrate],
        [UPDATE_TYPE_DESTROY, desired.Stop],
        [UPDATE_TYPE_CANARY, desired.Canary],
        [UPDATE_TYPE_INPLACE_UPDATE, desired.InPlaceUpdate],
        [UPDATE_TYPE_DESTRUCTIVE_UPDATE, desired.DestructiveUpdate],
      ];
      const updates: Record<string, number> = { ...(group.Updates ?? {}) };
      for (const [kind, count] of counts) if (count) updates[kind] = count;
      // Go encodes map keys sorted.
      group.Updates = Object.fromEntries(Object.entries(updates).sort(([x], [y]) => goCompareStrings(x, y)));
    }
    const count = group.Fields?.find((field) => field.Name === 'Count');
    if (count) {
      const before = count.Old === '' ? 0 : Number.parseInt(count.Old, 10);
      const after = count.New === '' ? 0 : Number.parseInt(count.New, 10);
      if (before < after) count.Annotations = addAnnotation(count.Annotations, ANNOTATION_FORCES_CREATE);
      else if (after < before)
        count.Annotations = addAnnotation(count.Annotations, ANNOTATION_FORCES_DESTROY);
    }
    for (const task of group.Tasks ?? []) {
      const annotation = taskAnnotation(task, group);
      if (annotation) task.Annotations = addAnnotation(task.Annotations, annotation);
    }
  }
  return diff;
}

/** A DesiredUpdates with every count zero. */
export function emptyDesiredUpdates(): DesiredUpdates {
  return {
    Ignore: 0,
    Place: 0,
    Migrate: 0,
    Stop: 0,
    InPlaceUpdate: 0,
    DestructiveUpdate: 0,
    Canary: 0,
    Preemptions: 0,
    Disconnect: 0,
    Reconnect: 0,
    RescheduleNow: 0,
    RescheduleLater: 0,
  };
}

/** Group-level changes that make Nomad replace allocations rather than update them in place. */
const DESTRUCTIVE_GROUP_OBJECTS = new Set(['EphemeralDisk', 'Network', 'Volume', 'Consul']);

function groupIsDestructive(group: TaskGroupDiff, job: JobDiff): boolean {
  if ((job.Fields ?? []).some((field) => field.Name.startsWith('Meta['))) return true;
  if ((group.Fields ?? []).some((field) => field.Name.startsWith('Meta['))) return true;
  if (
    (group.Objects ?? []).some(
      (object) => DESTRUCTIVE_GROUP_OBJECTS.has(object.Name) && object.Type !== 'None',
    )
  ) {
    return true;
  }
  if (
    (group.Objects ?? []).some(
      (object) => object.Name === 'Service' && object.Objects?.some((o) => o.Name === 'ConsulConnect'),
    )
  ) {
    return true;
  }
  return (group.Tasks ?? []).some(
    (task) =>
      task.Type === 'Added' ||
      task.Type === 'Deleted' ||
      taskAnnotation(task, group) === ANNOTATION_FORCES_DESTRUCTIVE_UPDATE,
  );
}

/**
 * The `DesiredTGUpdates` a plan would report, as far as they follow from the two job versions alone: it
 * assumes every allocation of the old version is running and the cluster has room, so there is nothing
 * to migrate, reschedule, reconnect or preempt. Per group:
 * * added: `Place` = count; removed (or the new job has `Stop` set): `Stop` = old count; unchanged
 *   job: `Ignore` = count;
 * * otherwise growth is placed, shrinkage stopped, and the allocations kept are updated in place
 *   (`InPlaceUpdate`; in a changed job every group's allocations move to the new version) or, when the
 *   change forces new allocations (a task annotated `forces create/destroy update`, a task added or
 *   removed, or a change of meta, ephemeral disk, networks, volumes, Consul namespace or Connect),
 *   replaced: `Canary` = the update block's canary count with the rest ignored until promotion, or
 *   `DestructiveUpdate` limited to the update block's MaxParallel for service jobs, the rest ignored.
 */
export function desiredTGUpdates(
  oldJob: NomadJson | null | undefined,
  newJob: NomadJson | null | undefined,
  diff: JobDiff = diffJobs(oldJob, newJob),
): Record<string, DesiredUpdates> {
  const groups = (job: NomadJson | null | undefined) =>
    new Map(objectsOf(job?.TaskGroups).map((g) => [textOf(g.Name), g] as const));
  const before = groups(oldJob);
  const after = groups(newJob);
  const batch = textOf(newJob?.Type) === 'batch' || textOf(newJob?.Type) === 'sysbatch';
  const stopped = newJob?.Stop === true;
  const result = keyedBy<DesiredUpdates>();
  for (const group of diff.TaskGroups ?? []) {
    const updates = emptyDesiredUpdates();
    const oldCount = numberOf(before.get(group.Name)?.Count);
    const newGroup = after.get(group.Name);
    const newCount = numberOf(newGroup?.Count);
    if (group.Type === 'Added') {
      updates.Place = newCount;
    } else if (group.Type === 'Deleted' || stopped) {
      updates.Stop = oldCount;
    } else if (diff.Type === 'None') {
      updates.Ignore = newCount;
    } else {
      const kept = Math.min(oldCount, newCount);
      updates.Place = Math.max(0, newCount - oldCount);
      updates.Stop = Math.max(0, oldCount - newCount);
      if (!groupIsDestructive(group, diff)) {
        updates.InPlaceUpdate = kept;
      } else {
        const update = asObj(newGroup?.Update);
        const canary = numberOf(update?.Canary);
        const maxParallel = numberOf(update?.MaxParallel);
        if (canary > 0 && !batch) {
          updates.Canary = canary;
          updates.Ignore = kept;
        } else {
          updates.DestructiveUpdate = !batch && maxParallel > 0 ? Math.min(kept, maxParallel) : kept;
          updates.Ignore = kept - updates.DestructiveUpdate;
        }
      }
    }
    result[group.Name] = updates;
  }
  return result;
}

/**
 * Everything a plan response needs from the two job versions: the contextual diff, annotated, and the
 * plan annotations it was annotated with.
 */
export function planDiff(
  oldJob: NomadJson | null | undefined,
  newJob: NomadJson | null | undefined,
): { diff: JobDiff; annotations: PlanAnnotations } {
  const diff = diffJobs(oldJob, newJob, { contextual: true });
  const annotations: PlanAnnotations = {
    DesiredTGUpdates: desiredTGUpdates(oldJob, newJob, diff),
    PreemptedAllocs: null,
  };
  return { diff: annotateDiff(diff, annotations), annotations };
}
