/**
 * Python's repr() and pprint.pformat() for JSON values. Glance's validation errors are the text
 * of python-jsonschema's ValidationError, which quotes the failing schema and instance in these
 * forms; clients that show the message to people get the same text from us.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** repr() of a str: Python's choice of quotes and escapes. */
export function pyQuote(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

function pyNumber(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : n < 0 ? '-inf' : 'nan';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  const text = String(n);
  return text.includes('e') ? text.replace(/e([+-])(\d)$/, 'e$10$2') : text;
}

function sortedEntries(obj: { [key: string]: Json }): Array<[string, Json]> {
  return Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** repr() of a JSON value as Python would print the decoded object (dict keys sorted, as pprint does). */
export function pyRepr(value: Json | undefined, sortKeys = true): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyQuote(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, sortKeys)).join(', ')}]`;
  const entries = sortKeys ? sortedEntries(value) : Object.entries(value);
  return `{${entries.map(([k, v]) => `${pyQuote(k)}: ${pyRepr(v, sortKeys)}`).join(', ')}}`;
}

/** pprint.pformat(value, width) */
export function pformat(value: Json, width = 80): string {
  const out: string[] = [];
  format(value, out, 0, 0, 0, width);
  return out.join('');
}

function format(
  value: Json,
  out: string[],
  indent: number,
  allowance: number,
  level: number,
  width: number,
): void {
  const rep = pyRepr(value);
  const maxWidth = width - indent - allowance;
  if (rep.length > maxWidth) {
    if (Array.isArray(value) && value.length) {
      out.push('[');
      formatItems(value, out, indent, allowance + 1, level + 1, width);
      out.push(']');
      return;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
      out.push('{');
      const items = sortedEntries(value);
      const inner = indent + 1;
      items.forEach(([key, ent], i) => {
        const last = i === items.length - 1;
        const keyRep = pyQuote(key);
        out.push(keyRep, ': ');
        format(ent, out, inner + keyRep.length + 2, last ? allowance + 1 : 1, level + 1, width);
        if (!last) out.push(',\n' + ' '.repeat(inner));
      });
      out.push('}');
      return;
    }
    if (typeof value === 'string' && value.length) {
      formatString(value, out, indent, allowance, level + 1, width);
      return;
    }
  }
  out.push(rep);
}

function formatItems(
  items: Json[],
  out: string[],
  indent: number,
  allowance: number,
  level: number,
  width: number,
) {
  const inner = indent + 1;
  items.forEach((ent, i) => {
    const last = i === items.length - 1;
    if (i > 0) out.push(',\n' + ' '.repeat(inner));
    format(ent, out, inner, last ? allowance : 1, level, width);
  });
}

function formatString(
  s: string,
  out: string[],
  indent: number,
  allowance: number,
  level: number,
  width: number,
) {
  const chunks: string[] = [];
  const lines = s.match(/[^\n]*\n|[^\n]+$/g) ?? [s];
  if (level === 1) {
    indent += 1;
    allowance += 1;
  }
  let maxWidth1 = width - indent;
  const maxWidth = width - indent;
  let rep = '';
  lines.forEach((line, i) => {
    rep = pyQuote(line);
    if (i === lines.length - 1) maxWidth1 -= allowance;
    if (rep.length <= maxWidth1) {
      chunks.push(rep);
      return;
    }
    const parts = line.match(/\S*\s*/g)!.filter((p, idx, all) => idx < all.length - 1 || p !== '');
    let maxWidth2 = maxWidth;
    let current = '';
    parts.forEach((part, j) => {
      const candidate = current + part;
      if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
      if (pyQuote(candidate).length > maxWidth2) {
        if (current) chunks.push(pyQuote(current));
        current = part;
      } else current = candidate;
    });
    if (current) chunks.push(pyQuote(current));
  });
  if (chunks.length === 1) {
    out.push(rep);
    return;
  }
  if (level === 1) out.push('(');
  chunks.forEach((c, i) => {
    if (i > 0) out.push('\n' + ' '.repeat(indent));
    out.push(c);
  });
  if (level === 1) out.push(')');
}
