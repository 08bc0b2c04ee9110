import { describe, expect, it } from 'vitest';
import { isSubset, parseQuantity } from '../../../operator/src/kube/compare.ts';

describe('isSubset', () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['equal scalars', 3, 3, true],
    ['different scalars', 3, 4, false],
    ['extra live fields', { a: 1 }, { a: 1, b: 2 }, true],
    ['missing live field', { a: 1 }, { b: 2 }, false],
    ['nested change', { a: { b: 'x' } }, { a: { b: 'y' } }, false],
    ['list length differs', { l: [1, 2] }, { l: [1] }, false],
    ['list items with defaults', { l: [{ n: 'a' }] }, { l: [{ n: 'a', protocol: 'TCP' }] }, true],
    ['empty object vs missing', { a: {} }, {}, true],
    ['empty list vs missing', { a: [] }, {}, true],
    ['quantity canonical form', { cpu: '1000m' }, { cpu: '1' }, true],
    ['quantity different', { cpu: '100m' }, { cpu: '200m' }, false],
    ['memory forms', { memory: '1Gi' }, { memory: '1024Mi' }, true],
    ['plain strings differ', { image: 'a:1' }, { image: 'a:2' }, false],
    ['undefined desired', { a: undefined }, {}, true],
  ];
  it.each(cases)('%s', (_name, desired, live, expected) => {
    expect(isSubset(desired, live)).toBe(expected);
  });
});

describe('parseQuantity', () => {
  it.each([
    ['100m', 0.1],
    ['2', 2],
    ['1Ki', 1024],
    ['1.5G', 1.5e9],
  ])('%s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value);
  });

  it('rejects words', () => {
    expect(parseQuantity('http')).toBeUndefined();
  });
});
