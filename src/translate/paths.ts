// Where Nomad's task directories appear inside every container, and the mapping of Nomad's
// task-relative paths (`local/app.conf`, `${NOMAD_SECRETS_DIR}/token`) onto them. Owned by storage.ts,
// which creates the volumes; env.ts re-exports the three directories for NOMAD_TASK_DIR,
// NOMAD_ALLOC_DIR and NOMAD_SECRETS_DIR, so there is one definition of each.
//
// Nomad's docker driver mounts the task directory's `local/` at /local, `secrets/` at /secrets and the
// allocation directory at /alloc; the exec drivers chroot into the task directory, where the same three
// appear at the same absolute paths. Both are therefore modelled by the same mount points.
import { goPathClean } from '../nomad/go.ts';

/** NOMAD_TASK_DIR: the task's private scratch directory (`local/`). */
export const TASK_DIR = '/local';
/** NOMAD_ALLOC_DIR: the directory every task of the allocation (pod) shares. */
export const ALLOC_DIR = '/alloc';
/** NOMAD_SECRETS_DIR: the task's private in-memory directory (`secrets/`). */
export const SECRETS_DIR = '/secrets';

/**
 * Where Nomad host volumes are expected on every node: the host volume named `<source>` is the
 * hostPath `<HOST_VOLUME_ROOT>/<source>`. Nomad's client config can put a host volume anywhere; the
 * operator cannot see that configuration, so it uses this one documented convention.
 */
export const HOST_VOLUME_ROOT = '/var/lib/nomad-host-volumes';

/** The runtime variables that name the task directories, as Nomad interpolates them in paths. */
const DIR_VARIABLES: Readonly<Record<string, string>> = {
  NOMAD_TASK_DIR: 'local',
  NOMAD_SECRETS_DIR: 'secrets',
  NOMAD_ALLOC_DIR: 'alloc',
};

export type TaskPath =
  | { ok: true; path: string; dir: 'local' | 'secrets' | 'alloc' | 'other' }
  | { ok: false; reason: string };

/**
 * Maps a Nomad path relative to the task working directory (a template or artifact destination, a
 * dispatch payload file) to an absolute path in the container:
 *   `local/x` → `/local/x`, `secrets/x` → `/secrets/x`, `alloc/x` → `/alloc/x`,
 *   `${NOMAD_TASK_DIR}/x` → `/local/x` (likewise the other two directory variables),
 *   anything else `y` → `/y` (the task directory is the root of an exec task's chroot).
 * A leading `/` is ignored, as Nomad does for sandboxed destinations. Paths that leave the task
 * directory (`../x`), that are empty, or that still hold `${…}` after the directory variables are
 * replaced, are refused with the reason.
 */
export function taskPath(nomadPath: string): TaskPath {
  const replaced = nomadPath.replace(
    /\$\{(NOMAD_TASK_DIR|NOMAD_SECRETS_DIR|NOMAD_ALLOC_DIR)\}/g,
    (_, name: string) => DIR_VARIABLES[name] ?? '',
  );
  if (replaced.includes('${')) {
    return { ok: false, reason: `it uses runtime interpolation (${JSON.stringify(nomadPath)})` };
  }
  if (replaced.includes('\0')) return { ok: false, reason: 'it contains a NUL character' };
  const relative = goPathClean(replaced.replace(/^\/+/, ''));
  if (relative === '..' || relative.startsWith('../')) {
    return { ok: false, reason: 'it leaves the task directory' };
  }
  if (relative === '.' || relative === '') return { ok: false, reason: 'it names the task directory itself' };
  const path = `/${relative}`;
  for (const dir of ['local', 'secrets', 'alloc'] as const) {
    if (path === `/${dir}` || path.startsWith(`/${dir}/`)) return { ok: true, path, dir };
  }
  return { ok: true, path, dir: 'other' };
}
