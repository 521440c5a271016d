// The job most reconcile tests start from: `web`, one service group `app` of two nginx tasks.
export const serverTask = { Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } };

/** The `web` job, with `extra` top-level fields. */
export const webJob = (extra: Record<string, unknown> = {}) => ({
  ID: 'web',
  Type: 'service',
  Datacenters: ['*'],
  TaskGroups: [{ Name: 'app', Count: 2, Tasks: [serverTask] }],
  ...extra,
});
