// GET /v1/job/<id>/allocations, …/evaluations, …/deployments, …/deployment and …/services: what
// the job owns in the cluster (pods, evaluation records, rollouts, Services), as Nomad lists them.
// An unknown job has none (an empty list or null), except for services, which answer 404.
import { notFound } from '../../errors.ts';
import { evaluationsOfJob } from '../../evals.ts';
import { allocationStub } from '../../responses/allocation.ts';
import { deploymentsOf } from '../../responses/deployment.ts';
import { serviceRegistrations } from '../../responses/service.ts';
import { boolQuery, type JobRequest, readAboutJob, requireRead } from './context.ts';

export async function listAllocations(job: JobRequest) {
  await requireRead(job);
  boolQuery(job.request, 'all');
  return readAboutJob(job, (entry, store) => {
    const index = store.state.index('Pod');
    if (!entry) return { index, body: [] };
    return { index, body: store.pods(entry).map((pod) => allocationStub(store, entry, pod)) };
  });
}

export async function listEvaluations(job: JobRequest) {
  await requireRead(job);
  return readAboutJob(job, (entry, store) => ({
    index: store.state.index('ConfigMap', 'NomadJob'),
    body: entry ? evaluationsOfJob(job.deps, entry) : [],
  }));
}

export async function listDeployments(job: JobRequest) {
  await requireRead(job);
  boolQuery(job.request, 'all');
  return readAboutJob(job, (entry, store) => ({
    index: store.state.index('Deployment', 'ReplicaSet', 'NomadJob'),
    body: entry ? deploymentsOf(store, entry) : [],
  }));
}

/** The newest deployment, or null. */
export async function latestDeployment(job: JobRequest) {
  await requireRead(job);
  return readAboutJob(job, (entry, store) => ({
    index: store.state.index('Deployment', 'ReplicaSet', 'NomadJob'),
    body: entry ? (deploymentsOf(store, entry)[0] ?? null) : null,
  }));
}

export async function listServices(job: JobRequest) {
  await requireRead(job);
  return readAboutJob(job, (entry, store) => {
    const index = store.state.index('Service', 'Pod');
    if (!entry) return { index, error: notFound('job not found') };
    return { index, body: serviceRegistrations(store, entry) };
  });
}
