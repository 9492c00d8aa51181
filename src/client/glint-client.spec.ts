import type { ClientProxy } from '@nestjs/microservices';
import { of, throwError, NEVER } from 'rxjs';
import { GlintClient, GlintError } from './glint-client.js';

function fakeProxy(reply: () => ReturnType<ClientProxy['send']>) {
  const sent: Array<{ pattern: unknown; data: unknown }> = [];
  const proxy = {
    send: (pattern: unknown, data: unknown) => {
      sent.push({ pattern, data });
      return reply();
    },
  } as unknown as ClientProxy;
  return { proxy, sent };
}

describe('GlintClient', () => {
  const identity = { user_id: 'u', project_id: 'p', roles: ['member'] };

  it('sends the prefixed pattern with the identity and token, and returns the reply', async () => {
    const { proxy, sent } = fakeProxy(() => of({ id: 'i', name: 'n' }));
    const client = new GlintClient(proxy, { prefix: 'edge', token: 't', identity });
    await expect(client.getImage('i')).resolves.toEqual({ id: 'i', name: 'n' });
    expect(sent).toEqual([{ pattern: 'edge.image.get', data: { id: 'i', identity, token: 't' } }]);
    await client.as({ project_id: 'q' }).addTag('i', 'x');
    expect(sent[1]).toEqual({
      pattern: 'edge.image.tag.add',
      data: { id: 'i', tag: 'x', identity: { project_id: 'q' }, token: 't' },
    });
  });

  it('puts member, import and task fields where the listeners read them', async () => {
    const { proxy, sent } = fakeProxy(() => of(null));
    const client = new GlintClient(proxy, {});
    await client.addMember('i', 'p2');
    await client.updateMember('i', 'p2', 'accepted');
    await client.removeMember('i', 'p2');
    await client.importImage('i', { method: { name: 'web-download', uri: 'http://x/y' } }, 'fast');
    await client.listTasks({ status: 'success', limit: 2 });
    expect(sent).toEqual([
      { pattern: 'glint.image.member.create', data: { image_id: 'i', member: 'p2' } },
      { pattern: 'glint.image.member.update', data: { image_id: 'i', member_id: 'p2', status: 'accepted' } },
      { pattern: 'glint.image.member.delete', data: { image_id: 'i', member_id: 'p2' } },
      {
        pattern: 'glint.image.import',
        data: { id: 'i', body: { method: { name: 'web-download', uri: 'http://x/y' } }, store: 'fast' },
      },
      { pattern: 'glint.task.list', data: { query: { status: 'success', limit: 2 } } },
    ]);
  });

  it('rejects with a GlintError carrying Glance’s code', async () => {
    const { proxy } = fakeProxy(() => throwError(() => ({ code: 403, message: 'no' })));
    const err = await new GlintClient(proxy, {}).deleteImage('i').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlintError);
    expect(err).toMatchObject({ code: 403, message: 'no' });
  });

  it('gives up after timeoutMs with 504', async () => {
    const { proxy } = fakeProxy(() => NEVER);
    await expect(new GlintClient(proxy, { timeoutMs: 20 }).listImages()).rejects.toMatchObject({ code: 504 });
  });
});
