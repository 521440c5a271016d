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
  | { ok: true; path: string; dir: 'local' | 'secrets' | 'alloc' | 'other'; place: AllocPlace }
  | { ok: false; reason: string };

/**
 * A place in a Nomad allocation directory, as path segments in which a task name is one segment
 * (task names may hold `/`):
 *   `['alloc', …]`                the shared alloc directory (`<alloc dir>/alloc`), which every task
 *                                 sees at /alloc;
 *   `['task', <task>, …]`         inside the directory of task `<task>` (`local`, `secrets`, …; no more
 *                                 segments: the task directory itself);
 *   `['other', …]`                anything else in the alloc directory;
 *   `[]`                          the alloc directory itself.
 * `<task>/alloc/…` is the shared alloc directory too: the exec drivers link it there (docker mounts it
 * at /alloc only), and jobs write `alloc/x` meaning the shared directory.
 */
export type AllocPlace = readonly string[];

/**
 * Where a Nomad path relative to the task directory of `task` lands in the allocation directory: Nomad
 * joins it to `<alloc dir>/<task>` and cleans it (docker `volumes` and bind `mount` sources, template
 * and artifact destinations). `groupTasks` are the task names of the group, so that `../web/local/x`
 * is recognised as task `web`'s local directory. Paths that leave the allocation directory are refused.
 */
export function allocPlace(
  nomadPath: string,
  task: string,
  groupTasks: readonly string[],
): { ok: true; place: AllocPlace } | { ok: false; reason: string } {
  if (nomadPath.includes('\0')) return { ok: false, reason: 'contains a NUL character' };
  const root = '/alloc-dir';
  const full = goPathClean(`${root}/${task}/${nomadPath}`);
  if (full === root) return { ok: true, place: [] };
  if (!full.startsWith(`${root}/`)) return { ok: false, reason: 'leaves the allocation directory' };
  const relative = full.slice(root.length + 1);
  const under = (prefix: string) =>
    relative === prefix
      ? []
      : relative.startsWith(`${prefix}/`)
        ? relative.slice(prefix.length + 1).split('/')
        : undefined;
  // Task directories first (a task named `alloc` keeps its own local/), the longest name first:
  // `web/2` wins over `web` for `web/2/local`.
  for (const name of [...new Set([task, ...groupTasks])].sort((a, b) => b.length - a.length)) {
    if (name === '') continue;
    const rest = under(goPathClean(name));
    if (rest === undefined) continue;
    if (rest[0] === 'alloc') return { ok: true, place: ['alloc', ...rest.slice(1)] };
    return { ok: true, place: ['task', name, ...rest] };
  }
  const shared = under('alloc');
  if (shared !== undefined) return { ok: true, place: ['alloc', ...shared] };
  return { ok: true, place: ['other', ...relative.split('/')] };
}

/** A place as a path relative to the allocation directory (`alloc/x`, `web/local/x`), '' for the root. */
export function placePath(place: AllocPlace): string {
  const [kind, ...rest] = place;
  if (kind === undefined) return '';
  const parts = kind === 'alloc' ? ['alloc', ...rest] : rest;
  return parts.join('/');
}

/** Whether `inner` is `outer` or inside it. */
export function placeWithin(inner: AllocPlace, outer: AllocPlace): boolean {
  return outer.length <= inner.length && outer.every((segment, i) => inner[i] === segment);
}

/** Replaces the directory variables Nomad interpolates in paths with their task-relative form. */
function replaceDirVariables(nomadPath: string): string {
  return nomadPath.replace(
    /\$\{(NOMAD_TASK_DIR|NOMAD_SECRETS_DIR|NOMAD_ALLOC_DIR)\}/g,
    (_, name: string) => DIR_VARIABLES[name] ?? '',
  );
}

/**
 * Maps a Nomad path relative to the task working directory (a template or artifact destination, a
 * dispatch payload file) to an absolute path in the task's container and its place in the allocation
 * directory:
 *   `local/x` → `/local/x`, `secrets/x` → `/secrets/x`, `alloc/x` and `../alloc/x` → `/alloc/x`,
 *   `${NOMAD_TASK_DIR}/x` → `/local/x` (likewise the other two directory variables),
 *   anything else `y` in the task directory → `/y` (the task directory is the root of an exec task's
 *   chroot).
 * A leading `/` is ignored, as Nomad does for sandboxed destinations. As in Nomad's template and
 * artifact sandbox, paths must stay in the task directory or the shared alloc directory; paths that
 * leave both (`../x`, `../other-task/local/x`), that are empty, or that still hold `${…}` after the
 * directory variables are replaced, are refused with the reason.
 */
export function taskPath(nomadPath: string, task = ''): TaskPath {
  const replaced = replaceDirVariables(nomadPath);
  if (replaced.includes('${')) {
    return { ok: false, reason: `it uses runtime interpolation (${JSON.stringify(nomadPath)})` };
  }
  if (replaced.includes('\0')) return { ok: false, reason: 'it contains a NUL character' };
  const name = task === '' ? 'task' : task;
  const resolved = allocPlace(replaced.replace(/^\/+/, ''), name, [name]);
  if (!resolved.ok)
    return { ok: false, reason: 'it leaves the task directory and the shared alloc directory' };
  const place = resolved.place;
  if (place[0] === 'alloc') {
    return { ok: true, path: `/${place.join('/')}`, dir: 'alloc', place };
  }
  if (place[0] !== 'task' || place[1] !== name) {
    return { ok: false, reason: 'it leaves the task directory and the shared alloc directory' };
  }
  const rest = place.slice(2);
  if (rest.length === 0) return { ok: false, reason: 'it names the task directory itself' };
  const path = `/${rest.join('/')}`;
  const dir = rest[0] === 'local' || rest[0] === 'secrets' ? rest[0] : 'other';
  return { ok: true, path, dir, place };
}
