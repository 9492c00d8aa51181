import { createHash, timingSafeEqual } from 'node:crypto';
import type { MeshEnvelope, MeshIdentity } from '../client/contract.js';
import type { AppConfig } from '../config/app-config.js';
import { RequestContext } from '../auth/request-context.js';
import { noauthContext } from '../auth/identity.js';
import { InvalidError, UnauthenticatedError } from '../common/errors/domain-errors.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function text(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new InvalidError(`identity.${field} must be a string`);
  return value;
}

function roleList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.some((r) => typeof r !== 'string')) {
    throw new InvalidError(`identity.${field} must be a list of strings`);
  }
  return (list as string[]).map((r) => r.trim().toLowerCase()).filter(Boolean);
}

/**
 * The caller of a mesh message, built the way the HTTP AuthGuard builds it from headers: in
 * `noauth` every caller is an admin; in `trusted` the identity in the message is believed, as a
 * gateway's headers are, so the mesh must be a network only trusted services reach. With
 * GLINT_MESH_TOKEN set, a message without that token is refused before anything else.
 */
export function meshContext(
  config: AppConfig,
  message: MeshEnvelope,
  isAdmin: (roles: string[]) => boolean,
): RequestContext {
  if (config.mesh.token !== undefined) {
    const given = typeof message.token === 'string' ? message.token : '';
    if (!timingSafeEqual(digest(given), digest(config.mesh.token))) {
      throw new UnauthenticatedError('The mesh token is missing or wrong.');
    }
  }
  const raw: unknown = message.identity;
  if (raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
    throw new InvalidError('identity must be an object');
  }
  const id = (raw ?? {}) as MeshIdentity;
  const requestId = text(id.request_id, 'request_id') ?? '';
  if (config.auth === 'noauth') return noauthContext(requestId);
  if (raw === undefined) throw new UnauthenticatedError('The message carries no identity.');
  const roles = roleList(id.roles, 'roles');
  return new RequestContext(
    text(id.user_id, 'user_id'),
    text(id.project_id, 'project_id'),
    roles,
    isAdmin(roles),
    roleList(id.service_roles, 'service_roles'),
    requestId,
    {
      domainId: text(id.domain_id, 'domain_id'),
      userDomainId: text(id.user_domain_id, 'user_domain_id'),
      projectDomainId: text(id.project_domain_id, 'project_domain_id'),
      systemScope: text(id.system_scope, 'system_scope'),
      userName: text(id.user_name, 'user_name'),
      projectName: text(id.project_name, 'project_name'),
    },
  );
}
