// The Nomad API's limits as flags and environment variables (src/config.ts): their defaults are
// src/api/limits.ts's, sizes take units, and values that cannot work are refused naming their flag.
import { describe, expect, it } from 'vitest';
import { DEFAULT_API_LIMITS } from '../../src/api/limits.ts';
import { parseConfig } from '../../src/config.ts';

function limits(argv: string[], env: Record<string, string> = {}) {
  const result = parseConfig(argv, env);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config.apiLimits;
}

function errors(argv: string[], env: Record<string, string> = {}): string[] {
  const result = parseConfig(argv, env);
  return result.ok ? [] : result.errors;
}

describe('API limit flags', () => {
  it('default to the API defaults', () => {
    expect(limits([])).toEqual(DEFAULT_API_LIMITS);
  });

  it('read flags and environment variables, sizes with units, durations as Go durations', () => {
    expect(
      limits(
        [
          '--job-max-count=0',
          '--job-max-task-groups',
          '20',
          '--job-max-size=512KiB',
          '--api-request-timeout=2m',
          '--api-headers-timeout=5s',
        ],
        { NOMAD_OPERATOR_API_MAX_BLOCKING_QUERIES: '64', NOMAD_OPERATOR_JOB_MAX_TASK_GROUPS: '7' },
      ),
    ).toEqual({
      jobMaxCount: 0,
      jobMaxTaskGroups: 20,
      jobMaxBytes: 524_288,
      maxBlockingQueries: 64,
      requestTimeoutMs: 120_000,
      headersTimeoutMs: 5_000,
    });
    expect(limits(['--job-max-size=2MB']).jobMaxBytes).toBe(2_000_000);
    expect(limits(['--job-max-size=4194304']).jobMaxBytes).toBe(4_194_304);
  });

  it('refuses values that cannot work, naming the flag or variable', () => {
    expect(errors(['--job-max-size=5MiB'])).toEqual([
      '--job-max-size: expected a size from 1024 to 4194304 bytes (such as 1048576, 512KiB or 1MiB), got "5MiB"',
    ]);
    expect(errors(['--job-max-size=1GB'])[0]).toMatch(/^--job-max-size: /);
    expect(errors(['--job-max-size=12 parsecs'])[0]).toMatch(/^--job-max-size: /);
    expect(errors(['--job-max-count=-1'])[0]).toMatch(/^--job-max-count: /);
    expect(errors([], { NOMAD_OPERATOR_API_MAX_BLOCKING_QUERIES: '0' })[0]).toMatch(
      /^NOMAD_OPERATOR_API_MAX_BLOCKING_QUERIES: /,
    );
    expect(errors(['--api-request-timeout=500ms'])[0]).toMatch(/^--api-request-timeout: must be at least 1s/);
    expect(errors(['--api-headers-timeout=2m'])).toEqual([
      '--api-headers-timeout: must not be longer than --api-request-timeout (default)',
    ]);
  });
});
