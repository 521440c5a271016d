// Where every task's container finds Nomad's directories, in mount order: the shared alloc directory
// with the data/, logs/ and tmp/ Nomad makes in it, then the task's local/ and secrets/. Tests of
// mounts expect these first.
export const TASK_DIRECTORY_PATHS = [
  '/alloc',
  '/alloc/data',
  '/alloc/logs',
  '/alloc/tmp',
  '/local',
  '/secrets',
] as const;
