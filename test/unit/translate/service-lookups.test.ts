// Service lookups in templates rewritten to the Service's DNS name and port (service-lookups.ts).
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import {
  catalogResolver,
  rewriteServiceLookups,
  type ServiceResolver,
} from '../../../src/translate/service-lookups.ts';
import { groupContext, job } from './group-context.ts';

/** Knows "db" (port 5432) and "cache" (no single port); everything else is another job's. */
const resolve: ServiceResolver = (name, tag) => {
  if (name === 'db' && (tag === undefined || tag === 'primary')) {
    return { host: 'db.apps.svc', name: 'db', port: 5432 };
  }
  if (name === 'db') return { reason: `tag ${tag}` };
  if (name === 'cache') return { host: 'cache.apps.svc', name: 'cache' };
  return { reason: `${JSON.stringify(name)} is not a service of this job` };
};

const rewrite = (text: string, left?: string, right?: string) =>
  rewriteServiceLookups(text, resolve, left, right);

describe('rewriteServiceLookups', () => {
  it('rewrites Consul and Nomad lookups of a known service to its DNS name and port', () => {
    expect(rewrite('db={{ range service "db" }}{{ .Address }}:{{ .Port }}{{ end }}\n')).toEqual({
      text: 'db=db.apps.svc:5432\n',
      rewritten: ['db'],
      unresolved: [],
    });
    expect(rewrite('{{range nomadService "db"}}server {{.Address}}:{{.Port}};{{end}}').text).toBe(
      'server db.apps.svc:5432;',
    );
    expect(rewrite('{{ range service "db" }}{{ .Name }}/{{ .ServiceName }}{{ end }}').text).toBe('db/db');
  });

  it('runs the body once, keeping the text around it (an nginx upstream block)', () => {
    const text = [
      'upstream backend {',
      '{{ range service "db" }}  server {{ .Address }}:{{ .Port }};',
      '{{ end }}}',
      '',
    ].join('\n');
    expect(rewrite(text).text).toBe('upstream backend {\n  server db.apps.svc:5432;\n}\n');
  });

  it('honours trim markers on the range, the fields and the end', () => {
    const text = 'a =\n  {{- range service "db" -}}\n  {{ .Address -}}\n  :{{- .Port }}\n  {{- end }}\n!';
    expect(rewrite(text).text).toBe('a =db.apps.svc:5432\n!');
  });

  it('supports a range variable, tag filters and the template’s own delimiters', () => {
    expect(rewrite('{{ range $s := service "db" }}{{ $s.Address }}{{ end }}').text).toBe('db.apps.svc');
    expect(rewrite('{{ range service "primary.db" }}{{ .Address }}{{ end }}').text).toBe('db.apps.svc');
    expect(rewrite('[[ range service "db" ]][[ .Port ]][[ end ]] {{ keep }}', '[[', ']]').text).toBe(
      '5432 {{ keep }}',
    );
  });

  it('rewrites several lookups and leaves the rest of the template alone', () => {
    const text =
      '{{ key "cfg" }}\n{{ range service "db" }}{{ .Address }}{{ end }}\n{{ range service "db" }}{{ .Port }}{{ end }}';
    expect(rewrite(text)).toEqual({
      text: '{{ key "cfg" }}\ndb.apps.svc\n5432',
      rewritten: ['db', 'db'],
      unresolved: [],
    });
  });

  it('leaves unknown services, unknown tags and missing ports as written, saying why', () => {
    const other = '{{ range service "billing" }}{{ .Address }}{{ end }}';
    expect(rewrite(other)).toEqual({
      text: other,
      rewritten: [],
      unresolved: [{ name: 'billing', reason: '"billing" is not a service of this job' }],
    });
    const tagged = '{{ range service "replica.db" }}{{ .Address }}{{ end }}';
    expect(rewrite(tagged)).toEqual({
      text: tagged,
      rewritten: [],
      unresolved: [{ name: 'db', reason: 'tag replica' }],
    });
    const port = '{{ range service "cache" }}{{ .Address }}:{{ .Port }}{{ end }}';
    expect(rewrite(port).text).toBe(port);
    expect(rewrite(port).unresolved[0]?.reason).toBe('the Service of "cache" has no single port');
    // Without .Port, a Service of several ports still has one address.
    expect(rewrite('{{ range service "cache" }}{{ .Address }}{{ end }}').text).toBe('cache.apps.svc');
  });

  it('does not touch what it does not recognise', () => {
    for (const text of [
      'plain text',
      '{{ range service "db" }}{{ .Address }} {{ .Tags }}{{ end }}',
      '{{ range service "db" }}{{ if .Address }}x{{ end }}{{ end }}',
      '{{ range service "db@dc2" }}{{ .Address }}{{ end }}',
      '{{ range nomadService 2 "key" "db" }}{{ .Address }}{{ end }}',
      '{{ range services }}{{ .Name }}{{ end }}',
      '{{ with service "db" }}{{ (index . 0).Address }}{{ end }}',
      '{{ range service "db" }}{{ .Address }}',
    ]) {
      expect(rewrite(text), text).toEqual({ text, rewritten: [], unresolved: [] });
    }
  });
});

describe('template lookups in a translated job', () => {
  const stack = job({
    ID: 'shop',
    Type: 'service',
    TaskGroups: [
      {
        Name: 'db',
        Networks: [{ DynamicPorts: [{ Label: 'pg', To: 5432 }] }],
        Services: [{ Name: 'shop-db', PortLabel: 'pg', Provider: 'nomad', Tags: ['primary'] }],
        Tasks: [{ Name: 'postgres', Driver: 'docker', Config: { image: 'postgres' } }],
      },
      {
        Name: 'app',
        Tasks: [
          {
            Name: 'app',
            Driver: 'docker',
            Config: { image: 'app' },
            Templates: [
              {
                DestPath: 'local/db.env',
                EmbeddedTmpl:
                  '{{ range nomadService "shop-db" }}DB={{ .Address }}:{{ .Port }}{{ end }}\n{{ range service "ledger" }}L={{ .Address }}{{ end }}\n',
              },
            ],
          },
        ],
      },
    ],
  } as Job);

  it('resolves against the job’s Services', () => {
    const resolver = catalogResolver(groupContext(stack, 1));
    expect(resolver('shop-db', undefined)).toEqual({ host: 'shop-db.apps.svc', name: 'shop-db', port: 5432 });
    expect(resolver('shop-db', 'primary')).toMatchObject({ port: 5432 });
    expect(resolver('shop-db', 'replica')).toHaveProperty('reason');
    expect(resolver('ledger', undefined)).toHaveProperty('reason');
  });

  it('mounts the rewritten text; the lookup it cannot resolve stays and is reported', () => {
    const { objects, warnings } = translate(stack, { namespace: 'apps' });
    const configMap = objects.find((o) => o.kind === 'ConfigMap') as { data?: Record<string, string> };
    expect(Object.values(configMap.data ?? {})).toEqual([
      'DB=shop-db.apps.svc:5432\n{{ range service "ledger" }}L={{ .Address }}{{ end }}\n',
    ]);
    const path = 'TaskGroups[1].Tasks[0].Templates[0].EmbeddedTmpl';
    expect(warnings.filter((w) => w.path === path).map((w) => w.message)).toEqual([
      "template 0 holds template actions (Consul: service) that need Nomad's template engine; it is written to /local/db.env as raw, unrendered text",
      'the lookup of service "ledger" is left as written: "ledger" is not a service of this job (registered by another job, its Service is ledger.apps.svc; write that name and its port)',
    ]);
  });
});

describe('a group looking up its own service', () => {
  const peers = (count: number) =>
    job({
      ID: 'ledger',
      Type: 'service',
      TaskGroups: [
        {
          Name: 'api',
          Count: count,
          Networks: [{ DynamicPorts: [{ Label: 'http', To: 3000 }] }],
          Services: [{ Name: 'ledger-api', PortLabel: 'http', Provider: 'nomad' }],
          Tasks: [
            {
              Name: 'api',
              Driver: 'docker',
              Config: { image: 'ledger' },
              Templates: [
                {
                  DestPath: 'local/peers.env',
                  Envvars: true,
                  EmbeddedTmpl:
                    'PEERS={{ range nomadService "ledger-api" }}{{ .Address }}:{{ .Port }},{{ end }}\n',
                },
              ],
            },
          ],
        },
      ],
    } as Job);
  const path = 'TaskGroups[0].Tasks[0].Templates[0].EmbeddedTmpl';

  it('with count > 1 is told its list of peers has one entry, the Service', () => {
    const { objects, warnings } = translate(peers(3), { namespace: 'apps' });
    const configMap = objects.find((o) => o.kind === 'ConfigMap') as { data?: Record<string, string> };
    expect(Object.values(configMap.data ?? {})).toContain('PEERS=ledger-api.apps.svc:3000,\n');
    const messages = warnings.filter((w) => w.path === path).map((w) => w.message);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /^the lookup of service "ledger-api", which this group registers with count 3, /,
    );
  });

  it('with count 1 is not: its one instance is the Service’s', () => {
    expect(translate(peers(1), { namespace: 'apps' }).warnings.filter((w) => w.path === path)).toEqual([]);
  });
});

describe('range … else', () => {
  it('drops a text-only else branch (the Service is there), keeps the lookup otherwise', () => {
    const text = [
      'upstream app {',
      '{{ range service "db" }}',
      '  server {{ .Address }}:{{ .Port }};',
      '{{ else }}',
      '  server 127.0.0.1:65535; # force a 502',
      '{{ end }}',
      '}',
    ].join('\n');
    expect(rewrite(text).text).toBe('upstream app {\n\n  server db.apps.svc:5432;\n\n}');
    const withAction = '{{ range service "db" }}{{ .Address }}{{ else }}{{ env "X" }}{{ end }}';
    expect(rewrite(withAction).text).toBe(withAction);
  });
});
