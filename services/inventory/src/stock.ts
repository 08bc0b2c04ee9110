/** Units on hand per SKU, seeded with a fixed catalogue so that demos and tests can rely on it. */
export class StockStore {
  readonly #units = new Map<string, number>([
    ['widget', 120],
    ['gadget', 8],
    ['sprocket', 0],
  ]);

  /** Returns the units on hand, or undefined for an unknown SKU. */
  available(sku: string): number | undefined {
    return this.#units.get(sku);
  }

  list(): { sku: string; available: number }[] {
    return [...this.#units].map(([sku, available]) => ({ sku, available }));
  }
}
