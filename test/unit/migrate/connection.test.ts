// Where `import` reads from: the Nomad CLI's variables, the flags over them, and the address forms.
import { describe, expect, it } from 'vitest';
import { resolveConnection } from '../../../src/migrate/connection.ts';

describe('resolveConnection', () => {
  it('defaults to the local agent, namespace default, verifying certificates', () => {
    expect(resolveConnection({}, {})).toEqual({
      ok: true,
      connection: { address: 'http://127.0.0.1:4646', namespace: 'default', tls: { skipVerify: false } },
    });
  });

  it('takes the Nomad CLI variables, * for every namespace', () => {
    const result = resolveConnection(
      {},
      {
        NOMAD_ADDR: 'https://nomad.example:4646/',
        NOMAD_TOKEN: 'secret',
        NOMAD_NAMESPACE: '*',
        NOMAD_REGION: 'eu',
        NOMAD_CACERT: '/ca.pem',
        NOMAD_CLIENT_CERT: '/c.pem',
        NOMAD_CLIENT_KEY: '/c.key',
        NOMAD_SKIP_VERIFY: 'true',
      },
    );
    expect(result).toEqual({
      ok: true,
      connection: {
        address: 'https://nomad.example:4646',
        token: 'secret',
        namespace: '*',
        region: 'eu',
        tls: { caCert: '/ca.pem', clientCert: '/c.pem', clientKey: '/c.key', skipVerify: true },
      },
    });
  });

  it('a flag wins over its variable; an empty variable counts as unset', () => {
    const result = resolveConnection(
      {
        address: 'http://flag:4646',
        token: 'flag-token',
        nomadNamespace: 'prod',
        region: 'us',
        caCert: '/flag-ca.pem',
        tlsSkipVerify: false,
      },
      {
        NOMAD_ADDR: 'http://env:4646',
        NOMAD_TOKEN: 'env-token',
        NOMAD_NAMESPACE: '',
        NOMAD_REGION: 'eu',
        NOMAD_CACERT: '/env-ca.pem',
        NOMAD_SKIP_VERIFY: '1',
      },
    );
    expect(result).toEqual({
      ok: true,
      connection: {
        address: 'http://flag:4646',
        token: 'flag-token',
        namespace: 'prod',
        region: 'us',
        tls: { caCert: '/flag-ca.pem', skipVerify: false },
      },
    });
    expect(resolveConnection({}, { NOMAD_NAMESPACE: '', NOMAD_TOKEN: '' })).toMatchObject({
      connection: { namespace: 'default' },
    });
  });

  it('an address without a scheme is http, or https when TLS files are given', () => {
    expect(resolveConnection({ address: 'nomad:4646' }, {})).toMatchObject({
      connection: { address: 'http://nomad:4646' },
    });
    expect(resolveConnection({ address: 'nomad:4646', caCert: '/ca.pem' }, {})).toMatchObject({
      connection: { address: 'https://nomad:4646' },
    });
  });

  it('reports every problem: half a client certificate, a bad boolean, a scheme other than http(s)', () => {
    expect(
      resolveConnection(
        { address: 'ftp://nomad' },
        { NOMAD_CLIENT_CERT: '/c.pem', NOMAD_SKIP_VERIFY: 'yes' },
      ),
    ).toEqual({
      ok: false,
      errors: [
        'a client certificate needs its key: set both --client-cert and --client-key (or neither)',
        'NOMAD_SKIP_VERIFY: invalid boolean "yes"',
        'Nomad address "ftp://nomad": only http and https are supported',
      ],
    });
  });
});
