// Service registrations and their health checks (api/services.go).
import { ConsulConnectSchema } from './connect.ts';
import {
  bool,
  duration,
  field,
  goInt,
  listOf,
  str,
  stringList,
  stringListMap,
  stringMap,
  struct,
} from './primitives.ts';
import { WorkloadIdentitySchema } from './workload.ts';

export const CheckRestartSchema = struct('CheckRestart', 'Restart a task after failing health checks.', {
  Limit: field(goInt()),
  Grace: field(duration()),
  IgnoreWarnings: field(bool()),
});

export const ServiceCheckSchema = struct('ServiceCheck', 'A health check of a service.', {
  Name: field(str()),
  Type: field(str()),
  Command: field(str()),
  Args: field(stringList()),
  Path: field(str()),
  Protocol: field(str()),
  PortLabel: field(str()),
  Expose: field(bool()),
  AddressMode: field(str()),
  Advertise: field(str()),
  Interval: field(duration()),
  Timeout: field(duration()),
  InitialStatus: field(str()),
  Notes: field(str()),
  TLSServerName: field(str()),
  TLSSkipVerify: field(bool()),
  Header: field(stringListMap()),
  Method: field(str()),
  CheckRestart: field(CheckRestartSchema),
  GRPCService: field(str()),
  GRPCUseTLS: field(bool()),
  TaskName: field(str()),
  SuccessBeforePassing: field(goInt()),
  FailuresBeforeCritical: field(goInt()),
  FailuresBeforeWarning: field(goInt()),
  Body: field(str()),
  OnUpdate: field(str()),
});

export const ServiceWeightsSchema = struct('ServiceWeights', 'DNS SRV weights by health state.', {
  Passing: field(goInt()),
  Warning: field(goInt()),
});

export const ServiceSchema = struct('Service', 'A service registration (Consul or Nomad provider).', {
  Name: field(str()),
  Tags: field(stringList()),
  CanaryTags: field(stringList()),
  EnableTagOverride: field(bool()),
  PortLabel: field(str()),
  AddressMode: field(str()),
  Address: field(str()),
  Checks: field(listOf(ServiceCheckSchema)),
  CheckRestart: field(CheckRestartSchema),
  Connect: field(ConsulConnectSchema),
  Meta: field(stringMap()),
  CanaryMeta: field(stringMap()),
  TaggedAddresses: field(stringMap()),
  TaskName: field(str()),
  OnUpdate: field(str()),
  Identity: field(WorkloadIdentitySchema),
  Weights: field(ServiceWeightsSchema),
  Provider: field(str()),
  Cluster: field(str()),
  Kind: field(str()),
});
