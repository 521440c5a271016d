// GET /v1/job/<id>/allocations, …/evaluations, …/deployments, …/deployment and …/services: what
// the job owns in the cluster (pods, evaluation records, rollouts, Services), as Nomad lists them.
// An unknown job has none (an empty list or null), except for services, which answer 404.
import { notFound } from '../../errors.ts';
import { evaluationsOfJob } from '../../evals.ts';
import { allocationStub } from '../../responses/allocation.ts';
import { deploymentsOf } from '../../responses/deployment.ts';
import { serviceRegistrations } from '../../responses/service.ts';
import { afterRead, boolQuery, type JobRequest, readAboutJob } from './context.ts';

// Each answers at once when the caller's read right is known (context.ts afterRead).

const allocationsOfJob = (job: JobRequest) => {
  boolQuery(job.request, 'all');
  return readAboutJob(job, (entry, store) => {
    const index = store.state.index('Pod');
    if (!entry) return { index, body: [] };
    return { index, body: store.pods(entry).map((pod) => allocationStub(store, entry, pod)) };
  });
};

export function listAllocations(job: JobRequest) {
  return afterRead(job, allocationsOfJob);
}

const evaluationsOfJobRequest = (job: JobRequest) =>
  readAboutJob(job, (entry, store) => ({
    index: store.state.index('ConfigMap', 'NomadJob'),
    body: entry ? evaluationsOfJob(job.deps, entry) : [],
  }));

export function listEvaluations(job: JobRequest) {
  return afterRead(job, evaluationsOfJobRequest);
}

const deploymentsOfJob = (job: JobRequest) => {
  boolQuery(job.request, 'all');
  return readAboutJob(job, (entry, store) => ({
    index: store.state.index('Deployment', 'ReplicaSet', 'NomadJob'),
    body: entry ? deploymentsOf(store, entry) : [],
  }));
};

export function listDeployments(job: JobRequest) {
  return afterRead(job, deploymentsOfJob);
}

const latestDeploymentOfJob = (job: JobRequest) =>
  readAboutJob(job, (entry, store) => ({
    index: store.state.index('Deployment', 'ReplicaSet', 'NomadJob'),
    body: entry ? (deploymentsOf(store, entry)[0] ?? null) : null,
  }));

/** The newest deployment, or null. */
export function latestDeployment(job: JobRequest) {
  return afterRead(job, latestDeploymentOfJob);
}

const servicesOfJob = (job: JobRequest) =>
  readAboutJob(job, (entry, store) => {
    const index = store.state.index('Service', 'Pod');
    if (!entry) return { index, error: notFound('job not found') };
    return { index, body: serviceRegistrations(store, entry) };
  });

export function listServices(job: JobRequest) {
  return afterRead(job, servicesOfJob);
}
