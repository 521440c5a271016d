// Small helpers shared by the response builders: UUID-shaped IDs, Nomad's time encodings.
import { createHash } from 'node:crypto';

/** A UUID-shaped ID (8-4-4-4-12 hex) derived from `seed`: the same seed gives the same ID. */
export function uuidFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Unix nanoseconds of a Kubernetes timestamp (Date or RFC3339 text); 0 when absent. */
export function unixNanos(time: Date | string | undefined | null): number {
  if (time === undefined || time === null) return 0;
  const ms = time instanceof Date ? time.getTime() : new Date(time).getTime();
  return Number.isFinite(ms) ? ms * 1_000_000 : 0;
}

/** RFC3339 text of a Kubernetes timestamp, Go's zero time when absent. */
export function rfc3339(time: Date | string | undefined | null): string {
  if (time === undefined || time === null) return ZERO_TIME;
  const date = time instanceof Date ? time : new Date(time);
  return Number.isFinite(date.getTime()) ? date.toISOString() : ZERO_TIME;
}

/** Go's zero time.Time as encoding/json writes it. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Unix ns (decimal text, as NomadJob status keeps it) as a JSON number. */
export function nanosNumber(text: string | undefined): number {
  const n = Number(text ?? 0);
  return Number.isFinite(n) ? n : 0;
}
