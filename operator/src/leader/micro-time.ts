/**
 * Kubernetes MicroTime, the type of a Lease's acquireTime and renewTime: RFC 3339 in UTC
 * with exactly six fractional digits, as 2025-01-02T03:04:05.123456Z.
 */

/** Wall-clock time in whole microseconds since the Unix epoch. */
export function nowMicroseconds(): number {
  // performance.now() has sub-millisecond resolution where Date.now() has none.
  return Math.floor((performance.timeOrigin + performance.now()) * 1_000);
}

export function formatMicroTime(epochMicroseconds: number): string {
  const whole = Math.floor(epochMicroseconds);
  const seconds = new Date(Math.floor(whole / 1_000_000) * 1_000).toISOString().slice(0, 19);
  const fraction = String(whole % 1_000_000).padStart(6, '0');
  return `${seconds}.${fraction}Z`;
}
