/** One rejected environment variable. */
export interface ConfigIssue {
  variable: string;
  /** The rejected value, left out for variables whose value may contain credentials. */
  value?: string;
  /** The accepted values or range, in words. */
  expected: string;
}

/** Error thrown at start-up when one or more environment variables are invalid. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('invalid environment variables');
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const INTEGER_PATTERN = /^-?\d+$/;
const DECIMAL_PATTERN = /^(\d+(\.\d*)?|\.\d+)$/;

/**
 * Reader for typed settings from an environment. It collects every invalid variable,
 * so one start-up attempt reports all of them, and `finish()` throws them as a ConfigError.
 * An empty or blank value counts as unset, so `PORT=` behaves like an absent PORT.
 */
export class EnvReader {
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #issues: ConfigIssue[] = [];

  constructor(env: Readonly<Record<string, string | undefined>>) {
    this.#env = env;
  }

  #raw(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === '' ? undefined : value;
  }

  #reject(issue: ConfigIssue): void {
    this.#issues.push(issue);
  }

  string(name: string, fallback: string): string {
    return this.#raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.#raw(name);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.#raw(name);
    if (raw === undefined) {
      return fallback;
    }

    const value = Number(raw);
    if (!INTEGER_PATTERN.test(raw) || value < min || value > max) {
      this.#reject({ variable: name, value: raw, expected: `an integer from ${min} to ${max}` });
      return fallback;
    }
    return value;
  }

  fraction(name: string, fallback: number): number {
    const raw = this.#raw(name);
    if (raw === undefined) {
      return fallback;
    }

    const value = Number(raw);
    if (!DECIMAL_PATTERN.test(raw) || value > 1) {
      this.#reject({ variable: name, value: raw, expected: 'a number from 0 to 1' });
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.#raw(name);
    if (raw === undefined) {
      return fallback;
    }

    const match = allowed.find((candidate) => candidate === raw);
    if (match === undefined) {
      this.#reject({ variable: name, value: raw, expected: `one of ${allowed.join(', ')}` });
      return fallback;
    }
    return match;
  }

  /** Reads a required http or https URL. The value is never echoed because it may contain credentials. */
  httpUrl(name: string): URL {
    const placeholder = new URL('http://invalid.invalid/');
    const raw = this.#raw(name);
    if (raw === undefined) {
      this.#reject({ variable: name, expected: 'an http or https URL (required)' });
      return placeholder;
    }

    if (!URL.canParse(raw)) {
      this.#reject({ variable: name, expected: 'an http or https URL' });
      return placeholder;
    }
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.#reject({ variable: name, expected: 'an http or https URL' });
      return placeholder;
    }
    return url;
  }

  /** Throws a ConfigError listing every invalid variable read so far, if there is any. */
  finish(): void {
    if (this.#issues.length > 0) {
      throw new ConfigError([...this.#issues]);
    }
  }
}
