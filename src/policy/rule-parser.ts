/**
 * oslo.policy's check language: `role:x`, `rule:x`, `is_admin:True`, `project_id:%(owner)s`,
 * `'literal':%(attr)s`, `@` (always), `!` (never), combined with `and`, `or`, `not` and
 * parentheses. `not` binds tightest, then `and`, then `or`.
 */

export type Check =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'role'; match: string }
  | { kind: 'rule'; name: string }
  | { kind: 'generic'; key: string; match: string }
  | { kind: 'not'; check: Check }
  | { kind: 'and'; checks: Check[] }
  | { kind: 'or'; checks: Check[] };

export class PolicySyntaxError extends Error {}

type Token = { type: '(' | ')' | 'and' | 'or' | 'not' } | { type: 'check'; text: string };

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  // Quoted literals may contain spaces and parentheses, so split with care.
  const pattern = /\s*(\(|\)|(?:'[^']*'|"[^"]*")?(?:%\([^)]*\)s|[^\s()])+)/y;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while (consumed < rule.length && (m = pattern.exec(rule)) !== null) {
    consumed = pattern.lastIndex;
    const text = m[1];
    const lower = text.toLowerCase();
    if (text === '(' || text === ')') tokens.push({ type: text });
    else if (lower === 'and' || lower === 'or' || lower === 'not') tokens.push({ type: lower });
    else tokens.push({ type: 'check', text });
  }
  if (rule.slice(consumed).trim())
    throw new PolicySyntaxError(`cannot read "${rule.slice(consumed).trim()}"`);
  return tokens;
}

function atom(text: string): Check {
  if (text === '@') return { kind: 'true' };
  if (text === '!') return { kind: 'false' };
  const colon = text.indexOf(
    ':',
    text.startsWith("'") || text.startsWith('"') ? text.indexOf(text[0], 1) : 0,
  );
  if (colon <= 0 || colon === text.length - 1)
    throw new PolicySyntaxError(`"${text}" is not a check of the form kind:match`);
  const key = text.slice(0, colon).trim();
  const match = text.slice(colon + 1).trim();
  if (key === 'role') return { kind: 'role', match };
  if (key === 'rule') return { kind: 'rule', name: match };
  if (key === 'http' || key === 'https')
    throw new PolicySyntaxError(`"${text}": remote (http) checks are not supported`);
  return { kind: 'generic', key, match };
}

export function parseRule(rule: string): Check {
  const trimmed = rule.trim();
  if (trimmed === '') return { kind: 'true' };
  const tokens = tokenize(trimmed);
  let pos = 0;

  const peek = () => tokens[pos];
  const expectEnd = () => {
    if (pos < tokens.length) throw new PolicySyntaxError(`unexpected "${describe(tokens[pos])}"`);
  };
  const describe = (t: Token) => (t.type === 'check' ? t.text : t.type);

  function parseOr(): Check {
    const checks = [parseAnd()];
    while (peek()?.type === 'or') {
      pos++;
      checks.push(parseAnd());
    }
    return checks.length === 1 ? checks[0] : { kind: 'or', checks };
  }
  function parseAnd(): Check {
    const checks = [parseNot()];
    while (peek()?.type === 'and') {
      pos++;
      checks.push(parseNot());
    }
    return checks.length === 1 ? checks[0] : { kind: 'and', checks };
  }
  function parseNot(): Check {
    if (peek()?.type === 'not') {
      pos++;
      return { kind: 'not', check: parseNot() };
    }
    return parsePrimary();
  }
  function parsePrimary(): Check {
    const t = peek();
    if (!t) throw new PolicySyntaxError('the rule ends where a check was expected');
    pos++;
    if (t.type === '(') {
      const inner = parseOr();
      if (peek()?.type !== ')') throw new PolicySyntaxError('a "(" is not closed');
      pos++;
      return inner;
    }
    if (t.type === 'check') return atom(t.text);
    throw new PolicySyntaxError(`unexpected "${describe(t)}"`);
  }

  const check = parseOr();
  expectEnd();
  return check;
}
