import { Transport } from '@nestjs/microservices';
import { loadConfig } from '../config/app-config.js';
import { InvalidError, NotFoundError, UnauthenticatedError } from '../common/errors/domain-errors.js';
import { meshContext } from './mesh-identity.js';
import { meshError } from './rpc-exception.filter.js';

const isAdmin = (roles: string[]) => roles.includes('admin');

describe('meshContext', () => {
  const trusted = loadConfig({ GLINT_AUTH: 'trusted' });

  it('makes every caller an admin in noauth mode, whatever the message says', () => {
    const ctx = meshContext(loadConfig({}), { identity: { project_id: 'p', roles: ['reader'] } }, isAdmin);
    expect([ctx.isAdmin, ctx.projectId]).toEqual([true, null]);
  });

  it('believes the identity in trusted mode, roles lower-cased', () => {
    const ctx = meshContext(
      trusted,
      { identity: { user_id: 'u', project_id: 'p', roles: ['Member', 'reader'], request_id: 'req-1' } },
      isAdmin,
    );
    expect(ctx).toMatchObject({ userId: 'u', projectId: 'p', roles: ['member', 'reader'], isAdmin: false });
    expect(ctx.requestId).toBe('req-1');
    expect(meshContext(trusted, { identity: { roles: ['admin'] } }, isAdmin).isAdmin).toBe(true);
  });

  it('refuses a message without identity in trusted mode, and malformed identities', () => {
    expect(() => meshContext(trusted, {}, isAdmin)).toThrow(UnauthenticatedError);
    expect(() => meshContext(trusted, { identity: [] as never }, isAdmin)).toThrow(InvalidError);
    expect(() => meshContext(trusted, { identity: { roles: [1] as never } }, isAdmin)).toThrow(InvalidError);
  });

  it('requires the shared token when one is set', () => {
    const config = loadConfig({ GLINT_AUTH: 'trusted', GLINT_MESH_TOKEN: 's3cret' });
    const identity = { project_id: 'p', roles: ['member'] };
    expect(() => meshContext(config, { identity }, isAdmin)).toThrow(UnauthenticatedError);
    expect(() => meshContext(config, { identity, token: 's3cre' }, isAdmin)).toThrow(UnauthenticatedError);
    expect(meshContext(config, { identity, token: 's3cret' }, isAdmin).projectId).toBe('p');
  });
});

describe('meshError', () => {
  it('maps domain errors through the HTTP status table and hides unexpected ones', () => {
    expect(meshError(new NotFoundError('No image found with ID x'))).toEqual({
      code: 404,
      message: 'No image found with ID x',
    });
    expect(meshError(new InvalidError('bad'))).toEqual({ code: 400, message: 'bad' });
    expect(meshError(new Error('database password is hunter2')).code).toBe(500);
    expect(meshError(new Error('database password is hunter2')).message).not.toContain('hunter2');
  });
});

describe('GLINT_MESH', () => {
  it('parses each listener and names a bad one', () => {
    const config = loadConfig({ GLINT_MESH: 'nats://127.0.0.1:4222?queue=q, tcp://127.0.0.1:7000' });
    expect(config.mesh.listeners.map((l) => l.transport)).toEqual([Transport.NATS, Transport.TCP]);
    expect(config.mesh).toMatchObject({ prefix: 'glint', token: undefined });
    expect(() => loadConfig({ GLINT_MESH: 'tcp://127.0.0.1' })).toThrow(
      /GLINT_MESH: tcp:\/\/127\.0\.0\.1: a port is required/,
    );
    expect(() => loadConfig({ GLINT_MESH_PREFIX: 'a.b' })).toThrow(/GLINT_MESH_PREFIX/);
  });
});
