// The namespaces API: GET /v1/namespaces, GET/PUT/POST/DELETE /v1/namespace/:name and PUT/POST
// /v1/namespace (the Go client's Register). Nomad namespaces are Kubernetes namespaces through the
// mapping (ids.ts createNamespaceMapper): `default` is the --default-namespace, a Kubernetes
// namespace is the Nomad namespace named in its `nomadoperator.dev/namespace` annotation (written by
// this API) or, without one, the Nomad namespace of its own name when that maps back to it; the
// namespaces of jobs are listed too. The fields Kubernetes has no place for are annotations
// (responses/namespace.ts).
//
// ACL: Nomad shows a token the namespaces it holds any capability in (AllowNamespace); here a caller
// sees a namespace when it may get, list or create nomadjobs there, or get the Kubernetes namespace
// itself; callers allowed to list nomadjobs or namespaces cluster-wide see them all. Writes are
// Kubernetes namespace writes made with the
// operator's credentials, so each is made only after a SubjectAccessReview allowed the caller the same
// verb on the same namespace: `create namespaces` for a new one, `update` or `patch` of that namespace
// for a change, `delete` of it for a delete. Nomad asks for a management token for both.
import type { V1Namespace } from '@kubernetes/client-node';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { namespaceRef, WriteError } from '../../kube/writer.ts';
import { goQuote } from '../../nomad/go.ts';
import { NOMAD_DEFAULT_NAMESPACE } from '../../nomad/ids.ts';
import { ANNOTATION_NAMESPACE } from '../../nomad/keys.ts';
import { formatMultiError } from '../../nomad/validate.ts';
import type { Permission } from '../acl.ts';
import { type Body, field, objectBody } from '../body.ts';
import { ApiError, badRequest, internal, notFound } from '../errors.ts';
import { type ApiDeps, blockingQuery, callerOf, checkRegion, query, requirePermission } from '../http.ts';
import { queryValue } from '../params.ts';
import { isTerminalPod } from '../responses/allocation.ts';
import { jobStatus } from '../responses/job.ts';
import {
  type NamespaceCapabilities,
  type NamespaceSpec,
  type NamespaceView,
  namespaceResponse,
  specAnnotations,
} from '../responses/namespace.ts';
import { resourceVersionOf } from '../state.ts';
import type { ApiStore } from '../store.ts';

/** Nomad's rules for a namespace (structs.Namespace.Validate). */
const VALID_NAME = /^[a-zA-Z0-9-]{1,128}$/;
const MAX_DESCRIPTION_BYTES = 256;

const methodNotAllowed = () => new ApiError(405, 'Invalid method');

/** Any of these in a namespace makes it visible to the caller (Nomad's AllowNamespace). */
function readPermissions(k8sName: string): readonly Permission[] {
  return [
    { verb: 'get' },
    { verb: 'list' },
    { verb: 'create' },
    { verb: 'get', resource: 'namespaces', name: k8sName },
  ];
}
/** Any of these cluster-wide shows every namespace. */
const LIST_EVERYWHERE: readonly Permission[] = [{ verb: 'list' }, { verb: 'list', resource: 'namespaces' }];
/** SubjectAccessReviews in flight at once when sorting out which namespaces a caller sees. */
const REVIEW_CONCURRENCY = 8;

/** The Nomad namespace a Kubernetes namespace holds, if it holds one. */
function nomadNameOf(store: ApiStore, k8s: V1Namespace): string | undefined {
  const name = k8s.metadata?.name ?? '';
  const annotated = k8s.metadata?.annotations?.[ANNOTATION_NAMESPACE];
  if (annotated !== undefined && store.mapNamespace(annotated) === name) return annotated;
  return name !== '' && store.mapNamespace(name) === name ? name : undefined;
}

function liveNamespace(store: ApiStore, k8sName: string): V1Namespace | undefined {
  const found = store.state.get<V1Namespace>('Namespace', undefined, k8sName);
  return found && !found.metadata?.deletionTimestamp ? found : undefined;
}

function viewOf(store: ApiStore, name: string, k8s: V1Namespace | undefined): NamespaceView {
  if (!k8s) return { name, createIndex: 1, modifyIndex: 1 };
  const rv = resourceVersionOf(k8s);
  const seen = store.state.firstSeen(k8s);
  return {
    name,
    k8s,
    createIndex: seen !== undefined && seen > 0 ? Math.min(seen, rv) : rv,
    modifyIndex: rv,
  };
}

/** Every Nomad namespace, by name (as Nomad's table iterates). */
export function nomadNamespaces(store: ApiStore): NamespaceView[] {
  const out = new Map<string, NamespaceView>();
  const add = (name: string, k8s: V1Namespace | undefined) => {
    if (!out.has(name)) out.set(name, viewOf(store, name, k8s));
  };
  add(NOMAD_DEFAULT_NAMESPACE, liveNamespace(store, store.mapNamespace(NOMAD_DEFAULT_NAMESPACE)));
  for (const k8s of store.state.list<V1Namespace>('Namespace')) {
    if (k8s.metadata?.deletionTimestamp) continue;
    const name = nomadNameOf(store, k8s);
    if (name !== undefined) add(name, k8s);
  }
  for (const entry of store.jobs('*')) add(entry.namespace, liveNamespace(store, entry.k8sNamespace));
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function findNamespace(store: ApiStore, name: string): NamespaceView | undefined {
  const k8s = liveNamespace(store, store.mapNamespace(name));
  if (k8s && nomadNameOf(store, k8s) === name) return viewOf(store, name, k8s);
  if (name === NOMAD_DEFAULT_NAMESPACE || store.jobs(name).length > 0) return viewOf(store, name, k8s);
  return undefined;
}

/** Nomad's namespace table index: Kubernetes namespaces and jobs (whose namespaces are listed), at least 1. */
function tableIndex(store: ApiStore): number {
  return Math.max(1, store.state.index('Namespace', 'NomadJob'));
}

// Go's decoder names the field's path from the request struct in its type errors.
function typeError(path: string, goType: string, value: unknown): never {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  throw badRequest(`json: cannot unmarshal ${kind} into Go struct field Namespace.${path} of type ${goType}`);
}

function stringOf(body: Body, name: string, path = name): string {
  const value = field(body, name);
  if (value === undefined) return '';
  if (typeof value !== 'string') typeError(path, 'string', value);
  return value;
}

function objectOf(body: Body, name: string, goType: string): Body | undefined {
  const value = field(body, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) typeError(name, goType, value);
  return value as Body;
}

function stringMapOf(body: Body, name: string): Record<string, string> | null {
  const value = objectOf(body, name, 'map[string]string');
  if (value === undefined) return null;
  for (const item of Object.values(value)) if (typeof item !== 'string') typeError(name, 'string', item);
  return value as Record<string, string>;
}

function stringListOf(body: Body, name: string, path: string): string[] | null {
  const value = field(body, name);
  if (value === undefined) return null;
  if (!Array.isArray(value)) typeError(path, '[]string', value);
  for (const item of value) if (typeof item !== 'string') typeError(path, 'string', item);
  return value as string[];
}

interface ParsedNamespace {
  spec: NamespaceSpec;
  quota: string;
  /** Enterprise-only blocks that were set (their Validate errors in CE). */
  licensed: string[];
}

/** structs.Namespace from a request body, read as Go's decoder reads it. */
function parseNamespace(raw: unknown): ParsedNamespace {
  const body = raw === null ? {} : objectBody(raw, 'structs.Namespace', 'Request body is empty');
  const capabilitiesBody = objectOf(body, 'Capabilities', 'structs.NamespaceCapabilities');
  const list = (name: string) => stringListOf(capabilitiesBody ?? {}, name, `Capabilities.${name}`);
  const capabilities: NamespaceCapabilities | null = capabilitiesBody
    ? {
        EnabledTaskDrivers: list('EnabledTaskDrivers'),
        DisabledTaskDrivers: list('DisabledTaskDrivers'),
        EnabledNetworkModes: list('EnabledNetworkModes'),
        DisabledNetworkModes: list('DisabledNetworkModes'),
      }
    : null;
  const licensed: string[] = [];
  if (objectOf(body, 'NodePoolConfiguration', 'structs.NamespaceNodePoolConfiguration'))
    licensed.push('invalid node pool configuration: Node Pools Governance is unlicensed.');
  if (objectOf(body, 'VaultConfiguration', 'structs.NamespaceVaultConfiguration'))
    licensed.push('invalid vault configuration: Multi-Cluster Vault is unlicensed.');
  if (objectOf(body, 'ConsulConfiguration', 'structs.NamespaceConsulConfiguration'))
    licensed.push('invalid consul configuration: Multi-Cluster Consul is unlicensed.');
  return {
    spec: {
      Name: stringOf(body, 'Name'),
      Description: stringOf(body, 'Description'),
      Capabilities: capabilities,
      Meta: stringMapOf(body, 'Meta'),
      RequiredExtraClaims: stringMapOf(body, 'RequiredExtraClaims'),
      OptionalExtraClaims: stringMapOf(body, 'OptionalExtraClaims'),
    },
    quota: stringOf(body, 'Quota'),
    licensed,
  };
}

/** Nomad's Namespace.Validate, then the community edition's quota check (no quota exists). */
function validateNamespace({ spec, quota, licensed }: ParsedNamespace): void {
  const errors: string[] = [];
  if (!VALID_NAME.test(spec.Name))
    errors.push(`invalid name ${goQuote(spec.Name)}. Must match regex ${VALID_NAME.source}`);
  if (Buffer.byteLength(spec.Description, 'utf8') > MAX_DESCRIPTION_BYTES)
    errors.push(`description longer than ${MAX_DESCRIPTION_BYTES}`);
  errors.push(...licensed);
  if (errors.length > 0)
    throw internal(`Invalid namespace ${goQuote(spec.Name)}: ${formatMultiError(errors)}`);
  if (quota !== '')
    throw internal(`namespace ${goQuote(spec.Name)} using non-existent quota ${goQuote(quota)}`);
}

function writeFailed(error: unknown): never {
  if (error instanceof WriteError) throw internal(error.message);
  throw error;
}

/** A write's answer: X-Nomad-Index and no body, as Nomad's namespace writes. */
function sendEmptyWrite(reply: FastifyReply, index: number): FastifyReply {
  return reply
    .code(200)
    .header('X-Nomad-Index', String(Math.max(1, index)))
    .send();
}

export async function namespaceRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const store = deps.store;

  /** The namespaces (of those there are now) the caller may see; undefined: all of them. */
  const visibleNamespaces = async (request: FastifyRequest): Promise<Set<string> | undefined> => {
    const caller = await callerOf(request, deps);
    if (await deps.authorizer.allowed(caller, '', LIST_EVERYWHERE)) return undefined;
    const pending = nomadNamespaces(store).map((n) => n.name);
    const visible = new Set<string>();
    const worker = async () => {
      for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
        const k8sName = store.mapNamespace(name);
        if (await deps.authorizer.allowed(caller, k8sName, readPermissions(k8sName))) visible.add(name);
      }
    };
    await Promise.all(Array.from({ length: REVIEW_CONCURRENCY }, worker));
    return visible;
  };

  const list = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'GET') throw methodNotAllowed();
    checkRegion(request, deps);
    const visible = await visibleNamespaces(request);
    const prefix = queryValue(query(request), 'prefix') ?? '';
    return blockingQuery(request, reply, deps, () => ({
      index: tableIndex(store),
      body: nomadNamespaces(store)
        .filter((n) => n.name.startsWith(prefix) && (visible === undefined || visible.has(n.name)))
        .map(namespaceResponse),
    }));
  };

  const read = async (request: FastifyRequest, reply: FastifyReply, name: string) => {
    const k8sName = store.mapNamespace(name);
    await requirePermission(request, deps, k8sName, readPermissions(k8sName));
    return blockingQuery(request, reply, deps, () => {
      const found = findNamespace(store, name);
      return found
        ? { index: found.modifyIndex, body: namespaceResponse(found) }
        : { index: tableIndex(store), error: notFound('Namespace not found') };
    });
  };

  const upsert = async (request: FastifyRequest, reply: FastifyReply, pathName: string | undefined) => {
    if (request.body === undefined) throw badRequest('Request body is empty');
    const parsed = parseNamespace(request.body);
    const name = parsed.spec.Name;
    if (pathName !== undefined && name !== pathName)
      throw badRequest('Namespace name does not match request path');
    const k8sName = store.mapNamespace(name);
    const existing = liveNamespace(store, k8sName);
    const permissions: readonly Permission[] = existing
      ? [
          { verb: 'update', resource: 'namespaces', name: k8sName },
          { verb: 'patch', resource: 'namespaces', name: k8sName },
        ]
      : [{ verb: 'create', resource: 'namespaces' }];
    await requirePermission(request, deps, existing ? k8sName : '', permissions);
    validateNamespace(parsed);
    const annotations = specAnnotations(parsed.spec);
    let written: V1Namespace;
    try {
      if (existing)
        written = await store.writer.mergePatch<V1Namespace>(namespaceRef(k8sName), {
          metadata: { annotations },
        });
      else {
        const present = Object.fromEntries(
          Object.entries(annotations).filter((e): e is [string, string] => e[1] !== null),
        );
        written = await store.writer.create<V1Namespace>({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: k8sName, annotations: present },
        });
      }
    } catch (error) {
      writeFailed(error);
    }
    store.state.noteWrite('Namespace', written);
    const index = resourceVersionOf(written);
    await store.state.waitUntil(
      () => resourceVersionOf(store.state.get('Namespace', undefined, k8sName)) >= index,
    );
    return sendEmptyWrite(reply, index);
  };

  const remove = async (request: FastifyRequest, reply: FastifyReply, name: string) => {
    const k8sName = store.mapNamespace(name);
    await requirePermission(request, deps, k8sName, [
      { verb: 'delete', resource: 'namespaces', name: k8sName },
    ]);
    if (name === NOMAD_DEFAULT_NAMESPACE) throw internal('can not delete default namespace');
    const found = findNamespace(store, name);
    if (!found?.k8s) throw internal('namespace not found');
    const jobs = store.jobs(name);
    const regions = `[${deps.region ?? 'global'}]`;
    const errors: string[] = [];
    if (jobs.some((entry) => jobStatus(store, entry) !== 'dead'))
      errors.push(`namespace ${goQuote(name)} has non-terminal jobs in regions: ${regions}`);
    if (jobs.some((entry) => store.pods(entry).some((pod) => !isTerminalPod(pod))))
      errors.push(`namespace ${goQuote(name)} has non-terminal allocations in regions: ${regions}`);
    if (errors.length > 0) throw internal(formatMultiError(errors));
    let index: number | undefined;
    try {
      index = await store.writer.delete(namespaceRef(k8sName));
    } catch (error) {
      writeFailed(error);
    }
    await store.state.waitUntil(() => liveNamespace(store, k8sName) === undefined);
    return sendEmptyWrite(reply, index ?? store.state.index('Namespace'));
  };

  app.all('/v1/namespaces', list);
  app.all('/v1/namespace', async (request, reply) => {
    if (request.method !== 'PUT' && request.method !== 'POST') throw methodNotAllowed();
    checkRegion(request, deps);
    return upsert(request, reply, undefined);
  });
  // Everything after the prefix is the name, as in Nomad (which trims `/v1/namespace/`).
  const specific = async (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
    const name = request.params['*'] ?? '';
    if (name === '') throw badRequest('Missing Namespace Name');
    checkRegion(request, deps);
    switch (request.method) {
      case 'GET':
        return read(request, reply, name);
      case 'PUT':
      case 'POST':
        return upsert(request, reply, name);
      case 'DELETE':
        return remove(request, reply, name);
      default:
        throw methodNotAllowed();
    }
  };
  app.all('/v1/namespace/', specific);
  app.all('/v1/namespace/*', specific);
}
