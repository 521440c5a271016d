// Service lookups in templates → the Service's DNS name and port. Nomad renders `{{ range service "db" }}
// {{ .Address }}:{{ .Port }}{{ end }}` (Consul) or `{{ range nomadService "db" }}…{{ end }}` (Nomad's own
// catalog) with one line per healthy instance. In Kubernetes the service is one Service (networking.ts:
// named after the Nomad service name, one virtual address in front of every instance), so a lookup of a
// service of the same job is rewritten when the template is translated: the range runs once, `.Address`
// becomes `<Service>.<namespace>.svc`, `.Port` the Service port, `.Name`/`.ServiceName` the service name.
//
// Recognised: `range service "name"` / `range nomadService "name"` (also `"tag.name"`, Consul's tag
// filter, when every registration of the service carries the tag; `range $s := …` with `$s.Address`),
// whose body is text and `.Address`, `.Port`, `.Name`, `.ServiceName` actions only (and an optional
// `{{ else }}` with text only, dropped: the Service is there), with trim markers (`{{-`, `-}}`) and the
// template's own delimiters. Anything else (a datacenter or namespace suffix, other actions in the body,
// `.Tags`, `.ID`, nested ranges, services of other jobs, whose port is unknown here) is left as written,
// with a warning naming the Service to write instead; storage.ts then mounts the text unrendered with its
// usual warning.
import type { Template } from '../nomad/schema.ts';
import {
  catalogLookup,
  everyRegistrationTagged,
  kubernetesServiceName,
  serviceCatalog,
} from './networking.ts';
import type { GroupContext } from './types.ts';

/** Where a looked-up service is, or why it cannot be rewritten. */
export type LookupAnswer = { host: string; name: string; port?: number } | { reason: string };

/** Answers a lookup of service `name`, optionally filtered by `tag`. */
export type ServiceResolver = (name: string, tag: string | undefined) => LookupAnswer;

export interface RewriteResult {
  text: string;
  /** Service names whose lookups were rewritten, in order. */
  rewritten: string[];
  /** Lookups that were recognised but left as written, with the reason. */
  unresolved: { name: string; reason: string }[];
}

interface Action {
  start: number;
  end: number;
  trimLeft: boolean;
  trimRight: boolean;
  body: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every action of the text, with Go's trim markers (`{{- ` and ` -}}`, space required). */
function actions(text: string, left: string, right: string): Action[] {
  const pattern = new RegExp(`${escapeRegExp(left)}(- )?([\\s\\S]*?)( -)?${escapeRegExp(right)}`, 'g');
  return [...text.matchAll(pattern)].map((m) => ({
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
    trimLeft: m[1] !== undefined,
    trimRight: m[3] !== undefined,
    body: (m[2] ?? '').trim(),
  }));
}

const RANGE = /^range\s+(?:(\$\w+)\s*:=\s*)?(service|nomadService)\s+"([^"\\]*)"$/;
/** consul-template's query form: `[tag.]name`, name of word characters and `-`. */
const QUERY = /^(?:(.+)\.)?([\w-]+)$/;

/**
 * Rewrites the recognised service lookups of a template's text (see the module comment). Pure: `resolve`
 * says where each service is. Text without a recognised lookup comes back unchanged.
 */
export function rewriteServiceLookups(
  text: string,
  resolve: ServiceResolver,
  leftDelim = '{{',
  rightDelim = '}}',
): RewriteResult {
  const left = leftDelim === '' ? '{{' : leftDelim;
  const right = rightDelim === '' ? '}}' : rightDelim;
  const result: RewriteResult = { text, rewritten: [], unresolved: [] };
  if (!text.includes(left)) return result;
  const all = actions(text, left, right);
  let out = '';
  let last = 0;
  /** Appends text between actions, honouring the trim markers around it. */
  const emit = (segment: string, trimStart: boolean, trimEnd: boolean) => {
    let s = segment;
    if (trimStart) s = s.replace(/^\s+/, '');
    if (trimEnd) s = s.replace(/\s+$/, '');
    return s;
  };
  let pendingTrim = false;
  for (let i = 0; i < all.length; i++) {
    const open = all[i];
    if (!open) continue;
    const range = RANGE.exec(open.body);
    if (!range) continue;
    const variable = range[1];
    const query = QUERY.exec(range[3] ?? '');
    // The body: everything up to the first `end`; only field actions are allowed inside.
    let j = i + 1;
    const fields: { action: Action; field: string }[] = [];
    let ok = query !== null;
    let elseAction: Action | undefined;
    for (; j < all.length; j++) {
      const action = all[j];
      if (!action || action.body === 'end') break;
      // `{{ else }}` runs when there are no instances; a Service is there, so its text is dropped.
      if (action.body === 'else' && !elseAction) {
        elseAction = action;
        continue;
      }
      if (elseAction) {
        ok = false;
        break;
      }
      const field = new RegExp(
        `^${variable ? escapeRegExp(variable) : ''}\\.(Address|Port|Name|ServiceName)$`,
      ).exec(action.body);
      if (!field) ok = false;
      else fields.push({ action, field: field[1] ?? '' });
    }
    const close = all[j];
    if (!ok || !close || !query) continue;
    const name = query[2] ?? '';
    const answer = resolve(name, query[1]);
    if ('reason' in answer) {
      result.unresolved.push({ name, reason: answer.reason });
      i = j;
      continue;
    }
    if (answer.port === undefined && fields.some((f) => f.field === 'Port')) {
      result.unresolved.push({ name, reason: `the Service of ${JSON.stringify(name)} has no single port` });
      i = j;
      continue;
    }
    // Text before the range, then the body once with the fields filled in.
    out += emit(text.slice(last, open.start), pendingTrim, open.trimLeft);
    let cursor = open.end;
    let trimNext = open.trimRight;
    for (const { action, field } of fields) {
      out += emit(text.slice(cursor, action.start), trimNext, action.trimLeft);
      out += field === 'Address' ? answer.host : field === 'Port' ? String(answer.port) : answer.name;
      cursor = action.end;
      trimNext = action.trimRight;
    }
    const bodyEnd = elseAction ?? close;
    out += emit(text.slice(cursor, bodyEnd.start), trimNext, bodyEnd.trimLeft);
    last = close.end;
    pendingTrim = close.trimRight;
    result.rewritten.push(name);
    i = j;
  }
  if (result.rewritten.length === 0) return result;
  result.text = out + emit(text.slice(last), pendingTrim, false);
  return result;
}

/** Resolves lookups against the job's Services (networking.ts `serviceCatalog`). */
export function catalogResolver(ctx: GroupContext, catalog = serviceCatalog(ctx)): ServiceResolver {
  return (name, tag) => {
    const entry = catalogLookup(catalog, name);
    if (!entry) {
      const other = `${kubernetesServiceName(name).name}.${ctx.options.namespace}.svc`;
      return {
        reason: `${JSON.stringify(name)} is not a service of this job (registered by another job, its Service is ${other}; write that name and its port)`,
      };
    }
    if (tag !== undefined && !everyRegistrationTagged(entry, tag)) {
      return {
        reason: `not every registration of ${JSON.stringify(name)} has the tag ${JSON.stringify(tag)}, and the Service selects them all`,
      };
    }
    const host = `${entry.name}.${entry.namespace}.svc`;
    return entry.portByLabel.size === 1 && entry.ports[0]
      ? { host, name: entry.nomadName, port: entry.ports[0].port }
      : { host, name: entry.nomadName };
  };
}

/**
 * A template's embedded text with its lookups of the job's services rewritten (storage.ts mounts the
 * result). Lookups that were recognised but cannot be rewritten are reported at `path`.
 */
export function templateText(ctx: GroupContext, template: Template, path: string): string {
  const text = template.EmbeddedTmpl ?? '';
  if (!/\b(service|nomadService)\b/.test(text)) return text;
  const catalog = serviceCatalog(ctx);
  const resolver = catalogResolver(ctx, catalog);
  const result = rewriteServiceLookups(text, resolver, template.LeftDelim, template.RightDelim);
  for (const { name, reason } of result.unresolved) {
    ctx.warn(
      `${path}.EmbeddedTmpl`,
      `the lookup of service ${JSON.stringify(name)} is left as written: ${reason}`,
    );
  }
  // A group looking up its own service lists its peers in Nomad (one line per instance); here the
  // range runs once, for the Service's one address.
  const count = ctx.group.Count ?? 1;
  for (const name of new Set(result.rewritten)) {
    const own = catalogLookup(catalog, name)?.registrations.some((r) => r.groupIndex === ctx.groupIndex);
    if (!own || count <= 1) continue;
    ctx.warn(
      `${path}.EmbeddedTmpl`,
      `the lookup of service ${JSON.stringify(name)}, which this group registers with count ${count}, renders its Service's one address, not one entry per instance: a list of peers (cluster members, gossip seeds) gets one entry; have the instances find each other through Kubernetes instead (a headless Service's DNS name lists every pod)`,
    );
  }
  return result.text;
}
