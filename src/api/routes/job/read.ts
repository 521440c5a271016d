// GET /v1/job/<id>, …/summary, …/versions and …/submission: the job, its summary, its version
// history (with diffs on request) and the source it was submitted as, from the informer caches. The
// job and its summary are served as JSON bytes kept until the job changes (responses/job.ts).
import { readSubmission as readStoredSubmission } from '../../../jobs/submissions.ts';
import { type NomadJson, versionDiffs } from '../../../nomad/diff.ts';
import { badRequest, notFound } from '../../errors.ts';
import { JsonBytes, type QueryResult, query } from '../../http.ts';
import { parseGoUint, queryValue } from '../../params.ts';
import { jobResponse, jobResponseJson, summaryResponseJson, versionResponse } from '../../responses/job.ts';
import { resourceVersionOf } from '../../state.ts';
import type { ApiStore, JobEntry } from '../../store.ts';
import { afterRead, boolQuery, type JobRequest, readAboutJob, requireRead } from './context.ts';

// The job and its summary are the hottest reads: answered at once when the caller's rights are
// known (context.ts afterRead), with the functions below made once rather than per request.
const jobAnswer = (entry: JobEntry | undefined, store: ApiStore): QueryResult => {
  if (!entry) return { index: store.state.index('NomadJob'), error: notFound('job not found') };
  return { index: resourceVersionOf(entry.object), body: new JsonBytes(jobResponseJson(store, entry)) };
};
const answerJob = (job: JobRequest) => readAboutJob(job, jobAnswer);

export function readJob(job: JobRequest) {
  return afterRead(job, answerJob);
}

const summaryAnswer = (entry: JobEntry | undefined, store: ApiStore): QueryResult => {
  if (!entry) return { index: store.state.index('NomadJob', 'Pod'), error: notFound('job not found') };
  const summary = summaryResponseJson(store, entry);
  return { index: summary.index, body: new JsonBytes(summary.json) };
};
const answerSummary = (job: JobRequest) => readAboutJob(job, summaryAnswer);

export function readSummary(job: JobRequest) {
  return afterRead(job, answerSummary);
}

export function readVersions(job: JobRequest) {
  return afterRead(job, versionsOfJob);
}

function versionsOfJob(job: JobRequest) {
  const { request } = job;
  const q = query(request);
  const diffs = boolQuery(request, 'diffs');
  const diffVersionText = queryValue(q, 'diff_version');
  let diffVersion: number | undefined;
  if (diffVersionText !== undefined && diffVersionText !== '') {
    diffVersion = parseGoUint(diffVersionText);
    if (diffVersion === undefined)
      throw badRequest(`Failed to parse value of "diff_version" (${diffVersionText}) as a uint64`);
  }
  const diffTag = queryValue(q, 'diff_tag') ?? '';
  return readAboutJob(job, (entry, store) => {
    if (!entry)
      return {
        index: store.state.index('NomadJob', 'ControllerRevision'),
        error: notFound('job versions not found'),
      };
    const history = store.versions(entry);
    const current = store.versionState(entry, history);
    const versions = history.map((record) => versionResponse(store, entry, record, current));
    if (current.pending || versions.length === 0) versions.unshift(jobResponse(store, entry, history));
    let diffList: unknown = null;
    if (diffs || diffVersion !== undefined || diffTag !== '') {
      let compareTo: NomadJson | undefined;
      if (diffVersion !== undefined) {
        compareTo = versions.find((v) => v.Version === diffVersion);
        if (!compareTo) throw badRequest(`version ${diffVersion} not found`);
      } else if (diffTag !== '') {
        compareTo = versions.find((v) => (v.VersionTag as { Name?: string } | null)?.Name === diffTag);
        if (!compareTo) throw badRequest(`tag ${diffTag} not found`);
      }
      diffList = versionDiffs(versions, compareTo);
    }
    let index = resourceVersionOf(entry.object);
    for (const h of history) index = Math.max(index, h.resourceVersion ?? 0);
    return {
      index,
      body: {
        Versions: versions,
        Diffs: diffList,
        Index: index,
        LastContact: 0,
        KnownLeader: true,
        NextToken: '',
      },
    };
  });
}

/** Not a blocking query in Nomad either: the index headers, then the stored source or 404. */
export async function readSubmission(job: JobRequest) {
  const { request, reply, deps, namespace, id } = job;
  const store = deps.store;
  await requireRead(job);
  const versionText = queryValue(query(request), 'version') ?? '';
  const version = parseGoUint(versionText);
  if (version === undefined) throw badRequest('Unable to parse job submission version parameter');
  const entry = store.findJob(namespace, id);
  const index = entry ? resourceVersionOf(entry.object) : store.state.index('NomadJob');
  reply
    .header('X-Nomad-Index', String(index))
    .header('X-Nomad-LastContact', '0')
    .header('X-Nomad-KnownLeader', 'true');
  if (!entry) throw notFound('job source not found');
  const submission = await readStoredSubmission(store.writer, entry.object, version);
  if (!submission) throw notFound('job source not found');
  const versionRecord = store.versions(entry).find((v) => v.version === version);
  return reply.type('application/json').send(
    JSON.stringify({
      ...submission,
      Namespace: entry.namespace,
      JobID: entry.id,
      Version: version,
      JobModifyIndex: versionRecord?.resourceVersion ?? store.versionState(entry).jobModifyIndex,
    }),
  );
}
