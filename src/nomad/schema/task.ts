// A task and the blocks only tasks have (api/tasks.go, api/task_sched.go).
import { AffinitySchema, ConstraintSchema } from './placement.ts';
import { RestartPolicySchema, ScalingPolicySchema } from './policies.ts';
import {
  anyMap,
  bool,
  duration,
  field,
  goInt,
  listOf,
  pointer,
  str,
  stringList,
  stringMap,
  struct,
} from './primitives.ts';
import { ResourcesSchema } from './resources.ts';
import { ServiceSchema } from './services.ts';
import { ConsulSchema, LogConfigSchema, VolumeMountSchema, WorkloadIdentitySchema } from './workload.ts';

export const TaskLifecycleSchema = struct('TaskLifecycle', 'Runs the task as prestart/poststart/poststop.', {
  Hook: field(str()),
  Sidecar: field(bool()),
});

export const DispatchPayloadConfigSchema = struct(
  'DispatchPayloadConfig',
  'Where a dispatched payload is written inside the task.',
  {
    File: field(str()),
  },
);

export const TaskArtifactSchema = struct('TaskArtifact', 'A file fetched (go-getter) before start.', {
  GetterSource: field(str()),
  GetterOptions: field(stringMap()),
  GetterHeaders: field(stringMap()),
  GetterMode: field(str()),
  GetterInsecure: field(bool()),
  RelativeDest: field(str()),
  Chown: field(bool()),
});

export const WaitConfigSchema = struct('WaitConfig', 'Min/max quiescence before rendering a template.', {
  Min: field(pointer(duration())),
  Max: field(pointer(duration())),
});

export const ChangeScriptSchema = struct('ChangeScript', 'Script run when a template re-renders.', {
  Command: field(str()),
  Args: field(stringList()),
  Timeout: field(duration()),
  FailOnError: field(bool()),
  RunOnFirstRender: field(bool()),
});

export const TemplateSchema = struct('Template', 'A consul-template rendered into the task directory.', {
  SourcePath: field(str()),
  DestPath: field(str()),
  EmbeddedTmpl: field(str()),
  ChangeMode: field(str()),
  ChangeScript: field(ChangeScriptSchema),
  ChangeSignal: field(str()),
  Once: field(bool()),
  Splay: field(duration()),
  Perms: field(str()),
  Uid: field(pointer(goInt())),
  Gid: field(pointer(goInt())),
  LeftDelim: field(str()),
  RightDelim: field(str()),
  Envvars: field(bool()),
  VaultGrace: field(duration()),
  Wait: field(WaitConfigSchema),
  ErrMissingKey: field(bool()),
});

export const VaultSchema = struct('Vault', 'Vault token / identity settings of a task.', {
  Policies: field(stringList()),
  Role: field(str()),
  Namespace: field(str()),
  Cluster: field(str()),
  Env: field(bool()),
  DisableFile: field(bool()),
  ChangeMode: field(str()),
  ChangeSignal: field(str()),
  AllowTokenExpiration: field(bool()),
});

export const SecretSchema = struct('Secret', 'A secret fetched from a secrets provider.', {
  Name: field(str()),
  Provider: field(str()),
  Path: field(str()),
  Config: field(anyMap()),
  Env: field(stringMap()),
});

export const TaskCSIPluginConfigSchema = struct('TaskCSIPluginConfig', 'Marks the task as a CSI plugin.', {
  ID: field(str()),
  Type: field(str()),
  MountDir: field(str()),
  StagePublishBaseDir: field(str()),
  HealthTimeout: field(duration()),
});

export const ActionSchema = struct('Action', 'A named command operators can run in the task.', {
  Name: field(str()),
  Command: field(str()),
  Args: field(stringList()),
});

export const TaskScheduleCronSchema = struct('TaskScheduleCron', 'Time window in which the task runs.', {
  Start: field(str()),
  End: field(str()),
  Timezone: field(str()),
});

export const TaskScheduleSchema = struct('TaskSchedule', 'Schedule of a time-boxed task.', {
  Cron: field(TaskScheduleCronSchema),
});

export const TaskSchema = struct('Task', 'A single process run by a driver.', {
  Name: field(str()),
  Driver: field(str()),
  User: field(str()),
  Lifecycle: field(TaskLifecycleSchema),
  Config: field(anyMap()),
  Constraints: field(listOf(ConstraintSchema)),
  Affinities: field(listOf(AffinitySchema)),
  Env: field(stringMap()),
  Services: field(listOf(ServiceSchema)),
  Resources: field(ResourcesSchema),
  RestartPolicy: field(RestartPolicySchema),
  Meta: field(stringMap()),
  KillTimeout: field(duration()),
  LogConfig: field(LogConfigSchema),
  Artifacts: field(listOf(TaskArtifactSchema)),
  Vault: field(VaultSchema),
  Consul: field(ConsulSchema),
  Templates: field(listOf(TemplateSchema)),
  DispatchPayload: field(DispatchPayloadConfigSchema),
  VolumeMounts: field(listOf(VolumeMountSchema)),
  CSIPluginConfig: field(TaskCSIPluginConfigSchema),
  Leader: field(bool()),
  ShutdownDelay: field(duration()),
  KillSignal: field(str()),
  Kind: field(str()),
  ScalingPolicies: field(listOf(ScalingPolicySchema)),
  Secrets: field(listOf(SecretSchema)),
  Identity: field(WorkloadIdentitySchema),
  Identities: field(listOf(WorkloadIdentitySchema)),
  Actions: field(listOf(ActionSchema)),
  Schedule: field(TaskScheduleSchema),
});
