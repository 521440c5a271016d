// Go's time.Duration text form, both ways. Nomad's JSON carries durations as int64 nanoseconds;
// humans (jobspecs, query strings such as `wait=300000ms`, the NomadJob spec) write Go duration
// strings. Formatting follows time.Duration.String() exactly, so format(parse(s)) is canonical and
// parse(format(n)) === n for every integer n (the NomadJob codec relies on that round trip).

const unitNs: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const maxInt64 = (1n << 63n) - 1n;

/** Parses a Go duration string ("1h30m", "300000ms", "-1.5s", "0") into nanoseconds. */
export function parseGoDuration(text: string): { ok: true; ns: number } | { ok: false; error: string } {
  const invalid = { ok: false as const, error: `time: invalid duration ${JSON.stringify(text)}` };
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return { ok: true, ns: 0 };
  if (rest === '') return invalid;
  let total = 0n;
  while (rest !== '') {
    const match = /^(\d*)(?:\.(\d*))?([^\d.]+)/u.exec(rest);
    if (!match) return invalid;
    const [whole, intPart = '', fracPart = '', unit = ''] = match;
    if (intPart === '' && fracPart === '') return invalid;
    const scale = unitNs[unit];
    if (scale === undefined) {
      return {
        ok: false,
        error: `time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`,
      };
    }
    let value = BigInt(intPart || '0') * scale;
    if (fracPart !== '') {
      // Go truncates the fraction towards zero at nanosecond precision.
      value += (BigInt(fracPart) * scale) / 10n ** BigInt(fracPart.length);
    }
    total += value;
    if (total > maxInt64 + (negative ? 1n : 0n))
      return { ok: false, error: `time: invalid duration ${JSON.stringify(text)}` };
    rest = rest.slice(whole.length);
  }
  const ns = Number(negative ? -total : total);
  return { ok: true, ns };
}

/** Formats nanoseconds exactly as Go's time.Duration.String() does ("1h0m0s", "1.5s", "250ms", "0s"). */
export function formatGoDuration(ns: number | bigint): string {
  let n = BigInt(ns);
  if (n === 0n) return '0s';
  const negative = n < 0n;
  if (negative) n = -n;
  let text: string;
  if (n < 1_000_000_000n) {
    // Below one second Go uses the largest unit that keeps an integer part: ns, µs or ms.
    const [unit, scale] = n < 1_000n ? ['ns', 1n] : n < 1_000_000n ? ['µs', 1_000n] : ['ms', 1_000_000n];
    text = `${fixed(n, scale)}${unit}`;
  } else {
    const hours = n / unitNs.h!;
    const minutes = (n % unitNs.h!) / unitNs.m!;
    const seconds = n % unitNs.m!;
    text = `${fixed(seconds, unitNs.s!)}s`;
    if (hours > 0n || minutes > 0n) text = `${minutes}m${text}`;
    if (hours > 0n) text = `${hours}h${text}`;
  }
  return negative ? `-${text}` : text;
}

/** value / scale as a decimal with trailing zeros removed ("1.5", "2", "0.000001"). */
function fixed(value: bigint, scale: bigint): string {
  const whole = value / scale;
  const remainder = value % scale;
  if (remainder === 0n) return whole.toString();
  const digits = scale.toString().length - 1;
  return `${whole}.${remainder.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}
