// Keeps the read answers of every job computed, as Nomad's state store keeps each job's summary up
// to date as it is written: after changes (jobs converging, pods starting, a resync) the answers they
// made stale — each job's GET /v1/jobs stub and its GET /v1/job/:id — are recomputed in the
// background, a slice of a few milliseconds at a time, a moment after the changes stop coming. So no
// `GET /v1/jobs` computes hundreds of stubs at once (the first after a rollout, or one woken by a
// register), and a first `GET /v1/job/:id` of a job is a lookup: its answer is not built (nor its
// garbage made) while a client waits. Costs about 3.5 KB of kept JSON per job. A pass looks at the
// jobs the changes since the last pass concern (ClusterState.jobsChangedSince), not at every job:
// at 2,000 jobs, a register's few changes no longer cost a walk over all of them.
import type { NomadJobObject } from '../crd/resource.ts';
import { ANNOTATION_PARENT_ID } from '../nomad/keys.ts';
import { jobResponseJson, listStubJson } from './responses/job.ts';
import { jobKey, splitJobKey } from './state.ts';
import type { ApiStore, JobEntry } from './store.ts';

/** How long the warmer waits after a change before it looks for stale answers. */
const WARM_DELAY_MS = 100;
/** The longest the warmer holds the event loop at a time. */
const WARM_SLICE_MS = 2;

/**
 * The jobs whose answers the changes after sequence number `after` may have made stale: those the
 * changes were filed under and, where a child job (a periodic or dispatched run) changed or a job
 * went away (it may have been one), every periodic and parameterized job of its namespace, whose
 * answers count their children (ApiStore.answer keeps them per namespace). Every job when those
 * changes are no longer known.
 */
function jobsToWarm(store: ApiStore, after: number | undefined): JobEntry[] {
  const changed = after === undefined ? undefined : store.state.jobsChangedSince(after);
  if (changed === undefined) return store.jobs('*');
  const entries = new Map<string, JobEntry>();
  const childrenChangedIn = new Set<string>();
  for (const key of changed) {
    const { namespace, name } = splitJobKey(key);
    const object = store.state.get<NomadJobObject>('NomadJob', namespace, name);
    if (!object || object.metadata?.annotations?.[ANNOTATION_PARENT_ID]) childrenChangedIn.add(namespace);
    const entry = object && store.listedEntry('*', object);
    if (entry) entries.set(key, entry);
  }
  for (const namespace of childrenChangedIn) {
    for (const object of store.state.list<NomadJobObject>('NomadJob', namespace)) {
      const entry = store.listedEntry('*', object);
      if (entry && (entry.job.Periodic !== undefined || entry.job.ParameterizedJob !== undefined))
        entries.set(jobKey(namespace, entry.name), entry);
    }
  }
  return [...entries.values()];
}

/** Starts keeping the store's answers warm; returns the function that stops it. */
export function keepAnswersWarm(store: ApiStore): () => void {
  let timer: NodeJS.Timeout | undefined;
  let pending: JobEntry[] | undefined;
  let changedSincePass = true;
  /** The sequence number at which the last pass began (undefined: none yet, every job is stale). */
  let passFrom: number | undefined;
  const schedule = (delay: number) => {
    if (timer !== undefined) return;
    timer = setTimeout(slice, delay);
    timer.unref?.();
  };
  const slice = () => {
    timer = undefined;
    if (!pending) {
      changedSincePass = false;
      const from = store.state.sequence();
      pending = jobsToWarm(store, passFrom);
      passFrom = from;
    }
    const started = performance.now();
    for (let entry = pending.pop(); entry; entry = pending.pop()) {
      // An entry of a NomadJob replaced since the pass began is nobody's answer any more.
      if (store.state.get('NomadJob', entry.k8sNamespace, entry.name) === entry.object) {
        try {
          listStubJson(store, entry, false);
          jobResponseJson(store, entry);
        } catch {
          // the request that reads this job reports what is wrong with it
        }
      }
      if (performance.now() - started >= WARM_SLICE_MS) {
        schedule(0);
        return;
      }
    }
    pending = undefined;
    if (changedSincePass) schedule(WARM_DELAY_MS);
  };
  const off = store.state.onChange(() => {
    changedSincePass = true;
    schedule(WARM_DELAY_MS);
  });
  schedule(0);
  return () => {
    off();
    clearTimeout(timer);
    timer = undefined;
    pending = undefined;
  };
}
