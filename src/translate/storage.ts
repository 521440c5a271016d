// Files and storage of a task group: Nomad's task directories, `template`, `artifact`, group `volume`
// with task `volume_mount`, `ephemeral_disk` and `dispatch_payload`. Pure: builds volumes, mounts,
// init containers and the ConfigMaps / Secrets / PersistentVolumeClaims they need.
//
// Decisions (docs/conversion.md repeats them for users):
// * Task directories. Every pod has one emptyDir `nomad-alloc` mounted at /alloc in every task, with
//   one more for each directory Nomad makes in it (ALLOC_SUBDIRS: data, logs, tmp) mounted inside, and
//   per task an emptyDir at /local and a memory-backed emptyDir at /secrets (sizeLimit =
//   resources.secrets MiB when set). ephemeral_disk.size is not a sizeLimit: Nomad only places by it
//   and never evicts a task for writing more, so it becomes an ephemeral-storage request
//   (pod-template.ts). ephemeral_disk sticky/migrate have no equivalent: an emptyDir dies with its pod.
// * Paths in the allocation directory. Everything the pod holds of Nomad's allocation directory is
//   listed as `sources` (the shared alloc dir, each task's local/ and secrets/, each template file and
//   dispatch payload, with its place: paths.ts `AllocPlace`). `bindMounts` resolves a task-relative
//   path of a driver's config (docker `volumes = ["local/nginx.conf:/etc/nginx/nginx.conf"]`, a bind
//   `mount` with a relative source) onto them, so the file appears at the target with the content the
//   task would see: a subPath mount of the emptyDir for what the templates, the artifacts or the task
//   write there, or of the ConfigMap/Secret key of a file mounted from one (a dispatch payload).
// * Templates. Nomad renders templates with consul-template; the operator renders only what is known
//   when translating: lookups of the job's own services (service-lookups.ts), then comments and
//   `{{ env "X" }}` of variables whose value the container's env holds literally (template-render.ts
//   with env.ts `knownEnvValue`). The result is a key of one ConfigMap per task (one Secret for
//   destinations under secrets/, perms that deny world-read or Vault functions). Nomad writes the file
//   as an ordinary file of the task directory, which the task may rewrite (Redis Sentinel rewrites its
//   config), chown or replace; ConfigMap and Secret volumes are read-only. So the init container
//   TEMPLATES_CONTAINER copies each file into the emptyDir of its destination (local/; secrets/, in
//   memory as the Secret's volume is; the shared alloc directory and its data/, logs/, tmp/) and sets
//   `perms` as its mode and `uid`/`gid` as its owner, as Nomad does. It runs as root, as Nomad's client
//   renders (files are root's unless uid/gid say otherwise; chown needs it; and when the pod's sandbox
//   is recreated it runs again over files a task running as root may have replaced). It runs the artifact image (options.artifactImage, the image the artifact step pulls),
//   after the artifact fetchers, as Nomad renders templates after fetching artifacts (a template
//   replaces an artifact's file, or reads one as its source), and before every task, prestart and
//   sidecar tasks included. A
//   file in the shared alloc directory (`alloc/x`, `../alloc/x`, `${NOMAD_ALLOC_DIR}/x`) is written once
//   and seen by every task, as in Nomad. Another destination in the task directory (`y`: /y, an exec
//   task's chroot) has no emptyDir: it is mounted from its key (read-only; uid/gid not applied: warning).
//   Text still holding template actions (`{{ … }}`, or the template's own delimiters) is written with
//   them unrendered, with a warning naming the Nomad/Consul/Vault functions it uses and the variables
//   only the running pod knows. Object names end in a hash of the content, so a job update that
//   changes a template changes the pod spec and rolls the pods: the equivalent of Nomad's re-render
//   plus change_mode "restart". A template made from a `source` file that an artifact of the task
//   writes is copied as is from that file by the same init container (a file without actions is its
//   own rendering; warning that actions stay unrendered); any other `source` is a file on the Nomad
//   client, not created (warning), and a bind of its destination is dropped (warning): the kubelet
//   would make a directory for the missing file and the container could not start.
// * env = true templates. Nomad reads the rendered file as KEY=value lines (template-render.ts
//   `parseEnvFile`, go-envparse's rules) and its variables override the task's env and Nomad's own
//   variables. Each variable is a key of the template's ConfigMap (Secret) and an env entry of the
//   container reading it (`valueFrom`), replacing an entry of the same name (pod-template.ts): env,
//   not envFrom, which env entries would override. A template that keeps actions sets the variables of
//   its certain lines (those no action changes); its warning names the others. A file Nomad cannot
//   parse fails the task in Nomad: warning with Nomad's message, no variable set.
// * Artifacts. One init container per task (options.artifactImage) runs a generated POSIX sh script
//   that downloads each http(s) artifact with curl (or wget), verifies `checksum` (md5/sha1/sha256/
//   sha512 via `<algo>sum -c`), unpacks tar/zip/gz/bz2/xz archives unless `archive = false`, and moves
//   the result to the destination (only go-getter's `//subdir` of it, when the source names one). Other
//   go-getter sources (git::, s3::, hg::, gcs::, shorthands)
//   are skipped with a warning.
// * Group volumes. `host` → hostPath `<HOST_VOLUME_ROOT>/<source>` (type Directory: the pod waits
//   until the directory exists, like a Nomad job waits for a node with the host volume); `csi` → a
//   PersistentVolumeClaim of the default storage class requesting DEFAULT_CSI_SIZE (Nomad's request
//   carries no size: warning). Access modes map as in CSI_ACCESS_MODES. per_alloc, block-device
//   attachment and mount_options have no equivalent on a claim: warnings. Nomad honours per_alloc and
//   sticky for host volumes too (volume `<source>[<alloc index>]` per allocation; an allocation kept on
//   its dynamic volume's node); a hostPath has neither: warnings say what is lost and what to do.
// * dispatch_payload. When the translation is for a dispatched child (options.dispatch
//   .payloadSecretName), key `payload` of that Secret is mounted at /local/<file>.
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1EnvVar,
  V1KeyToPath,
  V1PersistentVolumeClaim,
  V1Secret,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { goPathClean } from '../nomad/go.ts';
import { boundedChildName, childName, hashToken, LABEL_MAX_LENGTH } from '../nomad/ids.ts';
import { keyedBy } from '../nomad/keyed.ts';
import { ANNOTATION_CSI_SOURCE, ANNOTATION_TASK } from '../nomad/keys.ts';
import type { Task, TaskArtifact, Template, VolumeRequest } from '../nomad/schema.ts';
import { containerHasEnv, interpolate, knownEnvValue } from './env.ts';
import {
  ALLOC_DIR,
  type AllocPlace,
  allocPlace,
  HOST_VOLUME_ROOT,
  placePath,
  placeWithin,
  SECRETS_DIR,
  TASK_DIR,
  taskPath,
} from './paths.ts';
import { templateText } from './service-lookups.ts';
import {
  certainLines,
  envNamesWritten,
  parseEnvFile,
  parseEnvLines,
  renderKnownEnv,
} from './template-render.ts';
import type { GroupContext, GroupStorage } from './types.ts';

/** Name of the pod volume behind /alloc. */
export const ALLOC_VOLUME = 'nomad-alloc';
/**
 * The directories Nomad makes in every shared alloc directory: `data` (state the tasks share),
 * `logs` and `tmp`. Each is an emptyDir of its own, mounted inside /alloc in every container, so it
 * exists from the start and any user may write to it, as in Nomad: a subPath of the alloc volume
 * would be made by the kubelet only when mounted, owned by root and closed to a task running as
 * another user (a Prometheus writing to `../alloc/data`).
 */
export const ALLOC_SUBDIRS = ['data', 'logs', 'tmp'] as const;
/** Name of the pod volume behind /alloc/<dir>. */
export const allocSubdirVolume = (dir: (typeof ALLOC_SUBDIRS)[number]) => `${ALLOC_VOLUME}-${dir}`;
/** Name of the pod volume holding a dispatched job's payload. */
export const PAYLOAD_VOLUME = 'nomad-payload';
/** Size a csi volume's PersistentVolumeClaim requests: Nomad's volume request has no size. */
export const DEFAULT_CSI_SIZE = '1Gi';
/** Largest ConfigMap / Secret the apiserver stores (data plus metadata; data alone is checked). */
const MAX_OBJECT_DATA_BYTES = 1024 * 1024;

/** Nomad CSI access mode → Kubernetes access mode. */
export const CSI_ACCESS_MODES: Readonly<Record<string, string>> = {
  'single-node-reader-only': 'ReadWriteOnce',
  'single-node-writer': 'ReadWriteOnce',
  'multi-node-reader-only': 'ReadOnlyMany',
  'multi-node-single-writer': 'ReadWriteMany',
  'multi-node-multi-writer': 'ReadWriteMany',
};

/** Nomad volume_mount propagation_mode → Kubernetes mountPropagation (`private` is the default, None). */
const PROPAGATION: Readonly<Record<string, string | undefined>> = {
  private: undefined,
  'host-to-task': 'HostToContainer',
  bidirectional: 'Bidirectional',
};

/** Whether the task's container is privileged (docker `privileged = true`, as drivers.ts reads it). */
function isPrivileged(task: Task): boolean {
  const value = task.Driver === 'docker' ? task.Config?.privileged : undefined;
  return value === true || value === 'true' || value === '1';
}

/** Name of a per-task pod volume (`nomad-local--web`); valid and unique for any task name. */
export function taskVolumeName(kind: 'local' | 'secrets' | 'tmpl' | 'tmpl-secret', task: string): string {
  return boundedChildName(LABEL_MAX_LENGTH, `nomad-${kind}`, task);
}

/** Name of the pod volume of a group `volume` block (`nomad-vol--data`). */
export function groupVolumeName(volume: string): string {
  return boundedChildName(LABEL_MAX_LENGTH, 'nomad-vol', volume);
}

/** Name of a task's artifact-fetching init container (`artifacts--web`). */
export function artifactContainerName(task: string): string {
  return boundedChildName(LABEL_MAX_LENGTH, 'artifacts', task);
}

/** `base.key`, or `base["odd key"]` for keys that are not identifiers (as validation paths do). */
function memberPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function quoted(value: string): string {
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------
// Templates

/** Functions of Nomad's template engine that read state the operator cannot provide, by origin. */
const TEMPLATE_FUNCTIONS: Readonly<Record<string, string>> = {
  // Consul
  key: 'Consul',
  keyExists: 'Consul',
  keyOrDefault: 'Consul',
  ls: 'Consul',
  safeLs: 'Consul',
  tree: 'Consul',
  safeTree: 'Consul',
  service: 'Consul',
  services: 'Consul',
  connect: 'Consul',
  caLeaf: 'Consul',
  caRoots: 'Consul',
  datacenters: 'Consul',
  node: 'Consul',
  nodes: 'Consul',
  checks: 'Consul',
  // Vault
  secret: 'Vault',
  secrets: 'Vault',
  pkiCert: 'Vault',
  // Nomad
  nomadVar: 'Nomad',
  nomadVarList: 'Nomad',
  nomadVarListSafe: 'Nomad',
  nomadVarExists: 'Nomad',
  nomadService: 'Nomad',
  nomadServices: 'Nomad',
  // The task's runtime (environment, client files)
  env: 'runtime',
  mustEnv: 'runtime',
  envOrDefault: 'runtime',
  file: 'runtime',
  sockaddr: 'runtime',
  timestamp: 'runtime',
};

export interface TemplateAnalysis {
  /** The text holds at least one template action (between the template's delimiters). */
  dynamic: boolean;
  /** Functions of TEMPLATE_FUNCTIONS the actions call, sorted. */
  functions: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a template's text needs Nomad's template engine, and which of its functions it calls. */
export function analyzeTemplate(text: string, left = '{{', right = '}}'): TemplateAnalysis {
  const l = left === '' ? '{{' : left;
  const r = right === '' ? '}}' : right;
  if (!text.includes(l)) return { dynamic: false, functions: [] };
  const functions = new Set<string>();
  const action = new RegExp(`${escapeRegExp(l)}([\\s\\S]*?)${escapeRegExp(r)}`, 'g');
  for (const match of text.matchAll(action)) {
    // Identifiers outside string literals; a function name is one not preceded by `.` or `$`.
    const body = (match[1] ?? '').replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""');
    for (const word of body.matchAll(/(?<![.$\w])([A-Za-z_]\w*)/g)) {
      const name = word[1] ?? '';
      if (Object.hasOwn(TEMPLATE_FUNCTIONS, name)) functions.add(name);
    }
  }
  return { dynamic: true, functions: [...functions].sort() };
}

function describeFunctions(functions: readonly string[]): string {
  if (functions.length === 0) return '';
  const byOrigin = new Map<string, string[]>();
  for (const name of functions) {
    const origin = TEMPLATE_FUNCTIONS[name] ?? 'other';
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), name]);
  }
  const parts = ['Nomad', 'Consul', 'Vault', 'runtime']
    .filter((origin) => byOrigin.has(origin))
    .map((origin) => `${origin}: ${(byOrigin.get(origin) ?? []).join(', ')}`);
  return ` (${parts.join('; ')})`;
}

/** Nomad's `perms` ("0644", "600") as file mode bits; undefined when it is not an octal mode. */
export function parsePerms(perms: string): number | undefined {
  if (!/^[0-7]{1,4}$/.test(perms)) return undefined;
  return Number.parseInt(perms, 8);
}

/** A ConfigMap/Secret key for template `k`: `<k>-<destination file name>`, restricted to key chars. */
function templateKey(index: number, destination: string): string {
  const base = destination.slice(destination.lastIndexOf('/') + 1).replace(/[^-._A-Za-z0-9]/g, '_');
  return `${index}-${base}`.slice(0, 200);
}

/** First 10 base32 characters of the SHA-256 of a data map: a name part that changes with content. */
function contentHash(data: Record<string, string>): string {
  return hashToken(
    JSON.stringify(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  ).slice(0, 10);
}

function byteLength(data: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(data)) total += key.length + Buffer.byteLength(value, 'utf8');
  return total;
}

// ---------------------------------------------------------------------------------------------------
// Artifacts

/** Archive types the fetch script unpacks. */
const ARCHIVE_TYPES = ['tar.gz', 'tgz', 'tar.bz2', 'tbz2', 'tar.xz', 'txz', 'tar', 'zip', 'gz', 'bz2', 'xz'];
/** Archive types go-getter knows that the script cannot unpack with busybox tools. */
const UNSUPPORTED_ARCHIVES = ['tar.zst', 'tzst', 'zst'];
const CHECKSUM_LENGTHS: Readonly<Record<number, string>> = {
  32: 'md5',
  40: 'sha1',
  64: 'sha256',
  128: 'sha512',
};

/** One artifact, resolved into what the fetch script does. */
export interface ArtifactStep {
  /** Index of the artifact in the task's list (for messages). */
  index: number;
  url: string;
  headers: Array<[string, string]>;
  insecure: boolean;
  checksum?: { algorithm: 'md5' | 'sha1' | 'sha256' | 'sha512'; hex: string };
  /** Unpack with this archive type; undefined: copy the file as is. */
  archive?: string;
  /** `dir`: unpack into / copy `<file name>` into this directory; `file`: write exactly this file. */
  target: { kind: 'dir'; path: string; fileName: string } | { kind: 'file'; path: string };
  /** go-getter's `//subdir`: only this directory of the unpacked archive is copied to the target. */
  subdir?: string;
}

/**
 * go-getter's subdirectory syntax, as its SourceDirSubdir reads it: `https://host/x.tar.gz//bin?q`
 * is the source `https://host/x.tar.gz?q` and the subdirectory `bin` (the first `//` after the
 * scheme's, before the query).
 */
export function sourceSubdir(source: string): { source: string; subdir: string } {
  const query = source.indexOf('?');
  const stop = query < 0 ? source.length : query;
  const scheme = source.slice(0, stop).indexOf('://');
  const offset = scheme < 0 ? 0 : scheme + 3;
  const at = source.slice(offset, stop).indexOf('//');
  if (at < 0) return { source, subdir: '' };
  const split = offset + at;
  let subdir = source.slice(split + 2);
  let rest = source.slice(0, split);
  const inSubdir = subdir.indexOf('?');
  if (inSubdir >= 0) {
    rest += subdir.slice(inSubdir);
    subdir = subdir.slice(0, inSubdir);
  }
  return { source: rest, subdir };
}

/** Single-quotes a value for POSIX sh. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function archiveOf(urlPath: string, option: string | undefined): { archive?: string; unsupported?: string } {
  if (option !== undefined && option !== '') {
    if (option === 'false') return {};
    if (ARCHIVE_TYPES.includes(option)) return { archive: option };
    return { unsupported: option };
  }
  const lower = urlPath.toLowerCase();
  for (const type of [...UNSUPPORTED_ARCHIVES, ...ARCHIVE_TYPES].sort((a, b) => b.length - a.length)) {
    if (lower.endsWith(`.${type}`)) {
      return UNSUPPORTED_ARCHIVES.includes(type) ? { unsupported: type } : { archive: type };
    }
  }
  return {};
}

/** File name an archive of this type unpacks to when it is a single compressed file (`x.gz` → `x`). */
function decompressedName(fileName: string, archive: string): string {
  return fileName.toLowerCase().endsWith(`.${archive}`) ? fileName.slice(0, -archive.length - 1) : fileName;
}

const SCRIPT_PRELUDE = `set -eu
work=$(mktemp -d "\${TMPDIR:-/tmp}/artifacts.XXXXXX")
trap 'rm -rf "$work"' EXIT

# fetch URL OUTPUT INSECURE(0|1) [HEADER...]: downloads with curl, or wget where curl is missing.
fetch() {
  url=$1 out=$2 insecure=$3
  shift 3
  if command -v curl >/dev/null 2>&1; then flag=-H; else flag=--header; fi
  n=$#
  while [ "$n" -gt 0 ]; do
    set -- "$@" "$flag" "$1"
    shift
    n=$((n - 1))
  done
  if command -v curl >/dev/null 2>&1; then
    if [ "$insecure" = 1 ]; then set -- --insecure "$@"; fi
    curl --fail --silent --show-error --location --retry 3 --output "$out" "$@" "$url"
  else
    if [ "$insecure" = 1 ]; then set -- --no-check-certificate "$@"; fi
    wget -q -O "$out" "$@" "$url"
  fi
}

# verify ALGORITHM HEX FILE: fails unless the file has that checksum.
verify() {
  printf '%s  %s\\n' "$2" "$3" >"$3.sum"
  if ! "$1sum" -c "$3.sum"; then
    echo "artifact checksum mismatch ($1)" >&2
    exit 1
  fi
}

# unpack TYPE ARCHIVE DIRECTORY [NAME]: NAME is the file a single compressed file becomes.
unpack() {
  mkdir -p "$3"
  case $1 in
    tar.gz | tgz) tar -xzf "$2" -C "$3" ;;
    tar.bz2 | tbz2) tar -xjf "$2" -C "$3" ;;
    tar.xz | txz) tar -xJf "$2" -C "$3" ;;
    tar) tar -xf "$2" -C "$3" ;;
    zip) unzip -o -q "$2" -d "$3" ;;
    gz) gzip -dc "$2" >"$3/$4" ;;
    bz2) bzip2 -dc "$2" >"$3/$4" ;;
    xz) xz -dc "$2" >"$3/$4" ;;
  esac
}
`;

/** The POSIX sh script that fetches a task's artifacts (run as `sh -c <script>`). */
export function artifactScript(taskName: string, steps: readonly ArtifactStep[]): string {
  const lines = [
    `# Fetches the artifacts of Nomad task ${quoted(taskName).replaceAll('\n', ' ')} (generated by nomad-operator).`,
    SCRIPT_PRELUDE,
  ];
  for (const step of steps) {
    const file = `"$work/${step.index}"`;
    lines.push(`# artifact ${step.index}`);
    lines.push(`echo ${shQuote(`fetching artifact ${step.index}: ${step.url}`)}`);
    const headers = step.headers.map(([k, v]) => ` ${shQuote(`${k}: ${v}`)}`).join('');
    lines.push(`fetch ${shQuote(step.url)} ${file} ${step.insecure ? 1 : 0}${headers}`);
    if (step.checksum) lines.push(`verify ${step.checksum.algorithm} ${step.checksum.hex} ${file}`);
    const target = step.target;
    if (step.subdir !== undefined && step.archive && target.kind === 'dir') {
      // Unpacked aside; only the subdirectory's contents go to the destination, as go-getter copies them.
      const unpacked = `"$work/${step.index}.d"`;
      const name = decompressedName(target.fileName, step.archive);
      lines.push(`unpack ${step.archive} ${file} ${unpacked} ${shQuote(name)}`);
      lines.push(`mkdir -p ${shQuote(target.path)}`);
      lines.push(`cp -R ${unpacked}/${shQuote(step.subdir)}/. ${shQuote(target.path)}`);
    } else if (target.kind === 'file') {
      const parent = target.path.slice(0, target.path.lastIndexOf('/')) || '/';
      lines.push(`mkdir -p ${shQuote(parent)}`);
      if (step.archive && ['gz', 'bz2', 'xz'].includes(step.archive)) {
        const name = target.path.slice(target.path.lastIndexOf('/') + 1);
        lines.push(`unpack ${step.archive} ${file} ${shQuote(parent)} ${shQuote(name)}`);
      } else {
        lines.push(`mv -f ${file} ${shQuote(target.path)}`);
      }
    } else if (step.archive) {
      const name = decompressedName(target.fileName, step.archive);
      lines.push(`unpack ${step.archive} ${file} ${shQuote(target.path)} ${shQuote(name)}`);
    } else {
      lines.push(`mkdir -p ${shQuote(target.path)}`);
      lines.push(`mv -f ${file} ${shQuote(`${target.path}/${target.fileName}`)}`);
    }
  }
  lines.push(`echo ${shQuote(`fetched ${steps.length} artifact(s)`)}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Template files

/** Name of the init container that writes the template files into the task directories. */
export const TEMPLATES_CONTAINER = 'nomad-templates';

/**
 * Where the templates init container mounts what it reads and writes: task `index`'s local/ and
 * secrets/ (by index: task names may hold any character), and the task's template ConfigMap and Secret.
 * The shared alloc directory is at /alloc, as in every task.
 */
function copyTaskDir(index: number, dir: string): string {
  return `/nomad/tasks/${index}/${dir}`;
}
function copyObjectDir(index: number, secret: boolean): string {
  return `/nomad/${secret ? 'template-secrets' : 'templates'}/${index}`;
}

/** One file the templates init container writes (paths as it mounts the task directories). */
export interface TemplateCopy {
  /** A key of a template ConfigMap/Secret, or (a template with a `source`) the file an artifact wrote. */
  source: string;
  destination: string;
  /** Nomad's `perms`: 12 bits (setuid, setgid and sticky included, as Nomad parses them). */
  mode: number;
  /** Nomad's `uid`/`gid`; unset: the file is root's, as the init container runs as root. */
  uid?: number;
  gid?: number;
}

/**
 * The script of the templates init container (`sh -c <script> nomad-templates <args>`): for each
 * five arguments SOURCE DESTINATION MODE UID GID (`-`: not set), the file is written as Nomad writes a
 * rendered template, an ordinary file of the task directory: parents made, a file already there (an
 * artifact's) replaced, owner then mode set (chown clears setuid/setgid bits).
 */
export const TEMPLATE_COPY_SCRIPT = `# Writes the template files of Nomad tasks into their task directories (generated by nomad-operator).
# Arguments, five per file: SOURCE DESTINATION MODE UID GID ("-": keep the owner).
set -eu
while [ "$#" -ge 5 ]; do
  src=$1 dest=$2 mode=$3 uid=$4 gid=$5
  shift 5
  mkdir -p "\${dest%/*}"
  rm -f "$dest"
  cp "$src" "$dest"
  if [ "$uid" != - ]; then chown "$uid" "$dest"; fi
  if [ "$gid" != - ]; then chgrp "$gid" "$dest"; fi
  chmod "$mode" "$dest"
  echo "wrote $dest"
done
`;

/** The arguments of TEMPLATE_COPY_SCRIPT for these files. */
export function templateCopyArgs(copies: readonly TemplateCopy[]): string[] {
  return copies.flatMap((c) => [
    c.source,
    c.destination,
    c.mode.toString(8).padStart(4, '0'),
    c.uid === undefined ? '-' : String(c.uid),
    c.gid === undefined ? '-' : String(c.gid),
  ]);
}

/** The files a templates init container writes, read back from its arguments (for checks and tests). */
export function templateCopies(container: V1Container): TemplateCopy[] {
  if (container.name !== TEMPLATES_CONTAINER) return [];
  const args = container.args ?? [];
  const copies: TemplateCopy[] = [];
  for (let i = 0; i + 5 <= args.length; i += 5) {
    const [source = '', destination = '', mode = '', uid = '-', gid = '-'] = args.slice(i, i + 5);
    const copy: TemplateCopy = { source, destination, mode: Number.parseInt(mode, 8) };
    if (uid !== '-') copy.uid = Number(uid);
    if (gid !== '-') copy.gid = Number(gid);
    copies.push(copy);
  }
  return copies;
}

/** Whether an artifact step writes the file at `path` (a container path): its file, or inside what it unpacks. */
function artifactWrites(step: ArtifactStep, path: string): boolean {
  const target = step.target;
  if (target.kind === 'file') return path === target.path;
  if (step.archive !== undefined) return path.startsWith(`${target.path}/`);
  return path === `${target.path}/${target.fileName}`;
}

// ---------------------------------------------------------------------------------------------------
// Places of the allocation directory in the pod

/** Something of Nomad's allocation directory the pod holds: a directory volume or one file. */
export interface PlacedSource {
  place: AllocPlace;
  /**
   * `file`: a file of its own volume (a ConfigMap/Secret key); `written`: a file an init container
   * writes into the directory volume holding it (a template's); `absent`: a file of the job that is not
   * created (a template that is not converted).
   */
  kind: 'dir' | 'file' | 'written' | 'absent';
  /** The volume of a `dir` or `file`; '' otherwise. */
  volume: string;
  /** The key of a ConfigMap/Secret file, or a directory inside the volume. */
  subPath?: string;
  /** For messages: `template 0 of task "web"`. */
  what: string;
}

/** What storage.ts contributes to a group's pods, with the places of the allocation directory. */
export interface StorageResult extends GroupStorage {
  sources: PlacedSource[];
}

/** A bind of a task-relative Nomad path into a container, asked for by a driver's config. */
export interface TaskBind {
  /** The path relative to the task directory, as written (`local/nginx.conf`, `../alloc/data`). */
  source: string;
  /** Absolute path in the container. */
  target: string;
  readOnly: boolean;
  /** Nomad path of the setting, for warnings. */
  path: string;
  /** For messages: `volume "local/x:/etc/x"`. */
  what: string;
}

/** `inner`'s path relative to `outer` (which holds it); '' when they are the same place. */
function relativePlace(inner: AllocPlace, outer: AllocPlace): string {
  const outerPath = placePath(outer);
  const innerPath = placePath(inner);
  return outerPath === '' ? innerPath : innerPath.slice(outerPath.length + 1);
}

/**
 * The mounts that make a task-relative Nomad path appear at `bind.target` in task `task`'s container,
 * as Nomad's docker driver binds `<task dir>/<source>`: the deepest source holding the path (a subPath
 * of its volume, or the file itself), plus every file or task directory of another volume inside the
 * path at the same relative place below the target (a dispatch payload, a template mounted from its
 * ConfigMap/Secret key; template files in local/, secrets/ and alloc/ are files of those emptyDirs).
 * Nothing when the path leaves the allocation directory, nothing in the pod stands for it, or it is
 * the file of a template that is not created (the kubelet would make a directory for the missing
 * subPath, and mounting that over a file of the image fails the container): a warning says so.
 */
export function bindMounts(
  ctx: GroupContext,
  sources: readonly PlacedSource[],
  task: string,
  bind: TaskBind,
): V1VolumeMount[] {
  const tasks = (ctx.group.Tasks ?? []).map((t) => t.Name ?? '');
  const resolved = allocPlace(bind.source, task, tasks);
  if (!resolved.ok) {
    ctx.warn(
      bind.path,
      `${bind.what} is not mounted: its source ${resolved.reason}; bind a path under local/, secrets/ or alloc/ of the task, or an absolute host path`,
    );
    return [];
  }
  const place = resolved.place;
  const holders = sources
    .filter((s) => placeWithin(place, s.place))
    .sort((a, b) => b.place.length - a.place.length);
  const deepest = holders[0];
  const inside = deepest !== undefined && deepest.place.length !== place.length;
  if (deepest?.kind === 'absent') {
    ctx.warn(
      bind.path,
      `${bind.what} is not mounted: ${quoted(placePath(place))} is ${inside ? 'inside ' : ''}the file of ${deepest.what}, which is not created (the kubelet would make a directory in its place, and the container could not start); make the template from data, or bind another file`,
    );
    return [];
  }
  if ((deepest?.kind === 'file' || deepest?.kind === 'written') && inside) {
    ctx.warn(
      bind.path,
      `${bind.what} is not mounted: ${quoted(placePath(place))} is inside the file of ${deepest.what}`,
    );
    return [];
  }
  if (deepest?.kind === 'file') {
    return [{ name: deepest.volume, mountPath: bind.target, subPath: deepest.subPath ?? '', readOnly: true }];
  }
  // A file written into a task directory is bound from that directory's volume, as what the task writes.
  const base = holders.find((s) => s.kind === 'dir');
  const mounts: V1VolumeMount[] = [];
  const readOnly = bind.readOnly ? { readOnly: true } : {};
  if (base !== undefined) {
    const subPath = [base.subPath ?? '', relativePlace(place, base.place)].filter((p) => p !== '').join('/');
    mounts.push({
      name: base.volume,
      mountPath: bind.target,
      ...(subPath !== '' ? { subPath } : {}),
      ...readOnly,
    });
  }
  for (const inner of sources) {
    if (inner === base || inner.kind === 'absent' || inner.kind === 'written') continue;
    if (inner.place.length <= place.length || !placeWithin(inner.place, place)) continue;
    const mount: V1VolumeMount = {
      name: inner.volume,
      mountPath: goPathClean(`${bind.target}/${relativePlace(inner.place, place)}`),
    };
    if (inner.subPath !== undefined) mount.subPath = inner.subPath;
    if (inner.kind === 'file' || bind.readOnly) mount.readOnly = true;
    mounts.push(mount);
  }
  if (mounts.length === 0) {
    ctx.warn(
      bind.path,
      `${bind.what} is not mounted: nothing in the pod stands for ${quoted(placePath(place) || '.')} of the allocation directory (only local/, secrets/, alloc/ and the files templates write are); bind a path under local/, secrets/ or alloc/`,
    );
  }
  return mounts;
}

// ---------------------------------------------------------------------------------------------------
// The group

/** What the builder knows about a translated group volume. */
interface GroupVolume {
  name: string;
  readOnly: boolean;
}

/**
 * A path to Nomad's task output files, as JSON text: `alloc/logs/` (or NOMAD_ALLOC_DIR's `/logs/`, in
 * any interpolation syntax) followed in the same path by `std` (`web.stdout.0`, `*.std*`).
 */
const TASK_OUTPUT_FILES = /(?:alloc|NOMAD_ALLOC_DIR[^/]{0,8})\/logs\/[^\s"'`,;]*std(?:out|err|\*)/;

/** Node attributes and properties Nomad's task environment has (`attr.unique.hostname`). */
const NODE_PROPERTY = /^(node|attr|meta|device)\./;

/** The mounts of /alloc/data, /alloc/logs and /alloc/tmp (ALLOC_SUBDIRS), inside /alloc. */
function allocSubdirMounts(): V1VolumeMount[] {
  return ALLOC_SUBDIRS.map((dir) => ({ name: allocSubdirVolume(dir), mountPath: `${ALLOC_DIR}/${dir}` }));
}

/** Whether `mount` is one of allocSubdirMounts (which a task's own mount at that place replaces). */
export function isAllocSubdirMount(mount: V1VolumeMount): boolean {
  return allocSubdirMounts().some(
    (m) => m.name === mount.name && m.mountPath === mount.mountPath && !mount.subPath,
  );
}

export function groupStorage(ctx: GroupContext): StorageResult {
  return new StorageBuilder(ctx).build();
}

class StorageBuilder {
  private readonly ctx: GroupContext;
  private readonly volumes: V1Volume[] = [];
  private readonly objects: KubernetesObject[] = [];
  private readonly initContainers: V1Container[] = [];
  // Keyed by task name, which is the user's (src/nomad/keyed.ts).
  private readonly mounts = keyedBy<V1VolumeMount[]>();
  private readonly sources: PlacedSource[] = [];
  /** Env entries per task name: the variables of its env = true templates. */
  private readonly env = keyedBy<V1EnvVar[]>();
  /** Group volumes by Nomad volume name; `undefined` for volumes that were not translated. */
  private readonly groupVolumes = new Map<string, GroupVolume | undefined>();
  /** The files the templates init container writes, in task and template order. */
  private readonly copies: TemplateCopy[] = [];
  /** What it mounts: `<task index>/<local|secrets|alloc|tmpl|tmpl-secret>`. */
  private readonly copyDirs = new Set<string>();

  constructor(ctx: GroupContext) {
    this.ctx = ctx;
  }

  build(): StorageResult {
    this.taskDirectories();
    this.groupVolumeBlocks();
    const tasks = this.ctx.group.Tasks ?? [];
    tasks.forEach((task, index) => {
      const path = `${this.ctx.path}.Tasks[${index}]`;
      this.volumeMounts(task, path);
      this.allocSubdirectories(task);
      const steps = this.artifacts(task, path);
      this.templates(task, index, path, steps);
      this.dispatchPayload(task, path);
      this.taskOutputReads(task, path);
    });
    this.templatesContainer();
    return {
      volumes: this.volumes,
      objects: this.objects,
      initContainers: this.initContainers,
      mounts: this.mounts,
      sources: this.sources,
      env: this.env,
    };
  }

  private metadata(name: string, task?: string) {
    const metadata: {
      name: string;
      namespace: string;
      labels: Record<string, string>;
      annotations?: Record<string, string>;
    } = {
      name,
      namespace: this.ctx.options.namespace,
      labels: { ...this.ctx.labels },
    };
    if (task !== undefined) metadata.annotations = { [ANNOTATION_TASK]: task };
    return metadata;
  }

  /** Adds a mount to a task unless its mountPath is taken; returns whether it was added. */
  private mount(task: string, mount: V1VolumeMount, path: string, what: string): boolean {
    const list = this.mounts[task] ?? [];
    this.mounts[task] = list;
    const taken = list.find((m) => m.mountPath === mount.mountPath);
    if (taken) {
      this.ctx.warn(
        path,
        `${what} is not mounted: ${mount.mountPath} is already mounted from volume ${taken.name}`,
      );
      return false;
    }
    list.push(mount);
    return true;
  }

  // --- /alloc, /local, /secrets ---------------------------------------------------------------------

  private taskDirectories(): void {
    const { group, path } = this.ctx;
    const disk = group.EphemeralDisk;
    this.volumes.push({ name: ALLOC_VOLUME, emptyDir: {} });
    this.sources.push({
      place: ['alloc'],
      kind: 'dir',
      volume: ALLOC_VOLUME,
      what: 'the shared alloc directory',
    });
    for (const dir of ALLOC_SUBDIRS) {
      this.volumes.push({ name: allocSubdirVolume(dir), emptyDir: {} });
      this.sources.push({
        place: ['alloc', dir],
        kind: 'dir',
        volume: allocSubdirVolume(dir),
        what: `alloc/${dir} of the shared alloc directory`,
      });
    }
    if (disk?.Sticky) {
      this.ctx.warn(
        `${path}.EphemeralDisk.Sticky`,
        'ephemeral_disk sticky has no Kubernetes equivalent: the alloc directory is an emptyDir, which a replacement pod starts without',
      );
    }
    if (disk?.Migrate) {
      this.ctx.warn(
        `${path}.EphemeralDisk.Migrate`,
        'ephemeral_disk migrate has no Kubernetes equivalent: emptyDir data is not copied to a replacement pod on another node',
      );
    }
    for (const task of group.Tasks ?? []) {
      const name = task.Name ?? '';
      const local = taskVolumeName('local', name);
      const secrets = taskVolumeName('secrets', name);
      const secretsMB = task.Resources?.SecretsMB;
      this.volumes.push({ name: local, emptyDir: {} });
      this.volumes.push({
        name: secrets,
        emptyDir:
          secretsMB !== undefined && secretsMB > 0
            ? { medium: 'Memory', sizeLimit: `${secretsMB}Mi` }
            : { medium: 'Memory' },
      });
      this.sources.push(
        {
          place: ['task', name, 'local'],
          kind: 'dir',
          volume: local,
          what: `local/ of task ${quoted(name)}`,
        },
        {
          place: ['task', name, 'secrets'],
          kind: 'dir',
          volume: secrets,
          what: `secrets/ of task ${quoted(name)}`,
        },
      );
      this.mounts[name] = [
        { name: ALLOC_VOLUME, mountPath: ALLOC_DIR },
        { name: local, mountPath: TASK_DIR },
        { name: secrets, mountPath: SECRETS_DIR },
      ];
    }
  }

  // --- group volume blocks ----------------------------------------------------------------------------

  private groupVolumeBlocks(): void {
    const entries = Object.entries(this.ctx.group.Volumes ?? {}).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    for (const [key, request] of entries) {
      const path = memberPath(`${this.ctx.path}.Volumes`, key);
      const type = request.Type ?? '';
      let volume: GroupVolume | undefined;
      if (type === 'host') volume = this.hostVolume(key, request, path);
      else if (type === 'csi') volume = this.csiVolume(key, request, path);
      else {
        this.ctx.warn(
          `${path}.Type`,
          `volume ${quoted(key)} of type ${quoted(type)} is not translated: only "host" and "csi" volumes are supported`,
        );
      }
      this.groupVolumes.set(key, volume);
    }
  }

  private hostVolume(key: string, request: VolumeRequest, path: string): GroupVolume | undefined {
    const source = request.Source ?? '';
    if (source === '' || source === '.' || source === '..' || source.includes('/') || source.includes('\0')) {
      this.ctx.warn(
        `${path}.Source`,
        `host volume ${quoted(key)} is not translated: source ${quoted(source)} is not a plain host volume name`,
      );
      return undefined;
    }
    const name = groupVolumeName(key);
    const hostPath = `${HOST_VOLUME_ROOT}/${source}`;
    this.volumes.push({ name, hostPath: { path: hostPath, type: 'Directory' } });
    this.ctx.warn(
      `${path}.Source`,
      `host volume ${quoted(source)} is mounted from hostPath ${hostPath} (type Directory), which must exist on every node the pod can run on; Nomad's placement on nodes that have the host volume is not enforced`,
    );
    // Nomad honours both for host volumes: sticky keeps an allocation on the node of the dynamic host
    // volume it claimed; per_alloc mounts volume `<source>[<alloc index>]`, one per allocation.
    if (request.Sticky) {
      this.ctx.warn(
        `${path}.Sticky`,
        `sticky is not converted: the pod is not tied to the node holding its data; a replacement pod may start on another node, with that node's ${hostPath}; pin the group to the node with a constraint on \${node.unique.name} (the node label kubernetes.io/hostname), or use a csi volume, whose claim the pod follows`,
      );
    }
    if (request.PerAlloc) {
      this.ctx.warn(
        `${path}.PerAlloc`,
        `per_alloc is not converted: Nomad mounts host volume ${quoted(`${source}[<alloc index>]`)}, one per allocation; here every pod mounts ${hostPath}, so pods on one node share it and none is tied to the node holding its data; keep one pod per node (distinct_hosts) so each has its own node's directory, or make each instance a group of its own with its own volume`,
      );
    }
    // Nomad claims host volumes by access mode (one writer, readers only, …); a hostPath has no claims.
    if ((request.AccessMode ?? '') !== '') {
      this.ctx.warn(
        `${path}.AccessMode`,
        `access_mode ${quoted(request.AccessMode ?? '')} is not enforced: any pod on the node can mount the hostPath directory (read_only = true makes this group's mounts read-only)`,
      );
    }
    if (request.AttachmentMode === 'block-device') {
      this.ctx.warn(
        `${path}.AttachmentMode`,
        'block-device attachment is not converted: the host volume is mounted as a directory',
      );
    }
    return { name, readOnly: request.ReadOnly === true };
  }

  private csiVolume(key: string, request: VolumeRequest, path: string): GroupVolume | undefined {
    const { ctx } = this;
    const source = request.Source ?? '';
    const claimName = childName(ctx.jobName, ctx.group.Name ?? '', 'csi', key);
    const readOnly = request.ReadOnly === true;
    const nomadMode = request.AccessMode ?? '';
    let accessMode = CSI_ACCESS_MODES[nomadMode];
    if (accessMode === undefined) {
      accessMode = readOnly ? 'ReadOnlyMany' : 'ReadWriteOnce';
      ctx.warn(
        `${path}.AccessMode`,
        `csi access_mode ${quoted(nomadMode)} is not known; the claim asks for ${accessMode}`,
      );
    } else if (nomadMode === 'multi-node-single-writer') {
      ctx.warn(
        `${path}.AccessMode`,
        'multi-node-single-writer becomes ReadWriteMany: Kubernetes cannot limit a claim to one writer among many readers',
      );
    }
    const annotations: Record<string, string> = { [ANNOTATION_CSI_SOURCE]: source };
    const claim: V1PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { ...this.metadata(claimName), annotations },
      spec: {
        accessModes: [accessMode],
        volumeMode: 'Filesystem',
        resources: { requests: { storage: DEFAULT_CSI_SIZE } },
      },
    };
    this.objects.push(claim);
    ctx.warn(
      `${path}.Source`,
      `csi volume ${quoted(source)} becomes PersistentVolumeClaim ${claimName} of the default storage class requesting ${DEFAULT_CSI_SIZE}: Nomad's volume request has no size or plugin; bind the claim to the existing volume or edit its size and storage class`,
    );
    if (request.AttachmentMode === 'block-device') {
      ctx.warn(
        `${path}.AttachmentMode`,
        'block-device attachment is claimed as a filesystem volume: raw block devices (volumeDevices) are not generated',
      );
    }
    const options = request.MountOptions;
    if ((options?.FSType ?? '') !== '' || (options?.MountFlags ?? []).length > 0) {
      ctx.warn(
        `${path}.MountOptions`,
        'mount_options (fs_type, mount_flags) belong to the PersistentVolume or StorageClass (mountOptions), not to a claim; not applied',
      );
    }
    if (request.PerAlloc) {
      ctx.warn(
        `${path}.PerAlloc`,
        'per_alloc has no equivalent for this workload: every pod mounts the same claim (a volume per replica needs a StatefulSet volumeClaimTemplate)',
      );
    }
    const name = groupVolumeName(key);
    this.volumes.push({
      name,
      persistentVolumeClaim: readOnly ? { claimName, readOnly: true } : { claimName },
    });
    return { name, readOnly };
  }

  // --- volume_mount -------------------------------------------------------------------------------------

  private volumeMounts(task: Task, taskPathPrefix: string): void {
    const taskName = task.Name ?? '';
    (task.VolumeMounts ?? []).forEach((m, index) => {
      const path = `${taskPathPrefix}.VolumeMounts[${index}]`;
      const volumeName = m.Volume ?? '';
      if (!this.groupVolumes.has(volumeName)) {
        this.ctx.warn(
          `${path}.Volume`,
          `volume_mount names volume ${quoted(volumeName)}, which the group does not declare`,
        );
        return;
      }
      const volume = this.groupVolumes.get(volumeName);
      if (volume === undefined) return; // the volume itself was not translated; warned there
      let destination = m.Destination ?? '';
      // Interpolated as Nomad does when it mounts; what only the running pod knows stays (said below).
      if (destination.includes('${'))
        destination = interpolate(this.ctx, task, destination, { kubernetes: false, quiet: true });
      if (!destination.startsWith('/')) {
        const resolved = taskPath(destination);
        if (!resolved.ok) {
          this.ctx.warn(`${path}.Destination`, `volume_mount is not mounted: destination ${resolved.reason}`);
          return;
        }
        destination = resolved.path;
      } else if (destination.includes('${')) {
        this.ctx.warn(
          `${path}.Destination`,
          `volume_mount is not mounted: destination uses runtime interpolation (${quoted(destination)})`,
        );
        return;
      }
      const mount: V1VolumeMount = { name: volume.name, mountPath: destination };
      if (m.ReadOnly === true || volume.readOnly) mount.readOnly = true;
      const mode = m.PropagationMode ?? 'private';
      if (!Object.hasOwn(PROPAGATION, mode)) {
        this.ctx.warn(
          `${path}.PropagationMode`,
          `propagation_mode ${quoted(mode)} is not known; private is used`,
        );
      } else {
        let propagation = PROPAGATION[mode];
        if (mode === 'bidirectional' && !isPrivileged(task)) {
          // The apiserver rejects Bidirectional in a container that is not privileged.
          propagation = 'HostToContainer';
          this.ctx.warn(
            `${path}.PropagationMode`,
            'bidirectional mount propagation needs a privileged container (docker privileged = true); host-to-task is used',
          );
        }
        if (propagation !== undefined) mount.mountPropagation = propagation;
      }
      if ((m.SELinuxLabel ?? '') !== '') {
        this.ctx.warn(
          `${path}.SELinuxLabel`,
          `selinux_label ${quoted(m.SELinuxLabel ?? '')} is not applied: Kubernetes relabels volumes from the pod's seLinuxOptions`,
        );
      }
      this.mount(taskName, mount, `${path}.Destination`, `volume ${quoted(volumeName)}`);
    });
  }

  // --- templates ----------------------------------------------------------------------------------------

  /**
   * Nomad's `perms`, `uid` and `gid` of a template file. A file the templates init container writes
   * gets them all, as Nomad sets them; a file mounted from its ConfigMap/Secret (`copied` false) only
   * the mode's permission bits (the warnings say what is lost).
   */
  private templateFileMode(
    template: Template,
    path: string,
    copied: boolean,
  ): { mode: number; uid?: number; gid?: number } {
    let mode = 0o644;
    const perms = template.Perms ?? '';
    if (perms !== '') {
      const parsed = parsePerms(perms);
      if (parsed === undefined) {
        this.ctx.warn(`${path}.Perms`, `perms ${quoted(perms)} is not an octal file mode; 0644 is used`);
      } else if (parsed > 0o777 && !copied) {
        this.ctx.warn(
          `${path}.Perms`,
          `perms ${quoted(perms)}: setuid, setgid and sticky bits cannot be set on volume files; dropped`,
        );
        mode = parsed & 0o777;
      } else mode = parsed;
    }
    // Nomad ignores a negative uid or gid.
    const uid = template.Uid !== undefined && template.Uid >= 0 ? template.Uid : undefined;
    const gid = template.Gid !== undefined && template.Gid >= 0 ? template.Gid : undefined;
    if (copied) {
      return { mode, ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) };
    }
    if (uid !== undefined || gid !== undefined) {
      this.ctx.warn(
        `${path}.${uid !== undefined ? 'Uid' : 'Gid'}`,
        "uid/gid are not applied: files of ConfigMap and Secret volumes belong to root (group: the pod's fsGroup); put the file under local/, secrets/ or alloc/, where it is written with its owner",
      );
    }
    return { mode };
  }

  private templates(
    task: Task,
    taskIndex: number,
    taskPathPrefix: string,
    steps: readonly ArtifactStep[],
  ): void {
    const taskName = task.Name ?? '';
    const configData: Record<string, string> = {};
    const secretData: Record<string, string> = {};
    const configItems: V1KeyToPath[] = [];
    const secretItems: V1KeyToPath[] = [];
    const pending: Array<{ mount: V1VolumeMount; path: string; what: string }> = [];
    /** Variables of env = true templates: where each one's value is. */
    const templateVars = new Map<string, { key: string; secret: boolean }>();
    /** Destinations of the task's templates (Nomad refuses a job whose templates share one). */
    const written = new Map<string, number>();
    /** Where the templates init container finds a task-relative place (local/, secrets/, alloc/). */
    const copyPath = (place: AllocPlace) => {
      if (place[0] === 'alloc') return `/${place.join('/')}`;
      const [, , dir = '', ...rest] = place;
      return [copyTaskDir(taskIndex, dir), ...rest].join('/');
    };
    /** Has the init container write a file into the task directories (its place is found by binds). */
    const copy = (file: TemplateCopy, place: AllocPlace, what: string, ...dirs: string[]) => {
      this.copies.push(file);
      for (const dir of dirs) this.copyDirs.add(`${taskIndex}/${dir}`);
      this.sources.push({ place, kind: 'written', volume: '', what: `${what} of task ${quoted(taskName)}` });
    };

    (task.Templates ?? []).forEach((template: Template, index) => {
      const path = `${taskPathPrefix}.Templates[${index}]`;
      const what = `template ${index}`;
      // Lookups of the job's own services become their Service's DNS name and port (service-lookups.ts).
      const text = templateText(this.ctx, template, path);
      const sourcePath = template.SourcePath ?? '';
      const fromSource = text === '' && sourcePath !== '';
      if (!fromSource && sourcePath !== '' && (template.EmbeddedTmpl ?? '') !== '') {
        this.ctx.warn(
          `${path}.SourcePath`,
          `${what} is made from its data: its source ${quoted(sourcePath)} (a file on the Nomad client) is not read; set only one of them`,
        );
      }
      const destText = template.DestPath ?? '';
      const destination = taskPath(
        destText.includes('${')
          ? interpolate(this.ctx, task, destText, { kubernetes: false, path: `${path}.DestPath` })
          : destText,
        taskName,
      );
      if (!destination.ok) {
        this.ctx.warn(`${path}.DestPath`, `${what} is not created: its destination ${destination.reason}`);
        return;
      }
      const notCreated = (field: string, why: string) => {
        this.ctx.warn(`${path}.${field}`, `${what} is not created: ${why}`);
        // A bind of the missing file must not become a directory the kubelet makes (bindMounts).
        this.sources.push({
          place: destination.place,
          kind: 'absent',
          volume: '',
          what: `${what} of task ${quoted(taskName)}`,
        });
      };
      // The task directories themselves (local/, secrets/, alloc/ and alloc/data, …) hold files.
      if (this.sources.some((s) => s.kind === 'dir' && s.place.join('\0') === destination.place.join('\0'))) {
        this.ctx.warn(
          `${path}.DestPath`,
          `${what} is not created: its destination ${quoted(destText)} is a directory of the task`,
        );
        return;
      }
      // local/, secrets/ and alloc/ are emptyDirs the templates init container writes the file into,
      // writable as in Nomad; any other place of the task directory (an exec task's chroot) is only a
      // mount of the ConfigMap/Secret key.
      const copied = destination.dir !== 'other';
      if (copied) {
        const other = written.get(destination.path);
        if (other !== undefined) {
          this.ctx.warn(
            `${path}.DestPath`,
            `${what} is not created: template ${other} writes ${destination.path} too (Nomad refuses a job whose templates share a destination)`,
          );
          return;
        }
        written.set(destination.path, index);
      }
      if (fromSource) {
        const source = taskPath(
          sourcePath.includes('${')
            ? interpolate(this.ctx, task, sourcePath, { kubernetes: false, path: `${path}.SourcePath` })
            : sourcePath,
          taskName,
        );
        const step = source.ok ? steps.find((s) => artifactWrites(s, source.path)) : undefined;
        const payloadFile = task.DispatchPayload?.File ?? '';
        const payload = payloadFile === '' ? undefined : taskPath(`local/${payloadFile}`, taskName);
        if (source.ok && payload?.ok && payload.path === source.path) {
          // Each dispatched child has its own payload: no text of the job can stand for it.
          notCreated(
            'SourcePath',
            `its source ${quoted(sourcePath)} is the dispatch payload, which each dispatched job gets at ${payload.path} (from its own Secret), not rendered into another file here; have the task read ${payload.path} itself (for env = true, source the file in the task's command: set -a; . ${payload.path})`,
          );
          return;
        }
        if (!source.ok || step === undefined || !copied) {
          notCreated(
            'SourcePath',
            !copied
              ? `its source ${quoted(sourcePath)} is read when the pod starts, and its destination ${destination.path} is outside local/, secrets/ and alloc/, where the files of templates are written; put its text in the template's data instead (data = file("<the template file>") reads it when the job is parsed)`
              : `its source ${quoted(sourcePath)} is read when the task starts, and no artifact of the task writes it (templates are rendered here, before the pod runs); put its text in the template's data instead (data = file("<the template file>") reads it when the job is parsed)`,
          );
          return;
        }
        const file = this.templateFileMode(template, path, true);
        copy(
          { source: copyPath(source.place), destination: copyPath(destination.place), ...file },
          destination.place,
          what,
          destination.dir,
          source.dir,
        );
        this.ctx.warn(
          `${path}.SourcePath`,
          `${what} is copied as is from ${quoted(sourcePath)}, which artifact ${step.index} writes, to ${destination.path} when the pod starts (init container ${TEMPLATES_CONTAINER}), without Nomad's template engine: a file without template actions arrives as Nomad renders it, actions in it stay as written; put the template's text in data (data = file("<the template file>") reads it when the job is parsed) to have the known ones rendered and the others reported`,
        );
        if (template.Envvars) {
          this.ctx.warn(
            `${path}.Envvars`,
            `env = true: no variable is set: the variables of ${what} are in its source file, which exists only when the pod starts; put its text in the template's data, or set the variables in the task's env`,
          );
        }
        return;
      }
      // `{{ env "X" }}` of values known now is rendered with the container's values (template-render.ts).
      const rendered = renderKnownEnv(
        text,
        (name) => knownEnvValue(this.ctx, task, name),
        template.LeftDelim,
        template.RightDelim,
      );
      const fileText = rendered.text;
      const analysis = analyzeTemplate(fileText, template.LeftDelim, template.RightDelim);
      const envVars = template.Envvars
        ? this.templateEnv(text, fileText, analysis.dynamic, template, path, destination.path)
        : undefined;
      if (analysis.dynamic) {
        // Of the variables it reads that are unknown now: those the container has (pod IP, UID, …),
        // and those it does not have at all (an upstream of another job's service, say).
        const inPod = rendered.unknownEnv.filter((name) => containerHasEnv(this.ctx, task, name));
        const ofNode = rendered.unknownEnv.filter(
          (name) => !inPod.includes(name) && NODE_PROPERTY.test(name),
        );
        const unset = rendered.unknownEnv.filter((name) => !inPod.includes(name) && !ofNode.includes(name));
        const list = (names: string[], said: string) =>
          names.length === 0
            ? ''
            : `; env ${names.map(quoted).join(', ')} ${names.length > 1 ? 'are' : 'is'} ${said}`;
        this.ctx.warn(
          `${path}.EmbeddedTmpl`,
          `${what} holds template actions${describeFunctions(analysis.functions)} that need Nomad's template engine; it is ${copied ? 'written to' : 'mounted at'} ${destination.path} ${fileText === text ? 'as raw, unrendered text' : 'with those actions unrendered (the variables known when translating are rendered)'}${list(inPod, 'only known in the running pod')}${list(ofNode, 'of the Nomad client node, not in the container')}${list(unset, "not set in the container (set it in the task's env)")}${envVars?.missing ?? ''}`,
        );
      }
      const file = this.templateFileMode(template, path, copied);
      const secret =
        destination.dir === 'secrets' ||
        (file.mode & 0o004) === 0 ||
        analysis.functions.some((f) => TEMPLATE_FUNCTIONS[f] === 'Vault');
      const key = templateKey(index, destination.path);
      // A copied file gets its mode from the init container; the volume's 0644 lets it read the key.
      const item: V1KeyToPath =
        copied || file.mode === 0o644 ? { key, path: key } : { key, path: key, mode: file.mode };
      if (secret) {
        secretData[key] = fileText;
        secretItems.push(item);
      } else {
        configData[key] = fileText;
        configItems.push(item);
      }
      // Later templates' variables win (Nomad merges them in order); each is a key of the same object.
      for (const [name, value] of envVars?.vars ?? []) {
        const envKey = `env-${index}-${name.replaceAll('/', '-')}`;
        (secret ? secretData : configData)[envKey] = value;
        templateVars.delete(name);
        templateVars.set(name, { key: envKey, secret });
      }
      const volume = taskVolumeName(secret ? 'tmpl-secret' : 'tmpl', taskName);
      if (copied) {
        copy(
          {
            source: `${copyObjectDir(taskIndex, secret)}/${key}`,
            destination: copyPath(destination.place),
            ...file,
          },
          destination.place,
          what,
          destination.dir,
          secret ? 'tmpl-secret' : 'tmpl',
        );
        return;
      }
      pending.push({
        mount: { name: volume, mountPath: destination.path, subPath: key, readOnly: true },
        path: `${path}.DestPath`,
        what,
      });
      this.sources.push({
        place: destination.place,
        kind: 'file',
        volume,
        subPath: key,
        what: `${what} of task ${quoted(taskName)}`,
      });
    });
    if (configItems.length === 0 && secretItems.length === 0) return;

    const groupName = this.ctx.group.Name ?? '';
    const configName = childName(this.ctx.jobName, groupName, 'tmpl', taskName, contentHash(configData));
    const secretName = childName(this.ctx.jobName, groupName, 'tmpl', taskName, contentHash(secretData));
    if (templateVars.size > 0) {
      // Template variables override the task's env and Nomad's own variables (pod-template.ts replaces
      // entries of the same name), so they are env entries, not envFrom (which env would override).
      this.env[taskName] = [...templateVars].map(([name, { key, secret }]) =>
        secret
          ? { name, valueFrom: { secretKeyRef: { name: secretName, key } } }
          : { name, valueFrom: { configMapKeyRef: { name: configName, key } } },
      );
    }
    if (configItems.length > 0) {
      const name = configName;
      this.checkSize(configData, `${taskPathPrefix}.Templates`, 'ConfigMap');
      const configMap: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: this.metadata(name, taskName),
        immutable: true,
        data: configData,
      };
      this.objects.push(configMap);
      this.volumes.push({ name: taskVolumeName('tmpl', taskName), configMap: { name, items: configItems } });
    }
    if (secretItems.length > 0) {
      const name = secretName;
      this.checkSize(secretData, `${taskPathPrefix}.Templates`, 'Secret');
      const secret: V1Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: this.metadata(name, taskName),
        type: 'Opaque',
        immutable: true,
        data: Object.fromEntries(
          Object.entries(secretData).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
        ),
      };
      this.objects.push(secret);
      this.volumes.push({
        name: taskVolumeName('tmpl-secret', taskName),
        secret: { secretName: name, items: secretItems },
      });
    }
    for (const p of pending) this.mount(taskName, { ...p.mount }, p.path, p.what);
  }

  /**
   * The init container that writes the template files into the task directories, after the artifact
   * fetchers (Nomad renders a task's templates after fetching its artifacts: a template replaces an
   * artifact's file of the same path, and may read one as its source) and before every task, prestart
   * and sidecar tasks included. It runs the artifact image (a shell and coreutils), as the user of that
   * image unless a template sets an owner, which needs root (chown).
   */
  private templatesContainer(): void {
    if (this.copies.length === 0) return;
    const tasks = this.ctx.group.Tasks ?? [];
    const mounts: V1VolumeMount[] = [];
    if ([...this.copyDirs].some((d) => d.endsWith('/alloc'))) {
      mounts.push({ name: ALLOC_VOLUME, mountPath: ALLOC_DIR }, ...allocSubdirMounts());
    }
    tasks.forEach((task, index) => {
      const name = task.Name ?? '';
      const has = (what: string) => this.copyDirs.has(`${index}/${what}`);
      if (has('local'))
        mounts.push({ name: taskVolumeName('local', name), mountPath: copyTaskDir(index, 'local') });
      if (has('secrets'))
        mounts.push({ name: taskVolumeName('secrets', name), mountPath: copyTaskDir(index, 'secrets') });
      if (has('tmpl'))
        mounts.push({
          name: taskVolumeName('tmpl', name),
          mountPath: copyObjectDir(index, false),
          readOnly: true,
        });
      if (has('tmpl-secret'))
        mounts.push({
          name: taskVolumeName('tmpl-secret', name),
          mountPath: copyObjectDir(index, true),
          readOnly: true,
        });
    });
    this.initContainers.push({
      name: TEMPLATES_CONTAINER,
      image: this.ctx.options.artifactImage,
      command: ['/bin/sh', '-c', TEMPLATE_COPY_SCRIPT, TEMPLATES_CONTAINER],
      args: templateCopyArgs(this.copies),
      volumeMounts: mounts,
      // Root, as Nomad's client renders (module comment).
      securityContext: { runAsUser: 0 },
    });
  }

  /**
   * The variables of an env = true template (template-render.ts reads them as Nomad does): all of
   * them when the text renders completely, else those of its certain lines, with the end of the
   * template's warning naming the variables that are missing. A file Nomad cannot read fails the task
   * there: reported, nothing set.
   */
  private templateEnv(
    written: string,
    rendered: string,
    dynamic: boolean,
    template: Template,
    path: string,
    destination: string,
  ): { vars: Map<string, string>; missing: string } {
    const none = { vars: new Map<string, string>(), missing: '' };
    const failed = (message: string) => {
      this.ctx.warn(
        `${path}.Envvars`,
        `env = true: no variable is set, Nomad fails the task: Template failed to read environment variables: error parsing env template ${quoted(destination)}: ${message}`,
      );
      return none;
    };
    if (!dynamic) {
      const parsed = parseEnvFile(rendered);
      return parsed.ok ? { vars: parsed.vars, missing: '' } : failed(parsed.message);
    }
    const lines = certainLines(rendered, template.LeftDelim, template.RightDelim);
    const parsed = parseEnvLines(lines ?? []);
    if (!parsed.ok) return failed(`error on line ${parsed.line}: ${parsed.message}`);
    const set = [...parsed.vars.keys()];
    const missing = envNamesWritten(written).filter((name) => !parsed.vars.has(name));
    const named = missing.length > 0 ? missing.join(', ') : 'those its actions write';
    return {
      vars: parsed.vars,
      missing: `; of its variables (env = true) ${set.length > 0 ? `${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set, ` : ''}${named} ${missing.length === 1 ? 'is' : 'are'} not: set ${missing.length === 1 ? 'it' : 'them'} in the task's env (from a Kubernetes Secret for secret values)`,
    };
  }

  private checkSize(data: Record<string, string>, path: string, kind: string): void {
    const size = byteLength(data);
    if (size > MAX_OBJECT_DATA_BYTES) {
      this.ctx.warn(
        path,
        `the templates' ${kind} holds ${size} bytes; the apiserver rejects objects over 1 MiB`,
      );
    }
  }

  // --- dispatch_payload ---------------------------------------------------------------------------------

  private dispatchPayload(task: Task, taskPathPrefix: string): void {
    const file = task.DispatchPayload?.File ?? '';
    const secretName = this.ctx.options.dispatch?.payloadSecretName;
    if (file === '' || secretName === undefined || secretName === '') return;
    const path = `${taskPathPrefix}.DispatchPayload.File`;
    const destination = taskPath(`local/${file}`, task.Name ?? '');
    if (!destination.ok) {
      this.ctx.warn(path, `the dispatch payload is not mounted: its file ${destination.reason}`);
      return;
    }
    if (!this.volumes.some((v) => v.name === PAYLOAD_VOLUME)) {
      this.volumes.push({
        name: PAYLOAD_VOLUME,
        // Nomad writes the payload with mode 0777 (0755 under the client's usual umask 022): a
        // dispatched script runs as the task's command.
        secret: { secretName, items: [{ key: 'payload', path: 'payload', mode: 0o755 }] },
      });
    }
    this.mount(
      task.Name ?? '',
      { name: PAYLOAD_VOLUME, mountPath: destination.path, subPath: 'payload', readOnly: true },
      path,
      'the dispatch payload',
    );
    this.sources.push({
      place: destination.place,
      kind: 'file',
      volume: PAYLOAD_VOLUME,
      subPath: 'payload',
      what: 'the dispatch payload',
    });
  }

  /**
   * /alloc/data, /alloc/logs and /alloc/tmp in the task's container, right after /alloc; where a
   * volume_mount of the task is there already, that volume is what the task sees, as in Nomad.
   */
  private allocSubdirectories(task: Task): void {
    const mounts = this.mounts[task.Name ?? ''];
    if (!mounts) return;
    const free = allocSubdirMounts().filter((m) => !mounts.some((taken) => taken.mountPath === m.mountPath));
    const at = mounts.findIndex((m) => m.mountPath === ALLOC_DIR) + 1;
    mounts.splice(at, 0, ...free);
  }

  // --- task output files ------------------------------------------------------------------------------

  /**
   * Nomad writes each task's stdout and stderr to alloc/logs/<task>.stdout.N (.stderr.N), and log
   * shippers read them there (or, on the node, under the client's alloc directories). Kubernetes does
   * not: the kubelet keeps container output itself. A task whose config, env or templates name those
   * files is told so, once.
   */
  private taskOutputReads(task: Task, path: string): void {
    const text = JSON.stringify([task.Config, task.Env, (task.Templates ?? []).map((t) => t.EmbeddedTmpl)]);
    if (!TASK_OUTPUT_FILES.test(text)) return;
    this.ctx.warn(
      path,
      "reads Nomad's task output files (alloc/logs/<task>.stdout.N, .stderr.N), which nothing writes on Kubernetes: the kubelet keeps each container's output (kubectl logs, /var/log/pods on the node); ship logs with a node-level collector reading /var/log/pods, or have the task write its own log files to /alloc/logs",
    );
  }

  // --- artifacts ----------------------------------------------------------------------------------------

  /** The task's artifact fetcher; returns what it fetches (templates may read those files). */
  private artifacts(task: Task, taskPathPrefix: string): ArtifactStep[] {
    const taskName = task.Name ?? '';
    const steps: ArtifactStep[] = [];
    (task.Artifacts ?? []).forEach((artifact, index) => {
      const step = this.artifactStep(task, artifact, index, `${taskPathPrefix}.Artifacts[${index}]`);
      if (step) steps.push(step);
    });
    if (steps.length === 0) return steps;
    const directories = new Set([
      ALLOC_DIR,
      ...allocSubdirMounts().map((m) => m.mountPath),
      TASK_DIR,
      SECRETS_DIR,
    ]);
    const mounts = (this.mounts[taskName] ?? []).filter((m) => directories.has(m.mountPath));
    this.initContainers.push({
      name: artifactContainerName(taskName),
      image: this.ctx.options.artifactImage,
      command: ['/bin/sh', '-c', artifactScript(taskName, steps)],
      volumeMounts: mounts.map((m) => ({ ...m })),
    });
    return steps;
  }

  private artifactStep(
    task: Task,
    artifact: TaskArtifact,
    index: number,
    path: string,
  ): ArtifactStep | undefined {
    const { ctx } = this;
    const what = `artifact ${index}`;
    // Nomad interpolates the task's environment into source, options, headers and destination.
    const expand = (text: string, field: string) =>
      text.includes('${')
        ? interpolate(ctx, task, text, { kubernetes: false, path: `${path}.${field}` })
        : text;
    const split = sourceSubdir(expand(artifact.GetterSource ?? '', 'GetterSource'));
    let source = split.source;
    const subdir = split.subdir.replace(/^\/+|\/+$/g, '');
    const forced = /^([A-Za-z0-9]+)::(.*)$/s.exec(source);
    if (forced) {
      const getter = (forced[1] ?? '').toLowerCase();
      if (getter !== 'http' && getter !== 'https') {
        ctx.warn(
          `${path}.GetterSource`,
          `${what} is not fetched: the ${getter} getter is not supported (only http and https URLs are downloaded)`,
        );
        return undefined;
      }
      source = forced[2] ?? '';
    }
    if (source.includes('${')) {
      ctx.warn(
        `${path}.GetterSource`,
        `${what} is not fetched: its source ${quoted(source)} holds a reference that has no value before the pod runs`,
      );
      return undefined;
    }
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      url = new URL('invalid:');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.warn(
        `${path}.GetterSource`,
        `${what} is not fetched: ${quoted(source)} is not an http(s) URL (go-getter shorthands, git, s3, gcs, hg and file sources are not supported)`,
      );
      return undefined;
    }
    // go-getter reads its own options from the query string; Nomad adds `options` there too.
    const options = new Map<string, string>();
    for (const name of ['archive', 'checksum']) {
      const value = url.searchParams.get(name);
      if (value === null) continue;
      options.set(name, value);
      // Only touch the query when needed: deleting re-serializes it (`%20` becomes `+`).
      url.searchParams.delete(name);
    }
    const getterOptions = artifact.GetterOptions ?? {};
    const unsupported: string[] = [];
    for (const name of Object.keys(getterOptions).sort()) {
      if (name === 'archive' || name === 'checksum') {
        options.set(name, expand(getterOptions[name] ?? '', 'GetterOptions'));
      } else unsupported.push(name);
    }
    if (unsupported.length > 0) {
      ctx.warn(
        `${path}.GetterOptions`,
        `${what}: options ${unsupported.join(', ')} are not supported and ignored`,
      );
    }

    let checksum: ArtifactStep['checksum'];
    const checksumText = options.get('checksum') ?? '';
    if (checksumText !== '') {
      const match = /^(?:([a-z0-9]+):)?(.*)$/s.exec(checksumText);
      const type = match?.[1];
      const value = match?.[2] ?? '';
      const algorithm = type ?? CHECKSUM_LENGTHS[value.length];
      if (type === 'file') {
        ctx.warn(
          `${path}.GetterOptions`,
          `${what} is not fetched: checksum files (checksum = "file:…") are not supported`,
        );
        return undefined;
      }
      if (
        (algorithm !== 'md5' && algorithm !== 'sha1' && algorithm !== 'sha256' && algorithm !== 'sha512') ||
        !/^[0-9a-fA-F]+$/.test(value) ||
        CHECKSUM_LENGTHS[value.length] !== algorithm
      ) {
        ctx.warn(
          `${path}.GetterOptions`,
          `${what} is not fetched: checksum ${quoted(checksumText)} is not valid`,
        );
        return undefined;
      }
      checksum = { algorithm, hex: value.toLowerCase() };
    }

    const headers: Array<[string, string]> = [];
    for (const name of Object.keys(artifact.GetterHeaders ?? {}).sort()) {
      const value = expand(artifact.GetterHeaders?.[name] ?? '', 'GetterHeaders');
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
        ctx.warn(`${path}.GetterHeaders`, `${what}: header ${quoted(name)} holds a line break; dropped`);
        continue;
      }
      headers.push([name, value]);
    }

    const destination = taskPath(expand(artifact.RelativeDest ?? 'local/', 'RelativeDest'), task.Name ?? '');
    if (!destination.ok) {
      ctx.warn(`${path}.RelativeDest`, `${what} is not fetched: its destination ${destination.reason}`);
      return undefined;
    }
    if (destination.dir === 'other') {
      ctx.warn(
        `${path}.RelativeDest`,
        `${what} is not fetched: destination ${quoted(artifact.RelativeDest ?? '')} is outside local/, secrets/ and alloc/, which are the only task directories shared with the task's container`,
      );
      return undefined;
    }
    let urlPath = url.pathname;
    try {
      urlPath = decodeURIComponent(url.pathname);
    } catch {
      // keep the encoded form
    }
    const { archive, unsupported: unsupportedArchive } = archiveOf(urlPath, options.get('archive'));
    if (unsupportedArchive !== undefined) {
      ctx.warn(
        `${path}.GetterSource`,
        `${what}: ${unsupportedArchive} archives are not unpacked; the file is saved as downloaded`,
      );
    }
    if (artifact.Chown) {
      ctx.warn(
        `${path}.Chown`,
        `${what}: chown is not applied; files belong to the user of the artifact init container`,
      );
    }
    const fileName = urlPath.slice(urlPath.lastIndexOf('/') + 1).replace(/[\0]/g, '') || 'artifact';
    const mode = artifact.GetterMode ?? 'any';
    if (mode === 'file' && archive !== undefined && !['gz', 'bz2', 'xz'].includes(archive)) {
      ctx.warn(
        `${path}.GetterMode`,
        `${what}: mode "file" keeps the ${archive} archive as a file; it is not unpacked`,
      );
    }
    const target: ArtifactStep['target'] =
      mode === 'file'
        ? { kind: 'file', path: destination.path }
        : { kind: 'dir', path: destination.path, fileName };
    const step: ArtifactStep = {
      index,
      url: url.toString(),
      headers,
      insecure: artifact.GetterInsecure === true,
      target,
    };
    if (checksum) step.checksum = checksum;
    if (archive !== undefined && (mode !== 'file' || ['gz', 'bz2', 'xz'].includes(archive)))
      step.archive = archive;
    if (subdir !== '') {
      const why =
        step.archive === undefined || ['gz', 'bz2', 'xz'].includes(step.archive) || mode === 'file'
          ? 'it names a directory of an archive, and this source is not unpacked into directories'
          : /[*?[\]\\]|(^|\/)\.\.(\/|$)/.test(subdir)
            ? 'patterns and ".." are not supported there'
            : undefined;
      if (why !== undefined) {
        ctx.warn(
          `${path}.GetterSource`,
          `${what} is not fetched: its subdirectory ${quoted(subdir)}: ${why}`,
        );
        return undefined;
      }
      step.subdir = subdir;
    }
    return step;
  }
}
