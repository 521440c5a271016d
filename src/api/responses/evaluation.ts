// Evaluation IDs. Until the controller records evaluations (jobs/evaluations.ts), the
// evaluation of a job version is identified by a UUID derived from the NomadJob's uid and the
// version, so a register answer's EvalID and its allocations' EvalID agree.
import { randomUUID } from 'node:crypto';
import type { ApiStore, JobEntry } from '../store.ts';
import { uuidFrom } from './common.ts';

export function evalIdFor(entry: Pick<JobEntry, 'object'>, version: number): string {
  return uuidFrom(`eval:${entry.object.metadata?.uid ?? ''}:${version}`);
}

/** A fresh evaluation ID (forced evaluations, deregistrations). */
export function newEvalId(): string {
  return randomUUID();
}

/** The EvalID of a job version: the recorded evaluation's, else the derived one. */
export function versionEvalId(store: ApiStore, entry: JobEntry, version: number): string {
  return store.versionEvalId?.(entry, version) ?? evalIdFor(entry, version);
}
