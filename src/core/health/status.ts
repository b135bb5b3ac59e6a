export type HealthStatus = 'HEALTHY' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

const severity: Record<HealthStatus, number> = { UNKNOWN: 0, HEALTHY: 1, WARNING: 2, CRITICAL: 3 };

/**
 * Worst of the known statuses. UNKNOWN parts (a reading that could not be taken) do not
 * hide a known problem, and do not turn an otherwise healthy system UNKNOWN; only when
 * nothing is known is the result UNKNOWN.
 */
export function worstOf(statuses: readonly HealthStatus[]): HealthStatus {
  let worst: HealthStatus = 'UNKNOWN';
  for (const s of statuses) {
    if (severity[s] > severity[worst]) worst = s;
  }
  return worst;
}

/** For metrics where higher is worse (CPU %, response time). */
export function statusAbove(value: number | null | undefined, band: { warning: number; critical: number }): HealthStatus {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'UNKNOWN';
  if (value >= band.critical) return 'CRITICAL';
  if (value >= band.warning) return 'WARNING';
  return 'HEALTHY';
}

/** For metrics where lower is worse (integration score). */
export function statusBelow(value: number | null | undefined, band: { warning: number; critical: number }): HealthStatus {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'UNKNOWN';
  if (value < band.critical) return 'CRITICAL';
  if (value < band.warning) return 'WARNING';
  return 'HEALTHY';
}
