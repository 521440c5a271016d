import { describe, expect, it } from 'vitest';
import { cronSpecError } from '../../../src/nomad/validate/cron.ts';

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
