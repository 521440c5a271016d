// Operator configuration from command-line flags and environment variables, validated with zod.
// Flags win over environment variables, which win over defaults. parseConfig() is pure: it reads
// only the argv and env it is given, so the CLI and tests call it alike.
//
// Flags take `--name value` or `--name=value`; booleans also `--name`, `--no-name`,
// `--name=true|false`. Environment variables are NOMAD_OPERATOR_<NAME> (booleans: true/false,
// 1/0, yes/no), plus KUBECONFIG and POD_NAMESPACE (the downward-API convention for the Lease's
// namespace).
//
// Decisions:
// * --metrics-listen defaults to 127.0.0.1:9464 (9464: the usual port of Prometheus exporters of
//   OpenTelemetry SDKs, free of Nomad's 4646-4648). /metrics, /healthz and /readyz all live
//   there; in a cluster the chart passes `--metrics-listen 0.0.0.0:9464` (probes and scrapes
//   come from outside the pod), as it passes `--listen 0.0.0.0:4646`.
// * --leader-elect defaults to true everywhere: a single replica pays one Lease write every 2 s,
//   and two operators started by mistake against one cluster cannot both write.
// * The translator options (--datacenter-label, --exec-image, …) are parsed by
//   src/translate/options.ts, the parser `convert` uses too, so that the operator and `convert`
//   translate alike. A repeatable flag given on the command line replaces its variable's list.
import { z } from 'zod';
import { validateLeaderTimings } from './kube/leader.ts';
import { DEFAULT_WRITE_BURST, DEFAULT_WRITE_QPS } from './kube/rate-limit.ts';
import { parseGoDuration } from './nomad/duration.ts';
import { MAX_JOB_JSON_BYTES } from './nomad/validate.ts';
import {
  type OptionText,
  parseTranslatorOptions,
  type TranslatorOptionKey,
  type TranslatorOptions,
  type TranslatorOptionTexts,
  translatorOptionKeys,
  translatorOptionNames,
  translatorOptionsUsage,
  translatorOptionTextsFromEnv,
} from './translate/options.ts';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface ListenAddress {
  host: string;
  port: number;
}

export interface LeaderElectionConfig {
  enabled: boolean;
  namespace: string;
  /** Name of the Lease. */
  id: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Bounds of the Nomad API: job size and shape, request timeouts, held blocking queries. */
export interface ApiLimits {
  /** Nomad's job_max_count: most total Count over a job's task groups; 0 = no bound. */
  jobMaxCount: number;
  /** Most task groups in one job; 0 = no bound. */
  jobMaxTaskGroups: number;
  /** Largest canonical job, in bytes of JSON. */
  jobMaxBytes: number;
  /** Most blocking queries held at once; further ones are answered at once. */
  maxBlockingQueries: number;
  /** Most time to receive a whole request, headers and body (then 408); 0 = no bound. */
  requestTimeoutMs: number;
  /** Most time to receive a request's line and headers (then 408). */
  headersTimeoutMs: number;
}

export interface OperatorConfig {
  /** Path of a kubeconfig file; undefined: in-cluster service account, else ~/.kube/config. */
  kubeconfig: string | undefined;
  /** Nomad /v1 API. */
  listen: ListenAddress;
  /** /metrics, /healthz, /readyz. */
  metricsListen: ListenAddress;
  /** Serve the Nomad API. */
  api: boolean;
  /** Run the reconcile loop. */
  controller: boolean;
  leaderElection: LeaderElectionConfig;
  /** Kubernetes namespace of Nomad's `default` namespace. */
  defaultNamespace: string;
  /**
   * Serve Nomad API requests that carry no token (with every right: development only). Default: on
   * only when --listen is a loopback address. Requests with a token are always checked.
   */
  allowAnonymous: boolean;
  /** Concurrent reconciles. */
  workers: number;
  /** Every NomadJob is reconciled at least this often. */
  resyncMs: number;
  /** Job versions kept (ControllerRevisions per NomadJob). */
  historyLimit: number;
  /** An informer that saw nothing for this long relists. */
  informerStaleAfterMs: number;
  /**
   * Bound on a graceful shutdown (SIGTERM): held blocking queries are answered at once, in-flight
   * reconciles get until then, the Lease is released, connections still open then are closed.
   */
  shutdownTimeoutMs: number;
  /** Client-side limit on apiserver writes: tokens per second of the one write limiter (src/kube/rate-limit.ts). */
  kubeApiQps: number;
  /** Burst of that limit (the bucket's size). */
  kubeApiBurst: number;
  /** Bounds of the Nomad API (enforced by src/api/limits.ts; docs/api.md, "Limits"). */
  apiLimits: ApiLimits;
  logLevel: LogLevel;
  /** Options of every translation the reconciler makes. */
  translator: TranslatorOptions;
}

export type ConfigResult = { ok: true; config: OperatorConfig } | { ok: false; errors: string[] };

type Kind = 'string' | 'boolean';

interface OptionSpec {
  flag: string;
  env: string[];
  kind: Kind;
  default: string | undefined;
  description: string;
}

const options = {
  kubeconfig: {
    flag: 'kubeconfig',
    env: ['KUBECONFIG'],
    kind: 'string',
    default: undefined,
    description: 'kubeconfig file (default: in-cluster service account, else ~/.kube/config)',
  },
  listen: {
    flag: 'listen',
    env: ['NOMAD_OPERATOR_LISTEN'],
    kind: 'string',
    default: '127.0.0.1:4646',
    description: 'address of the Nomad /v1 HTTP API',
  },
  metricsListen: {
    flag: 'metrics-listen',
    env: ['NOMAD_OPERATOR_METRICS_LISTEN'],
    kind: 'string',
    default: '127.0.0.1:9464',
    description: 'address of /metrics, /healthz and /readyz',
  },
  api: {
    flag: 'api',
    env: ['NOMAD_OPERATOR_API'],
    kind: 'boolean',
    default: 'true',
    description: 'serve the Nomad API (--no-api: do not)',
  },
  controller: {
    flag: 'controller',
    env: ['NOMAD_OPERATOR_CONTROLLER'],
    kind: 'boolean',
    default: 'true',
    description: 'run the reconcile loop (--no-controller: do not)',
  },
  leaderElect: {
    flag: 'leader-elect',
    env: ['NOMAD_OPERATOR_LEADER_ELECT'],
    kind: 'boolean',
    default: 'true',
    description: 'reconcile only while holding the leader Lease (--no-leader-elect: always)',
  },
  leaderElectionNamespace: {
    flag: 'leader-election-namespace',
    env: ['NOMAD_OPERATOR_LEADER_ELECTION_NAMESPACE', 'POD_NAMESPACE'],
    kind: 'string',
    default: 'default',
    description: 'namespace of the leader Lease',
  },
  leaderElectionId: {
    flag: 'leader-election-id',
    env: ['NOMAD_OPERATOR_LEADER_ELECTION_ID'],
    kind: 'string',
    default: 'nomad-operator-leader',
    description: 'name of the leader Lease',
  },
  leaseDuration: {
    flag: 'leader-election-lease-duration',
    env: ['NOMAD_OPERATOR_LEADER_ELECTION_LEASE_DURATION'],
    kind: 'string',
    default: '15s',
    description: 'how long candidates wait for an unrenewed lease',
  },
  renewDeadline: {
    flag: 'leader-election-renew-deadline',
    env: ['NOMAD_OPERATOR_LEADER_ELECTION_RENEW_DEADLINE'],
    kind: 'string',
    default: '10s',
    description: 'how long the leader keeps leading without renewing',
  },
  retryPeriod: {
    flag: 'leader-election-retry-period',
    env: ['NOMAD_OPERATOR_LEADER_ELECTION_RETRY_PERIOD'],
    kind: 'string',
    default: '2s',
    description: 'interval between acquire or renew attempts',
  },
  defaultNamespace: {
    flag: 'default-namespace',
    env: ['NOMAD_OPERATOR_DEFAULT_NAMESPACE'],
    kind: 'string',
    default: 'default',
    description: "Kubernetes namespace of Nomad's default namespace",
  },
  allowAnonymous: {
    flag: 'allow-anonymous',
    env: ['NOMAD_OPERATOR_ALLOW_ANONYMOUS'],
    kind: 'boolean',
    default: undefined,
    description:
      'serve API requests without a token, with full rights (default: only when --listen is loopback)',
  },
  workers: {
    flag: 'workers',
    env: ['NOMAD_OPERATOR_WORKERS'],
    kind: 'string',
    default: '4',
    description: 'concurrent reconciles',
  },
  resync: {
    flag: 'resync',
    env: ['NOMAD_OPERATOR_RESYNC'],
    kind: 'string',
    default: '10m',
    description: 'reconcile every job at least this often (Go duration)',
  },
  historyLimit: {
    flag: 'history-limit',
    env: ['NOMAD_OPERATOR_HISTORY_LIMIT'],
    kind: 'string',
    default: '6',
    description: 'job versions kept per job',
  },
  informerStaleAfter: {
    flag: 'informer-stale-after',
    env: ['NOMAD_OPERATOR_INFORMER_STALE_AFTER'],
    kind: 'string',
    default: '10m',
    description: 'relist a watch that saw nothing for this long (Go duration)',
  },
  kubeApiQps: {
    flag: 'kube-api-qps',
    env: ['NOMAD_OPERATOR_KUBE_API_QPS'],
    kind: 'string',
    default: String(DEFAULT_WRITE_QPS),
    description: 'apiserver writes per second, sustained (client-side limit; 0: none)',
  },
  kubeApiBurst: {
    flag: 'kube-api-burst',
    env: ['NOMAD_OPERATOR_KUBE_API_BURST'],
    kind: 'string',
    default: String(DEFAULT_WRITE_BURST),
    description: 'apiserver writes allowed in a burst above --kube-api-qps',
  },
  jobMaxCount: {
    flag: 'job-max-count',
    env: ['NOMAD_OPERATOR_JOB_MAX_COUNT'],
    kind: 'string',
    default: '50000',
    description: "most total count over a job's task groups (Nomad's job_max_count; 0: none)",
  },
  jobMaxTaskGroups: {
    flag: 'job-max-task-groups',
    env: ['NOMAD_OPERATOR_JOB_MAX_TASK_GROUPS'],
    kind: 'string',
    default: '100',
    description: 'most task groups in one job (0: none)',
  },
  jobMaxSize: {
    flag: 'job-max-size',
    env: ['NOMAD_OPERATOR_JOB_MAX_SIZE'],
    kind: 'string',
    default: '1MiB',
    description: 'largest job, as canonical JSON (bytes, or with KB, KiB, MB, MiB; at most 4MiB)',
  },
  apiMaxBlockingQueries: {
    flag: 'api-max-blocking-queries',
    env: ['NOMAD_OPERATOR_API_MAX_BLOCKING_QUERIES'],
    kind: 'string',
    default: '500',
    description: 'most blocking queries held at once; further ones are answered at once',
  },
  apiRequestTimeout: {
    flag: 'api-request-timeout',
    env: ['NOMAD_OPERATOR_API_REQUEST_TIMEOUT'],
    kind: 'string',
    default: '60s',
    description: 'time a client has to send a whole request, body included, before 408 (Go duration)',
  },
  apiHeadersTimeout: {
    flag: 'api-headers-timeout',
    env: ['NOMAD_OPERATOR_API_HEADERS_TIMEOUT'],
    kind: 'string',
    default: '10s',
    description: 'time a client has to send the request line and headers before 408 (Go duration)',
  },
  shutdownTimeout: {
    flag: 'shutdown-timeout',
    env: ['NOMAD_OPERATOR_SHUTDOWN_TIMEOUT'],
    kind: 'string',
    default: '5s',
    description:
      'bound on a graceful shutdown: in-flight work, Lease release and open connections (Go duration; keep it under the pod grace period)',
  },
  logLevel: {
    flag: 'log-level',
    env: ['NOMAD_OPERATOR_LOG_LEVEL'],
    kind: 'string',
    default: 'info',
    description: `log level: ${logLevels.join(', ')}`,
  },
} satisfies Record<string, OptionSpec>;

type Key = keyof typeof options;
const keys = Object.keys(options) as Key[];
const byFlag = new Map<string, Key>(keys.map((key) => [options[key].flag, key]));
const translatorByFlag = new Map<string, TranslatorOptionKey>(
  translatorOptionKeys.map((key) => [translatorOptionNames[key].flag, key]),
);

// --- value schemas: strings in, typed values out --------------------------------------------

const booleanText = z.string().transform((text, ctx) => {
  const value = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  ctx.addIssue({ code: 'custom', message: `expected true or false, got ${JSON.stringify(text)}` });
  return z.NEVER;
});

function integer(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const value = /^\s*\d+\s*$/u.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return value;
  });
}

function duration(minMs: number) {
  return z.string().transform((text, ctx) => {
    const parsed = parseGoDuration(text.trim());
    if (!parsed.ok) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration such as 30s, 10m or 1h30m, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    const ms = parsed.ns / 1e6;
    if (ms < minMs) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at least ${minMs / 1000}s, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return Math.ceil(ms);
  });
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1000 ** 2, mib: 1024 ** 2 };

/** A size in bytes: `1048576`, `1MiB`, `512KiB`, `2MB`. */
function byteSize(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const match = /^\s*(\d+)\s*([A-Za-z]*)\s*$/u.exec(text);
    const unit = BYTE_UNITS[(match?.[2] || 'b').toLowerCase()];
    const value = match && unit ? Number(match[1]) * unit : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a size from ${min} to ${max} bytes (such as 1048576, 512KiB or 1MiB), got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return value;
  });
}

const listenAddress = z.string().transform((text, ctx): ListenAddress => {
  const match = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^\s:[\]]*)):(\d{1,5})$/u.exec(text.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    ctx.addIssue({
      code: 'custom',
      message: `expected host:port (such as 127.0.0.1:4646, :4646 or [::1]:4646), got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }
  // ':4646' listens on every interface, as in Go.
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
});

const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/u,
    'expected a Kubernetes namespace name (lowercase DNS label)',
  );

const dnsSubdomain = z
  .string()
  .max(253, 'expected at most 253 characters')
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/u,
    'expected a Kubernetes object name (lowercase DNS subdomain)',
  );

const optionalPath = z.string().transform((text) => (text === '' ? undefined : text));

const rawSchema = z.object({
  kubeconfig: optionalPath.optional(),
  listen: listenAddress,
  metricsListen: listenAddress,
  api: booleanText,
  controller: booleanText,
  leaderElect: booleanText,
  leaderElectionNamespace: dnsLabel,
  leaderElectionId: dnsSubdomain,
  leaseDuration: duration(1),
  renewDeadline: duration(1),
  retryPeriod: duration(1),
  defaultNamespace: dnsLabel,
  allowAnonymous: booleanText.optional(),
  workers: integer(1, 1000),
  resync: duration(1000),
  historyLimit: integer(1, 1000),
  informerStaleAfter: duration(1000),
  shutdownTimeout: duration(100),
  kubeApiQps: z.string().transform((text, ctx) => {
    const value = /^\s*\d+(\.\d+)?\s*$/u.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(value) || value > 100_000) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a number of writes per second from 0 (no limit) to 100000, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return value;
  }),
  kubeApiBurst: integer(1, 100_000),
  jobMaxCount: integer(0, 2_147_483_647),
  jobMaxTaskGroups: integer(0, 100_000),
  jobMaxSize: byteSize(1024, MAX_JOB_JSON_BYTES),
  apiMaxBlockingQueries: integer(1, 1_000_000),
  apiRequestTimeout: duration(1000),
  apiHeadersTimeout: duration(1000),
  logLevel: z.string().transform((text, ctx) => {
    const level = text.trim().toLowerCase();
    if ((logLevels as readonly string[]).includes(level)) return level as LogLevel;
    ctx.addIssue({
      code: 'custom',
      message: `expected one of ${logLevels.join(', ')}, got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }),
} satisfies Record<Key, z.ZodType>);

// --- sources ---------------------------------------------------------------------------------

interface Sourced {
  value: string;
  /** What to name in an error: `--workers` or `NOMAD_OPERATOR_WORKERS`. */
  source: string;
}

function parseArgv(
  argv: readonly string[],
  values: Partial<Record<Key, Sourced>>,
  translator: TranslatorOptionTexts,
  errors: string[],
): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--') || arg === '--') {
      errors.push(`unexpected argument ${JSON.stringify(arg)} (options start with --)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const translatorKey = translatorByFlag.get(name);
    if (translatorKey !== undefined) {
      const value = inline ?? argv[i + 1];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        errors.push(`--${name} needs a value`);
        continue;
      }
      if (inline === undefined) i++;
      const occurrence: OptionText = { text: value, source: `--${name}` };
      translator[translatorKey] = [...(translator[translatorKey] ?? []), occurrence];
      continue;
    }
    const key = byFlag.get(name);
    if (key === undefined && name.startsWith('no-')) {
      const positive = byFlag.get(name.slice(3));
      if (positive !== undefined && options[positive].kind === 'boolean') {
        if (inline !== undefined) {
          errors.push(`--${name} takes no value (use --${name.slice(3)}=${inline})`);
          continue;
        }
        values[positive] = { value: 'false', source: `--${name}` };
        continue;
      }
    }
    if (key === undefined) {
      errors.push(`unknown flag --${name}`);
      continue;
    }
    const spec: OptionSpec = options[key];
    let value = inline;
    if (value === undefined) {
      if (spec.kind === 'boolean') {
        value = 'true';
      } else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) {
          errors.push(`--${name} needs a value`);
          continue;
        }
        value = next;
        i++;
      }
    }
    values[key] = { value, source: `--${name}` };
  }
}

/**
 * Reads the configuration from `argv` (flags only: no node binary, script or subcommand) and
 * `env`. Errors name the flag or variable they come from.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  const errors: string[] = [];
  const values: Partial<Record<Key, Sourced>> = {};
  for (const key of keys) {
    const spec: OptionSpec = options[key];
    for (const variable of spec.env) {
      const value = env[variable];
      if (value !== undefined && value !== '') {
        values[key] = { value, source: variable };
        break;
      }
    }
  }
  const translatorFlags: TranslatorOptionTexts = {};
  parseArgv(argv, values, translatorFlags, errors);
  // Per option, flags replace the environment variable.
  const translator = parseTranslatorOptions({ ...translatorOptionTextsFromEnv(env), ...translatorFlags });
  if (!translator.ok) errors.push(...translator.errors);

  const raw: Partial<Record<Key, string>> = {};
  for (const key of keys) {
    const value = values[key]?.value ?? options[key].default;
    if (value !== undefined) raw[key] = value;
  }
  const sourceOf = (key: Key) => values[key]?.source ?? `--${options[key].flag} (default)`;

  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0] as Key | undefined;
      errors.push(key ? `${sourceOf(key)}: ${issue.message}` : issue.message);
    }
  }
  if (errors.length > 0 || !parsed.success || !translator.ok) return { ok: false, errors };

  const v = parsed.data;
  const timings = {
    leaseDurationMs: v.leaseDuration,
    renewDeadlineMs: v.renewDeadline,
    retryPeriodMs: v.retryPeriod,
  };
  const invalidTimings = validateLeaderTimings(timings);
  if (invalidTimings) {
    errors.push(
      `${sourceOf('leaseDuration')}, ${sourceOf('renewDeadline')}, ${sourceOf('retryPeriod')}: ${invalidTimings}`,
    );
  }
  if (v.apiHeadersTimeout > v.apiRequestTimeout) {
    errors.push(`${sourceOf('apiHeadersTimeout')}: must not be longer than ${sourceOf('apiRequestTimeout')}`);
  }
  if (!v.api && !v.controller) errors.push('--no-api and --no-controller together leave nothing to run');
  if (v.api && sameAddress(v.listen, v.metricsListen)) {
    errors.push(`${sourceOf('listen')} and ${sourceOf('metricsListen')} must differ`);
  }
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    config: {
      kubeconfig: v.kubeconfig,
      listen: v.listen,
      metricsListen: v.metricsListen,
      api: v.api,
      controller: v.controller,
      leaderElection: {
        enabled: v.leaderElect,
        namespace: v.leaderElectionNamespace,
        id: v.leaderElectionId,
        ...timings,
      },
      defaultNamespace: v.defaultNamespace,
      allowAnonymous: v.allowAnonymous ?? isLoopbackHost(v.listen.host),
      workers: v.workers,
      resyncMs: v.resync,
      historyLimit: v.historyLimit,
      informerStaleAfterMs: v.informerStaleAfter,
      shutdownTimeoutMs: v.shutdownTimeout,
      kubeApiQps: v.kubeApiQps,
      kubeApiBurst: v.kubeApiBurst,
      apiLimits: {
        jobMaxCount: v.jobMaxCount,
        jobMaxTaskGroups: v.jobMaxTaskGroups,
        jobMaxBytes: v.jobMaxSize,
        maxBlockingQueries: v.apiMaxBlockingQueries,
        requestTimeoutMs: v.apiRequestTimeout,
        headersTimeoutMs: v.apiHeadersTimeout,
      },
      logLevel: v.logLevel,
      translator: translator.options,
    },
  };
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./u.test(host);
}

function sameAddress(a: ListenAddress, b: ListenAddress): boolean {
  return a.port !== 0 && a.port === b.port && a.host === b.host;
}

/** Help text: one line per flag, with its environment variable and default. */
export function configUsage(): string {
  const lines = keys.map((key) => {
    const spec: OptionSpec = options[key];
    const flag = spec.kind === 'boolean' ? `--[no-]${spec.flag}` : `--${spec.flag} <value>`;
    const tail = [
      `env ${spec.env.join(' or ')}`,
      spec.default !== undefined ? `default ${spec.default}` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
    return `  ${flag.padEnd(44)} ${spec.description} (${tail})`;
  });
  return [
    ...lines,
    '',
    'Translator options (the same as `nomad-operator convert`; docs/translation.md):',
    ...translatorOptionsUsage({ width: 44, withEnv: true }),
  ].join('\n');
}
