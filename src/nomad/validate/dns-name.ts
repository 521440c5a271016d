// Whether a string is a syntactically valid DNS name, by the rule Nomad applies to a group network's
// `hostname`: lenient about characters, strict about structure. The name is taken as fully qualified
// (a final dot is implied); no empty label (no leading dot unless the name is ".", no ".."); every
// label under 64 octets; the whole name at most 255 octets of wire format; a backslash escapes the next
// character (`\.` is a dot inside a label) or starts a `\DDD` decimal escape; a trailing lone backslash
// is invalid. Lengths count UTF-8 octets, as Go does.

const BACKSLASH = 0x5c;
const DOT = 0x2e;
const MAX_LABEL = 63;
const MAX_WIRE = 256;

const isDigit = (octet: number | undefined) => octet !== undefined && octet >= 0x30 && octet <= 0x39;

/** Whether `octets` end in a dot that is not escaped (an even run of backslashes before it). */
function endsInUnescapedDot(octets: Uint8Array): boolean {
  if (octets.length === 0 || octets[octets.length - 1] !== DOT) return false;
  let backslashes = 0;
  for (let i = octets.length - 2; i >= 0 && octets[i] === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 0;
}

export function isDomainName(name: string): boolean {
  if (name === '') return false;
  let octets = new TextEncoder().encode(name);
  if (!endsInUnescapedDot(octets)) octets = new Uint8Array([...octets, DOT]);
  let wire = 0;
  let labelStart = 0;
  let afterDot = false;
  let escaped = false;
  for (let i = 0; i < octets.length; i++) {
    const octet = octets[i];
    if (octet === BACKSLASH) {
      escaped = !escaped;
      if (wire + 1 > MAX_WIRE) return false;
      // `\DDD` stands for one octet: skip its digits; any other escape skips one character.
      const ddd = isDigit(octets[i + 1]) && isDigit(octets[i + 2]) && isDigit(octets[i + 3]);
      const skipped = ddd ? 3 : 1;
      i += skipped;
      labelStart += skipped;
      afterDot = false;
    } else if (octet === DOT) {
      escaped = false;
      if (i === 0 && octets.length > 1) return false;
      if (afterDot) return false;
      afterDot = true;
      const labelLength = i - labelStart;
      if (labelLength > MAX_LABEL) return false;
      wire += 1 + labelLength;
      if (wire > MAX_WIRE) return false;
      labelStart = i + 1;
    } else {
      escaped = false;
      afterDot = false;
    }
  }
  return !escaped;
}
