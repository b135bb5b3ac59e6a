// Checks every message the dashboard webview posts before the host acts on it. The page is
// ours, but what runs in it renders data that came from disk and from probes; a message is
// treated as untrusted input, like a file. Host side only (it brings ajv).
import { Ajv, type ValidateFunction } from 'ajv';
import { BACKUP_TYPES } from '../core/backup/types';
import { TASK_KEYS } from '../core/maintenance/types';
import { MAX_MESSAGE_CHARS, RANGES, type Method, type WebviewMessage } from './protocol';

const none = { type: 'object', additionalProperties: false, properties: {} };
const id = { type: 'string', minLength: 1, maxLength: 200 };
const text = (max: number) => ({ type: 'string', maxLength: max });

/** The params of each method, as JSON Schema. A method missing here cannot be called. */
const PARAMS: Record<Method, object> = {
  snapshot: none,
  history: { type: 'object', additionalProperties: false, required: ['range'], properties: { range: { enum: Object.keys(RANGES) } } },
  runHealthCheck: none,
  showStatus: none,
  acknowledge: {
    type: 'object',
    additionalProperties: false,
    required: ['alertId'],
    properties: { alertId: id, comment: text(500), expiresInMinutes: { type: 'integer', minimum: 1, maximum: 10_080 } },
  },
  resolve: { type: 'object', additionalProperties: false, required: ['alertId'], properties: { alertId: id, note: text(500) } },
  openRunbook: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } } },
  createBackup: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { enum: [...BACKUP_TYPES] } } },
  validateBackup: { type: 'object', additionalProperties: false, required: ['id'], properties: { id } },
  restoreBackup: { type: 'object', additionalProperties: false, required: ['id'], properties: { id } },
  runTask: { type: 'object', additionalProperties: false, required: ['task'], properties: { task: { enum: [...TASK_KEYS] } } },
  searchLogs: {
    type: 'object',
    additionalProperties: false,
    required: ['text'],
    properties: {
      text: text(200),
      channels: { type: 'array', maxItems: 4, uniqueItems: true, items: { enum: ['main', 'error', 'performance', 'audit'] } },
      minLevel: { enum: ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] },
      hours: { type: 'number', exclusiveMinimum: 0, maximum: 24 * 365 },
    },
  },
};

const ENVELOPE = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { const: 'ready' } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'id', 'method', 'params'],
      properties: { kind: { const: 'request' }, id: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, method: { enum: Object.keys(PARAMS) }, params: {} },
    },
  ],
};

let compiled: { envelope: ValidateFunction; params: Map<string, ValidateFunction> } | undefined;

/** Compiled on first use, so that activation does not pay for it. */
function validators(): NonNullable<typeof compiled> {
  if (!compiled) {
    const ajv = new Ajv({ strict: true, allErrors: false });
    compiled = { envelope: ajv.compile(ENVELOPE), params: new Map(Object.entries(PARAMS).map(([m, s]) => [m, ajv.compile(s)])) };
  }
  return compiled;
}

export type Parsed = { ok: true; message: WebviewMessage } | { ok: false; reason: string };

/**
 * The message if it is one the protocol defines, well formed and small; otherwise why not.
 * `reason` is for the log: it never echoes the message itself.
 */
export function parseWebviewMessage(raw: unknown): Parsed {
  let size: number;
  try {
    size = JSON.stringify(raw)?.length ?? 0;
  } catch {
    return { ok: false, reason: 'not serialisable' };
  }
  if (size > MAX_MESSAGE_CHARS) return { ok: false, reason: `too large (${size} characters; at most ${MAX_MESSAGE_CHARS})` };
  const v = validators();
  if (!v.envelope(raw)) return { ok: false, reason: `not a message of the protocol (${v.envelope.errors?.[0]?.message ?? 'invalid'})` };
  const msg = raw as WebviewMessage;
  if (msg.kind === 'request') {
    const check = v.params.get(msg.method)!;
    if (!check(msg.params)) {
      const e = check.errors?.[0];
      return { ok: false, reason: `bad params for ${msg.method}: ${e?.instancePath || 'params'} ${e?.message ?? 'invalid'}` };
    }
  }
  return { ok: true, message: msg };
}
