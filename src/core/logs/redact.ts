const SECRET_NAME = /pass(word|wd|phrase)?|secret|token|api[-_]?key|private[-_]?key|^key$|[-_]key$|authorization|cookie|credential/i;

export const REDACTED = '[REDACTED]';

/** A copy of `value` with every field named like a secret replaced, at any depth. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.test(k) ? REDACTED : redact(v, depth + 1);
  return out;
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}
