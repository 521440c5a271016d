// Watching from the benchmark's side: convergence counters over informer caches (how many
// Deployments are available, how many NomadJobs run), and a raw event recorder that timestamps every
// watch event of a collection from a given resourceVersion (idle writes, register timelines).
import { type KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';
import { Informer, listPath } from '../src/kube/informer.ts';
import { operatorConfig } from '../test/support/operator-kubeconfig.ts';
import { now } from './stats.ts';

export function deploymentAvailable(object: KubernetesObject): boolean {
  const d = object as KubernetesObject & {
    spec?: { replicas?: number };
    status?: { availableReplicas?: number; updatedReplicas?: number; observedGeneration?: number };
  };
  const want = d.spec?.replicas ?? 1;
  return (
    (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    (d.status?.availableReplicas ?? 0) >= want &&
    (d.status?.updatedReplicas ?? 0) >= want
  );
}

export function jobRunning(object: KubernetesObject): boolean {
  const status = (object as { status?: { status?: string; observedGeneration?: number } }).status;
  return status?.status === 'running';
}

/** An informer over one collection that counts the objects passing `test`. */
export class Counter {
  readonly informer: Informer<KubernetesObject>;
  readonly #test: (object: KubernetesObject) => boolean;
  readonly #prefix: string;

  constructor(kc: KubeConfig, path: string, test: (object: KubernetesObject) => boolean, namePrefix = '') {
    this.informer = new Informer({ kubeConfig: operatorConfig(kc), path, resource: `bench ${path}` });
    this.#test = test;
    this.#prefix = namePrefix;
  }

  async start(): Promise<void> {
    this.informer.start();
    if (!(await this.informer.waitForSync(60_000))) throw new Error(`cannot watch ${this.informer.path}`);
  }

  count(): number {
    let n = 0;
    for (const object of this.informer.list())
      if ((object.metadata?.name ?? '').startsWith(this.#prefix) && this.#test(object)) n++;
    return n;
  }

  /** Objects of the collection (with the name prefix), whatever their state. */
  existing(): number {
    let n = 0;
    for (const object of this.informer.list())
      if ((object.metadata?.name ?? '').startsWith(this.#prefix)) n++;
    return n;
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}

export interface RecordedEvent {
  at: number;
  type: string;
  kind: string;
  name: string;
  /** Who wrote it: the manager of the newest managedFields entry (Events: the reporting component). */
  manager: string;
  object: KubernetesObject;
}

/** Records every watch event of the given collections from the present resourceVersion on. */
export class EventRecorder {
  readonly events: RecordedEvent[] = [];
  readonly #kc: KubeConfig;
  readonly #stops: Array<() => void> = [];
  #listeners: Array<(event: RecordedEvent) => void> = [];

  constructor(kc: KubeConfig) {
    this.#kc = kc;
  }

  /**
   * Starts watching `path` (a collection) for `kind` from its present resourceVersion; resolves once
   * the watch is established. A watch that ends is resumed from the last resourceVersion seen, so no
   * event is missed (client-node ends a watch after 30 s without events unless told otherwise).
   */
  async watch(kind: string, path: string): Promise<void> {
    const list = await listPath(operatorConfig(this.#kc), path, { pageSize: 1 });
    let resourceVersion = list.metadata?.resourceVersion ?? '0';
    const watcher = new Watch(this.#kc);
    (watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 30 * 60_000;
    let stopped = false;
    let abort: AbortController | undefined;
    const start = async (): Promise<void> => {
      abort = await watcher.watch(
        path,
        { resourceVersion, allowWatchBookmarks: true },
        (type, object: KubernetesObject) => {
          resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
          if (type === 'BOOKMARK') return;
          const event: RecordedEvent = {
            at: now(),
            type,
            kind,
            name: object.metadata?.name ?? '',
            manager: managerOf(object),
            object,
          };
          this.events.push(event);
          for (const listener of this.#listeners) listener(event);
        },
        (error) => {
          if (stopped) return;
          const gone = (error as { statusCode?: number } | null)?.statusCode === 410;
          if (gone) process.stderr.write(`\nwatch of ${path}: history expired, events may be missed\n`);
          void start().catch((e: unknown) =>
            process.stderr.write(`\nwatch of ${path} failed: ${String(e)}\n`),
          );
        },
      );
    };
    await start();
    this.#stops.push(() => {
      stopped = true;
      abort?.abort();
    });
  }

  onEvent(listener: (event: RecordedEvent) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Resolves with the first event (from now on) passing `test`. */
  next(test: (event: RecordedEvent) => boolean, timeoutMs = 60_000): Promise<RecordedEvent | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(undefined);
      }, timeoutMs);
      const off = this.onEvent((event) => {
        if (!test(event)) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
    });
  }

  stop(): void {
    for (const stop of this.#stops) stop();
  }
}

function managerOf(object: KubernetesObject): string {
  const event = object as { reportingComponent?: string; source?: { component?: string } };
  if (object.kind === 'Event') return event.reportingComponent || event.source?.component || 'unknown';
  let newest: { manager?: string; time?: Date | string } | undefined;
  for (const entry of object.metadata?.managedFields ?? []) {
    if (!newest || String(entry.time ?? '') >= String(newest.time ?? '')) newest = entry;
  }
  return newest?.manager ?? 'unknown';
}
