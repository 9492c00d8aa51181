import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config.js';
import type { AppConfig } from '../config/app-config.js';
import { RequestContext } from '../auth/request-context.js';
import { PolicyDeniedError } from '../common/errors/domain-errors.js';
import { PolicyService } from './policy.service.js';

function configWith(yaml: string): AppConfig {
  const path = join(mkdtempSync(join(tmpdir(), 'glint-pol-')), 'glint.yaml');
  writeFileSync(path, yaml);
  return loadConfig({ GLINT_CONFIG: path });
}

const member = new RequestContext('u', 'p1', ['member', 'reader'], false);

describe('PolicyService', () => {
  it('enforces the defaults with the caller project as target', () => {
    const policy = new PolicyService(loadConfig({}));
    expect(policy.check(member, 'get_images')).toBe(true);
    expect(() => policy.enforce(member, 'tasks_api_access')).toThrow(PolicyDeniedError);
  });

  it('lets a policy file and inline rules override the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glint-pol-'));
    writeFileSync(join(dir, 'policy.yaml'), '"tasks_api_access": "role:member"\n"get_images": "!"\n');
    const path = join(dir, 'glint.yaml');
    writeFileSync(path, 'oslo_policy:\n  policy_file: policy.yaml\npolicy:\n  get_images: "@"\n');
    const policy = new PolicyService(loadConfig({ GLINT_CONFIG: path }));
    expect(policy.check(member, 'tasks_api_access')).toBe(true);
    expect(policy.check(member, 'get_images')).toBe(true);
  });

  it('stops the start naming a malformed rule', () => {
    expect(() => new PolicyService(configWith('policy:\n  add_image: "role:admin or ("\n'))).toThrow(
      /add_image/,
    );
  });

  it('in legacy mode allows what Glance 25 allowed by default', () => {
    const policy = new PolicyService(configWith('oslo_policy:\n  enforce_new_defaults: false\n'));
    const noRoles = new RequestContext('u', 'p1', [], false);
    expect(policy.check(noRoles, 'add_image', { project_id: 'p1' })).toBe(true);
    expect(policy.check(noRoles, 'publicize_image')).toBe(false);
    expect(policy.ownershipCheckedInCode('modify_image')).toBe(true);
  });
});
