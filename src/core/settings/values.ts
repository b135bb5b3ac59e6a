/** Our settings' section: every setting's full name starts with it. */
export const SETTINGS_PREFIX = 'codebaseGardener.';

/**
 * A validated setting's value by its name under our section. validateSettings gives every
 * declared setting a value of its declared type, so reading it needs no second check.
 */
export function setting<T>(values: Readonly<Record<string, unknown>>, name: string): T {
  const key = SETTINGS_PREFIX + name;
  if (!(key in values)) throw new Error(`${key} is not a declared setting`);
  return values[key] as T;
}
