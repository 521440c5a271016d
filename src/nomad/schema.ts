// The Nomad job model: zod schemas for the job JSON of Nomad's /v1 API (PascalCase keys, exactly as
// the official Go `api` package encodes them), the TypeScript types inferred from them, and the field
// lists derived from them. The schemas live in ./schema/, one file per family of Go structs; this
// file is the one place other modules import them from.
//
// Parsing a job with these schemas turns every `null` into an absent key and keeps unknown keys.
// To parse untrusted request bodies use `parseJobJson` (validate.ts), which also limits size and
// depth, accepts Go's case-insensitive key matching and reports every problem with its path.
import type { z } from 'zod';
import type { ConsulConnectSchema, SidecarTaskSchema } from './schema/connect.ts';
import type {
  CSIMountOptionsSchema,
  EphemeralDiskSchema,
  TaskGroupSchema,
  VolumeRequestSchema,
} from './schema/group.ts';
import type {
  JobSchema,
  JobUIConfigSchema,
  JobUILinkSchema,
  JobVersionTagSchema,
  MultiregionRegionSchema,
  MultiregionSchema,
  MultiregionStrategySchema,
  ParameterizedJobConfigSchema,
  PeriodicConfigSchema,
} from './schema/job.ts';
import type {
  AffinitySchema,
  ConstraintSchema,
  SpreadSchema,
  SpreadTargetSchema,
} from './schema/placement.ts';
import type {
  DisconnectStrategySchema,
  MigrateStrategySchema,
  ReschedulePolicySchema,
  RestartPolicySchema,
  ScalingPolicySchema,
  UpdateStrategySchema,
} from './schema/policies.ts';
import type {
  CNIConfigSchema,
  DNSConfigSchema,
  NetworkResourceSchema,
  NUMAResourceSchema,
  PortSchema,
  RequestedDeviceSchema,
  ResourcesSchema,
} from './schema/resources.ts';
import type {
  CheckRestartSchema,
  ServiceCheckSchema,
  ServiceSchema,
  ServiceWeightsSchema,
} from './schema/services.ts';
import type {
  ActionSchema,
  ChangeScriptSchema,
  DispatchPayloadConfigSchema,
  SecretSchema,
  TaskArtifactSchema,
  TaskCSIPluginConfigSchema,
  TaskLifecycleSchema,
  TaskScheduleSchema,
  TaskSchema,
  TemplateSchema,
  VaultSchema,
  WaitConfigSchema,
} from './schema/task.ts';
import type {
  ConsulSchema,
  LogConfigSchema,
  VolumeMountSchema,
  WorkloadIdentitySchema,
} from './schema/workload.ts';

export * from './schema/connect.ts';
export * from './schema/group.ts';
export {
  type FieldInfo,
  jobFieldPaths,
  jobFields,
  jobJsonSchema,
  structFieldNames,
} from './schema/introspect.ts';
export * from './schema/job.ts';
export * from './schema/placement.ts';
export * from './schema/policies.ts';
export { nomadRegistry } from './schema/primitives.ts';
export * from './schema/resources.ts';
export * from './schema/services.ts';
export * from './schema/task.ts';
export * from './schema/workload.ts';

export type Job = z.output<typeof JobSchema>;
export type TaskGroup = z.output<typeof TaskGroupSchema>;
export type Task = z.output<typeof TaskSchema>;
export type Resources = z.output<typeof ResourcesSchema>;
export type NetworkResource = z.output<typeof NetworkResourceSchema>;
export type Port = z.output<typeof PortSchema>;
export type DNSConfig = z.output<typeof DNSConfigSchema>;
export type CNIConfig = z.output<typeof CNIConfigSchema>;
export type RequestedDevice = z.output<typeof RequestedDeviceSchema>;
export type NUMAResource = z.output<typeof NUMAResourceSchema>;
export type Service = z.output<typeof ServiceSchema>;
export type ServiceCheck = z.output<typeof ServiceCheckSchema>;
export type CheckRestart = z.output<typeof CheckRestartSchema>;
export type ServiceWeights = z.output<typeof ServiceWeightsSchema>;
export type ConsulConnect = z.output<typeof ConsulConnectSchema>;
export type SidecarTask = z.output<typeof SidecarTaskSchema>;
export type UpdateStrategy = z.output<typeof UpdateStrategySchema>;
export type MigrateStrategy = z.output<typeof MigrateStrategySchema>;
export type RestartPolicy = z.output<typeof RestartPolicySchema>;
export type ReschedulePolicy = z.output<typeof ReschedulePolicySchema>;
export type DisconnectStrategy = z.output<typeof DisconnectStrategySchema>;
export type ScalingPolicy = z.output<typeof ScalingPolicySchema>;
export type PeriodicConfig = z.output<typeof PeriodicConfigSchema>;
export type ParameterizedJobConfig = z.output<typeof ParameterizedJobConfigSchema>;
export type Multiregion = z.output<typeof MultiregionSchema>;
export type MultiregionStrategy = z.output<typeof MultiregionStrategySchema>;
export type MultiregionRegion = z.output<typeof MultiregionRegionSchema>;
export type JobUIConfig = z.output<typeof JobUIConfigSchema>;
export type JobUILink = z.output<typeof JobUILinkSchema>;
export type JobVersionTag = z.output<typeof JobVersionTagSchema>;
export type Constraint = z.output<typeof ConstraintSchema>;
export type Affinity = z.output<typeof AffinitySchema>;
export type Spread = z.output<typeof SpreadSchema>;
export type SpreadTarget = z.output<typeof SpreadTargetSchema>;
export type EphemeralDisk = z.output<typeof EphemeralDiskSchema>;
export type VolumeRequest = z.output<typeof VolumeRequestSchema>;
export type CSIMountOptions = z.output<typeof CSIMountOptionsSchema>;
export type VolumeMount = z.output<typeof VolumeMountSchema>;
export type LogConfig = z.output<typeof LogConfigSchema>;
export type WorkloadIdentity = z.output<typeof WorkloadIdentitySchema>;
export type Consul = z.output<typeof ConsulSchema>;
export type TaskLifecycle = z.output<typeof TaskLifecycleSchema>;
export type DispatchPayloadConfig = z.output<typeof DispatchPayloadConfigSchema>;
export type TaskArtifact = z.output<typeof TaskArtifactSchema>;
export type Template = z.output<typeof TemplateSchema>;
export type ChangeScript = z.output<typeof ChangeScriptSchema>;
export type WaitConfig = z.output<typeof WaitConfigSchema>;
export type Vault = z.output<typeof VaultSchema>;
export type Secret = z.output<typeof SecretSchema>;
export type TaskCSIPluginConfig = z.output<typeof TaskCSIPluginConfigSchema>;
export type Action = z.output<typeof ActionSchema>;
export type TaskSchedule = z.output<typeof TaskScheduleSchema>;
