import { describe, expect, it } from 'vitest';
import { formatMicroTime, nowMicroseconds } from '../../../operator/src/leader/micro-time.ts';

describe('formatMicroTime', () => {
  const cases: Array<[number, string]> = [
    [0, '1970-01-01T00:00:00.000000Z'],
    [1_767_225_600_123_456, '2026-01-01T00:00:00.123456Z'],
    [1_767_225_600_000_001, '2026-01-01T00:00:00.000001Z'],
    [1_767_225_599_999_999, '2025-12-31T23:59:59.999999Z'],
  ];

  it.each(cases)('formats %d', (microseconds, expected) => {
    expect(formatMicroTime(microseconds)).toBe(expected);
  });

  it('matches the MicroTime layout for the current time', () => {
    expect(formatMicroTime(nowMicroseconds())).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });
});
