// Integer fields of request envelopes decode as Go's json decoder decodes them into Go integers: an
// integer within the Go type's range, else Nomad's 400 with the decoder's message.
import { describe, expect, it } from 'vitest';
import { intField, optionalIntField } from '../../../src/api/body.ts';

describe('integer fields of a request body', () => {
  it('take integers within the Go type', () => {
    expect(intField({ JobModifyIndex: 42 }, 'JobModifyIndex', 'uint64')).toBe(42);
    expect(intField({}, 'JobModifyIndex', 'uint64')).toBe(0);
    expect(intField({ Count: -3 }, 'Count', 'int')).toBe(-3);
    expect(optionalIntField({ Index: 7 }, 'Index', 'uint64')).toBe(7);
  });

  it('refuse what Go cannot hold: fractions, negatives for uint64, numbers past the range', () => {
    const refused = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return { status: (error as { statusCode?: number }).statusCode, message: (error as Error).message };
      }
      return undefined;
    };
    expect(
      refused(() => intField({ JobModifyIndex: 3.048049119300567e35 }, 'JobModifyIndex', 'uint64')),
    ).toEqual({
      status: 400,
      message: 'json: cannot unmarshal number into Go struct field .JobModifyIndex of type uint64',
    });
    expect(refused(() => intField({ JobModifyIndex: -1 }, 'JobModifyIndex', 'uint64'))?.status).toBe(400);
    expect(refused(() => intField({ Count: 1.5 }, 'Count', 'int'))?.status).toBe(400);
    expect(refused(() => intField({ Count: 2 ** 63 }, 'Count', 'int64'))?.status).toBe(400);
    expect(refused(() => optionalIntField({ Index: 2 ** 64 }, 'Index', 'uint64'))?.status).toBe(400);
  });
});
