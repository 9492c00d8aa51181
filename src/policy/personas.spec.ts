import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config.js';
import { RequestContext } from '../auth/request-context.js';
import { IDENTITIES, PERSONAS, RULE_CASES, resolveTarget } from '../../test/support/personas.js';
import type { Persona } from '../../test/support/personas.js';
import { PolicyService } from './policy.service.js';

const PROJECTS = { P: 'project-p', Q: 'project-q', S: 'project-s' };

/** The context a Keystone token of this persona gives (see KeystoneAuthenticator). */
function contextOf(persona: Persona, policy: PolicyService): RequestContext {
  const id = IDENTITIES[persona];
  const projectId = id.project ? PROJECTS[id.project] : null;
  return new RequestContext(
    `user-${persona}`,
    projectId,
    id.roles,
    !id.system && policy.isAdmin(id.roles),
    [],
    '',
    {
      systemScope: id.system ? 'all' : null,
    },
  );
}

function legacyConfig() {
  const path = join(mkdtempSync(join(tmpdir(), 'glint-personas-')), 'glint.yaml');
  writeFileSync(path, 'oslo_policy:\n  enforce_new_defaults: false\n');
  return loadConfig({ GLINT_CONFIG: path });
}

describe.each([
  { mode: 'new defaults', policy: () => new PolicyService(loadConfig({})), legacy: false },
  { mode: 'legacy rules', policy: () => new PolicyService(legacyConfig()), legacy: true },
])('personas × rules ($mode)', ({ policy: make, legacy }) => {
  const policy = make();
  const rows = RULE_CASES.flatMap((c) =>
    PERSONAS.map((persona) => ({
      ...c,
      persona,
      expected: (legacy ? c.legacyAllowed : c.allowed).includes(persona),
    })),
  );
  it.each(rows)('$persona $rule $target → $expected', ({ persona, rule, target, expected }) => {
    const ctx = contextOf(persona, policy);
    expect(policy.check(ctx, rule, resolveTarget(target, PROJECTS, ctx.projectId))).toBe(expected);
  });
});

describe('token scope', () => {
  it('refuses system- and domain-scoped tokens even when a rule would pass', () => {
    const policy = new PolicyService(loadConfig({}));
    const system = new RequestContext('u', null, ['admin'], false, [], '', { systemScope: 'all' });
    const domain = new RequestContext('u', null, ['admin'], false, [], '', { domainId: 'd1' });
    for (const ctx of [system, domain]) {
      expect(policy.check(ctx, 'default')).toBe(false);
      expect(() => policy.enforce(ctx, 'get_images')).toThrow(
        'You are not authorized to complete get_images action.',
      );
    }
  });

  it('lets rules use the service token roles', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'glint-personas-')), 'glint.yaml');
    writeFileSync(path, 'policy:\n  fetch_image_location: "service_roles:service"\n');
    const policy = new PolicyService(loadConfig({ GLINT_CONFIG: path }));
    const withService = new RequestContext('u', 'p', ['member'], false, ['service']);
    const without = new RequestContext('u', 'p', ['member', 'service'], false, []);
    expect(policy.check(withService, 'fetch_image_location')).toBe(true);
    expect(policy.check(without, 'fetch_image_location')).toBe(false);
  });
});
