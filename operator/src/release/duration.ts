/** Parses the duration strings of the CRD ("250ms", "5s", "1m30s", "2h") into milliseconds. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/y;

/** Returns the duration in milliseconds; throws on text that the CRD pattern would reject. */
export function parseDuration(text: string): number {
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match) {
      throw new Error(`invalid duration "${text}" at offset ${start}; use number-unit pairs such as "30s" or "1m30s"`);
    }
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  }
  if (text.length === 0) throw new Error('invalid duration ""; use number-unit pairs such as "30s" or "1m30s"');
  return Math.round(total);
}
