// Structs that both ordinary tasks and Consul Connect sidecar tasks use (api/tasks.go, api/consul.go).
import { bool, duration, field, goInt, str, stringList, struct } from './primitives.ts';

export const LogConfigSchema = struct('LogConfig', 'Log rotation for a task.', {
  MaxFiles: field(goInt()),
  MaxFileSizeMB: field(goInt()),
  // COMPAT: `Enabled` predates `Disabled`; the server ignores it but clients still send it.
  Enabled: field(bool()),
  Disabled: field(bool()),
});

export const VolumeMountSchema = struct('VolumeMount', 'Mounts a group volume into a task.', {
  Volume: field(str()),
  Destination: field(str()),
  ReadOnly: field(bool()),
  PropagationMode: field(str()),
  SELinuxLabel: field(str()),
});

export const WorkloadIdentitySchema = struct(
  'WorkloadIdentity',
  'A workload identity (JWT) exposed to a task or service.',
  {
    Name: field(str()),
    Audience: field(stringList()),
    ChangeMode: field(str()),
    ChangeSignal: field(str()),
    Env: field(bool()),
    File: field(bool()),
    Filepath: field(str()),
    ServiceName: field(str()),
    TTL: field(duration()),
    ExtraClaims: field(stringList()),
  },
);

export const ConsulSchema = struct('Consul', 'Which Consul cluster, namespace and partition to use.', {
  Namespace: field(str()),
  Cluster: field(str()),
  Partition: field(str()),
});
