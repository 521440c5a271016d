// Lifecycle policies shared by jobs and task groups: update, migrate, restart, reschedule,
// disconnect and scaling (api/jobs.go, api/tasks.go, api/scaling.go).
import { anyMap, bool, duration, field, goInt, pointer, str, stringMap, struct } from './primitives.ts';

export const UpdateStrategySchema = struct(
  'UpdateStrategy',
  'Rolling update / deployment settings. A job-level block is merged into every group.',
  {
    Stagger: field(duration()),
    MaxParallel: field(goInt()),
    HealthCheck: field(str()),
    MinHealthyTime: field(duration()),
    HealthyDeadline: field(duration()),
    ProgressDeadline: field(duration()),
    Canary: field(goInt()),
    AutoRevert: field(bool()),
    AutoPromote: field(bool()),
  },
);

export const MigrateStrategySchema = struct(
  'MigrateStrategy',
  'How allocations move off draining nodes (service jobs).',
  {
    MaxParallel: field(goInt()),
    HealthCheck: field(str()),
    MinHealthyTime: field(duration()),
    HealthyDeadline: field(duration()),
  },
);

export const RestartPolicySchema = struct('RestartPolicy', 'Local restarts of failed tasks.', {
  Interval: field(duration()),
  Attempts: field(goInt()),
  Delay: field(duration()),
  Mode: field(str()),
  RenderTemplates: field(bool()),
});

export const ReschedulePolicySchema = struct(
  'ReschedulePolicy',
  'Rescheduling failed allocations onto other nodes.',
  {
    Attempts: field(goInt()),
    Interval: field(duration()),
    Delay: field(duration()),
    DelayFunction: field(str()),
    MaxDelay: field(duration()),
    Unlimited: field(bool()),
  },
);

export const DisconnectStrategySchema = struct(
  'DisconnectStrategy',
  'Behaviour when a client loses contact with the servers.',
  {
    LostAfter: field(duration()),
    StopOnClientAfter: field(pointer(duration())),
    Replace: field(pointer(bool())),
    Reconcile: field(str()),
  },
);

export const ScalingPolicySchema = struct(
  'ScalingPolicy',
  'Group (horizontal) or task (vertical_cpu / vertical_mem) scaling policy.',
  {
    Min: field(goInt('int64')),
    Max: field(goInt('int64')),
    Policy: field(anyMap()),
    Enabled: field(bool()),
    Type: field(str()),
    // Set by the server:
    ID: field(str()),
    Namespace: field(str()),
    Target: field(stringMap()),
    CreateIndex: field(goInt('uint64')),
    ModifyIndex: field(goInt('uint64')),
  },
);
