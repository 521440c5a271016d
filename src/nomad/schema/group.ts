// A task group: the unit of scheduling, and the blocks only groups have (api/tasks.go, api/csi.go).
import { AffinitySchema, ConstraintSchema, SpreadSchema } from './placement.ts';
import {
  DisconnectStrategySchema,
  MigrateStrategySchema,
  ReschedulePolicySchema,
  RestartPolicySchema,
  ScalingPolicySchema,
  UpdateStrategySchema,
} from './policies.ts';
import {
  bool,
  duration,
  field,
  goInt,
  listOf,
  mapOf,
  pointer,
  str,
  stringList,
  stringMap,
  struct,
} from './primitives.ts';
import { NetworkResourceSchema } from './resources.ts';
import { ServiceSchema } from './services.ts';
import { TaskSchema } from './task.ts';
import { ConsulSchema } from './workload.ts';

export const EphemeralDiskSchema = struct('EphemeralDisk', 'Scratch disk shared by the group’s tasks.', {
  Sticky: field(bool()),
  Migrate: field(bool()),
  SizeMB: field(goInt()),
});

export const CSIMountOptionsSchema = struct('CSIMountOptions', 'Filesystem options of a CSI mount.', {
  FSType: field(str()),
  MountFlags: field(stringList()),
});

export const VolumeRequestSchema = struct('VolumeRequest', 'A host or CSI volume the group claims.', {
  Name: field(str()),
  Type: field(str()),
  Source: field(str()),
  ReadOnly: field(bool()),
  Sticky: field(bool()),
  AccessMode: field(str()),
  AttachmentMode: field(str()),
  MountOptions: field(CSIMountOptionsSchema),
  PerAlloc: field(bool()),
});

export const TaskGroupSchema = struct('TaskGroup', 'Tasks placed together on one node, Count times.', {
  Name: field(str()),
  Count: field(goInt()),
  Constraints: field(listOf(ConstraintSchema)),
  Affinities: field(listOf(AffinitySchema)),
  Tasks: field(listOf(TaskSchema)),
  Spreads: field(listOf(SpreadSchema)),
  Volumes: field(mapOf(VolumeRequestSchema)),
  RestartPolicy: field(RestartPolicySchema),
  Disconnect: field(DisconnectStrategySchema),
  ReschedulePolicy: field(ReschedulePolicySchema),
  EphemeralDisk: field(EphemeralDiskSchema),
  Update: field(UpdateStrategySchema),
  Migrate: field(MigrateStrategySchema),
  Networks: field(listOf(NetworkResourceSchema)),
  Meta: field(stringMap()),
  Services: field(listOf(ServiceSchema)),
  ShutdownDelay: field(pointer(duration())),
  MaxRunDuration: field(pointer(duration())),
  // Deprecated (ignored since Nomad 1.10) in favour of Disconnect, still accepted.
  StopAfterClientDisconnect: field(pointer(duration())),
  MaxClientDisconnect: field(pointer(duration())),
  Scaling: field(ScalingPolicySchema),
  Consul: field(ConsulSchema),
  PreventRescheduleOnLost: field(bool()),
});
