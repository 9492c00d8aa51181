import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const POLICY_RULE = 'glint:policy';

export interface PolicyMetadata {
  rule: string;
  /**
   * `caller`: checked by the guard before the handler, against the caller's own project.
   * `resource`: the rule needs the loaded resource (owner, visibility, membership), so the
   * service checks it once it has loaded the resource: invisible resources are then 404, visible
   * ones that the rule refuses 403, as Glance answers.
   */
  on: 'caller' | 'resource';
}

/** Names the policy rule that guards an endpoint; the rule appears in the OpenAPI document too. */
export const Policy = (rule: string, on: PolicyMetadata['on'] = 'caller') =>
  applyDecorators(
    SetMetadata(POLICY_RULE, { rule, on } satisfies PolicyMetadata),
    ApiExtension('x-policy', rule),
  );
