// Validation of a service registration and its health checks (Nomad's Service.Validate with the
// provider-specific check rules of ServiceCheck and the ConsulConnect block's own Validate).
//
// Each check is reported by its first problem only, as Nomad's check validation returns on the first
// error; a Consul check's error is prefixed `Check <name> invalid: `, a Nomad check's is not.
import { formatGoDuration as d } from '../duration.ts';
import { goQuote } from '../go.ts';
import type { CheckRestart, ConsulConnect, Service, ServiceCheck } from '../schema.ts';
import { formatMultiError } from './multierror.ts';

const MIN_CHECK_INTERVAL = 1e9;
const MIN_CHECK_TIMEOUT = 1e9;
const CHECK_STATES = ['passing', 'warning', 'critical'];
const ON_UPDATE = ['require_healthy', 'ignore_warnings', 'ignore'];
/** Check types that use the pass/fail thresholds (a Consul feature). */
const THRESHOLD_CHECK_TYPES = ['tcp', 'http', 'grpc'];
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE'];
/** Consul's service kinds a Nomad service may register as ("" is a typical service). */
const CONSUL_SERVICE_KINDS = ['', 'api-gateway', 'ingress-gateway', 'mesh-gateway', 'terminating-gateway'];

/** Go's `%+q`: like `%q`, with every non-ASCII character escaped. */
export function goQuoteAscii(value: string): string {
  return [...goQuote(value)]
    .map((char) => {
      const code = char.codePointAt(0) ?? 0;
      if (code < 0x80) return char;
      return code <= 0xffff
        ? `\\u${code.toString(16).padStart(4, '0')}`
        : `\\U${code.toString(16).padStart(8, '0')}`;
    })
    .join('');
}

/** The check types that need a port (ServiceCheck.RequiresPort). */
export function checkRequiresPort(check: ServiceCheck): boolean {
  return ['grpc', 'http', 'tcp'].includes(check.Type ?? '');
}

/**
 * The error Go's url.Parse returns for a check path, reduced to the cases a path realistically hits:
 * control characters, a colon in the first segment of a scheme-less reference, a malformed escape.
 * Returns `invalid` or whether the reference is absolute (has a scheme).
 */
function parseCheckPath(path: string): 'invalid' | 'absolute' | 'relative' {
  if ([...path].some((char) => (char.codePointAt(0) ?? 0) < 0x20 || char === '\x7f')) return 'invalid';
  const withoutFragment = path.split('#')[0] ?? '';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(withoutFragment);
  if (scheme) return 'absolute';
  if (withoutFragment.startsWith(':')) return 'invalid'; // "missing protocol scheme"
  const beforeQuery = withoutFragment.split('?')[0] ?? '';
  const firstSegment = beforeQuery.split('/')[0] ?? '';
  if (firstSegment.includes(':')) return 'invalid'; // "first path segment in URL cannot contain colon"
  if (/%(?![0-9A-Fa-f]{2})/.test(beforeQuery)) return 'invalid'; // "invalid URL escape"
  return 'relative';
}

/** CheckRestart.Validate: a multierror, so its text is nested where it is reported. */
function checkRestartErrors(c: CheckRestart): string[] {
  const errors: string[] = [];
  const limit = c.Limit ?? 0;
  const grace = c.Grace ?? 0;
  if (limit < 0) errors.push(`limit must be greater than or equal to 0 but found ${limit}`);
  // Go prints the duration with %d here: its nanoseconds.
  if (grace < 0) errors.push(`grace period must be greater than or equal to 0 but found ${grace}`);
  return errors;
}

/** ServiceCheck.validateCommon: the first problem of the checks both providers share. */
function checkCommonError(check: ServiceCheck, allowedTypes: readonly string[]): string | undefined {
  const type = (check.Type ?? '').toLowerCase();
  if (!allowedTypes.includes(type)) {
    return `invalid check type (${goQuote(type)}), must be one of ${allowedTypes.join(', ')}`;
  }
  if (type === 'http') {
    const path = check.Path ?? '';
    if (path === '') return 'http type must have http path';
    const parsed = parseCheckPath(path);
    if (parsed === 'invalid') return 'http type must have valid http path';
    if (parsed === 'absolute') return 'http type must have relative http path';
  } else if (type === 'script' && (check.Command ?? '') === '') {
    return 'script type must have a valid script path';
  }

  const interval = check.Interval ?? 0;
  if (interval === 0) {
    return `missing required value interval. Interval cannot be less than ${d(MIN_CHECK_INTERVAL)}`;
  }
  if (interval < MIN_CHECK_INTERVAL) {
    return `interval (${d(interval)}) cannot be lower than ${d(MIN_CHECK_INTERVAL)}`;
  }
  const timeout = check.Timeout ?? 0;
  if (timeout === 0) {
    return `missing required value timeout. Timeout cannot be less than ${d(MIN_CHECK_INTERVAL)}`;
  }
  if (timeout < MIN_CHECK_TIMEOUT) {
    return `timeout (${d(timeout)}) is lower than required minimum timeout ${d(MIN_CHECK_INTERVAL)}`;
  }

  const initialStatus = check.InitialStatus ?? '';
  if (initialStatus !== '' && !CHECK_STATES.includes(initialStatus)) {
    return `invalid initial check state (${initialStatus}), must be one of "passing", "warning", "critical" or empty`;
  }

  const addressMode = check.AddressMode ?? '';
  if (addressMode === 'auto')
    return `invalid address_mode ${goQuote(addressMode)} - auto only valid for services`;
  if (!['', 'host', 'driver', 'alloc', 'alloc_ipv6'].includes(addressMode)) {
    return `invalid address_mode ${goQuote(addressMode)}`;
  }

  const onUpdate = check.OnUpdate ?? '';
  if (onUpdate !== '' && !ON_UPDATE.includes(onUpdate)) {
    return `on_update must be "require_healthy", "ignore_warnings", or "ignore"; got ${goQuote(onUpdate)}`;
  }
  if (check.CheckRestart) {
    if (onUpdate === 'ignore') {
      return `on_update value ${goQuote(onUpdate)} is not compatible with check_restart`;
    }
    if (!check.CheckRestart.IgnoreWarnings && onUpdate === 'ignore_warnings') {
      return `on_update value ${goQuote(onUpdate)} not supported with check_restart ignore_warnings value "false"`;
    }
    const restartErrors = checkRestartErrors(check.CheckRestart);
    if (restartErrors.length > 0) return formatMultiError(restartErrors);
  }
  return undefined;
}

/** ServiceCheck.validateConsul. */
function consulCheckError(check: ServiceCheck): string | undefined {
  const common = checkCommonError(check, ['grpc', 'tcp', 'http', 'script']);
  if (common) return common;
  const type = check.Type ?? '';
  if (check.Expose && !['grpc', 'http'].includes(type.toLowerCase())) {
    return 'expose may only be set on HTTP or gRPC checks';
  }
  const thresholds = [
    ['success_before_passing', check.SuccessBeforePassing],
    ['failures_before_critical', check.FailuresBeforeCritical],
    ['failures_before_warning', check.FailuresBeforeWarning],
  ] as const;
  for (const [name, value = 0] of thresholds) {
    if (value < 0) return `${name} must be non-negative`;
    if (value > 0 && !THRESHOLD_CHECK_TYPES.includes(type)) {
      return `${name} not supported for check of type ${goQuote(type)}`;
    }
  }
  if (Buffer.byteLength(check.Notes ?? '') > 255) return 'notes must not be longer than 255 characters';
  return undefined;
}

/** ServiceCheck.validateNomad. */
function nomadCheckError(check: ServiceCheck): string | undefined {
  const common = checkCommonError(check, ['tcp', 'http']);
  if (common) return common;
  if (check.Expose) return 'expose may only be set for Consul service checks';
  if (check.OnUpdate === 'ignore_warnings') {
    return 'on_update may only be set to ignore_warnings for Consul service checks';
  }
  if (check.CheckRestart?.IgnoreWarnings) {
    return 'ignore_warnings on check_restart only supported for Consul service checks';
  }
  if (check.AddressMode === 'driver')
    return 'address_mode = driver may only be set for Consul service checks';
  const method = check.Method ?? '';
  if (check.Type === 'http' && method !== '' && !HTTP_METHODS.includes(method.toUpperCase())) {
    return `method type ${goQuote(method)} not supported in Nomad http check`;
  }
  if ((check.SuccessBeforePassing ?? 0) !== 0) {
    return 'success_before_passing may only be set for Consul service checks';
  }
  if ((check.FailuresBeforeCritical ?? 0) !== 0) {
    return 'failures_before_critical may only be set for Consul service checks';
  }
  if ((check.FailuresBeforeWarning ?? 0) !== 0) {
    return 'failures_before_warning may only be set for Consul service checks';
  }
  if ((check.TLSServerName ?? '') !== '') return 'tls_server_name may only be set for Consul service checks';
  return undefined;
}

/** Go's strconv.ParseUint(value, 10, 16) failure reason, if any. */
function uint16Error(value: string): string | undefined {
  if (!/^[0-9]+$/.test(value)) return 'invalid syntax';
  return Number(value) > 0xffff ? 'value out of range' : undefined;
}

/**
 * Go's netip.ParsePrefix error for `cidr` (an IPv4 or IPv6 address, "/", a bit count), or undefined
 * when it parses. An unparsable address gets ParseAddr's generic reason.
 */
function prefixError(cidr: string): string | undefined {
  const fail = (reason: string) => `netip.ParsePrefix(${goQuote(cidr)}): ${reason}`;
  const slash = cidr.lastIndexOf('/');
  if (slash < 0) return fail("no '/'");
  const address = cidr.slice(0, slash);
  const bits = cidr.slice(slash + 1);
  const ipv4 =
    /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
  let maxBits = 32;
  if (!ipv4.test(address)) {
    let ipv6 = address.includes(':') && !address.includes('%');
    try {
      if (ipv6) new URL(`http://[${address}]/`);
    } catch {
      ipv6 = false;
    }
    if (!ipv6) return fail(`ParseAddr(${goQuote(address)}): unable to parse IP`);
    maxBits = 128;
  }
  if (!/^(0|[1-9][0-9]*)$/.test(bits)) return fail(`bad bits after slash: ${goQuote(bits)}`);
  return Number(bits) > maxBits ? fail('prefix length out of range') : undefined;
}

/** ConsulTransparentProxy.Validate: one error alone, several as a multierror. */
function transparentProxyError(connect: ConsulConnect): string | undefined {
  const proxy = connect.SidecarService?.Proxy?.TransparentProxy;
  if (!proxy) return undefined;
  const errors: string[] = [];
  for (const cidr of proxy.ExcludeOutboundCIDRs ?? []) {
    const error = prefixError(cidr);
    if (error)
      errors.push(`could not parse transparent proxy excluded outbound CIDR as network prefix: ${error}`);
  }
  const uid = proxy.UID ?? '';
  const uidError = uid === '' ? undefined : uint16Error(uid);
  if (uidError) {
    errors.push(
      `transparent proxy block has invalid UID field: invalid user ID ${goQuote(uid)}: ${uidError}`,
    );
  }
  for (const excluded of proxy.ExcludeUIDs ?? []) {
    const error = uint16Error(excluded);
    if (error) {
      errors.push(
        `transparent proxy block has invalid ExcludeUIDs field: invalid user ID ${goQuote(excluded)}: ${error}`,
      );
    }
  }
  if (errors.length === 0) return undefined;
  return errors.length === 1 ? errors[0] : formatMultiError(errors);
}

type ConsulGateway = NonNullable<ConsulConnect['Gateway']>;

/** ConsulGateway.Validate: the first problem of a gateway block. */
function gatewayError(g: ConsulGateway): string | undefined {
  const proxy = g.Proxy;
  if (proxy) {
    if (proxy.ConnectTimeout === undefined) return 'Consul Gateway Proxy connection_timeout must be set';
    if (!['', 'STRICT_DNS', 'LOGICAL_DNS'].includes(proxy.EnvoyDNSDiscoveryType ?? '')) {
      return 'Consul Gateway Proxy Envoy DNS Discovery type must be STRICT_DNS or LOGICAL_DNS';
    }
    for (const bind of Object.values(proxy.EnvoyGatewayBindAddresses ?? {})) {
      if ((bind.Address ?? '') === '') return 'Consul Gateway Bind Address must be set';
      const port = bind.Port ?? 0;
      if (port <= 0 && port !== -1) return 'Consul Gateway Bind Address must set valid Port';
    }
  }
  if (g.Ingress) {
    const listeners = g.Ingress.Listeners ?? [];
    if (listeners.length === 0) return 'Consul Ingress Gateway requires at least one listener';
    for (const listener of listeners) {
      if ((listener.Port ?? 0) <= 0) return 'Consul Ingress Listener requires valid Port';
      const protocol = listener.Protocol ?? '';
      if (!['tcp', 'http', 'http2', 'grpc'].includes(protocol)) {
        return `Consul Ingress Listener requires protocol of tcp, http, http2, grpc, got ${goQuote(protocol)}`;
      }
      if ((listener.Services ?? []).length === 0) {
        return 'Consul Ingress Listener requires one or more services';
      }
      for (const service of listener.Services ?? []) {
        const name = service.Name ?? '';
        const hosts = (service.Hosts ?? []).length > 0;
        if (name === '') return 'Consul Ingress Service requires a name';
        if (protocol === 'tcp') {
          if (name === '*') return `Consul Ingress Service doesn't support wildcard name for "tcp" protocol`;
          if (hosts) {
            return `Consul Ingress Service doesn't support associating hosts to a service for the "tcp" protocol`;
          }
        } else if (name === '*' && hosts) {
          return 'Consul Ingress Service with a wildcard "*" service name can not also specify hosts';
        }
      }
    }
  }
  if (g.Terminating) {
    const services = g.Terminating.Services ?? [];
    if (services.length === 0) return 'Consul Terminating Gateway requires at least one service';
    for (const s of services) {
      const ca = (s.CAFile ?? '') !== '';
      const cert = (s.CertFile ?? '') !== '';
      const key = (s.KeyFile ?? '') !== '';
      if ((s.Name ?? '') === '') return 'Consul Linked Service requires Name';
      if ((cert || key) && !ca) return 'Consul Linked Service TLS requires CAFile';
      if (cert !== key) return 'Consul Linked Service TLS Cert and Key must both be set';
      if ((s.SNI ?? '') !== '' && !ca) return 'Consul Linked Service TLS SNI requires CAFile';
    }
  }
  const kinds = [g.Ingress, g.Terminating, g.Mesh].filter((kind) => kind !== undefined).length;
  if (kinds !== 1) return 'One Consul Gateway Configuration must be set';
  return undefined;
}

/** ConsulConnect.Validate: exactly one of sidecar, native or gateway, each valid. */
function connectError(c: ConsulConnect): string | undefined {
  let count = 0;
  if (c.SidecarService) {
    const error = transparentProxyError(c);
    if (error) return error;
    count++;
  }
  if (c.Native) count++;
  if (c.Gateway) count++;
  if (count !== 1) {
    return 'Consul Connect must be exclusively native, make use of a sidecar, or represent a Gateway';
  }
  return c.Gateway ? gatewayError(c.Gateway) : undefined;
}

/** Nomad's Service.Validate: the service's errors, its checks' included. */
export function serviceErrors(s: Service): string[] {
  const errors: string[] = [];
  const name = s.Name ?? '';
  const stripped = name.replace(/\$\{[a-zA-Z0-9_\-.]+\}/g, 'ENV-VAR');
  if (!/^(?:[a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])$/i.test(stripped)) {
    errors.push(
      `Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes and must be no longer than 63 characters: ${goQuote(name)}`,
    );
  }
  const addressMode = s.AddressMode ?? '';
  if (['host', 'driver', 'alloc', 'alloc_ipv6'].includes(addressMode)) {
    if ((s.Address ?? '') !== '') errors.push('Service address_mode must be "auto" if address is set');
  } else if (addressMode !== '' && addressMode !== 'auto') {
    errors.push(`Service address_mode must be "auto", "host", or "driver"; not ${goQuote(addressMode)}`);
  }
  const onUpdate = s.OnUpdate ?? '';
  if (onUpdate !== '' && !ON_UPDATE.includes(onUpdate)) {
    errors.push(
      `Service on_update must be "require_healthy", "ignore_warnings", or "ignore"; not ${goQuote(onUpdate)}`,
    );
  }

  const provider = s.Provider ?? '';
  const portLabel = s.PortLabel ?? '';
  const missingPort = (check: ServiceCheck) =>
    portLabel === '' && (check.PortLabel ?? '') === '' && checkRequiresPort(check)
      ? `Check ${check.Name ?? ''} invalid: check requires a port but neither check nor service ${goQuoteAscii(s.Name ?? '')} have a port`
      : undefined;
  if (provider === 'consul') {
    for (const check of s.Checks ?? []) {
      const portError = missingPort(check);
      if (portError) {
        errors.push(portError);
        continue;
      }
      // A Connect service listens on the loopback of its network namespace: TCP cannot reach it.
      if (check.Type === 'tcp' && s.Connect?.SidecarService) {
        errors.push(
          `Check ${check.Name ?? ''} invalid: tcp checks are not valid for Connect enabled services`,
        );
        continue;
      }
      const error = consulCheckError(check);
      if (error) errors.push(`Check ${check.Name ?? ''} invalid: ${error}`);
    }
    if (!CONSUL_SERVICE_KINDS.includes(s.Kind ?? '')) {
      errors.push(`Service ${name} kind must be one of consul service kind or empty`);
    }
    if (s.Connect) {
      const error = connectError(s.Connect);
      if (error) errors.push(error);
      if (s.Connect.Native && (s.TaskName ?? '') === '') {
        errors.push(`Service ${name} is Connect Native and requires setting the task`);
      }
      if (s.Connect.Native && portLabel === '') {
        errors.push(`Service ${name} is Connect Native and requires setting the port`);
      }
    }
  } else if (provider === 'nomad') {
    for (const check of s.Checks ?? []) {
      const portError = missingPort(check);
      if (portError) {
        errors.push(portError);
        continue;
      }
      const error = nomadCheckError(check);
      if (error) errors.push(error);
    }
    if (s.Connect) errors.push('Service with provider nomad cannot include Connect blocks');
  } else {
    errors.push(`Service provider must be "consul", or "nomad"; not ${goQuote(provider)}`);
  }

  if (s.Identity && (s.Identity.Audience ?? []).length === 0) {
    errors.push('Service identity must provide at least one target aud value');
  }
  return errors;
}
