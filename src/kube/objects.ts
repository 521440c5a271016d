// Objects addressed by apiVersion, kind, namespace and name (what client-node's KubernetesObjectApi
// offered): the URL path of a kind comes from the apiserver's discovery document of its group version
// (`/api/v1`, `/apis/apps/v1`), fetched once per group version and again when a kind is missing from
// it (a CRD installed since). Objects are sent and returned as the apiserver's JSON, untouched: what
// the informer caches hold too (timestamps are strings).
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { contentTypes, type KubeClient, kubeClient } from './client.ts';
import type { KubeConfig } from './kubeconfig.ts';

export interface ObjectAddress {
  apiVersion: string;
  kind: string;
  /** Unset for cluster-scoped kinds; for a namespaced kind, the kubeconfig's namespace then. */
  namespace?: string;
  /** Unset for collections. */
  name?: string;
  /** The kind's resource name (`nomadjobs`) and scope, when known: no discovery needed. */
  resource?: { plural: string; namespaced: boolean };
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  /** The kind's resource, when known (see ObjectAddress). */
  resource?: ObjectAddress['resource'];
}

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const groupVersionPath = (apiVersion: string) =>
  apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;

export class KubeObjects {
  readonly client: KubeClient;
  readonly #discovered = new Map<string, Promise<DiscoveredResource[]>>();

  constructor(client: KubeClient) {
    this.client = client;
  }

  /** The URL path of an object (with `name`) or of its collection (without). */
  async path(address: ObjectAddress, subresource?: string): Promise<string> {
    const resource = address.resource ?? (await this.#resource(address.apiVersion, address.kind));
    const namespace = resource.namespaced ? address.namespace || this.client.config.namespace : undefined;
    const parts = [groupVersionPath(address.apiVersion)];
    if (namespace) parts.push('namespaces', encodeURIComponent(namespace));
    parts.push(resource.plural);
    if (address.name !== undefined) parts.push(encodeURIComponent(address.name));
    if (subresource) parts.push(subresource);
    return parts.join('/');
  }

  async read<T extends KubernetesObject>(address: ObjectAddress & { name: string }): Promise<T> {
    return this.client.request<T>({ method: 'GET', path: await this.path(address) });
  }

  /** Every item gets the list's apiVersion and kind (a list leaves them out), as informers do. */
  async list<T extends KubernetesObject>(
    address: Omit<ObjectAddress, 'name'>,
    options: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<T[]> {
    const path = await this.path({ ...address, name: undefined });
    const list = await this.client.request<KubernetesListObject<T>>({
      method: 'GET',
      path,
      query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
    });
    return (list.items ?? []).map((item) => ({
      apiVersion: address.apiVersion,
      kind: address.kind,
      ...item,
    }));
  }

  async create<T extends KubernetesObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const path = await this.path({ ...addressOf(object, options.resource), name: undefined });
    return this.client.request<T>({ method: 'POST', path, body: object, query: writeQuery(options) });
  }

  /** PUT: `metadata.resourceVersion`, when set, is a precondition. */
  async replace<T extends KubernetesObject>(
    object: T,
    options: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    const path = await this.path(addressOf(object, options.resource), options.subresource);
    return this.client.request<T>({ method: 'PUT', path, body: object, query: writeQuery(options) });
  }

  /** A patch of `contentType` (merge, strategic merge, JSON patch, or server-side apply). */
  async patch<T extends KubernetesObject>(
    address: ObjectAddress & { name: string },
    patch: unknown,
    contentType: string,
    options: WriteOptions & { force?: boolean; subresource?: string } = {},
  ): Promise<T> {
    const path = await this.path(address, options.subresource);
    return this.client.request<T>({
      method: 'PATCH',
      path,
      body: patch,
      contentType,
      query: { ...writeQuery(options), force: options.force },
    });
  }

  /** Server-side apply of the whole object (force: take over fields others own). */
  apply<T extends KubernetesObject>(object: T, options: WriteOptions & { force?: boolean } = {}): Promise<T> {
    return this.patch<T>(addressOf(object, options.resource), object, contentTypes.apply, options);
  }

  /** Resolves to what the apiserver answered: the object being deleted, or a Status. */
  async delete(
    address: ObjectAddress & { name: string },
    options: {
      propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
      preconditions?: { uid?: string; resourceVersion?: string };
    } = {},
  ): Promise<unknown> {
    const path = await this.path(address);
    return this.client.request({
      method: 'DELETE',
      path,
      ...(options.propagationPolicy || options.preconditions
        ? {
            body: {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
              ...(options.preconditions ? { preconditions: options.preconditions } : {}),
            },
          }
        : {}),
    });
  }

  async #resource(apiVersion: string, kind: string): Promise<{ plural: string; namespaced: boolean }> {
    const find = (resources: DiscoveredResource[]) =>
      resources.find((resource) => resource.kind === kind && !resource.name.includes('/'));
    const cached = this.#discovered.get(apiVersion);
    const known = cached ? find(await cached.catch(() => [])) : undefined;
    if (known) return { plural: known.name, namespaced: known.namespaced };
    const fetched = this.client
      .request<{ resources?: DiscoveredResource[] }>({ method: 'GET', path: groupVersionPath(apiVersion) })
      .then((document) => document.resources ?? []);
    this.#discovered.set(apiVersion, fetched);
    let resources: DiscoveredResource[];
    try {
      resources = await fetched;
    } catch (error) {
      if (this.#discovered.get(apiVersion) === fetched) this.#discovered.delete(apiVersion);
      if (error instanceof Error)
        error.message = `Failed to fetch resource metadata for ${apiVersion}/${kind}: ${error.message}`;
      throw error;
    }
    const found = find(resources);
    if (!found) throw new Error(`Unrecognized API version and kind: ${apiVersion} ${kind}`);
    return { plural: found.name, namespaced: found.namespaced };
  }
}

function addressOf(
  object: KubernetesObject,
  resource?: ObjectAddress['resource'],
): ObjectAddress & { name: string } {
  if (!object.kind) throw new Error('Required spec property kind is not set');
  return {
    apiVersion: object.apiVersion || 'v1',
    kind: object.kind,
    ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata?.name ?? '',
    ...(resource ? { resource } : {}),
  };
}

function writeQuery(options: Omit<WriteOptions, 'resource'>): Record<string, string | undefined> {
  return { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined };
}

const objectApis = new WeakMap<KubeConfig, KubeObjects>();

/** The one object API (one discovery cache, one connection pool) of a KubeConfig. */
export function kubeObjects(config: KubeConfig): KubeObjects {
  let objects = objectApis.get(config);
  if (!objects) {
    objects = new KubeObjects(kubeClient(config));
    objectApis.set(config, objects);
  }
  return objects;
}
