import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config/app-config.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { PolicyDeniedError } from '../common/errors/domain-errors.js';
import type { RequestContext } from '../auth/request-context.js';
import { LEGACY_DEFAULTS, LEGACY_OWNER_CHECKED, NEW_DEFAULTS } from './default-rules.js';
import { PolicySyntaxError, parseRule } from './rule-parser.js';
import type { Check } from './rule-parser.js';
import { evaluate } from './rule-evaluator.js';
import type { Credentials, PolicyTarget } from './rule-evaluator.js';

function readPolicyFile(file: string): Record<string, string> {
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`oslo_policy.policy_file: cannot read ${file}: ${(err as Error).message}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`oslo_policy.policy_file: ${file} must map rule names to check strings`);
  }
  for (const [name, rule] of Object.entries(raw)) {
    if (typeof rule !== 'string') throw new ConfigError(`policy rule "${name}" in ${file} must be a string`);
  }
  return raw as Record<string, string>;
}

/** Compiles a rule set, refusing the start on the first rule that does not parse. */
export function compileRules(rules: Record<string, string>, source: string): Map<string, Check> {
  const compiled = new Map<string, Check>();
  for (const [name, text] of Object.entries(rules)) {
    try {
      compiled.set(name, parseRule(text));
    } catch (err) {
      const why = err instanceof PolicySyntaxError ? err.message : String(err);
      throw new ConfigError(`policy rule "${name}" (${source}) is malformed: ${why}`);
    }
  }
  return compiled;
}

/**
 * Evaluates Glance's policy rules: the defaults, then the operator's policy file, then inline
 * overrides from GLINT_CONFIG. Callers name a rule and give the target it needs.
 */
@Injectable()
export class PolicyService {
  private readonly rules: Map<string, Check>;
  readonly legacy: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.legacy = !config.glance.oslo_policy.enforce_new_defaults;
    const file = config.glance.oslo_policy.policy_file;
    this.rules = new Map([
      ...compileRules(this.legacy ? LEGACY_DEFAULTS : NEW_DEFAULTS, 'defaults'),
      ...(file ? compileRules(readPolicyFile(file), file) : []),
      ...compileRules(config.glance.policy, 'GLINT_CONFIG policy'),
    ]);
  }

  /** true when `rule` allows the caller to act on `target`. */
  check(ctx: RequestContext, rule: string, target: PolicyTarget = {}): boolean {
    // oslo.policy refuses a token whose scope is not among a rule's scope_types before reading
    // the rule, and every Glance rule is project-scoped: system and domain tokens never pass.
    if (!projectScoped(ctx)) return false;
    const compiled = this.rules.get(rule) ?? this.rules.get('default');
    if (!compiled) return false;
    const full = { project_id: ctx.projectId, ...target };
    return evaluate(compiled, credentialsOf(ctx), full, (name) => this.rules.get(name));
  }

  /** Throws PolicyDeniedError (403) when `rule` refuses. */
  enforce(ctx: RequestContext, rule: string, target: PolicyTarget = {}): void {
    if (!this.check(ctx, rule, target)) throw new PolicyDeniedError(rule);
  }

  /** Whether the caller's roles make it an admin (Glance's context_is_admin). */
  isAdmin(roles: readonly string[]): boolean {
    const compiled = this.rules.get('context_is_admin');
    if (!compiled) return false;
    return evaluate(compiled, { roles, is_admin: false }, {}, (name) => this.rules.get(name));
  }

  /** In legacy mode Glance checks ownership in code for these rules instead of in the rule. */
  ownershipCheckedInCode(rule: string): boolean {
    return this.legacy && LEGACY_OWNER_CHECKED.has(rule);
  }
}

/** A project-scoped (or unscoped) token, as opposed to a system- or domain-scoped one. */
export function projectScoped(ctx: RequestContext): boolean {
  return !ctx.extra.systemScope && !(ctx.extra.domainId && !ctx.projectId);
}

export function credentialsOf(ctx: RequestContext): Credentials {
  return {
    user_id: ctx.userId,
    project_id: ctx.projectId,
    roles: ctx.roles,
    is_admin: ctx.isAdmin,
    service_roles: ctx.serviceRoles,
    domain_id: ctx.extra.domainId,
    user_domain_id: ctx.extra.userDomainId,
    project_domain_id: ctx.extra.projectDomainId,
    system_scope: ctx.extra.systemScope,
  };
}
