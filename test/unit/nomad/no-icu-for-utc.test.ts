// A periodic job in UTC (Nomad's default time zone) is validated, translated and scheduled without
// Intl, and lists sort without localeCompare: the first use of either loads ICU's data into the
// operator's memory (about 8 MiB for time zones, 3 MiB for collation), for no answer that differs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { nextCronTime, parseCronSchedule } from '../../../src/nomad/cron.ts';
import { goCompareStrings } from '../../../src/nomad/go.ts';
import { parseJobJson, validateJob } from '../../../src/nomad/validate.ts';
import { translate } from '../../../src/translate/index.ts';

const periodicJob = {
  ID: 'nightly',
  Type: 'batch',
  Periodic: { Enabled: true, Spec: '0 3 * * *', TimeZone: 'UTC' },
  TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }],
};

describe('without ICU', () => {
  beforeEach(() => {
    vi.spyOn(Intl, 'DateTimeFormat').mockImplementation(() => {
      throw new Error('Intl.DateTimeFormat used');
    });
    vi.spyOn(String.prototype, 'localeCompare').mockImplementation(() => {
      throw new Error('localeCompare used');
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('validates, translates and schedules a periodic job in UTC', () => {
    const parsed = parseJobJson(periodicJob);
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const job = canonicalize(parsed.job);
    expect(validateJob(job).errors).toEqual([]);
    const cronJob = translate(job, { namespace: 'apps' }).objects.find((o) => o.kind === 'CronJob') as
      | { spec?: { schedule?: string; timeZone?: string } }
      | undefined;
    expect(cronJob?.spec).toMatchObject({ schedule: '0 3 * * *', timeZone: 'UTC' });
    const schedule = parseCronSchedule('0 3 * * *');
    if (!schedule) throw new Error('schedule did not parse');
    expect(nextCronTime(schedule, new Date('2026-12-06T12:00:00Z'), 'UTC')?.toISOString()).toBe(
      '2026-12-07T03:00:00.000Z',
    );
    // Not even tried (a caught failure would still have loaded the data).
    expect(Intl.DateTimeFormat).not.toHaveBeenCalled();
  });

  it('orders strings as Go does (code points), which localeCompare would not', () => {
    expect(['b', 'B', 'a', '_', 'é', '😀'].sort(goCompareStrings)).toEqual(['B', '_', 'a', 'b', 'é', '😀']);
    expect(String.prototype.localeCompare).not.toHaveBeenCalled();
  });
});
