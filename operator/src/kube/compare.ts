/**
 * Decides whether a live object already carries every field of a desired object, so the
 * reconciler can skip a server-side apply that would change nothing. Fields the API
 * server or other managers added to the live object are ignored.
 */

const QUANTITY = /^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX: Record<string, number> = {
  m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Parses a Kubernetes quantity ("100m", "0.1", "128Mi"); undefined when it is not one. */
export function parseQuantity(value: string): number | undefined {
  const match = QUANTITY.exec(value);
  if (!match?.[1]) return undefined;
  const number = Number(match[1]);
  if (Number.isNaN(number)) return undefined;
  return number * (match[2] ? (SUFFIX[match[2]] ?? 1) : 1);
}

const isEmpty = (value: unknown): boolean =>
  value === undefined ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

/**
 * True when every field set in `desired` has the same value in `live`. Lists must match
 * item for item. Empty objects and lists in `desired` match a missing field, because the
 * API server drops them. The API server rewrites quantities into canonical form
 * ("1000m" becomes "1"), so two strings that parse to the same quantity are equal.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (desired === undefined || desired === null) return true;
  if (isEmpty(desired) && isEmpty(live)) return true;

  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((item, index) => isSubset(item, live[index]));
  }
  if (typeof desired === 'object') {
    if (typeof live !== 'object' || live === null || Array.isArray(live)) return false;
    const liveRecord = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([key, value]) => isSubset(value, liveRecord[key]));
  }
  if (typeof desired === 'string' && typeof live === 'string') {
    const a = parseQuantity(desired);
    const b = parseQuantity(live);
    return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-12;
  }
  if (typeof desired === 'string' && typeof live === 'number') return parseQuantity(desired) === live;
  if (typeof desired === 'number' && typeof live === 'string') return parseQuantity(live) === desired;
  return false;
}
