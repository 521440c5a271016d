// Compute and network resources (api/resources.go).
import { AffinitySchema, ConstraintSchema } from './placement.ts';
import { bool, field, goInt, listOf, str, stringList, stringMap, struct } from './primitives.ts';

export const PortSchema = struct('Port', 'A port label; Value is a static host port, To the mapped port.', {
  Label: field(str()),
  Value: field(goInt()),
  To: field(goInt()),
  HostNetwork: field(str()),
  IgnoreCollision: field(bool()),
});

export const DNSConfigSchema = struct('DNSConfig', 'DNS settings of a network namespace.', {
  Servers: field(stringList()),
  Searches: field(stringList()),
  Options: field(stringList()),
});

export const CNIConfigSchema = struct('CNIConfig', 'Extra CNI_ARGS for CNI networks.', {
  Args: field(stringMap()),
});

export const NetworkResourceSchema = struct('NetworkResource', 'A network block with its ports.', {
  Mode: field(str()),
  Device: field(str()),
  CIDR: field(str()),
  IP: field(str()),
  DNS: field(DNSConfigSchema),
  ReservedPorts: field(listOf(PortSchema)),
  DynamicPorts: field(listOf(PortSchema)),
  Hostname: field(str()),
  MBits: field(goInt()),
  CNI: field(CNIConfigSchema),
});

export const RequestedDeviceSchema = struct('RequestedDevice', 'A device request such as nvidia/gpu.', {
  Name: field(str()),
  Count: field(goInt('uint64')),
  Constraints: field(listOf(ConstraintSchema)),
  Affinities: field(listOf(AffinitySchema)),
});

export const NUMAResourceSchema = struct('NUMAResource', 'NUMA placement of cores and devices.', {
  Affinity: field(str()),
  Devices: field(stringList()),
});

export const ResourcesSchema = struct('Resources', 'Task resources; CPU is MHz, memory and disk MB.', {
  CPU: field(goInt()),
  Cores: field(goInt()),
  MemoryMB: field(goInt()),
  MemoryMaxMB: field(goInt()),
  DiskMB: field(goInt()),
  Networks: field(listOf(NetworkResourceSchema)),
  Devices: field(listOf(RequestedDeviceSchema)),
  NUMA: field(NUMAResourceSchema),
  SecretsMB: field(goInt()),
  IOPS: field(goInt()),
});
