import { setting } from '../settings/values';

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

/**
 * The thresholds from validated settings (validateSettings with SETTINGS_RULES): their bounds,
 * defaults and the warning-below-critical rule are package.json's and rules.ts's, not here.
 */
export function thresholdsFrom(values: Readonly<Record<string, unknown>>): Thresholds {
  const band = (warning: string, critical: string): Band => ({
    warning: setting<number>(values, `thresholds.${warning}`),
    critical: setting<number>(values, `thresholds.${critical}`),
  });
  return {
    cpu: band('cpuWarning', 'cpuCritical'),
    memory: band('memoryWarning', 'memoryCritical'),
    disk: band('diskWarning', 'diskCritical'),
    responseTimeMs: band('responseTimeWarningMs', 'responseTimeCriticalMs'),
    integrationScore: band('integrationScoreWarning', 'integrationScoreCritical'),
  };
}
