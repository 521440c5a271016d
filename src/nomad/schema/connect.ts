// Consul Connect: sidecars, proxies, upstreams and gateways (api/consul.go). The operator does not run
// Consul, but jobs that carry these blocks must still round-trip without losing data.

import {
  anyMap,
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
import { ResourcesSchema } from './resources.ts';
import { LogConfigSchema, VolumeMountSchema, WorkloadIdentitySchema } from './workload.ts';

export const ConsulMeshGatewaySchema = struct('ConsulMeshGateway', 'Mesh gateway mode of an upstream.', {
  Mode: field(str()),
});

export const ConsulUpstreamSchema = struct('ConsulUpstream', 'A service the sidecar proxies to.', {
  DestinationName: field(str()),
  DestinationNamespace: field(str()),
  DestinationPeer: field(str()),
  DestinationPartition: field(str()),
  DestinationType: field(str()),
  LocalBindPort: field(goInt()),
  Datacenter: field(str()),
  LocalBindAddress: field(str()),
  LocalBindSocketPath: field(str()),
  LocalBindSocketMode: field(str()),
  MeshGateway: field(ConsulMeshGatewaySchema),
  Config: field(anyMap()),
});

export const ConsulExposePathSchema = struct('ConsulExposePath', 'An HTTP path exposed through the proxy.', {
  Path: field(str()),
  Protocol: field(str()),
  LocalPathPort: field(goInt()),
  ListenerPort: field(str()),
});

export const ConsulExposeConfigSchema = struct('ConsulExposeConfig', 'Paths exposed through the proxy.', {
  Paths: field(listOf(ConsulExposePathSchema)),
  // Deprecated spelling of Paths, still accepted.
  Path: field(listOf(ConsulExposePathSchema)),
});

export const ConsulTransparentProxySchema = struct(
  'ConsulTransparentProxy',
  'Transparent proxy (iptables redirection) settings.',
  {
    UID: field(str()),
    OutboundPort: field(goInt('uint16')),
    ExcludeInboundPorts: field(stringList()),
    ExcludeOutboundPorts: field(listOf(goInt('uint16'))),
    ExcludeOutboundCIDRs: field(stringList()),
    ExcludeUIDs: field(stringList()),
    NoDNS: field(bool()),
  },
);

export const ConsulProxySchema = struct('ConsulProxy', 'The sidecar proxy configuration.', {
  LocalServiceAddress: field(str()),
  LocalServicePort: field(goInt()),
  Expose: field(ConsulExposeConfigSchema),
  // Deprecated spelling of Expose, still accepted.
  ExposeConfig: field(ConsulExposeConfigSchema),
  Upstreams: field(listOf(ConsulUpstreamSchema)),
  TransparentProxy: field(ConsulTransparentProxySchema),
  Config: field(anyMap()),
});

export const ConsulSidecarServiceSchema = struct(
  'ConsulSidecarService',
  'The sidecar service registered next to the main service.',
  {
    Tags: field(stringList()),
    Port: field(str()),
    Proxy: field(ConsulProxySchema),
    DisableDefaultTCPCheck: field(bool()),
    Meta: field(stringMap()),
  },
);

export const SidecarTaskSchema = struct('SidecarTask', 'Overrides for the injected sidecar task.', {
  Name: field(str()),
  Driver: field(str()),
  User: field(str()),
  Config: field(anyMap()),
  Env: field(stringMap()),
  Resources: field(ResourcesSchema),
  Meta: field(stringMap()),
  KillTimeout: field(pointer(duration())),
  LogConfig: field(LogConfigSchema),
  ShutdownDelay: field(pointer(duration())),
  KillSignal: field(str()),
  VolumeMounts: field(listOf(VolumeMountSchema)),
  Identities: field(listOf(WorkloadIdentitySchema)),
});

export const ConsulGatewayBindAddressSchema = struct(
  'ConsulGatewayBindAddress',
  'An Envoy listener address of a gateway.',
  {
    Name: field(str()),
    Address: field(str()),
    Port: field(goInt()),
  },
);

export const ConsulGatewayProxySchema = struct('ConsulGatewayProxy', 'Envoy settings of a gateway.', {
  ConnectTimeout: field(pointer(duration())),
  EnvoyGatewayBindTaggedAddresses: field(bool()),
  EnvoyGatewayBindAddresses: field(mapOf(ConsulGatewayBindAddressSchema)),
  EnvoyGatewayNoDefaultBind: field(bool()),
  EnvoyDNSDiscoveryType: field(str()),
  Config: field(anyMap()),
});

export const ConsulGatewayTLSSDSConfigSchema = struct(
  'ConsulGatewayTLSSDSConfig',
  'Certificates served over Envoy SDS.',
  {
    ClusterName: field(str()),
    CertResource: field(str()),
  },
);

export const ConsulGatewayTLSConfigSchema = struct('ConsulGatewayTLSConfig', 'TLS of a gateway listener.', {
  Enabled: field(bool()),
  TLSMinVersion: field(str()),
  TLSMaxVersion: field(str()),
  CipherSuites: field(stringList()),
  SDS: field(ConsulGatewayTLSSDSConfigSchema),
});

export const ConsulHTTPHeaderModifiersSchema = struct(
  'ConsulHTTPHeaderModifiers',
  'Headers an ingress gateway adds, sets or removes.',
  {
    Add: field(stringMap()),
    Set: field(stringMap()),
    Remove: field(stringList()),
  },
);

export const ConsulIngressServiceSchema = struct('ConsulIngressService', 'A service behind an ingress.', {
  Name: field(str()),
  Hosts: field(stringList()),
  TLS: field(ConsulGatewayTLSConfigSchema),
  RequestHeaders: field(ConsulHTTPHeaderModifiersSchema),
  ResponseHeaders: field(ConsulHTTPHeaderModifiersSchema),
  MaxConnections: field(pointer(goInt('uint32'))),
  MaxPendingRequests: field(pointer(goInt('uint32'))),
  MaxConcurrentRequests: field(pointer(goInt('uint32'))),
});

export const ConsulIngressListenerSchema = struct('ConsulIngressListener', 'A port of an ingress gateway.', {
  Port: field(goInt()),
  Protocol: field(str()),
  Services: field(listOf(ConsulIngressServiceSchema)),
});

export const ConsulIngressConfigEntrySchema = struct(
  'ConsulIngressConfigEntry',
  'Ingress gateway configuration.',
  {
    TLS: field(ConsulGatewayTLSConfigSchema),
    Listeners: field(listOf(ConsulIngressListenerSchema)),
  },
);

export const ConsulLinkedServiceSchema = struct(
  'ConsulLinkedService',
  'An external service behind a terminating gateway.',
  {
    Name: field(str()),
    CAFile: field(str()),
    CertFile: field(str()),
    KeyFile: field(str()),
    SNI: field(str()),
  },
);

export const ConsulTerminatingConfigEntrySchema = struct(
  'ConsulTerminatingConfigEntry',
  'Terminating gateway configuration.',
  {
    Services: field(listOf(ConsulLinkedServiceSchema)),
  },
);

export const ConsulMeshConfigEntrySchema = struct(
  'ConsulMeshConfigEntry',
  'Mesh gateway configuration (no fields).',
  {},
);

export const ConsulGatewaySchema = struct('ConsulGateway', 'An ingress, terminating or mesh gateway.', {
  Proxy: field(ConsulGatewayProxySchema),
  Ingress: field(ConsulIngressConfigEntrySchema),
  Terminating: field(ConsulTerminatingConfigEntrySchema),
  Mesh: field(ConsulMeshConfigEntrySchema),
});

export const ConsulConnectSchema = struct('ConsulConnect', 'The connect block of a group service.', {
  Native: field(bool()),
  Gateway: field(ConsulGatewaySchema),
  SidecarService: field(ConsulSidecarServiceSchema),
  SidecarTask: field(SidecarTaskSchema),
});
