/**
 * JSON.parse of UTF-8 bytes holding an object or an array, with each element of the top-level
 * array, or of an array that is a member of the top-level object, parsed on its own: what a
 * manifest is (100,000 file entries in `files`). JSON.parse needs the text as one string, 22 MB
 * of V8 heap for 100,000 files beside the 22 MB of bytes, and the heap it grows to for that
 * string stays long after; parsed piece by piece, each piece's string is short-lived young
 * garbage. Measured on a restore of 100,000 files (Node 24): the heap after reading the
 * manifest 102 MB whole, see bench/README.md (2026-12-02) for this form. No JSON library we
 * ship parses from bytes in pieces, hence this scanner: it only finds where values begin and
 * end; every value is still parsed, and so checked, by JSON.parse.
 *
 * The result equals JSON.parse(bytes.toString('utf8')), and what that rejects is rejected
 * (a SyntaxError), except a text that holds no object or array at its top, which is handed to
 * JSON.parse whole.
 */
export function parseJsonBytes(bytes: Buffer): unknown {
  const s = new Scanner(bytes);
  s.space();
  const first = bytes[s.at];
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) return JSON.parse(bytes.toString('utf8'));
  const value = first === OPEN_ARRAY ? s.array() : s.object();
  s.space();
  if (s.at !== bytes.length) s.fail();
  return value;
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

class Scanner {
  at = 0;

  constructor(private readonly b: Buffer) {}

  fail(): never {
    throw new SyntaxError(`Unexpected JSON at byte ${this.at}`);
  }

  space(): void {
    const b = this.b;
    while (this.at < b.length && (b[this.at] === 0x20 || b[this.at] === 0x0a || b[this.at] === 0x0d || b[this.at] === 0x09)) this.at++;
  }

  expect(byte: number): void {
    this.space();
    if (this.b[this.at] !== byte) this.fail();
    this.at++;
  }

  /** The value starting here, parsed by JSON.parse; the scanner moves past it. */
  value(): unknown {
    this.space();
    const start = this.at;
    this.skipValue();
    return JSON.parse(this.b.toString('utf8', start, this.at));
  }

  /** Moves past one value: a string, a nested object or array, or a literal (checked by JSON.parse later). */
  private skipValue(): void {
    const b = this.b;
    let depth = 0;
    do {
      if (this.at >= b.length) this.fail();
      const c = b[this.at];
      if (c === QUOTE) this.skipString();
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        depth++;
        this.at++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (depth === 0) return;
        depth--;
        this.at++;
      } else if (c === COMMA && depth === 0) return;
      else this.at++;
    } while (depth > 0 || !this.atEndOfLiteral());
  }

  private atEndOfLiteral(): boolean {
    const c = this.b[this.at];
    return this.at >= this.b.length || c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || this.b[this.at - 1] === QUOTE;
  }

  private skipString(): void {
    const b = this.b;
    for (this.at++; this.at < b.length; this.at++) {
      if (b[this.at] === BACKSLASH) this.at++;
      else if (b[this.at] === QUOTE) {
        this.at++;
        return;
      }
    }
    this.fail();
  }

  /** `[ value, … ]`, each element parsed alone. */
  array(): unknown[] {
    const out: unknown[] = [];
    this.expect(OPEN_ARRAY);
    this.space();
    if (this.b[this.at] === CLOSE_ARRAY) {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      if (this.b[this.at] === CLOSE_ARRAY) {
        this.at++;
        return out;
      }
      this.expect(COMMA);
    }
  }

  /** `{ "key": value, … }`, an array member's elements each parsed alone. */
  object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.expect(OPEN_OBJECT);
    this.space();
    if (this.b[this.at] === CLOSE_OBJECT) {
      this.at++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.b[this.at] !== QUOTE) this.fail();
      const key = this.value();
      if (typeof key !== 'string') this.fail();
      this.expect(COLON);
      this.space();
      const v = this.b[this.at] === OPEN_ARRAY ? this.array() : this.value();
      // As JSON.parse makes it: an own property even for "__proto__", the last of a repeated key.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      this.space();
      if (this.b[this.at] === CLOSE_OBJECT) {
        this.at++;
        return out;
      }
      this.expect(COMMA);
    }
  }
}
