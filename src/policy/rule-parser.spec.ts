import { PolicySyntaxError, parseRule } from './rule-parser.js';
import { evaluate } from './rule-evaluator.js';
import type { Credentials, PolicyTarget } from './rule-evaluator.js';
import { NEW_DEFAULTS } from './default-rules.js';

const rules = new Map(Object.entries(NEW_DEFAULTS).map(([k, v]) => [k, parseRule(v)]));
const allows = (rule: string, creds: Credentials, target: PolicyTarget = {}) =>
  evaluate(parseRule(rule), creds, target, (n) => rules.get(n));

const member = { roles: ['member', 'reader'], project_id: 'p1', is_admin: false };
const reader = { roles: ['reader'], project_id: 'p1', is_admin: false };
const admin = { roles: ['admin'], project_id: 'px', is_admin: true };

describe('parseRule', () => {
  it('treats the empty rule and @ as always, ! as never', () => {
    expect(allows('', {})).toBe(true);
    expect(allows('@', {})).toBe(true);
    expect(allows('!', admin)).toBe(false);
  });

  it('gives not precedence over and, and and over or', () => {
    expect(allows('role:a or role:b and role:c', { roles: ['a'] })).toBe(true);
    expect(allows('(role:a or role:b) and role:c', { roles: ['a'] })).toBe(false);
    expect(allows('not role:a and role:b', { roles: ['b'] })).toBe(true);
    expect(allows('not (role:a or role:b)', { roles: ['b'] })).toBe(false);
  });

  it('substitutes targets in role, generic and quoted literal checks', () => {
    expect(allows('project_id:%(project_id)s', member, { project_id: 'p1' })).toBe(true);
    expect(allows('project_id:%(project_id)s', member, { project_id: 'p2' })).toBe(false);
    expect(allows('"public":%(visibility)s', member, { visibility: 'public' })).toBe(true);
    expect(allows("'public':%(visibility)s", member, { visibility: 'private' })).toBe(false);
    expect(allows('role:%(wanted)s', member, { wanted: 'MEMBER' })).toBe(true);
  });

  it('fails a check whose substitution is missing from the target', () => {
    expect(allows('project_id:%(owner)s', member, {})).toBe(false);
  });

  it('reads is_admin:True from the credentials', () => {
    expect(allows('is_admin:True', admin)).toBe(true);
    expect(allows('is_admin:True', member)).toBe(false);
  });

  it('follows rule: references and refuses unknown ones', () => {
    expect(allows('rule:context_is_admin', admin)).toBe(true);
    expect(allows('rule:no_such_rule', admin)).toBe(false);
  });

  it('parses every default rule', () => {
    for (const [name, text] of Object.entries(NEW_DEFAULTS)) {
      expect(() => parseRule(text), name).not.toThrow();
    }
  });

  it.each(['role:', '(role:a', 'role:a)', 'role:a and', 'and role:a', 'just-a-word', 'http://x:y'])(
    'refuses the malformed rule %j',
    (text) => {
      expect(() => parseRule(text)).toThrow(PolicySyntaxError);
    },
  );
});

describe('Glance default rules', () => {
  const image = (owner: string, visibility: string, memberId: string | null = null) => ({
    project_id: owner,
    visibility,
    member_id: memberId,
  });

  it('lets a reader see, but not change, its project images', () => {
    expect(allows('rule:get_image', reader, image('p1', 'private'))).toBe(true);
    expect(allows('rule:modify_image', reader, image('p1', 'private'))).toBe(false);
    expect(allows('rule:modify_image', member, image('p1', 'private'))).toBe(true);
  });

  it('keeps another project from modifying, and a reader from downloading', () => {
    expect(allows('rule:modify_image', member, image('p2', 'public'))).toBe(false);
    expect(allows('rule:download_image', member, image('p2', 'public'))).toBe(true);
    expect(allows('rule:download_image', reader, image('p2', 'public'))).toBe(false);
  });

  it('lets only the member project change its membership', () => {
    expect(allows('rule:modify_member', member, image('p2', 'shared', 'p1'))).toBe(true);
    expect(allows('rule:modify_member', member, image('p1', 'shared', null))).toBe(false);
  });

  it('keeps publicize and the tasks API to admins', () => {
    expect(allows('rule:publicize_image', member)).toBe(false);
    expect(allows('rule:publicize_image', admin)).toBe(true);
    expect(allows('rule:tasks_api_access', member)).toBe(false);
  });
});
