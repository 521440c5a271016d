// The contract of the translator: a pure function from a canonical Nomad job to the Kubernetes
// objects that run it, plus warnings. No I/O anywhere under src/translate/ (no Kubernetes client,
// no file system, no clock, no randomness), so the reconciler and the offline `convert` command
// share one implementation and the same input always gives byte-identical output.
//
// How the pieces fit:
//   index.ts         translate(): validates the job type, walks the task groups, sorts the output
//   workloads.ts     one Deployment / Job / CronJob(s) / DaemonSet per task group
//   pod-template.ts  task group → PodTemplateSpec: tasks → containers, lifecycle, restart, kill
//   drivers.ts       docker / exec / raw_exec / java config → container fields
//   host-paths.ts    host paths of binds holding runtime values → hostPath + subPathExpr
//   resources.ts     CPU MHz, cores, memory, devices → requests/limits
//   env.ts           env, meta, NOMAD_* runtime variables, ${…} interpolation
//   networking.ts    ports, services → Services, checks → probes
//   placement.ts     constraints, affinities, spreads, datacenters, node pools → scheduling fields
//   storage.ts       templates, artifacts, volumes, ephemeral disk, dispatch payload
//   options.ts       the options as flags / environment variables / Helm values name them, parsed
//   option-names.ts  those names, one table
//   conversion-table.ts  every jobspec field: converted / partial / not applicable, and why
import type {
  KubernetesObject,
  V1Affinity,
  V1Container,
  V1ContainerPort,
  V1EnvVar,
  V1Probe,
  V1ServicePort,
  V1Toleration,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { Job, Service, Task, TaskGroup } from '../nomad/schema.ts';

export interface TranslateOptions {
  /** Kubernetes namespace of every generated object. */
  namespace: string;
  /** Nomad job version the objects are generated for (labelled on everything). Default 0. */
  version?: number;
  /** Millicores per MHz of Nomad CPU. Default 1 (so 100 MHz → 100m, 1000 MHz → 1 core). */
  millicoresPerMHz?: number;
  /** Image that runs `exec`, `raw_exec` and `java` tasks' commands. */
  execImage?: string;
  /** Image for `java` tasks. */
  javaImage?: string;
  /** Image of the init containers that fetch artifacts and write template files (a shell and coreutils). */
  artifactImage?: string;
  /**
   * Nomad node attribute (`node.datacenter` or `${node.datacenter}`) → Kubernetes node label, for
   * datacenters, node pools, the region, constraints, affinities and spreads. Merged over placement.ts's
   * defaults (`${attr.kernel.name}` → `kubernetes.io/os`, …, only labels every node carries); an
   * attribute mapped nowhere pins nothing (with a warning), e.g. `{ 'node.datacenter':
   * 'topology.kubernetes.io/zone' }` makes `datacenters` pin pods to zones.
   */
  nodeAttributeLabels?: Record<string, string>;
  /**
   * Sysctls outside Kubernetes' safe set that the nodes allow (their kubelet
   * --allowed-unsafe-sysctls): names, or prefixes ending in `*`. Default none: a task's unsafe sysctl
   * is left out (with a warning), as a default kubelet would reject the pod.
   */
  allowedUnsafeSysctls?: string[];
  /** Set when translating a dispatched child: the Secret holding the payload and meta. */
  dispatch?: { payloadSecretName?: string };
}

/** The options with every default applied. */
export type ResolvedOptions = Required<Omit<TranslateOptions, 'dispatch'>> &
  Pick<TranslateOptions, 'dispatch'>;

/** A field that was not (fully) translated, with the reason. `path` is the Nomad JSON path. */
export interface Warning {
  /** e.g. `TaskGroups[0].Tasks[1].Vault` */
  path: string;
  message: string;
}

export interface TranslateResult {
  /** Sorted by kind then name: the order is part of the output. */
  objects: KubernetesObject[];
  /** Sorted by path then message. */
  warnings: Warning[];
}

/** What every per-group translator gets. */
export interface GroupContext {
  job: Job;
  group: TaskGroup;
  groupIndex: number;
  options: ResolvedOptions;
  /** Name of the NomadJob object (from the identity mapping); child names derive from it. */
  jobName: string;
  /** Labels every object of this group carries (job identity, group, version). */
  labels: Record<string, string>;
  /** Labels that select this group's pods (a stable subset of `labels`: no version). */
  selector: Record<string, string>;
  /** `TaskGroups[i]`, the Nomad path prefix for warnings. */
  path: string;
  warn(path: string, message: string): void;
}

/** What storage.ts contributes to a group's pods. */
export interface GroupStorage {
  volumes: V1Volume[];
  /** ConfigMaps, Secrets and PersistentVolumeClaims the pods need. */
  objects: KubernetesObject[];
  /** Init containers that must run before the tasks (artifact fetchers, then the template files). */
  initContainers: V1Container[];
  /** Mounts per task name. */
  mounts: Record<string, V1VolumeMount[]>;
  /** Env entries per task name (env = true templates); they replace the task's entries of that name. */
  env?: Record<string, V1EnvVar[]>;
}

/** What placement.ts contributes to a group's pods. */
export interface Placement {
  affinity?: V1Affinity;
  nodeSelector?: Record<string, string>;
  topologySpreadConstraints?: V1TopologySpreadConstraint[];
  tolerations?: V1Toleration[];
}

/** What networking.ts contributes for one task. */
export interface TaskNetworking {
  ports: V1ContainerPort[];
  readinessProbe?: V1Probe;
  livenessProbe?: V1Probe;
}

export type TaskEnv = (ctx: GroupContext, task: Task, taskIndex: number) => V1EnvVar[];

/** What networking.ts makes of the job's services (router-tags.ts and env.ts read it too). */
/** One `service` block of the job, with its name as Nomad registers it. */
export interface ServiceRegistration {
  service: Service;
  /** Nomad path of the block, e.g. `TaskGroups[1].Tasks[0].Services[0]`. */
  path: string;
  groupIndex: number;
  /** The task of a task service; -1 for a group service. */
  taskIndex: number;
  /** The name after Nomad's runtime interpolation (`${NOMAD_JOB_NAME}-web` → `shop-web`). */
  nomadName: string;
}

/** One Kubernetes Service of the job: every registration of one Nomad service name. */
export interface CatalogService {
  /** The Nomad service name (of the first registration). */
  nomadName: string;
  /** The Kubernetes Service name: the Nomad name when it is a DNS-1035 label (lower-cased). */
  name: string;
  namespace: string;
  registrations: ServiceRegistration[];
  /** Indexes of the groups that register it, ascending. */
  groups: number[];
  /** Service ports in registration order: the first is the service's own port. */
  ports: V1ServicePort[];
  /** The Service port of each Nomad port label (or literal port number) the registrations use. */
  portByLabel: Map<string, V1ServicePort>;
  /** The container port number behind each Service port (by name), the target of its UDP twin. */
  containerPorts: Map<string, number>;
  tags: string[];
  meta: Record<string, string>;
  /**
   * The Service's `publishNotReadyAddresses` (networking.ts): true when no registration has checks
   * but the pods' readiness comes from another service's check, false when a registration has
   * checks, unset when readiness does not matter.
   */
  publishNotReadyAddresses?: boolean;
  /**
   * A name Nomad interpolates per allocation (`kafka-${NOMAD_ALLOC_INDEX}`): what every instance's
   * name looks like (kafka-0, kafka-1, … match), all of them in front of this one Service.
   */
  instanceNames?: RegExp;
  /** Warnings about the Service as a whole (reported by every group that registers it, once). */
  warnings: Warning[];
}
