// Where `nomad-operator import` reads jobs from: the Nomad HTTP API address, token, namespace, region
// and TLS files, taken as the Nomad CLI takes them (NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE,
// NOMAD_REGION, NOMAD_CACERT, NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY, NOMAD_SKIP_VERIFY, and the flags
// -address, -token, -namespace (here --nomad-namespace: --namespace is the Kubernetes one), -region,
// -ca-cert, -client-cert, -client-key, -tls-skip-verify). A flag wins over its variable; an empty
// variable counts as unset, as in the Nomad CLI. Pure: the caller passes the flags and the environment.

/** Nomad's default agent address. */
export const DEFAULT_NOMAD_ADDRESS = 'http://127.0.0.1:4646';

/** Nomad's wildcard namespace: every namespace the token may read. */
export const ALL_NAMESPACES = '*';

export interface NomadConnection {
  /** Base URL without a trailing slash, e.g. `https://nomad.example:4646`. */
  address: string;
  token?: string;
  /** Nomad namespace to list, `*` for all; default `default`. */
  namespace: string;
  region?: string;
  tls: {
    /** Path of a PEM file with the CA certificates that sign the server's certificate. */
    caCert?: string;
    clientCert?: string;
    clientKey?: string;
    /** Accept any server certificate (NOMAD_SKIP_VERIFY / --tls-skip-verify). */
    skipVerify: boolean;
  };
}

/** The connection flags as parsed from the command line (undefined when not given). */
export interface ConnectionFlags {
  address?: string;
  token?: string;
  nomadNamespace?: string;
  region?: string;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  tlsSkipVerify?: boolean;
}

export type ConnectionResult = { ok: true; connection: NomadConnection } | { ok: false; errors: string[] };

function pick(flag: string | undefined, env: string | undefined): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  return env !== undefined && env !== '' ? env : undefined;
}

/** Go's strconv.ParseBool, which the Nomad CLI uses for NOMAD_SKIP_VERIFY. */
function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/**
 * The connection from flags over environment. An address without a scheme gets `http://` (as the
 * Nomad CLI's client does), unless a CA certificate or client certificate asks for TLS, then `https://`.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
): ConnectionResult {
  const errors: string[] = [];
  const caCert = pick(flags.caCert, env.NOMAD_CACERT);
  const clientCert = pick(flags.clientCert, env.NOMAD_CLIENT_CERT);
  const clientKey = pick(flags.clientKey, env.NOMAD_CLIENT_KEY);
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    errors.push('a client certificate needs its key: set both --client-cert and --client-key (or neither)');
  }
  let skipVerify = flags.tlsSkipVerify ?? false;
  if (
    flags.tlsSkipVerify === undefined &&
    env.NOMAD_SKIP_VERIFY !== undefined &&
    env.NOMAD_SKIP_VERIFY !== ''
  ) {
    const parsed = parseGoBool(env.NOMAD_SKIP_VERIFY);
    if (parsed === undefined)
      errors.push(`NOMAD_SKIP_VERIFY: invalid boolean ${JSON.stringify(env.NOMAD_SKIP_VERIFY)}`);
    else skipVerify = parsed;
  }
  let address = pick(flags.address, env.NOMAD_ADDR) ?? DEFAULT_NOMAD_ADDRESS;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
    address = `${caCert !== undefined || clientCert !== undefined ? 'https' : 'http'}://${address}`;
  }
  let url: URL | undefined;
  try {
    url = new URL(address);
  } catch {
    errors.push(`invalid Nomad address ${JSON.stringify(address)}`);
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:') {
    errors.push(`Nomad address ${JSON.stringify(address)}: only http and https are supported`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const token = pick(flags.token, env.NOMAD_TOKEN);
  const region = pick(flags.region, env.NOMAD_REGION);
  return {
    ok: true,
    connection: {
      address: address.replace(/\/+$/, ''),
      ...(token !== undefined ? { token } : {}),
      namespace: pick(flags.nomadNamespace, env.NOMAD_NAMESPACE) ?? 'default',
      ...(region !== undefined ? { region } : {}),
      tls: {
        ...(caCert !== undefined ? { caCert } : {}),
        ...(clientCert !== undefined ? { clientCert } : {}),
        ...(clientKey !== undefined ? { clientKey } : {}),
        skipVerify,
      },
    },
  };
}
