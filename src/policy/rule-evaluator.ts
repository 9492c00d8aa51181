import type { Check } from './rule-parser.js';

/** What the caller is: the values oslo.policy calls credentials. */
export type Credentials = Record<string, string | readonly string[] | boolean | null | undefined>;
/** The resource acted on, for `%(name)s` substitutions. */
export type PolicyTarget = Record<string, unknown>;

const SUBSTITUTION = /%\((\w[\w.]*)\)s/g;

/** Python's str() of a credential or target value, which oslo.policy compares. */
function asText(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** Fills `%(name)s` from the target; a missing name makes the check fail, as in oslo.policy. */
function substitute(match: string, target: PolicyTarget): string | undefined {
  let missing = false;
  const out = match.replace(SUBSTITUTION, (_, name: string) => {
    const value = target[name];
    if (value === undefined) {
      missing = true;
      return '';
    }
    return asText(value);
  });
  return missing ? undefined : out;
}

function literal(key: string): string | undefined {
  if ((key.startsWith("'") && key.endsWith("'")) || (key.startsWith('"') && key.endsWith('"')))
    return key.slice(1, -1);
  if (key === 'True' || key === 'False' || /^-?\d+$/.test(key)) return key;
  return undefined;
}

function credentialValue(creds: Credentials, path: string): unknown {
  // oslo.policy walks dotted keys through nested credentials; ours are flat, so only the head counts.
  return path.includes('.') ? undefined : creds[path];
}

export function evaluate(
  check: Check,
  creds: Credentials,
  target: PolicyTarget,
  resolveRule: (name: string) => Check | undefined,
  depth = 0,
): boolean {
  switch (check.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'not':
      return !evaluate(check.check, creds, target, resolveRule, depth);
    case 'and':
      return check.checks.every((c) => evaluate(c, creds, target, resolveRule, depth));
    case 'or':
      return check.checks.some((c) => evaluate(c, creds, target, resolveRule, depth));
    case 'rule': {
      const rule = resolveRule(check.name);
      // A rule that refers to itself through others would never end; treat it as a refusal.
      if (!rule || depth > 32) return false;
      return evaluate(rule, creds, target, resolveRule, depth + 1);
    }
    case 'role': {
      const wanted = substitute(check.match, target);
      if (wanted === undefined) return false;
      const roles = creds.roles;
      return Array.isArray(roles) && roles.some((r: string) => r.toLowerCase() === wanted.toLowerCase());
    }
    case 'generic': {
      const match = substitute(check.match, target);
      if (match === undefined) return false;
      const lit = literal(check.key);
      if (lit !== undefined) return lit === match;
      const value = credentialValue(creds, check.key);
      if (value === undefined) return false;
      if (Array.isArray(value)) return value.includes(match);
      return asText(value) === match;
    }
  }
}
