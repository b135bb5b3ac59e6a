/** A warning/critical pair. For the integration score lower is worse; for the rest higher is. */
export interface Band {
  warning: number;
  critical: number;
}

export interface Thresholds {
  cpu: Band;
  memory: Band;
  disk: Band;
  responseTimeMs: Band;
  integrationScore: Band;
}

/** The guide's published thresholds. */
export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  cpu: { warning: 75, critical: 90 },
  memory: { warning: 80, critical: 95 },
  disk: { warning: 85, critical: 95 },
  responseTimeMs: { warning: 3000, critical: 10000 },
  integrationScore: { warning: 80, critical: 60 },
});

interface BandSpec {
  key: keyof Thresholds;
  /** Setting names, relative to the thresholds section, for the two values. */
  warningSetting: string;
  criticalSetting: string;
  min: number;
  max: number;
  lowerIsWorse: boolean;
  unit: string;
}

export const BAND_SPECS: readonly BandSpec[] = [
  { key: 'cpu', warningSetting: 'cpuWarning', criticalSetting: 'cpuCritical', min: 1, max: 100, lowerIsWorse: false, unit: '%' },
  { key: 'memory', warningSetting: 'memoryWarning', criticalSetting: 'memoryCritical', min: 1, max: 100, lowerIsWorse: false, unit: '%' },
  { key: 'disk', warningSetting: 'diskWarning', criticalSetting: 'diskCritical', min: 1, max: 100, lowerIsWorse: false, unit: '%' },
  { key: 'responseTimeMs', warningSetting: 'responseTimeWarningMs', criticalSetting: 'responseTimeCriticalMs', min: 1, max: 600_000, lowerIsWorse: false, unit: ' ms' },
  { key: 'integrationScore', warningSetting: 'integrationScoreWarning', criticalSetting: 'integrationScoreCritical', min: 0, max: 100, lowerIsWorse: true, unit: '%' },
];

export interface ThresholdValidation {
  thresholds: Thresholds;
  /** One sentence per rejected band, naming the setting; empty when all is well. */
  problems: string[];
}

/**
 * Reads raw setting values (anything a user may have typed) into thresholds. A band with
 * an invalid value falls back to its default pair as a whole, so a half-valid pair can
 * never produce warning ≥ critical.
 */
export function validateThresholds(raw: Record<string, unknown> | undefined, settingPrefix = 'thresholds.'): ThresholdValidation {
  const problems: string[] = [];
  const result = {} as Thresholds;
  for (const spec of BAND_SPECS) {
    const def = DEFAULT_THRESHOLDS[spec.key];
    const w = raw?.[spec.warningSetting] ?? def.warning;
    const c = raw?.[spec.criticalSetting] ?? def.critical;
    const wName = settingPrefix + spec.warningSetting;
    const cName = settingPrefix + spec.criticalSetting;
    const fallback = `using the defaults ${def.warning}${spec.unit} / ${def.critical}${spec.unit}`;
    const bad = (name: string, v: unknown): boolean => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        problems.push(`${name} must be a number, not ${JSON.stringify(v)}; ${fallback}.`);
        return true;
      }
      if (v < spec.min || v > spec.max) {
        problems.push(`${name} is ${v}${spec.unit}, outside ${spec.min}–${spec.max}${spec.unit}; ${fallback}.`);
        return true;
      }
      return false;
    };
    if (bad(wName, w) || bad(cName, c)) {
      result[spec.key] = { ...def };
      continue;
    }
    const wn = w as number;
    const cn = c as number;
    if (spec.lowerIsWorse ? wn <= cn : wn >= cn) {
      const relation = spec.lowerIsWorse ? 'above' : 'below';
      problems.push(`${wName} (${wn}${spec.unit}) must be ${relation} ${cName} (${cn}${spec.unit}); ${fallback}.`);
      result[spec.key] = { ...def };
      continue;
    }
    result[spec.key] = { warning: wn, critical: cn };
  }
  return { thresholds: result, problems };
}
