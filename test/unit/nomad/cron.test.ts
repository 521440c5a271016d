import { describe, expect, it } from 'vitest';
import { cronSpecError, nextCronTime, parseCronSchedule } from '../../../src/nomad/cron.ts';

describe('cronSpecError (hashicorp/cronexpr parsing)', () => {
  it.each([
    '* * * * *',
    '*/15 * * * *',
    '0 9-17/2 * * mon-fri',
    '30 4 1,15 * *',
    '0 0 L * *',
    '0 0 15W * *',
    '0 0 LW * *',
    '0 0 * * 5L',
    '0 0 * * MON#2',
    '0 0 0 1 JAN * 2030',
    '0 0 * * * 2031',
    '@daily',
    '@hourly',
    '@weekly',
    '? * * * *',
  ])('accepts %j', (spec) => {
    expect(cronSpecError(spec)).toBeUndefined();
  });

  it.each([
    ['', 'missing field(s)'],
    ['* * * *', 'missing field(s)'],
    ['@midnight', 'missing field(s)'],
    ['61 * * * *', "syntax error in minute field: '61'"],
    ['* 24 * * *', "syntax error in hour field: '24'"],
    ['* * 0 * *', "syntax error in day-of-month field: '0'"],
    ['* * * 13 *', "syntax error in month field: '13'"],
    ['* * * * Funday', "syntax error in day-of-week field: 'Funday'"],
    ['*/0 * * * *', 'invalid interval */0'],
    ['*/60 * * * *', 'invalid interval */60'],
    ['0 0 * * * 1969', "syntax error in year field: '1969'"],
    ['1,x * * * *', "syntax error in minute field: 'x'"],
  ])('rejects %j with %j', (spec, error) => {
    expect(cronSpecError(spec)).toBe(error);
  });

  it('keeps the parser quirk that a * entry ends the check of an ordinary field', () => {
    expect(cronSpecError('*,x * * * *')).toBeUndefined();
    expect(cronSpecError('x,* * * * *')).toBe("syntax error in minute field: 'x'");
  });
});

describe('nextCronTime (the same parse, scheduled)', () => {
  const at = new Date('2026-03-01T10:07:30Z');
  const next = (spec: string, timeZone?: string) => {
    const schedule = parseCronSchedule(spec);
    return schedule ? nextCronTime(schedule, at, timeZone)?.toISOString() : undefined;
  };

  it('schedules 5, 6 and 7 field specs, names, steps and Sunday as 7', () => {
    expect(next('*/15 * * * *')).toBe('2026-03-01T10:15:00.000Z');
    expect(next('0 3 * * * 2030')).toBe('2026-03-02T03:00:00.000Z');
    expect(next('30 0 11 * * * *')).toBe('2026-03-01T11:00:30.000Z');
    expect(next('0 9 * mar-apr 7')).toBe('2026-03-08T09:00:00.000Z');
    expect(next('0 0 1 january *')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('reads the wall clock of the time zone, UTC for an unknown one', () => {
    expect(next('0 12 * * *', 'Europe/Paris')).toBe('2026-03-01T11:00:00.000Z');
    expect(next('0 12 * * *', 'Nowhere/Special')).toBe('2026-03-01T12:00:00.000Z');
  });

  it('has no schedule for specs that do not parse or use the L, W and # forms', () => {
    expect(parseCronSchedule('61 * * * *')).toBeUndefined();
    expect(parseCronSchedule('@midnight')).toBeUndefined();
    expect(parseCronSchedule('0 0 L * *')).toBeUndefined();
    expect(parseCronSchedule('0 0 * * MON#2')).toBeUndefined();
  });
});
