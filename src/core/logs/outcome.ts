import { isGardenerError } from '../errors';

/**
 * What a command returns when it did not do what was asked and has already told the user
 * (so it does not throw): it failed, the user cancelled it while it ran, or the user closed a
 * pick, dialog or confirmation without choosing. `code` is the GardenerError code (or a Node
 * errno code such as ENOSPC) when there is one.
 */
export interface NotDone {
  ok: false;
  reason: 'failed' | 'cancelled' | 'dismissed';
  code?: string;
  message: string;
}

/** How a command ended, as the audit log records it. */
export type AuditOutcome =
  /** Returned a value. */
  | 'ok'
  /** Returned nothing: it ran, with nothing to report back. */
  | 'done'
  /** Refused a request on its own terms (`{ ok: false, reason }`, e.g. an unknown alert ID). */
  | 'rejected'
  | 'failed'
  | 'cancelled'
  | 'dismissed';

export interface AuditFields {
  outcome: AuditOutcome;
  /** For `rejected`: the command's reason. */
  reason?: string;
  code?: string;
  /** What went wrong, for `failed` and `rejected`. */
  error?: string;
}

const NOT_DONE = new Set<unknown>(['failed', 'cancelled', 'dismissed']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A command's answer for an error it caught and reported: CANCELLED is a cancel, anything else a failure. */
export function notDone(err: unknown): NotDone {
  const message = err instanceof Error ? err.message : String(err);
  const code = codeOf(err);
  return { ok: false, reason: isGardenerError(err, 'CANCELLED') ? 'cancelled' : 'failed', ...(code ? { code } : {}), message };
}

export function isNotDone(x: unknown): x is NotDone {
  return !!x && typeof x === 'object' && (x as NotDone).ok === false && NOT_DONE.has((x as NotDone).reason);
}

/** A command's answer when the user closed a pick or confirmation: `message` says what was not chosen. */
export function dismissed(message: string): NotDone {
  return { ok: false, reason: 'dismissed', message };
}

/** A command's answer when it could not start, e.g. nothing to act on; `code` as a GardenerError's. */
export function failed(message: string, code?: string): NotDone {
  return { ok: false, reason: 'failed', ...(code ? { code } : {}), message };
}

/** The audit fields for a command that returned `result` (`{ result }`) or threw `error` (`{ error }`). */
export function auditOutcome(ended: { result: unknown } | { error: unknown }): AuditFields {
  if ('error' in ended) {
    const n = notDone(ended.error);
    return n.reason === 'cancelled' ? { outcome: 'cancelled' } : { outcome: 'failed', ...(n.code ? { code: n.code } : {}), error: n.message };
  }
  const r = ended.result;
  if (r === undefined) return { outcome: 'done' };
  if (isNotDone(r)) {
    // A cancel or a dismissal is the user's choice, not something that went wrong.
    if (r.reason !== 'failed') return { outcome: r.reason };
    return { outcome: 'failed', ...(typeof r.code === 'string' ? { code: r.code } : {}), error: String(r.message) };
  }
  if (!r || typeof r !== 'object' || (r as { ok?: unknown }).ok !== false) return { outcome: 'ok' };
  const { reason, message } = r as { reason?: unknown; message?: unknown };
  return { outcome: 'rejected', ...(typeof reason === 'string' ? { reason } : {}), ...(typeof message === 'string' ? { error: message } : {}) };
}
