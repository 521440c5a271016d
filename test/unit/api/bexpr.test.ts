import { describe, expect, it } from 'vitest';
import {
  compileFilter,
  FilterEvalError,
  FilterSyntaxError,
  parseFilter,
} from '../../../src/api/filter/bexpr.ts';
import { JobSchema } from '../../../src/nomad/schema.ts';

const job = {
  ID: 'web',
  Name: 'web',
  Type: 'service',
  Priority: 50,
  Stop: false,
  Datacenters: ['dc1', 'dc2'],
  Meta: { team: 'core', 'a.b': 'dotted' },
  Periodic: null,
  TaskGroups: [
    { Name: 'api', Count: 3, Tasks: [{ Name: 'server', Driver: 'docker' }] },
    { Name: 'worker', Count: 1, Tasks: [{ Name: 'w', Driver: 'exec' }] },
  ],
};

const matches = (expression: string, datum: unknown = job) =>
  compileFilter(expression, JobSchema).matches(datum);

describe('go-bexpr filters', () => {
  it('compares fields with the literal coerced to the field kind', () => {
    expect(matches('ID == "web"')).toBe(true);
    expect(matches('ID == web')).toBe(true);
    expect(matches('ID != `web`')).toBe(false);
    expect(matches('Priority == 50')).toBe(true);
    expect(matches('Priority == "0x32"')).toBe(true);
    expect(matches('Stop == false')).toBe(true);
    expect(matches('Stop == False')).toBe(true);
    expect(() => matches('Priority == "high"')).toThrow(FilterEvalError);
  });

  it('supports in / contains on lists, maps and strings', () => {
    expect(matches('"dc1" in Datacenters')).toBe(true);
    expect(matches('Datacenters contains "dc3"')).toBe(false);
    expect(matches('"dc3" not in Datacenters')).toBe(true);
    expect(matches('team in Meta')).toBe(true);
    expect(matches('Meta contains "nope"')).toBe(false);
    expect(matches('"we" in ID')).toBe(true);
  });

  it('reads map keys, quoted keys, list indexes and JSON pointers', () => {
    expect(matches('Meta.team == "core"')).toBe(true);
    expect(matches('Meta["a.b"] == dotted')).toBe(true);
    expect(matches('TaskGroups.0.Name == api')).toBe(true);
    expect(matches('"/Meta/team" == "core"')).toBe(true);
  });

  it('treats a missing map key as not present', () => {
    expect(matches('Meta.owner == "x"')).toBe(false);
    expect(matches('Meta.owner != "x"')).toBe(true);
    expect(matches('Meta.owner is empty')).toBe(true);
    expect(matches('Meta.owner is not empty')).toBe(false);
  });

  it('fails on unknown struct fields', () => {
    expect(() => matches('Foo == 1')).toThrow(/struct field with name "Foo"/);
  });

  it('supports empty, nil, matches, boolean logic and parentheses', () => {
    expect(matches('Periodic is nil')).toBe(true);
    expect(matches('Datacenters is not empty')).toBe(true);
    expect(matches('ID matches "^w.b$"')).toBe(true);
    expect(matches('ID not matches "^x"')).toBe(true);
    expect(matches('not (ID == web) or Priority == 50 and Stop == false')).toBe(true);
    expect(matches('(ID == web and Priority == 1) or Type == batch')).toBe(false);
  });

  it('supports any/all over lists', () => {
    expect(matches('any TaskGroups as g { g.Count > 2 }'.replace('> 2', '== 3'))).toBe(true);
    expect(matches('all TaskGroups as g { g.Count == 3 }')).toBe(false);
    expect(matches('any TaskGroups as g { any g.Tasks as t { t.Driver == exec } }')).toBe(true);
    expect(matches('any Meta as k, v { v == core }')).toBe(true);
  });

  it('reports syntax errors', () => {
    for (const bad of ['ID ==', '== web', 'ID === web', '(ID == web', 'ID == "web', 'ID is maybe', 'and']) {
      expect(() => parseFilter(bad), bad).toThrow(FilterSyntaxError);
    }
  });
});
