/**
 * Rules across settings, which a per-setting schema cannot say. They sit beside the schema
 * reader and name settings only: every bound and default still comes from package.json.
 */
export interface CrossFieldRule {
  /** The settings the rule reads; when it is broken, all of them go back to their defaults. */
  settings: readonly string[];
  /** Why the values break the rule, naming the settings and values, or undefined when they keep it. */
  check(values: Readonly<Record<string, unknown>>): string | undefined;
}

/** `low` must stay below `high` (a warning threshold below its critical one). */
export function below(low: string, high: string): CrossFieldRule {
  return {
    settings: [low, high],
    check: (v) => {
      const a = v[low];
      const b = v[high];
      return typeof a === 'number' && typeof b === 'number' && !(a < b) ? `${low} (${a}) must be below ${high} (${b})` : undefined;
    },
  };
}

const T = 'codebaseGardener.thresholds.';

/** The extension's cross-field rules. For the integration score lower is worse, so critical < warning. */
export const SETTINGS_RULES: readonly CrossFieldRule[] = [
  below(`${T}cpuWarning`, `${T}cpuCritical`),
  below(`${T}memoryWarning`, `${T}memoryCritical`),
  below(`${T}diskWarning`, `${T}diskCritical`),
  below(`${T}responseTimeWarningMs`, `${T}responseTimeCriticalMs`),
  below(`${T}integrationScoreCritical`, `${T}integrationScoreWarning`),
];
