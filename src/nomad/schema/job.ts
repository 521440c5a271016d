// The job itself and its job-only blocks (api/jobs.go). Field order follows the Go struct: first the
// fields a jobspec sets, then the ones the server sets.

import { TaskGroupSchema } from './group.ts';
import { AffinitySchema, ConstraintSchema, SpreadSchema } from './placement.ts';
import { MigrateStrategySchema, ReschedulePolicySchema, UpdateStrategySchema } from './policies.ts';
import { base64, bool, field, goInt, listOf, str, stringList, stringMap, struct } from './primitives.ts';

export const PeriodicConfigSchema = struct('PeriodicConfig', 'Cron schedule of a periodic (batch) job.', {
  Enabled: field(bool()),
  Spec: field(str()),
  Specs: field(stringList()),
  SpecType: field(str()),
  ProhibitOverlap: field(bool()),
  TimeZone: field(str()),
});

export const ParameterizedJobConfigSchema = struct(
  'ParameterizedJobConfig',
  'Makes the job a template that is run by dispatching it.',
  {
    Payload: field(str()),
    MetaRequired: field(stringList()),
    MetaOptional: field(stringList()),
  },
);

export const MultiregionStrategySchema = struct(
  'MultiregionStrategy',
  'How a multi-region deployment rolls out.',
  {
    MaxParallel: field(goInt()),
    OnFailure: field(str()),
  },
);

export const MultiregionRegionSchema = struct('MultiregionRegion', 'One region of a multi-region job.', {
  Name: field(str()),
  Count: field(goInt()),
  Datacenters: field(stringList()),
  NodePool: field(str()),
  Meta: field(stringMap()),
});

export const MultiregionSchema = struct('Multiregion', 'Multi-region deployment (Enterprise).', {
  Strategy: field(MultiregionStrategySchema),
  Regions: field(listOf(MultiregionRegionSchema)),
});

export const JobUILinkSchema = struct('JobUILink', 'A link shown in the web UI.', {
  Label: field(str()),
  URL: field(str()),
});

export const JobUIConfigSchema = struct('JobUIConfig', 'Description and links for the web UI.', {
  Description: field(str()),
  Links: field(listOf(JobUILinkSchema)),
});

export const JobVersionTagSchema = struct('JobVersionTag', 'A name given to one job version.', {
  Name: field(str()),
  Description: field(str()),
  TaggedTime: field(goInt('int64')),
});

export const JobSchema = struct('Job', 'A Nomad job, as the /v1 HTTP API reads and writes it.', {
  Region: field(str()),
  Namespace: field(str()),
  ID: field(str()),
  Name: field(str()),
  Type: field(str()),
  Priority: field(goInt()),
  AllAtOnce: field(bool()),
  Datacenters: field(stringList()),
  NodePool: field(str()),
  Constraints: field(listOf(ConstraintSchema)),
  Affinities: field(listOf(AffinitySchema)),
  TaskGroups: field(listOf(TaskGroupSchema)),
  Update: field(UpdateStrategySchema),
  Multiregion: field(MultiregionSchema),
  Spreads: field(listOf(SpreadSchema)),
  Periodic: field(PeriodicConfigSchema),
  ParameterizedJob: field(ParameterizedJobConfigSchema),
  Reschedule: field(ReschedulePolicySchema),
  Migrate: field(MigrateStrategySchema),
  Meta: field(stringMap()),
  UI: field(JobUIConfigSchema),
  // Set by the server, not by a jobspec:
  Stop: field(bool()),
  ParentID: field(str()),
  Dispatched: field(bool()),
  DispatchIdempotencyToken: field(str()),
  Payload: field(base64()),
  ConsulNamespace: field(str()),
  VaultNamespace: field(str()),
  NomadTokenID: field(str()),
  Status: field(str()),
  StatusDescription: field(str()),
  Stable: field(bool()),
  Version: field(goInt('uint64')),
  SubmitTime: field(goInt('int64')),
  CreateIndex: field(goInt('uint64')),
  ModifyIndex: field(goInt('uint64')),
  JobModifyIndex: field(goInt('uint64')),
  VersionTag: field(JobVersionTagSchema),
});
