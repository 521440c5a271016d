// Host paths of driver binds (docker `volumes`, bind `mount`s) that hold a value only the running pod
// knows. Nomad interpolates the driver config for each allocation, so `/srv/data/${NOMAD_ALLOC_INDEX}`
// is every allocation's own directory: a common way to give each instance of a group a host directory
// of its own. A hostPath cannot hold such a value, but a volume mount's `subPathExpr` can: the kubelet
// expands `$(NAME)` there from the container's env, where env.ts puts those values. So the path is
// split at its first segment that holds one: the segments before it are the hostPath, the rest the
// subPathExpr (`/srv/data` + `$(NOMAD_ALLOC_INDEX)`).
//
// What the pod knows of NOMAD_ALLOC_INDEX (env.ts): the completion index of an Indexed Job (a batch
// group of count > 1), so each index has its directory as in Nomad; 0 for a count of 1 and in DaemonSet
// pods, as in Nomad, so the path is a plain hostPath; 0 in every Deployment replica too, which has no
// index (drivers.ts warns that its pods share the directory).
//
// The input is the path in Kubernetes' expansion form, as env.ts `interpolate` writes it for fields
// Kubernetes expands: runtime values are `$(NAME)`, a literal `$` is escaped (`$$`, `$$(`).

/** One token of the expansion form: an escaped `$`, or a reference `$(NAME)` (never escaped here). */
const TOKEN = /\$\$|\$\(([^)]*)\)/g;

/** The names of the runtime values (`$(NAME)`) in `expanded`, in order. */
export function runtimeReferences(expanded: string): string[] {
  const names: string[] = [];
  for (const match of expanded.matchAll(TOKEN)) if (match[1] !== undefined) names.push(match[1]);
  return names;
}

/** `expanded` as plain text, its runtime values written back as Nomad's `${NAME}`. */
export function asWritten(expanded: string): string {
  return expanded.replace(TOKEN, (_escaped, name: string | undefined) =>
    name === undefined ? '$' : `\${${name}}`,
  );
}

/** Where an absolute host path is mounted from: a hostPath, and below it what only the pod knows. */
export type HostPathMount = { hostPath: string; subPathExpr?: string } | { error: string };

/**
 * An absolute host path in expansion form as a hostPath and, when a segment holds a runtime value,
 * the subPathExpr of that segment and the ones after it. An error when Kubernetes would refuse the
 * subPathExpr (a `..` segment: it must stay below the hostPath).
 */
export function hostPathMount(expanded: string): HostPathMount {
  const segments = expanded.split('/');
  const first = segments.findIndex((segment) => runtimeReferences(segment).length > 0);
  if (first < 0) return { hostPath: asWritten(expanded) };
  const below = segments.slice(first).filter((segment) => segment !== '');
  if (below.some((segment) => segment === '..')) {
    return { error: 'a ".." after a value only the running pod knows cannot be mounted (subPathExpr)' };
  }
  return { hostPath: asWritten(segments.slice(0, first).join('/')) || '/', subPathExpr: below.join('/') };
}
