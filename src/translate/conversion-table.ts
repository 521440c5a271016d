// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad attribute references are literal "${…}" text
// Every field of the Nomad job model and what the translator makes of it: converted (to what),
// partial (what is lost), not applicable on Kubernetes (why), or metadata (Nomad's own bookkeeping,
// state rather than spec). docs/conversion.md is rendered from this table (npm run generate:docs), and
// a unit test fails when the schema knows a field that the table lacks.
//
// Rows are keyed by the field paths of `jobFieldPaths` (`TaskGroups[].Tasks[].Resources.CPU`). A row
// marked `subtree` also covers every field below it (whole blocks that are not applicable, such as
// Consul Connect or Vault), and no other row sits below it. Each row names the module that implements
// it (`by`), so the table can be checked against the code.
//
// `notApplicableWarnings(job)` reports every not-applicable field the job sets, once per occurrence
// (translate() calls it once per job). A field that a translator module already reports itself names
// that module in `warnedBy` and is skipped, so each field is reported exactly once. Fields that
// canonicalization always fills count as set only when they differ from Nomad's default (`isSet`).
import { jobFields } from '../nomad/schema/introspect.ts';
import type { Job } from '../nomad/schema.ts';
import type { Warning } from './types.ts';

export type ConversionStatus = 'converted' | 'partial' | 'not-applicable' | 'metadata';

/** Where a value was found: the job and the concrete path (`TaskGroups[0].Tasks[1].LogConfig`). */
export interface FieldSite {
  job: Job;
  path: string;
}

/** Whether a not-applicable field counts as set at a site. */
export type IsSet = (value: unknown, site: FieldSite) => boolean;

export interface Conversion {
  status: ConversionStatus;
  /** converted / partial: what the field becomes. */
  target?: string;
  /** partial: what is lost; not-applicable: why; metadata: what it is. */
  why?: string;
  /** The module that implements the conversion, e.g. `storage.ts`. */
  by?: string;
  /** The row covers every field below this one. */
  subtree?: boolean;
  /** not-applicable: the module that already reports the field; notApplicableWarnings stays silent. */
  warnedBy?: string;
  /**
   * not-applicable: whether a value counts as set (and is warned about, here or by `warnedBy`).
   * Default: not empty (`isEmptyValue`).
   */
  isSet?: IsSet;
  /**
   * Why a job may set this field without any difference in the objects and without a warning:
   * Kubernetes already does what the value asks, or there is nothing the value could act on (a
   * re-render setting of static text). The schema walk (test/unit/translate/schema-walk.test.ts)
   * accepts silence only for these rows and Nomad's bookkeeping (`metadata`); notApplicableWarnings
   * reports none of them.
   */
  noEffect?: string;
}

export interface ConversionRow extends Conversion {
  /** Field path pattern from `jobFieldPaths`. */
  path: string;
}

// ---------------------------------------------------------------------------------------------------
// Building the table

const rows = new Map<string, Conversion>();

function add(path: string, conversion: Conversion): void {
  if (rows.has(path)) throw new Error(`conversion table: duplicate row ${path}`);
  rows.set(path, conversion);
}

/** The same field rows under each prefix (`''` is the job itself). */
function at(prefixes: readonly string[], fields: Record<string, Conversion>): void {
  for (const prefix of prefixes) {
    for (const [name, conversion] of Object.entries(fields)) {
      add(prefix === '' ? name : `${prefix}.${name}`, conversion);
    }
  }
}

function converted(target: string, by: string): Conversion {
  return { status: 'converted', target, by };
}

function partial(target: string, why: string, by: string): Conversion {
  return { status: 'partial', target, why, by };
}

function notApplicable(
  why: string,
  options: { subtree?: boolean; warnedBy?: string; isSet?: IsSet; noEffect?: string } = {},
): Conversion {
  return { status: 'not-applicable', why, ...options };
}

/** A row that needs no output and no warning for the values a job may set, and why (`noEffect`). */
function quiet(conversion: Conversion, noEffect: string): Conversion {
  return { ...conversion, noEffect };
}

function metadata(why: string, subtree = false): Conversion {
  return subtree ? { status: 'metadata', why, subtree } : { status: 'metadata', why };
}

/** Subtree version of a row. */
function whole(conversion: Conversion): Conversion {
  return { ...conversion, subtree: true };
}

/** Empty in the sense of "not set": undefined, null, '', 0, false, and lists/objects of those. */
export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every(isEmptyValue);
  return false;
}

/** Set unless empty or equal to one of the given defaults (compared as JSON). */
function unless(...defaults: unknown[]): IsSet {
  const texts = new Set(defaults.map((d) => JSON.stringify(d)));
  return (value) => !isEmptyValue(value) && !texts.has(JSON.stringify(value));
}

/** The value at a site's path (`TaskGroups[0].Services[1]`) in its job; undefined when absent. */
function valueAtPath(job: Job, path: string): unknown {
  let value: unknown = job;
  for (const [, key, index] of path.matchAll(/([^.[\]]+)(?:\[(\d+)\])?/g)) {
    if (typeof value !== 'object' || value === null || key === undefined) return undefined;
    value = (value as Record<string, unknown>)[key];
    if (index !== undefined) value = Array.isArray(value) ? value[Number(index)] : undefined;
  }
  return value;
}

/**
 * A check's field counts as set when `isSet` says so and it is not its service's own value, which
 * canonicalization copies into every check (as Nomad's API does with `on_update` and `check_restart`):
 * the service's field is reported once, at the service.
 */
function unlessCopiedFromService(isSet: IsSet): IsSet {
  return (value, site) => {
    if (!isSet(value, site)) return false;
    const check = /^(.*)\.Checks\[\d+\]\.(.+)$/.exec(site.path);
    if (!check) return true;
    return JSON.stringify(valueAtPath(site.job, `${check[1]}.${check[2]}`)) !== JSON.stringify(value);
  };
}

/** A struct counts as set when a field differs from the defaults (other fields: when not empty). */
function structDiffers(defaults: Record<string, unknown>, ignored: readonly string[] = []): IsSet {
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return !isEmptyValue(value);
    // A null field is unset (how the API prints Nomad's unset pointer fields), never a difference.
    return Object.entries(value).some(([key, v]) =>
      v === null || ignored.includes(key)
        ? false
        : Object.hasOwn(defaults, key)
          ? JSON.stringify(v) !== JSON.stringify(defaults[key])
          : !isEmptyValue(v),
    );
  };
}

const SECOND = 1_000_000_000;
const MINUTE = 60 * SECOND;

const PLACEMENT = 'placement.ts';
const NETWORKING = 'networking.ts';
const STORAGE = 'storage.ts';
const RESOURCES = 'resources.ts';
const DRIVERS = 'drivers.ts';
const ENV = 'env.ts';
const POD = 'pod-template.ts';
const WORKLOADS = 'workloads.ts';
const INDEX = 'index.ts';

// ---------------------------------------------------------------------------------------------------
// Job

const ATTRIBUTE_LABEL =
  'the node label the attribute is mapped to (defaults listed above; others only when the operator maps them: `--node-attribute-label`, `--datacenter-label`, …)';
const UNMAPPED =
  'a rule on an attribute mapped to no node label pins nothing (one warning naming the flag that maps it)';

at([''], {
  Region: partial(
    'NOMAD_REGION and `${node.region}` in interpolation; with `--region-label`, a region other than `global` → required node affinity (In) on that label',
    'without `--region-label` it pins nothing (warning unless `global`)',
    PLACEMENT,
  ),
  Namespace: converted(
    'label `nomadoperator.dev/namespace` and annotation (exact value) on every object, NOMAD_NAMESPACE; the Kubernetes namespace is chosen by the caller (identity mapping)',
    INDEX,
  ),
  ID: converted(
    'object names (`<job>`, `<job>--<group>`, …, hashed when not a DNS label), label and annotation `nomadoperator.dev/job-id`, NOMAD_JOB_ID',
    INDEX,
  ),
  Name: converted('NOMAD_JOB_NAME', ENV),
  Type: converted(
    '`service` → Deployment, `batch` → Indexed Job (periodic: CronJob), `system` → DaemonSet, `sysbatch` → a run-once DaemonSet (the tasks run as init containers, then a pause container)',
    WORKLOADS,
  ),
  Priority: notApplicable(
    'Nomad’s scheduling priority and preemption; Kubernetes uses PriorityClasses, which are cluster objects',
    { isSet: unless(50) },
  ),
  AllAtOnce: notApplicable('a Nomad scheduler option (place all allocations at once or none)'),
  Datacenters: partial(
    'NOMAD_DC; with `--datacenter-label`, required node affinity (In) on that label',
    'without `--datacenter-label` it pins nothing: pods run on any node (one warning); `*` means anywhere (no warning); glob patterns are dropped (warning)',
    PLACEMENT,
  ),
  NodePool: partial(
    'with `--node-pool-label`, required node affinity (In) on that label; `default` and `all` mean anywhere',
    'without `--node-pool-label` it pins nothing (one warning)',
    PLACEMENT,
  ),
  Constraints: partial(
    'the pod’s required node affinity, nodeSelector and pod anti-affinity (see Constraint)',
    UNMAPPED,
    PLACEMENT,
  ),
  Affinities: partial('preferred node affinity (see Affinity)', UNMAPPED, PLACEMENT),
  TaskGroups: converted('one workload per group (see TaskGroup)', WORKLOADS),
  Update: whole(
    converted('merged into every group’s update block by canonicalization (see TaskGroups[].Update)', INDEX),
  ),
  Multiregion: notApplicable('multi-region deployments (Nomad Enterprise); a NomadJob runs in one cluster', {
    subtree: true,
  }),
  Spreads: partial('topology spread constraints (see Spread)', UNMAPPED, PLACEMENT),
  Periodic: converted('a CronJob per group (see PeriodicConfig)', WORKLOADS),
  ParameterizedJob: converted(
    'no workload (warning); each dispatched child (`Dispatched`) is translated as a batch job',
    INDEX,
  ),
  Reschedule: whole(
    converted(
      'merged into every group’s reschedule block by canonicalization (see TaskGroups[].ReschedulePolicy)',
      INDEX,
    ),
  ),
  Migrate: notApplicable('merged into every group’s migrate block by canonicalization, reported there', {
    subtree: true,
    warnedBy: 'notApplicableWarnings (TaskGroups[].Migrate)',
  }),
  Meta: converted(
    'NOMAD_META_* variables (merged with group and task meta) and the pod annotation `nomadoperator.dev/meta`',
    ENV,
  ),
  UI: notApplicable('description and links for Nomad’s web UI', { subtree: true }),
  Stop: metadata('state set by `nomad job stop`, not spec; the translator ignores it'),
  ParentID: converted('label and annotation `nomadoperator.dev/parent-id`, NOMAD_JOB_PARENT_ID', INDEX),
  Dispatched: converted(
    'marks a dispatched child: translated as a batch job despite its parameterized block',
    INDEX,
  ),
  DispatchIdempotencyToken: metadata('dispatch bookkeeping of the /v1 API'),
  Payload: quiet(
    converted(
      'the dispatch’s Secret (`options.dispatch.payloadSecretName`, key `payload`), mounted at `dispatch_payload.file`',
      STORAGE,
    ),
    'the dispatch endpoint writes the payload into that Secret; the translation only mounts it by name',
  ),
  ConsulNamespace: notApplicable('the Consul namespace of the job; there is no Consul'),
  VaultNamespace: notApplicable('the Vault namespace of the job; Vault is not integrated'),
  NomadTokenID: metadata('the ACL token that submitted the job'),
  Status: metadata('job status, computed from the workloads'),
  StatusDescription: metadata('job status text'),
  Stable: metadata('whether the version is stable, set by deployments'),
  Version: metadata(
    'job version; every object carries it as label `nomadoperator.dev/version` (options.version)',
  ),
  SubmitTime: metadata('submission time'),
  CreateIndex: metadata('Raft index'),
  ModifyIndex: metadata('Raft index'),
  JobModifyIndex: metadata('Raft index'),
  VersionTag: metadata('a name given to one job version', true),
});

at(['Periodic'], {
  Enabled: converted('`false` → CronJob suspend', WORKLOADS),
  Spec: partial(
    'CronJob schedule (rewritten to Kubernetes’ five fields; a `CRON_TZ=` prefix → timeZone)',
    'seconds other than 0, years other than `*`, and `L`, `W`, `#` cannot be expressed: warning, no CronJob',
    WORKLOADS,
  ),
  Specs: partial(
    'one CronJob per entry (`<job>--<group>--cron-<i>`)',
    'entries that name the same time start two runs, where Nomad launches one (warning)',
    WORKLOADS,
  ),
  SpecType: partial('`cron`', 'other spec types: warning, no CronJob', WORKLOADS),
  ProhibitOverlap: partial(
    'concurrencyPolicy Forbid (else Allow)',
    'per CronJob: runs of other cron entries or other groups of the job are not waited for (warning)',
    WORKLOADS,
  ),
  TimeZone: converted('CronJob timeZone (an unknown zone: UTC, warning)', WORKLOADS),
});

at(['ParameterizedJob'], {
  Payload: quiet(
    partial('—', 'enforced when dispatching (the /v1 dispatch endpoint), not by the translator', INDEX),
    'a dispatched child was checked against it when it was dispatched',
  ),
  MetaRequired: quiet(
    partial('—', 'enforced when dispatching (the /v1 dispatch endpoint), not by the translator', INDEX),
    'a dispatched child was checked against it when it was dispatched',
  ),
  MetaOptional: converted('in a dispatched child, unset optional meta keys are "" in NOMAD_META_*', ENV),
});

// ---------------------------------------------------------------------------------------------------
// Placement: constraints, affinities, spreads (job, group, task)

const CONSTRAINT_PREFIXES = [
  'Constraints[]',
  'TaskGroups[].Constraints[]',
  'TaskGroups[].Tasks[].Constraints[]',
];
const AFFINITY_PREFIXES = ['Affinities[]', 'TaskGroups[].Affinities[]', 'TaskGroups[].Tasks[].Affinities[]'];
const SPREAD_PREFIXES = ['Spreads[]', 'TaskGroups[].Spreads[]'];

at(CONSTRAINT_PREFIXES, {
  LTarget: partial(
    ATTRIBUTE_LABEL,
    `${UNMAPPED}; attributes of the Nomad client itself (\`\${attr.nomad.*}\`, \`\${attr.driver.*}\`, \`\${attr.consul.*}\`, …) and targets that are not attributes are dropped (warning)`,
    PLACEMENT,
  ),
  RTarget: partial(
    'the label values, or the limit of `distinct_property`',
    'values that are not valid label values, and comparisons of two attributes, are dropped (warning)',
    PLACEMENT,
  ),
  Operand: partial(
    '`=` `!=` `is_set` `is_not_set` → In, NotIn, Exists, DoesNotExist; integer `<` `<=` `>` `>=` → Lt/Gt; anchored literal `regexp` alternations and `set_contains*` → In; `distinct_hosts` → required pod anti-affinity on the hostname; `distinct_property` → pod anti-affinity on the label',
    '`version`, `semver`, other `regexp`s, float/lexical comparisons and multi-member `set_contains_all` are dropped (warning); `distinct_property` with a limit above 1 becomes a preference',
    PLACEMENT,
  ),
});

at(AFFINITY_PREFIXES, {
  LTarget: partial(
    `preferred node affinity on ${ATTRIBUTE_LABEL}`,
    `as for constraints: ${UNMAPPED}`,
    PLACEMENT,
  ),
  RTarget: partial('the preferred node affinity values', 'as for constraints', PLACEMENT),
  Operand: partial('the node selector operator, as for constraints', 'as for constraints', PLACEMENT),
  Weight: converted(
    'preference weight |w| (1–100); a negative weight prefers the complement (In↔NotIn, Exists↔DoesNotExist, Gt↔Lt); weight 0 is dropped (warning)',
    PLACEMENT,
  ),
});

at(SPREAD_PREFIXES, {
  Attribute: partial(
    `a topology spread constraint (maxSkew 1, ScheduleAnyway) over ${ATTRIBUTE_LABEL}`,
    UNMAPPED,
    PLACEMENT,
  ),
  Weight: partial(
    '—',
    'every spread is an equally weighted best-effort constraint (a weight other than 50 is reported)',
    PLACEMENT,
  ),
  SpreadTarget: partial(
    'an even spread over all values',
    'target values and percentages (warning)',
    PLACEMENT,
  ),
});
at(
  SPREAD_PREFIXES.map((s) => `${s}.SpreadTarget[]`),
  {
    Value: partial('an even spread over all values', 'reported with the spread targets', PLACEMENT),
    Percent: partial('an even spread over all values', 'reported with the spread targets', PLACEMENT),
  },
);

// ---------------------------------------------------------------------------------------------------
// Task group

at(['TaskGroups[]'], {
  Name: converted(
    'workload name `<job>--<group>`, label `nomadoperator.dev/group`, NOMAD_GROUP_NAME',
    WORKLOADS,
  ),
  Count: converted(
    'Deployment replicas; Job parallelism and completions (Indexed Job); not used by DaemonSets. `count = 0` (Nomad places nothing): a Deployment of 0 replicas, no Job, CronJob or DaemonSet',
    WORKLOADS,
  ),
  Constraints: partial(
    'merged with the job’s and the tasks’ into the pod’s node affinity',
    UNMAPPED,
    PLACEMENT,
  ),
  Affinities: partial('preferred node affinity', UNMAPPED, PLACEMENT),
  Tasks: converted('the pod’s containers (see Task)', POD),
  Spreads: partial('topology spread constraints', UNMAPPED, PLACEMENT),
  Volumes: converted(
    'pod volumes: host → hostPath, csi → PersistentVolumeClaim (see VolumeRequest)',
    STORAGE,
  ),
  RestartPolicy: converted('the pod restartPolicy and the Job backoffLimit (see RestartPolicy)', POD),
  Disconnect: converted('see DisconnectStrategy', PLACEMENT),
  ReschedulePolicy: partial('see ReschedulePolicy', 'the controllers replace pods their own way', WORKLOADS),
  EphemeralDisk: converted(
    'the emptyDir behind /alloc and an ephemeral-storage request (see EphemeralDisk)',
    STORAGE,
  ),
  Update: converted('the Deployment or DaemonSet update strategy (see UpdateStrategy)', WORKLOADS),
  Migrate: notApplicable('node drains evict pods through the eviction API; use a PodDisruptionBudget', {
    subtree: true,
    isSet: structDiffers({
      MaxParallel: 1,
      HealthCheck: 'checks',
      MinHealthyTime: 10 * SECOND,
      HealthyDeadline: 5 * MINUTE,
    }),
  }),
  Networks: converted('container ports, pod DNS and hostname (see NetworkResource)', NETWORKING),
  Meta: converted('NOMAD_META_* and the pod annotation `nomadoperator.dev/meta`', ENV),
  Services: converted('Services and probes (see Service)', NETWORKING),
  ShutdownDelay: partial(
    'added to every container’s preStop sleep and to terminationGracePeriodSeconds',
    'init containers have no preStop hook: a sysbatch group’s tasks (warning)',
    POD,
  ),
  MaxRunDuration: partial('batch pods: activeDeadlineSeconds', 'other job types (warning)', POD),
  StopAfterClientDisconnect: notApplicable('deprecated in Nomad (see disconnect)'),
  MaxClientDisconnect: notApplicable('deprecated, and ignored by Nomad in favour of disconnect.lost_after'),
  Scaling: notApplicable('a Nomad Autoscaler policy; use a HorizontalPodAutoscaler', { subtree: true }),
  Consul: notApplicable('Consul namespace, partition and cluster; there is no Consul', {
    subtree: true,
    isSet: structDiffers({ Cluster: 'default' }),
  }),
  PreventRescheduleOnLost: notApplicable('lost-node handling belongs to the node lifecycle controller'),
});

at(['TaskGroups[].RestartPolicy'], {
  Interval: partial(
    '—',
    'the kubelet’s crash-loop back-off replaces Nomad’s attempts per interval (warning when not the default)',
    POD,
  ),
  Attempts: converted(
    'batch pods: restartPolicy OnFailure when > 0, else Never, and the Job’s backoffLimit (see ReschedulePolicy.Attempts); long-running pods always restart (warning when a service or system job limits them with mode `fail`); sysbatch: reported with the tasks’ retries',
    POD,
  ),
  Delay: partial(
    '—',
    'the kubelet’s restart back-off replaces the delay (warning when not the default)',
    POD,
  ),
  Mode: converted(
    '`delay`: batch pods restart OnFailure with no backoffLimit, long-running pods restart always (as the kubelet does anyway); `fail`: the backoffLimit above',
    POD,
  ),
  RenderTemplates: notApplicable('templates are static text: there is nothing to re-render on a restart'),
});

const RESCHEDULE_DELAYS =
  'the Job controller retries with its own back-off, Deployments replace pods at once (warning when not the default)';
at(['TaskGroups[].ReschedulePolicy'], {
  Attempts: converted(
    'batch: the Job’s backoffLimit = ((restart attempts + 1) × (reschedule attempts + 1) − 1) × count',
    WORKLOADS,
  ),
  Interval: partial('—', RESCHEDULE_DELAYS, WORKLOADS),
  Delay: partial('—', RESCHEDULE_DELAYS, WORKLOADS),
  DelayFunction: partial('—', RESCHEDULE_DELAYS, WORKLOADS),
  MaxDelay: partial('—', RESCHEDULE_DELAYS, WORKLOADS),
  Unlimited: partial(
    'batch: backoffLimit 2^31−1; service: Deployments replace failed pods without limit',
    'a limited number of reschedules of a service job (warning)',
    WORKLOADS,
  ),
});

at(['TaskGroups[].EphemeralDisk'], {
  Sticky: partial('—', 'an emptyDir dies with its pod (warning)', STORAGE),
  Migrate: partial('—', 'emptyDir data is not copied to a replacement pod (warning)', STORAGE),
  SizeMB: converted(
    'an ephemeral-storage request `<n>Mi` on the pod’s first container (Nomad places by it and evicts nothing for it, so no emptyDir sizeLimit); the 300 MB default is not requested',
    POD,
  ),
});

at(['TaskGroups[].Update'], {
  Stagger: notApplicable('deprecated in Nomad; Kubernetes moves on as soon as new pods are ready', {
    // workloads.ts reports it for system jobs (DaemonSets).
    isSet: (value, site) => unless(30 * SECOND)(value, site) && site.job.Type !== 'system',
  }),
  MaxParallel: converted(
    'rollingUpdate maxUnavailable of the Deployment (maxSurge 0; with canaries see Canary) or DaemonSet; 0 → Deployment strategy Recreate',
    WORKLOADS,
  ),
  HealthCheck: partial(
    'a pod is healthy when its containers are ready (readiness probes from the checks)',
    '`manual` (warning); `checks` and `task_states` both mean readiness',
    WORKLOADS,
  ),
  MinHealthyTime: converted('minReadySeconds', WORKLOADS),
  HealthyDeadline: partial(
    '—',
    'Deployments only have a deadline for the whole rollout, DaemonSets none (warning when not the default)',
    WORKLOADS,
  ),
  ProgressDeadline: partial(
    'progressDeadlineSeconds of the Deployment (0: no deadline)',
    'DaemonSets have no progress deadline (warning when not the default)',
    WORKLOADS,
  ),
  Canary: partial(
    'Deployments: maxSurge = canary with maxUnavailable 0 — the canaries start beside the old pods and no old pod stops before a new one is ready',
    'the rollout goes on once they are ready, without a promotion (warning); system jobs: DaemonSets have no canaries (warning)',
    WORKLOADS,
  ),
  AutoRevert: partial('—', 'Deployments and DaemonSets do not roll back by themselves (warning)', WORKLOADS),
  AutoPromote: partial(
    '—',
    'canaries are always promoted once ready (see Canary); system jobs: no canaries to promote (warning)',
    WORKLOADS,
  ),
});

at(['TaskGroups[].Disconnect'], {
  LostAfter: partial(
    'with `replace = false`: tolerationSeconds of NoExecute tolerations of the node taints node.kubernetes.io/unreachable and not-ready, so a pod of a node Kubernetes lost contact with stays that long before it is evicted and replaced, as Nomad keeps the allocation',
    'with `replace = true` (the default) Nomad replaces the allocation at once and keeps the original that long in case its client comes back; Kubernetes evicts it after 300 s and cannot keep both (warning); system jobs: DaemonSet pods are never evicted from a lost node (warning)',
    PLACEMENT,
  ),
  StopOnClientAfter: notApplicable(
    'the kubelet does not stop the pods of a node that lost contact with the control plane; they run until the node is back or removed',
  ),
  Replace: partial(
    'with `lost_after` (see LostAfter)',
    '`replace = false` without `lost_after` (warning): Kubernetes evicts and replaces after 300 s',
    PLACEMENT,
  ),
  Reconcile: notApplicable(
    'when the node comes back, Kubernetes keeps the replacement and deletes the evicted pod',
    { isSet: unless('best_score') },
  ),
});

at(['TaskGroups[].Volumes.*'], {
  Name: quiet(
    converted('the pod volume `nomad-vol--<name>`, referenced by volume_mount', STORAGE),
    'the map key (the volume block’s label) names the volume, as volume_mount refers to it; the jobspec parser sets Name to the same label',
  ),
  Type: partial('`host` → hostPath, `csi` → PersistentVolumeClaim', 'other types (warning)', STORAGE),
  Source: partial(
    'host: hostPath `/var/lib/nomad-host-volumes/<source>` (type Directory); csi: a claim `<job>--<group>--csi--<name>` (annotation `nomadoperator.dev/csi-source`) of the default storage class requesting 1Gi',
    'Nomad places only on nodes that have the host volume, and knows the CSI volume’s plugin and size; Kubernetes does not (warning)',
    STORAGE,
  ),
  ReadOnly: converted('read-only claim and volume mounts', STORAGE),
  Sticky: quiet(
    partial(
      'csi: claims persist anyway',
      'host: the pod is not tied to the node holding its data, as Nomad keeps an allocation on its dynamic host volume’s node (warning: pin the group with a constraint on `${node.unique.name}`)',
      STORAGE,
    ),
    'csi: the claim outlives every pod, so a replacement pod always gets the same volume',
  ),
  AccessMode: partial(
    'claim accessModes: single-node-* → ReadWriteOnce, multi-node-reader-only → ReadOnlyMany, multi-node-*-writer → ReadWriteMany',
    'multi-node-single-writer cannot limit writers (warning); host volumes: a hostPath has no claims, the access mode is not enforced (warning)',
    STORAGE,
  ),
  AttachmentMode: partial(
    'claim volumeMode Filesystem',
    'block-device: no raw block device (warning)',
    STORAGE,
  ),
  MountOptions: partial(
    '—',
    'mount options belong to the PersistentVolume or StorageClass (warning)',
    STORAGE,
  ),
  PerAlloc: partial(
    '—',
    'csi: every replica mounts the same claim; host: every pod mounts the same hostPath, not the volume `<source>[<alloc index>]` of its allocation, so pods on one node share it and none is tied to the node holding its data (warning)',
    STORAGE,
  ),
});
at(['TaskGroups[].Volumes.*.MountOptions'], {
  FSType: partial('—', 'reported with mount_options', STORAGE),
  MountFlags: partial('—', 'reported with mount_options', STORAGE),
});

// Networks: the group's, and a task's legacy resources.network.
const NETWORK = {
  Mode: quiet(
    partial(
      '`host` (Nomad’s default) and `bridge`: the pod network (every pod has its own IP; docker `network_mode = "host"` sets hostNetwork)',
      'other modes (`none`, `cni/*`): warning, the pod network is used; host mode: docker tasks that share a container port (each has its own network in Nomad, a pod’s containers share one): warning',
      NETWORKING,
    ),
    '`host` and `bridge` give the same pod: Nomad gives an allocation ports on the node’s address (host) or its own network namespace (bridge), and a pod has its own IP either way, with the same container ports and static ports as hostPorts',
  ),
  Device: notApplicable('host network interface selection; pods use the cluster’s pod network'),
  CIDR: notApplicable('host network selection; pods use the cluster’s pod network'),
  IP: notApplicable('host network selection; pods use the cluster’s pod network'),
  ReservedPorts: converted('container ports with hostPort (see Port)', NETWORKING),
  DynamicPorts: converted('container ports (see Port)', NETWORKING),
  MBits: notApplicable('bandwidth reservation, deprecated in Nomad and not enforced'),
  CNI: notApplicable('CNI arguments of Nomad’s CNI networking', { subtree: true }),
} satisfies Record<string, Conversion>;
at(['TaskGroups[].Networks[]'], {
  ...NETWORK,
  DNS: converted('the pod’s dnsConfig (first network, then the tasks’ docker dns_* options)', POD),
  Hostname: converted(
    'the pod hostname (first network, lower-cased; not a DNS label or not known before the pod runs: warning)',
    POD,
  ),
});
at(['TaskGroups[].Networks[].DNS'], {
  Servers: converted(
    'dnsConfig nameservers and dnsPolicy None (IP addresses, at most 3; others: warning); the node’s address (`${attr.unique.network.ip-address}`, a Consul agent’s DNS) keeps the cluster DNS first in its place (warning)',
    POD,
  ),
  Searches: converted('dnsConfig searches', POD),
  Options: converted('dnsConfig options', POD),
});
at(['TaskGroups[].Tasks[].Resources.Networks[]'], {
  ...NETWORK,
  Mode: notApplicable('the group network decides the network namespace; every container shares the pod’s', {
    noEffect:
      'Nomad only checks that the task’s driver supports the mode: the namespace comes from the group network (host when it has none), and a pod’s containers all share the pod’s',
  }),
  DNS: notApplicable('DNS of a task’s own network namespace; only the group network sets the pod’s DNS', {
    subtree: true,
  }),
  Hostname: notApplicable('hostname of a task’s own network namespace; only the group network names the pod'),
});

const PORT_PREFIXES = ['TaskGroups[].Networks[]', 'TaskGroups[].Tasks[].Resources.Networks[]'].flatMap(
  (n) => [`${n}.ReservedPorts[]`, `${n}.DynamicPorts[]`],
);
at(PORT_PREFIXES, {
  Label: converted(
    'container and Service port name (sanitized to an IANA_SVC_NAME, warning); NOMAD_PORT_<label>, NOMAD_ADDR_<label>, NOMAD_IP_<label>, NOMAD_HOST_PORT_<label>; NOMAD_ALLOC_PORT_<label>, NOMAD_ALLOC_IP_<label>, NOMAD_ALLOC_ADDR_<label>, NOMAD_HOST_IP_<label>, NOMAD_HOST_ADDR_<label> where the task refers to them, named with the label as written, as in Nomad (a port that is not static: the pod’s IP, which every pod reaches; no node forwards it)',
    NETWORKING,
  ),
  Value: converted(
    'static ports: hostPort for TCP and UDP (and containerPort unless `to` is set); dynamic: assigned by Nomad, unused',
    NETWORKING,
  ),
  To: converted(
    'containerPort; a dynamic port without `to` gets the docker port_map entry, else a deterministic port in 20000–32000',
    NETWORKING,
  ),
  HostNetwork: notApplicable(
    'host ports bind on every node address (NOMAD_HOST_IP_<label> is the node’s primary address), other ports are on the pod IP',
    {
      warnedBy: NETWORKING,
      isSet: unless('default'),
    },
  ),
  IgnoreCollision: notApplicable('pods have their own network namespace: there are no collisions to ignore'),
});

// Services (group and task) and their checks.
const SERVICE_PREFIXES = ['TaskGroups[].Services[]', 'TaskGroups[].Tasks[].Services[]'];
const CHECK_PREFIXES = SERVICE_PREFIXES.map((s) => `${s}.Checks[]`);

at(SERVICE_PREFIXES, {
  Name: converted(
    'one ClusterIP Service per namespace and name, named after the interpolated service name (lower case; a name that is no DNS-1035 label gets `<stem>-<hash>`, warning; a name Nomad makes per allocation, `${NOMAD_ALLOC_INDEX}` with count > 1, is one Service in front of every instance, warning), selecting the pods of every group and job that registers it (pod label `service.nomadoperator.dev/<name>`), owned by every declaring job; exact name in annotation `nomadoperator.dev/service-name`',
    NETWORKING,
  ),
  Tags: converted(
    'annotation `nomadoperator.dev/service-tags` (JSON); router tags (`traefik.http.routers.<r>.rule`, `urlprefix-`) → an Ingress when the host/path routes are unambiguous, else a warning (router-tags.ts)',
    NETWORKING,
  ),
  CanaryTags: notApplicable('Services do not tell canary pods apart', { warnedBy: NETWORKING }),
  EnableTagOverride: notApplicable('a Consul catalog setting; there is no Consul catalog'),
  PortLabel: converted(
    'a Service port named after the label: port = the label’s static port (where Nomad’s consumers reach it), else its container port (first registering group); targetPort = the container port’s name, so every group is reached whatever its container port; and its UDP twin `<label>-udp` (targetPort: the container port’s number), as Nomad publishes every port for both protocols',
    NETWORKING,
  ),
  AddressMode: notApplicable('a Service always routes to the pod IPs', { isSet: unless('auto') }),
  Address: notApplicable('a Service routes to the pod IPs; a custom address cannot be registered', {
    warnedBy: NETWORKING,
  }),
  Checks: converted(
    'readiness and liveness probes of the checked container (see ServiceCheck); a Service none of whose registrations has checks, in front of pods made ready by another service’s check, gets `publishNotReadyAddresses: true` (Consul counts an instance without checks as passing), one with checks `false` (agreed across the jobs sharing it)',
    NETWORKING,
  ),
  CheckRestart: converted('merged into each check by canonicalization (see CheckRestart)', NETWORKING),
  Connect: whole(
    partial(
      'sidecar_service.proxy.upstreams → NOMAD_UPSTREAM_IP/PORT/ADDR_<destination> naming the upstream’s Service (`<name>.<namespace>.svc` and its port; only the DNS name for a service of another job, warning)',
      'Consul Connect: no sidecar proxy, mTLS or intentions, no listener on local_bind_port (warning); pods reach each other over the cluster network',
      NETWORKING,
    ),
  ),
  Meta: converted('annotation `nomadoperator.dev/service-meta` (JSON)', NETWORKING),
  CanaryMeta: notApplicable('Services do not tell canary pods apart', { warnedBy: NETWORKING }),
  TaggedAddresses: notApplicable('a Consul catalog feature; Services have cluster IPs and DNS names', {
    warnedBy: NETWORKING,
  }),
  TaskName: partial(
    'group services: the container that gets the probes of the service’s checks that name no task of their own (a check inherits the service’s task, as in Nomad); task services: the task that declares them (filled by canonicalization)',
    'the task of a Connect-native service: Connect is not applicable (warning)',
    NETWORKING,
  ),
  OnUpdate: notApplicable(
    'Nomad deployment health semantics; a failing readiness probe always holds a rollout',
    {
      isSet: unless('require_healthy'),
    },
  ),
  Identity: notApplicable('the workload identity for service registration in Consul', { subtree: true }),
  Weights: notApplicable('Consul DNS SRV weights by health state', { subtree: true }),
  Provider: partial(
    '`nomad` and `consul` both become a Kubernetes Service (cluster DNS)',
    '`consul`: nothing is registered in Consul; `<name>.service.consul` does not resolve (warning)',
    NETWORKING,
  ),
  Cluster: notApplicable('the Consul cluster to register in', { isSet: unless('default') }),
  Kind: notApplicable('the Consul service kind (gateways and proxies)'),
});

at(CHECK_PREFIXES, {
  Name: quiet(
    partial('—', 'probes have no name; it appears in warnings only', NETWORKING),
    'a check’s name only labels its status in Nomad’s and Consul’s check lists; a probe has no name, and its result is the container’s readiness (or restarts), reported under the container’s name',
  ),
  Type: partial(
    '`http` → httpGet, `tcp` → tcpSocket, `grpc` → grpc, `script` → exec',
    'other types have no probe; a container has one readiness and one liveness probe, further checks are reported; checks of init-container tasks are reported',
    NETWORKING,
  ),
  Command: converted('exec probe command', NETWORKING),
  Args: converted('exec probe arguments', NETWORKING),
  Path: converted('httpGet path', NETWORKING),
  Protocol: converted('httpGet scheme (`https` → HTTPS)', NETWORKING),
  PortLabel: converted('the probe port (container port of the label, or a literal port number)', NETWORKING),
  Expose: converted(
    'the probe targets the service’s own port, where the Connect proxy would forward the check (the check’s `port` is the proxy’s listener); so does a check whose `port` is the `listener_port` of an `expose { path }` block: it probes that path’s `local_path_port`',
    NETWORKING,
  ),
  AddressMode: notApplicable('the kubelet probes the pod IP', { isSet: unless('auto', 'host') }),
  Advertise: notApplicable('the check address advertised to Consul; the kubelet probes the pod IP'),
  Interval: converted('periodSeconds (rounded up, at least 1)', NETWORKING),
  Timeout: converted('timeoutSeconds (rounded up, at least 1)', NETWORKING),
  InitialStatus: notApplicable('a pod is not ready until its first probe succeeds', {
    warnedBy: NETWORKING,
    isSet: unless('critical'),
  }),
  Notes: notApplicable('a human-readable note in Consul'),
  TLSServerName: notApplicable('Kubernetes probes do not set a TLS server name', { warnedBy: NETWORKING }),
  TLSSkipVerify: converted('implied: HTTPS probes never verify certificates', NETWORKING),
  Header: converted('httpGet httpHeaders', NETWORKING),
  Method: partial('GET', 'probes only send GET: other methods (warning)', NETWORKING),
  CheckRestart: converted('a liveness probe with the same handler (see CheckRestart)', NETWORKING),
  GRPCService: converted('grpc probe service', NETWORKING),
  GRPCUseTLS: notApplicable('gRPC probes connect in plain text', { warnedBy: NETWORKING }),
  TaskName: converted('which container gets the probe', NETWORKING),
  SuccessBeforePassing: converted('readiness successThreshold', NETWORKING),
  FailuresBeforeCritical: converted(
    'readiness failureThreshold (default 1: Nomad is critical on the first failure)',
    NETWORKING,
  ),
  FailuresBeforeWarning: notApplicable('probes have no warning state'),
  Body: notApplicable('probes send no request body', { warnedBy: NETWORKING }),
  OnUpdate: notApplicable(
    'Nomad deployment health semantics of the check; a failing readiness probe always holds a rollout',
    { isSet: unlessCopiedFromService(unless('require_healthy')) },
  ),
});

at([...CHECK_PREFIXES.map((c) => `${c}.CheckRestart`), ...SERVICE_PREFIXES.map((s) => `${s}.CheckRestart`)], {
  Limit: converted('liveness failureThreshold', NETWORKING),
  Grace: converted('liveness initialDelaySeconds', NETWORKING),
  IgnoreWarnings: notApplicable('probes have no warning state', {
    isSet: unlessCopiedFromService((value) => !isEmptyValue(value)),
  }),
});

// ---------------------------------------------------------------------------------------------------
// Task

at(['TaskGroups[].Tasks[]'], {
  Name: converted(
    'container name (hashed when not a DNS label; mapping in an annotation), NOMAD_TASK_NAME',
    POD,
  ),
  Driver: partial(
    '`docker` → the image; `exec`/`raw_exec` → the exec image runs the command; `java` → the java image',
    '`exec`/`raw_exec`: the command must exist in the exec image (warning naming both); other drivers (warning; a container is still made when the config names an image)',
    DRIVERS,
  ),
  User: partial(
    'securityContext runAsUser/runAsGroup for numeric users (`1000`, `1000:1000`) and `root`/`nobody`; exec and java tasks without a user run as nobody (65534), as Nomad runs them',
    'other user names (warning)',
    DRIVERS,
  ),
  Lifecycle: partial(
    'init containers and native sidecars (see TaskLifecycle)',
    'poststart/poststop timing',
    POD,
  ),
  Config: partial(
    'container fields (docker: image, command, args, entrypoint, work_dir, privileged, capabilities, volumes and bind mounts — absolute host paths → hostPath (a part only the running pod knows, `/srv/${NOMAD_ALLOC_INDEX}`, → the mount’s subPathExpr), task-relative paths `local/x`, `../alloc/x` → the task volume or template file at that place —, dns, hosts, auth → imagePullSecrets, …)',
    'other driver options, named Docker volumes (warning); a Deployment replica has no alloc index: a host path holding it is index 0’s in every pod (warning)',
    DRIVERS,
  ),
  Constraints: partial('merged into the pod’s node affinity', UNMAPPED, PLACEMENT),
  Affinities: partial('merged into the pod’s preferred node affinity', UNMAPPED, PLACEMENT),
  Env: converted(
    'container env, with Nomad’s `${…}` interpolation (runtime values as `$(VAR)`; the node’s name and IP, `${node.unique.name}`, `${attr.unique.hostname}`, `${attr.unique.network.ip-address}`, from the downward API, also in `command`/`args`)',
    ENV,
  ),
  Services: converted('Services and the task’s probes', NETWORKING),
  Resources: converted('container requests and limits (see Resources)', RESOURCES),
  RestartPolicy: whole(
    partial(
      'merged over the group’s as Nomad does; batch pods: restartPolicy OnFailure when any task may restart, the Job’s backoffLimit from the most attempts',
      'a pod has one restart policy: a task’s own block applies pod-wide, and long-running pods restart always (warning when it differs from the group’s)',
      POD,
    ),
  ),
  Meta: converted('NOMAD_META_* and the pod annotation `nomadoperator.dev/task-meta`', ENV),
  KillTimeout: converted(
    'terminationGracePeriodSeconds (largest shutdown delay + kill_timeout of the tasks; as written, not capped at a Nomad client’s max_kill_timeout, 30s by default)',
    POD,
  ),
  LogConfig: notApplicable('log rotation is the kubelet’s (containerLogMaxSize, containerLogMaxFiles)', {
    subtree: true,
    // `Enabled` predates `Disabled` and Nomad's server ignores it (the API serves it as false).
    isSet: structDiffers({ MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false }, ['Enabled']),
  }),
  Artifacts: converted('an init container that fetches them (see TaskArtifact)', STORAGE),
  Vault: notApplicable(
    'Vault tokens and policies; use a Kubernetes-native secret injector (Vault Agent Injector, External Secrets)',
    { subtree: true },
  ),
  Consul: notApplicable('Consul namespace, partition and cluster; there is no Consul', {
    subtree: true,
    isSet: structDiffers({ Cluster: 'default' }),
  }),
  Templates: converted('ConfigMap / Secret files (see Template)', STORAGE),
  DispatchPayload: converted('see DispatchPayloadConfig', STORAGE),
  VolumeMounts: converted('volumeMounts (see VolumeMount)', STORAGE),
  CSIPluginConfig: notApplicable(
    'runs the task as a Nomad CSI plugin; Kubernetes deploys CSI drivers with their own manifests',
    { subtree: true },
  ),
  Leader: partial(
    'batch pods: the other main tasks become native sidecars after the prestart tasks, stopped when the leader exits; annotation `nomadoperator.dev/leader`',
    'those tasks are restarted whenever they exit and their failure does not fail the run (warning per task); service and system pods (warning)',
    POD,
  ),
  ShutdownDelay: partial(
    'a preStop sleep (plus the group’s shutdown_delay)',
    'tasks that run as init containers (lifecycle hooks, sysbatch tasks) have no preStop hook (warning)',
    POD,
  ),
  KillSignal: partial(
    'lifecycle.stopSignal (and pod os linux)',
    'needs the ContainerStopSignals feature gate: clusters without it stop with SIGTERM (warning); unknown signals: SIGTERM (warning); tasks that run as init containers stop with SIGTERM (warning)',
    POD,
  ),
  Kind: notApplicable('set by Nomad on Consul Connect proxy and gateway tasks'),
  ScalingPolicies: notApplicable('Nomad Autoscaler vertical policies; use a VerticalPodAutoscaler', {
    subtree: true,
  }),
  Secrets: notApplicable(
    'Nomad secrets providers (Vault, Nomad variables, plugins); use Kubernetes Secrets',
    {
      subtree: true,
    },
  ),
  Identity: notApplicable(
    'the Nomad workload identity (a JWT for Nomad, Consul and Vault); pods get no API credentials',
    { subtree: true, isSet: structDiffers({ Name: 'default', Audience: ['nomadproject.io'] }) },
  ),
  Identities: notApplicable('extra Nomad workload identities; use projected service account tokens', {
    subtree: true,
  }),
  Actions: notApplicable('named commands for `nomad action`; use `kubectl exec`', { subtree: true }),
  Schedule: notApplicable('time-boxed task execution (Nomad Enterprise)', { subtree: true }),
});

at(['TaskGroups[].Tasks[].Lifecycle'], {
  Hook: partial(
    '`prestart` → init container; `poststart` → batch pods: a container started with the main tasks (warning)',
    '`poststart` in long-running pods and `poststop` are left out (warning; sysbatch pods run them in order)',
    POD,
  ),
  Sidecar: partial(
    'prestart + sidecar → native sidecar (init container with restartPolicy Always); poststart + sidecar in batch pods → native sidecar after the prestart tasks, stopped once the main tasks have finished',
    'poststart + sidecar starts before the main tasks (batch, sysbatch) or with them (service, system) (warning); sidecars of sysbatch pods keep running until the job is stopped (warning)',
    POD,
  ),
});

at(['TaskGroups[].Tasks[].Resources'], {
  CPU: converted(
    'requests.cpu = MHz × millicoresPerMHz (default 1: 1000 MHz = 1 core); limits.cpu only with docker cpu_hard_limit',
    RESOURCES,
  ),
  Cores: converted('requests.cpu = limits.cpu = whole cores', RESOURCES),
  MemoryMB: converted('requests.memory and limits.memory', RESOURCES),
  MemoryMaxMB: converted('limits.memory (memory oversubscription)', RESOURCES),
  DiskMB: notApplicable(
    'deprecated in Nomad, whose HTTP API drops it (so do the operator’s API and convert, with the warning): the group’s ephemeral_disk sizes the disk',
    { warnedBy: 'agentDrops (src/nomad/canonicalize.ts), before translation' },
  ),
  Networks: partial('container ports (a task’s legacy network block)', 'see NetworkResource', NETWORKING),
  Devices: partial(
    '`nvidia/gpu` (and `gpu`) → limits nvidia.com/gpu',
    'other devices and GPU models (warning)',
    RESOURCES,
  ),
  NUMA: notApplicable('NUMA placement is the kubelet topology manager’s node policy', {
    subtree: true,
    warnedBy: RESOURCES,
    isSet: structDiffers({ Affinity: 'none' }),
  }),
  SecretsMB: converted('sizeLimit of the in-memory /secrets emptyDir', STORAGE),
  IOPS: notApplicable('deprecated in Nomad'),
});

at(['TaskGroups[].Tasks[].Resources.Devices[]'], {
  Name: partial(
    'the extended resource (`nvidia/gpu` → nvidia.com/gpu)',
    'other devices and models (warning)',
    RESOURCES,
  ),
  Count: converted('the extended resource’s limit', RESOURCES),
  Constraints: notApplicable('device plugins do not expose device attributes to the scheduler', {
    subtree: true,
    warnedBy: RESOURCES,
  }),
  Affinities: notApplicable('device plugins do not expose device attributes to the scheduler', {
    subtree: true,
    warnedBy: RESOURCES,
  }),
});

at(['TaskGroups[].Tasks[].Artifacts[]'], {
  GetterSource: partial(
    'downloaded by the init container `artifacts--<task>` (curl, or wget); go-getter’s `//subdir` of an archive copies only that directory',
    'only http(s) URLs: git::, s3::, gcs::, hg::, file and go-getter shorthands are skipped (warning); values known only at run time in the URL (warning); a `//subdir` of a source that is no archive, or with a pattern (warning)',
    STORAGE,
  ),
  GetterOptions: partial(
    '`checksum` (md5/sha1/sha256/sha512, verified with `<algo>sum -c`) and `archive`',
    'other go-getter options (warning); `checksum = "file:…"` (warning, not fetched)',
    STORAGE,
  ),
  GetterHeaders: converted('request headers', STORAGE),
  GetterMode: converted(
    '`file` writes the destination file; `any`/`dir` unpack tar/zip/gz/bz2/xz archives into the destination',
    STORAGE,
  ),
  GetterInsecure: converted('curl --insecure / wget --no-check-certificate', STORAGE),
  RelativeDest: partial(
    'the destination under /local, /secrets or /alloc (`alloc/x`, `../alloc/x` and `${NOMAD_ALLOC_DIR}/x` are the shared alloc dir; `${NOMAD_*_DIR}` and other known values interpolated)',
    'destinations elsewhere in the task directory (warning, not fetched); outside the task and shared alloc directories (refused, as Nomad does)',
    STORAGE,
  ),
  Chown: partial('—', 'files belong to the init container’s user (warning)', STORAGE),
});

const STATIC_TEMPLATE =
  'a rendering setting: static text is written once and replaced together with the pods; a template with actions is reported as a whole (written unrendered)';
const NEVER_RERENDERED =
  'static text never re-renders: there is no render to delay, signal, script or fail (a template with actions is reported at its data)';
at(['TaskGroups[].Tasks[].Templates[]'], {
  SourcePath: partial(
    'a file an artifact of the task writes (its file, or one inside what it unpacks) is copied as is by the init container `nomad-templates`, after the artifact fetchers: a file without template actions is its own rendering',
    'actions in the file stay as written (warning); `env = true` sets no variable from it (warning); any other source is a file on the Nomad client: the template is not created and a bind of its destination is not mounted (warnings; put its text in `data`, `data = file("…")` reads it when the job is parsed)',
    STORAGE,
  ),
  DestPath: converted(
    'an ordinary, writable file the init container `nomad-templates` writes into the task directory’s emptyDir before any task starts: `local/x` → /local/x, `secrets/x` → /secrets/x (memory), `alloc/x`, `../alloc/x` → /alloc/x, written once for every task of the group (the shared alloc dir); another `y` → /y, a read-only subPath mount of the ConfigMap/Secret key (uid/gid not applied: warning); docker `volumes`/bind mounts of the path bind the same file at their target',
    STORAGE,
  ),
  EmbeddedTmpl: partial(
    'a key of the task’s ConfigMap `<job>--<group>--tmpl--<task>--<content hash>` (a Secret for secrets/ destinations, perms without world-read, or Vault functions); rendered where the value is known when translating: lookups of the job’s own services (`range service`/`nomadService` → the Service’s DNS name and port), `{{ env "X" }}` of variables the container’s env holds literally (NOMAD_*_DIR, job/group/task names, namespace, region, ports, meta, the task’s env), comments',
    'other template actions are not rendered: they stay as written in the file (warning naming the Nomad/Consul/Vault functions they use and the variables only the running pod knows, e.g. NOMAD_ALLOC_ID, NOMAD_IP_*, node attributes)',
    STORAGE,
  ),
  ChangeMode: quiet(
    converted('a changed template changes the object’s name, which rolls the pods', STORAGE),
    'static text never re-renders, so no change_mode (`restart`, `signal`, `script`, `noop`) ever fires; a job update that changes it replaces the pods, as Nomad replaces the allocations of a job update that changes a template',
  ),
  ChangeScript: notApplicable(STATIC_TEMPLATE, {
    subtree: true,
    warnedBy: STORAGE,
    noEffect: NEVER_RERENDERED,
  }),
  ChangeSignal: notApplicable(STATIC_TEMPLATE, { warnedBy: STORAGE, noEffect: NEVER_RERENDERED }),
  Once: notApplicable(STATIC_TEMPLATE, { warnedBy: STORAGE, noEffect: NEVER_RERENDERED }),
  Splay: notApplicable(STATIC_TEMPLATE, { warnedBy: STORAGE, noEffect: NEVER_RERENDERED }),
  Perms: converted(
    'the file’s mode, set by the init container `nomad-templates` (setuid/setgid/sticky bits included); a destination outside local/, secrets/ and alloc/: the mode of its volume item (those bits dropped, warning)',
    STORAGE,
  ),
  Uid: partial(
    'the file’s owner, set by the init container `nomad-templates` (which then runs as root: chown needs it)',
    'a destination outside local/, secrets/ and alloc/ is a ConfigMap/Secret file, which belongs to root (warning)',
    STORAGE,
  ),
  Gid: partial(
    'the file’s group, set by the init container `nomad-templates` (which then runs as root: chgrp needs it)',
    'a destination outside local/, secrets/ and alloc/ is a ConfigMap/Secret file, which belongs to root (warning)',
    STORAGE,
  ),
  LeftDelim: converted('used to find template actions', STORAGE),
  RightDelim: converted('used to find template actions', STORAGE),
  Envvars: partial(
    'the file is written and read as Nomad reads it (KEY=value lines, comments, `export`, quotes, JSON escapes); each variable is a key of the template’s ConfigMap/Secret and an env entry (`valueFrom`) of the container that overrides the task’s env and NOMAD_* variables of that name, as Nomad’s template variables do; `${NAME}` in the driver config’s `command`/`args` is `$(NAME)`, the template’s value',
    'a template that keeps actions sets only the variables of lines no action changes; the others are named in its warning (set them in the task’s env); a file Nomad cannot parse fails the task in Nomad: warning with Nomad’s message, no variable set',
    STORAGE,
  ),
  VaultGrace: notApplicable(STATIC_TEMPLATE, { warnedBy: STORAGE, noEffect: NEVER_RERENDERED }),
  Wait: notApplicable(STATIC_TEMPLATE, { subtree: true, warnedBy: STORAGE, noEffect: NEVER_RERENDERED }),
  ErrMissingKey: notApplicable(STATIC_TEMPLATE, { warnedBy: STORAGE, noEffect: NEVER_RERENDERED }),
});

at(['TaskGroups[].Tasks[].DispatchPayload'], {
  File: converted(
    'key `payload` of the dispatch’s Secret, mounted at /local/<file> with mode 0755 (Nomad writes 0777 under the client’s umask, usually 022) (dispatched children)',
    STORAGE,
  ),
});

at(['TaskGroups[].Tasks[].VolumeMounts[]'], {
  Volume: converted('the volumeMount’s volume (the group volume)', STORAGE),
  Destination: converted('mountPath', STORAGE),
  ReadOnly: converted('readOnly (also when the volume is read-only)', STORAGE),
  PropagationMode: converted(
    'mountPropagation: host-to-task → HostToContainer, bidirectional → Bidirectional in privileged docker containers (else HostToContainer, warning)',
    STORAGE,
  ),
  SELinuxLabel: partial('—', 'volumes are relabelled from the pod’s seLinuxOptions (warning)', STORAGE),
});

// ---------------------------------------------------------------------------------------------------
// Lookups

const fieldOrder = new Map(jobFields.map((f, i) => [f.path, i]));

/** The table in the order of `jobFields` (a subtree row stands for the fields below it). */
export const conversionRows: readonly ConversionRow[] = [...rows.entries()]
  .map(([path, c]) => ({ path, ...c }))
  .sort((a, b) => (fieldOrder.get(a.path) ?? -1) - (fieldOrder.get(b.path) ?? -1));

const subtreeRoots = conversionRows.filter((r) => r.subtree).map((r) => r.path);

/** The subtree row path covering a pattern (strictly below it), if any. */
export function coveringSubtree(pattern: string): string | undefined {
  return subtreeRoots.find((root) => pattern.startsWith(`${root}.`) || pattern.startsWith(`${root}[]`));
}

/** Fields that hold a map of structs: the next step of a concrete path is a map key. */
const mapFields = new Set(
  jobFields.filter((f) => f.goType.startsWith('map[string]') && f.holds).map((f) => f.path),
);

/**
 * The pattern of a concrete path: `TaskGroups[0].Volumes["my vol"].Source` →
 * `TaskGroups[].Volumes.*.Source`. Patterns come back unchanged.
 */
export function fieldPattern(path: string): string {
  let pattern = '';
  for (const step of path.matchAll(/(?:^|\.)([A-Za-z_*][A-Za-z0-9_]*)|\[(\d*)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (mapFields.has(pattern)) pattern += '.*';
    else if (step[1] !== undefined) pattern += pattern === '' ? step[1] : `.${step[1]}`;
    else pattern += '[]';
  }
  return pattern;
}

/**
 * The conversion of a field, by pattern (`TaskGroups[].Tasks[].Vault.Policies`) or concrete path
 * (`TaskGroups[0].Tasks[1].Vault.Policies`): its own row, or the subtree row that covers it.
 */
export function conversionFor(path: string): ConversionRow | undefined {
  const pattern = fieldPattern(path);
  const own = rows.get(pattern);
  if (own) return { path: pattern, ...own };
  const root = coveringSubtree(pattern);
  const covering = root === undefined ? undefined : rows.get(root);
  return root === undefined || covering === undefined ? undefined : { path: root, ...covering };
}

// ---------------------------------------------------------------------------------------------------
// Warnings

function memberPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A pattern's steps (field names, `[]` for every element, `*` for every key), parsed once. */
const patternSteps = new Map<string, readonly string[]>();

function stepsOf(pattern: string): readonly string[] {
  let steps = patternSteps.get(pattern);
  if (!steps) {
    steps = [...pattern.matchAll(/(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)|\[\]|\.\*/g)].map((m) =>
      m[0] === '[]' ? '[]' : m[0] === '.*' ? '*' : (m[1] ?? ''),
    );
    patternSteps.set(pattern, steps);
  }
  return steps;
}

/**
 * Every place a pattern occurs in a job, with its concrete path and value. (Run for every
 * not-applicable row on every translation: the reconciler translates each job on each reconcile.)
 */
function occurrences(job: Job, pattern: string): Array<{ path: string; value: unknown }> {
  const steps = stepsOf(pattern);
  let current: Array<{ path: string; value: unknown }> = [{ path: '', value: job }];
  for (const step of steps) {
    const next: Array<{ path: string; value: unknown }> = [];
    for (const { path, value } of current) {
      if (step === '[]') {
        if (!Array.isArray(value)) continue;
        value.forEach((v, i) => {
          next.push({ path: `${path}[${i}]`, value: v });
        });
      } else if (step === '*') {
        if (!isRecord(value)) continue;
        for (const key of Object.keys(value).sort())
          next.push({ path: memberPath(path, key), value: value[key] });
      } else if (isRecord(value) && Object.hasOwn(value, step)) {
        next.push({ path: path === '' ? step : `${path}.${step}`, value: value[step] });
      }
    }
    current = next;
  }
  return current;
}

/** The field name of a pattern, for messages (`TaskGroups[].Tasks[].Vault` → `Vault`). */
function fieldName(pattern: string): string {
  return pattern.slice(pattern.lastIndexOf('.') + 1).replace(/\[\]$/, '');
}

/**
 * One warning for every not-applicable field the job sets, once per occurrence (every task with a
 * vault block gets its own), with the reason. Fields that a translator module reports itself
 * (`warnedBy`) are left to it. In table order, then occurrence order.
 */
export function notApplicableWarnings(job: Job): Warning[] {
  const warnings: Warning[] = [];
  for (const row of conversionRows) {
    if (row.status !== 'not-applicable' || row.warnedBy !== undefined || row.noEffect !== undefined) continue;
    const isSet: IsSet = row.isSet ?? ((value) => !isEmptyValue(value));
    for (const { path, value } of occurrences(job, row.path)) {
      if (!isSet(value, { job, path })) continue;
      warnings.push({
        path,
        message: `${fieldName(row.path)} is not applicable on Kubernetes: ${row.why ?? ''}`,
      });
    }
  }
  return warnings;
}
