// Router tags → an Ingress. Nomad jobs publish HTTP routes through tags their edge router reads from the
// service catalog: Traefik (`traefik.enable=true`, `traefik.http.routers.<router>.rule=Host(`a`) &&
// PathPrefix(`/p`)`) and Fabio (`urlprefix-a/p`). Kubernetes routes through Ingress objects, so when
// the tags of a service say exactly which hosts and paths reach it, the job gets one networking.k8s.io/v1
// Ingress named `<job>--<Service>` with one rule per host and path → the service's Service and port.
//
// Unambiguous means: every router rule is a conjunction of at most one `Host(...)` (one or more host
// names) and at most one `PathPrefix(...)` / `Path(...)` (one path), each Fabio prefix is `[host]/path`
// without options, and the Service has exactly one port. Anything else — `||`, `HostRegexp`, headers,
// TCP/UDP routers, Fabio options, Traefik tags without a rule (the host then comes from the router's
// default domain), a router to another service (`…routers.<r>.service=api@internal`; a Traefik service
// the same tags define, `traefik.http.services.<s>.…`, is this one), a middleware that
// rewrites the path (stripprefix, addprefix, replacepath), a router middleware that restricts who may
// reach the service (basic, digest or forward auth, an IP allow list) or that the tags do not define (a
// file or another provider's: it may be one of those) — keeps the whole service out of the Ingress,
// with one warning saying that its routing is lost and what to create instead: an Ingress would publish
// to everyone what Traefik only let some callers reach. `traefik.enable=false` means no route and no
// warning.
//
// The Ingress has no ingressClassName: the cluster's default IngressClass serves it (set one with a
// default-class annotation, or edit the Ingress). Traefik entry points, TLS and middlewares are reported,
// not converted.
import type { KubernetesObject, V1HTTPIngressPath, V1Ingress, V1IngressRule } from '@kubernetes/client-node';
import { childName, isDns1123Subdomain } from '../nomad/ids.ts';
import type { CatalogService, GroupContext } from './types.ts';

/** One route a router tag asks for. */
export interface Route {
  /** Empty: any host. */
  host: string;
  path: string;
  pathType: 'Prefix' | 'Exact';
}

/** What the router tags of one service say. */
export type RouterTags =
  | { kind: 'none' }
  | { kind: 'routes'; routes: Route[]; unconverted: string[] }
  | { kind: 'ambiguous'; reason: string };

const TRAEFIK_RULE = /^traefik\.http\.routers\.([^.=]+)\.rule=(.*)$/s;
/** Traefik middlewares that change the path the service sees. */
const PATH_REWRITING =
  /^traefik\.http\.middlewares\.[^.=]+\.(stripprefix|stripprefixregex|addprefix|replacepath|replacepathregex)\./i;
/**
 * Traefik middleware types that decide who may reach the service, and those that may contain such a
 * middleware (a chain, a plugin): a route without them would be open to everyone.
 */
const ACCESS_CONTROL = new Set([
  'basicauth',
  'digestauth',
  'forwardauth',
  'ipallowlist',
  'ipwhitelist',
  'chain',
  'plugin',
]);
const TRAEFIK_ROUTER_MIDDLEWARES = /^traefik\.http\.routers\.[^.=]+\.middlewares=(.*)$/s;
/** Traefik tags that only configure the provider or the backend, with nothing to convert. */
const TRAEFIK_HARMLESS = /^traefik\.(enable=|http\.services\.[^.=]+\.loadbalancer\.server\.(port|scheme)=)/;

/** The arguments of a rule matcher: `` `a` ``, `"a"`, comma-separated. Undefined when malformed. */
function matcherArguments(text: string): string[] | undefined {
  const args: string[] = [];
  let rest = text.trim();
  while (rest !== '') {
    const match = /^(`([^`]*)`|"([^"\\]*)")\s*(,\s*)?/.exec(rest);
    if (!match) return undefined;
    args.push(match[2] ?? match[3] ?? '');
    rest = rest.slice(match[0].length);
    if (rest !== '' && !match[4]) return undefined;
  }
  return args;
}

/** A Traefik rule as routes; a string saying why when it is not a plain Host/Path conjunction. */
export function traefikRuleRoutes(rule: string): Route[] | string {
  let hosts: string[] | undefined;
  let path: { path: string; pathType: Route['pathType'] } | undefined;
  if (/\|\||!/.test(rule)) return `rule ${JSON.stringify(rule)} is not a Host/PathPrefix/Path conjunction`;
  for (const term of rule.split('&&')) {
    const match = /^\s*(Host|PathPrefix|Path)\s*\((.*)\)\s*$/s.exec(term);
    if (!match) return `rule ${JSON.stringify(rule)} is not a Host/PathPrefix/Path conjunction`;
    const args = matcherArguments(match[2] ?? '');
    if (!args || args.length === 0) return `rule ${JSON.stringify(rule)} has a matcher it cannot read`;
    if (match[1] === 'Host') {
      if (hosts) return `rule ${JSON.stringify(rule)} has two Host matchers`;
      hosts = args;
    } else {
      if (path || args.length !== 1) return `rule ${JSON.stringify(rule)} matches more than one path`;
      path = { path: args[0] ?? '', pathType: match[1] === 'Path' ? 'Exact' : 'Prefix' };
    }
  }
  const p = path ?? { path: '/', pathType: 'Prefix' as const };
  if (!p.path.startsWith('/')) return `path ${JSON.stringify(p.path)} does not start with "/"`;
  return (hosts ?? ['']).map((host) => ({ host: host.toLowerCase(), ...p }));
}

/** A Fabio `urlprefix-` tag as a route; a string saying why when it is not a plain `[host]/path`. */
export function fabioRoute(tag: string): Route | string {
  const value = tag.slice('urlprefix-'.length);
  if (/\s/.test(value.trim())) return `${JSON.stringify(tag)} has options`;
  const slash = value.indexOf('/');
  if (slash < 0) return `${JSON.stringify(tag)} is not an HTTP route`;
  const host = value.slice(0, slash).toLowerCase();
  if (host.includes(':')) return `${JSON.stringify(tag)} names a port`;
  return { host, path: value.slice(slash), pathType: 'Prefix' };
}

/** A Traefik reference without the provider suffix of the service catalog these tags are in. */
function ownProviderName(reference: string): string {
  return reference.replace(/@(?:consulcatalog|nomad)$/, '');
}

/**
 * Why a router's middlewares (`traefik.http.routers.<r>.middlewares=a,b@file`) may restrict who reaches
 * the service; undefined when every one of them is defined by the same tags with a type that does not.
 */
function restrictingMiddleware(
  tag: string,
  own: ReadonlyMap<string, ReadonlySet<string>>,
): string | undefined {
  const names = (TRAEFIK_ROUTER_MIDDLEWARES.exec(tag)?.[1] ?? '').split(',').map((n) => n.trim());
  for (const reference of names.filter((n) => n !== '')) {
    const name = ownProviderName(reference);
    const types = own.get(name);
    if (types === undefined) {
      return `${JSON.stringify(tag)} uses middleware ${JSON.stringify(reference)}, which these tags do not define: it may restrict who reaches the service, which an Ingress would not`;
    }
    const restricting = [...types].find((t) => ACCESS_CONTROL.has(t));
    if (restricting !== undefined) {
      return `${JSON.stringify(tag)} uses middleware ${JSON.stringify(reference)} (${restricting}), which restricts who reaches the service; an Ingress would publish it to everyone`;
    }
  }
  return undefined;
}

/** What a service's tags say about routing (see the module comment). Pure. `name`: the Nomad service. */
export function routerTags(tags: readonly string[], name = ''): RouterTags {
  const traefik = tags.filter((t) => t.startsWith('traefik.'));
  const fabio = tags.filter((t) => t.startsWith('urlprefix-'));
  if (traefik.includes('traefik.enable=false')) return { kind: 'none' };
  if (traefik.length === 0 && fabio.length === 0) return { kind: 'none' };
  const routes: Route[] = [];
  const unconverted: string[] = [];
  let rules = 0;
  // A router may name this service, or a Traefik service its own tags define (`traefik.http.services.
  // <s>.…`), which is this service's instances too.
  const ownServices = new Set([name]);
  /** The middlewares the tags define, by name: their types (`basicauth`, `headers`, …). */
  const ownMiddlewares = new Map<string, Set<string>>();
  for (const tag of traefik) {
    const defined = /^traefik\.http\.services\.([^.=]+)\./.exec(tag)?.[1];
    if (defined) ownServices.add(defined);
    const middleware = /^traefik\.http\.middlewares\.([^.=]+)\.([^.=]+)[.=]/.exec(tag);
    if (middleware?.[1] && middleware[2]) {
      const types = ownMiddlewares.get(middleware[1]) ?? new Set<string>();
      ownMiddlewares.set(middleware[1], types.add(middleware[2].toLowerCase()));
    }
  }
  for (const tag of traefik) {
    const rule = TRAEFIK_RULE.exec(tag);
    if (rule) {
      rules++;
      const parsed = traefikRuleRoutes(rule[2] ?? '');
      if (typeof parsed === 'string') return { kind: 'ambiguous', reason: parsed };
      routes.push(...parsed);
    } else if (/^traefik\.(tcp|udp)\./.test(tag)) {
      return { kind: 'ambiguous', reason: `${JSON.stringify(tag)} is a TCP/UDP route` };
    } else if (/^traefik\.http\.routers\.[^.=]+\.service=/.test(tag)) {
      const target = ownProviderName(tag.slice(tag.indexOf('=') + 1));
      if (!ownServices.has(target)) {
        return { kind: 'ambiguous', reason: `${JSON.stringify(tag)} routes to another service` };
      }
    } else if (TRAEFIK_ROUTER_MIDDLEWARES.test(tag)) {
      const restricting = restrictingMiddleware(tag, ownMiddlewares);
      if (restricting !== undefined) return { kind: 'ambiguous', reason: restricting };
      unconverted.push(tag);
    } else if (PATH_REWRITING.test(tag)) {
      return {
        kind: 'ambiguous',
        reason: `${JSON.stringify(tag)} rewrites the path, which an Ingress cannot (the service would see other paths)`,
      };
    } else if (!TRAEFIK_HARMLESS.test(tag)) unconverted.push(tag);
  }
  if (traefik.length > 0 && rules === 0) {
    return {
      kind: 'ambiguous',
      reason: 'Traefik routes it by its default rule (a host under the router’s configured domain)',
    };
  }
  for (const tag of fabio) {
    const parsed = fabioRoute(tag);
    if (typeof parsed === 'string') return { kind: 'ambiguous', reason: parsed };
    routes.push(parsed);
  }
  for (const route of routes) {
    const host = route.host.startsWith('*.') ? route.host.slice(2) : route.host;
    if (route.host !== '' && !isDns1123Subdomain(host)) {
      return { kind: 'ambiguous', reason: `host ${JSON.stringify(route.host)} is not a DNS name` };
    }
  }
  return { kind: 'routes', routes, unconverted };
}

/** The Ingress of a service's router tags, or none with a warning (see the module comment). */
export function routerIngress(ctx: GroupContext, entry: CatalogService): KubernetesObject[] {
  const first = entry.registrations[0];
  const path = `${first?.path ?? ctx.path}.Tags`;
  const parsed = routerTags(entry.tags, entry.nomadName);
  if (parsed.kind === 'none') return [];
  const port = entry.ports.length === 1 ? entry.ports[0] : undefined;
  const lost = (reason: string) => {
    ctx.warn(
      path,
      `router tags of service ${JSON.stringify(entry.nomadName)} are not converted (${reason}): nothing routes requests to it; create an Ingress or Gateway route to the Service ${entry.name}${port ? ` port ${port.port}` : ''}`,
    );
    return [];
  };
  if (parsed.kind === 'ambiguous') return lost(parsed.reason);
  if (!port)
    return lost(`the Service ${entry.name} has ${entry.ports.length === 0 ? 'no port' : 'several ports'}`);
  // A Traefik service the tags define may send the requests to another port than the service's.
  for (const tag of entry.tags) {
    const other = /^traefik\.http\.services\.[^.=]+\.loadbalancer\.server\.port=(\d+)$/.exec(tag)?.[1];
    if (other !== undefined && Number(other) !== port.port) {
      return lost(
        `${JSON.stringify(tag)} sends the requests to port ${other}, not to the service's port ${port.port}`,
      );
    }
  }
  if (parsed.unconverted.length > 0) {
    ctx.warn(
      path,
      `router tags ${parsed.unconverted.map((t) => JSON.stringify(t)).join(', ')} of service ${JSON.stringify(entry.nomadName)} are not converted (entry points, TLS, middlewares): the Ingress routes plain HTTP by host and path only`,
    );
  }
  const byHost = new Map<string, V1HTTPIngressPath[]>();
  for (const route of parsed.routes) {
    const paths = byHost.get(route.host) ?? [];
    if (!paths.some((p) => p.path === route.path && p.pathType === route.pathType)) {
      paths.push({
        path: route.path,
        pathType: route.pathType,
        backend: { service: { name: entry.name, port: { number: port.port } } },
      });
    }
    byHost.set(route.host, paths);
  }
  const rules: V1IngressRule[] = [...byHost].map(([host, paths]) => ({
    ...(host !== '' ? { host } : {}),
    http: { paths },
  }));
  const ingress: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: childName(ctx.jobName, entry.name), namespace: ctx.options.namespace },
    spec: { rules },
  };
  return [ingress];
}
