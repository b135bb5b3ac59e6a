import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isDeepStrictEqual } from 'node:util';
import type { CrossFieldRule } from './rules';
import { declaredDefault, settingProperties, type ConfigurationContribution, type SettingSchema } from './schema';

/** One rejected value: the setting (`name[i]` for an entry of a list), what was there, and one sentence. */
export interface SettingProblem {
  setting: string;
  value: unknown;
  /** Names the setting, the bad value and what is used instead. */
  message: string;
}

export interface ValidatedSettings {
  /** Every declared setting by full name: the user's value where valid, else the declared default. */
  values: Record<string, unknown>;
  problems: SettingProblem[];
}

// strict: false, because VS Code's own keywords (markdownDescription, scope, order…) sit in the
// same schema and are not JSON Schema's.
const ajv = new Ajv({ strict: false, allErrors: false });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/**
 * Checks raw setting values (anything a user may have typed, by full setting name) against the
 * schema package.json declares, for every setting it declares: a setting added there is
 * validated with no code here. A rejected value is replaced by its declared default; a list
 * keeps its valid entries and leaves out the others, one sentence each. Then the cross-field
 * rules: a broken one puts its settings back to their defaults together.
 */
export function validateSettings(
  configuration: ConfigurationContribution,
  raw: Readonly<Record<string, unknown>>,
  rules: readonly CrossFieldRule[] = [],
): ValidatedSettings {
  const properties = settingProperties(configuration);
  const values: Record<string, unknown> = {};
  const problems: SettingProblem[] = [];
  for (const [key, schema] of properties) {
    const value = raw[key];
    // A declared default is valid by declaration (a test checks each one): not compiled at all.
    if (value === undefined || isDeepStrictEqual(value, schema.default)) {
      values[key] = declaredDefault(schema);
      continue;
    }
    const validate = validatorFor(schema);
    if (validate(value)) {
      values[key] = structuredClone(value);
      continue;
    }
    const kept = validEntries(key, schema, value);
    if (kept) {
      values[key] = kept.entries;
      problems.push(...kept.problems);
      continue;
    }
    const fallback = declaredDefault(schema);
    values[key] = fallback;
    problems.push({ setting: key, value, message: `${key} is ${show(value)}, but ${reason(validate.errors)}; using ${show(fallback)} instead.` });
  }
  for (const rule of rules) {
    if (!rule.settings.every((k) => properties.has(k))) continue;
    const why = rule.check(values);
    if (!why) continue;
    const defaults = rule.settings.map((k) => declaredDefault(properties.get(k) as SettingSchema));
    rule.settings.forEach((k, i) => (values[k] = defaults[i]));
    const first = rule.settings[0];
    problems.push({ setting: first, value: raw[first], message: `${why}; using the defaults ${defaults.map(show).join(' / ')} instead.` });
  }
  return { values, problems };
}

/** For a list whose only fault is some of its entries: the valid entries, and a sentence for each other. */
function validEntries(key: string, schema: SettingSchema, value: unknown): { entries: unknown[]; problems: SettingProblem[] } | undefined {
  const items = schema.items;
  if (!Array.isArray(value) || !items || typeof items !== 'object' || Array.isArray(items)) return undefined;
  const validateItem = validatorFor(items);
  const entries: unknown[] = [];
  const problems: SettingProblem[] = [];
  value.forEach((entry, i) => {
    if (validateItem(entry)) entries.push(structuredClone(entry));
    else problems.push({ setting: `${key}[${i}]`, value: entry, message: `${key}[${i}] is ${show(entry)}, but ${reason(validateItem.errors)}; it is left out.` });
  });
  if (!problems.length || !validatorFor(schema)(entries)) return undefined;
  return { entries, problems };
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  integer: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

/** Ajv's first error as words: "it must be at most 9", "its port must be at least 1". */
function reason(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'it does not match its schema';
  const where = e.instancePath ? `its ${e.instancePath.slice(1).replace(/\//g, '.')}` : 'it';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `${where} must be ${String(p.type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ')}`;
    case 'minimum':
      return `${where} must be at least ${String(p.limit)}`;
    case 'maximum':
      return `${where} must be at most ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `${where} must be more than ${String(p.limit)}`;
    case 'exclusiveMaximum':
      return `${where} must be less than ${String(p.limit)}`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map(show).join(', ')}`;
    case 'required':
      return `${where} needs "${String(p.missingProperty)}"`;
    case 'additionalProperties':
      return `${where} has a field "${String(p.additionalProperty)}" that means nothing here`;
    case 'minLength':
      return `${where} must not be empty`;
    default:
      return `${where} ${e.message ?? 'does not match its schema'}`;
  }
}

/** A value as the user wrote it in settings.json, cut short when long. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}
