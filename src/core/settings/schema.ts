/**
 * The settings schema as package.json's `contributes.configuration` declares it: one object, or
 * (as ours is) a list of titled groups. It is the only place a setting's type, bounds, enum and
 * default are written; everything here reads them from it.
 */
export type SettingSchema = Record<string, unknown> & { default?: unknown; type?: string | string[] };

export interface ConfigurationGroup {
  title?: string;
  properties?: Record<string, SettingSchema>;
}

export type ConfigurationContribution = ConfigurationGroup | ConfigurationGroup[];

/** Every setting the contribution declares, by full name, in declaration order. */
export function settingProperties(configuration: ConfigurationContribution): Map<string, SettingSchema> {
  const groups = Array.isArray(configuration) ? configuration : [configuration];
  const out = new Map<string, SettingSchema>();
  for (const g of groups) {
    for (const [key, schema] of Object.entries(g?.properties ?? {})) out.set(key, schema);
  }
  return out;
}

/** A setting's declared default (a copy, so nobody changes the schema through it). */
export function declaredDefault(schema: SettingSchema): unknown {
  return schema.default === undefined ? undefined : structuredClone(schema.default);
}
