// Keeps the read answers of every job computed, as Nomad's state store keeps each job's summary up
// to date as it is written: after changes (jobs converging, pods starting, a resync) the answers they
// made stale — each job's GET /v1/jobs stub and its GET /v1/job/:id — are recomputed in the
// background, a slice of a few milliseconds at a time, a moment after the changes stop coming. So no
// `GET /v1/jobs` computes hundreds of stubs at once (the first after a rollout, or one woken by a
// register), and a first `GET /v1/job/:id` of a job is a lookup: its answer is not built (nor its
// garbage made) while a client waits. Costs about 3.5 KB of kept JSON per job.
import { jobResponseJson, listStubJson } from './responses/job.ts';
import type { ApiStore, JobEntry } from './store.ts';

/** How long the warmer waits after a change before it looks for stale answers. */
const WARM_DELAY_MS = 100;
/** The longest the warmer holds the event loop at a time. */
const WARM_SLICE_MS = 2;

/** Starts keeping the store's answers warm; returns the function that stops it. */
export function keepAnswersWarm(store: ApiStore): () => void {
  let timer: NodeJS.Timeout | undefined;
  let pending: JobEntry[] | undefined;
  let changedSincePass = true;
  const schedule = (delay: number) => {
    if (timer !== undefined) return;
    timer = setTimeout(slice, delay);
    timer.unref?.();
  };
  const slice = () => {
    timer = undefined;
    if (!pending) {
      changedSincePass = false;
      pending = store.jobs('*');
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
