import { Injectable, Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import amqp from 'amqplib';
import { GlintClient, GlintClientModule, GlintError, GlintEvents } from '../../src/client/index.js';
import type { GlintNotification } from '../../src/client/index.js';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { freePort, runId } from '../support/brokers.js';

const NATS = 'nats://127.0.0.1:4222';
const PROJECT = 'b1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6';
const member = { user_id: 'u-1', project_id: PROJECT, roles: ['member', 'reader'] };

/** A NestJS service of someone else's that uses Glint through the client module. */
@Injectable()
class Catalogue {
  constructor(readonly glint: GlintClient) {}
}

describe('GlintClientModule over NATS (trusted mesh)', () => {
  const run = runId('meshc');
  let t: TestApp;
  let other: INestApplicationContext;
  let glint: GlintClient;
  let events: GlintEvents;
  const seen: GlintNotification[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      GLINT_AUTH: 'trusted',
      GLINT_MESH: `${NATS}?queue=${run}`,
      GLINT_MESH_PREFIX: run,
      GLINT_NOTIFY: `${NATS}?subject_prefix=${run}.notifications`,
    });
    events = await GlintEvents.connect({ url: NATS, prefix: `${run}.notifications` });
    events.onAny((n) => seen.push(n));

    @Module({
      imports: [GlintClientModule.register({ transport: NATS, prefix: run, identity: member })],
      providers: [Catalogue],
    })
    class OtherServiceModule {}
    other = await NestFactory.createApplicationContext(OtherServiceModule, { logger: false });
    glint = other.get(Catalogue).glint;
  });

  afterAll(async () => {
    await other?.close();
    await events?.close();
    await t?.close();
  });

  it('creates, lists, updates, tags and deletes images with Glance JSON', async () => {
    const created = await glint.createImage({
      name: 'cirros',
      disk_format: 'qcow2',
      container_format: 'bare',
    });
    expect(created).toMatchObject({
      name: 'cirros',
      status: 'queued',
      visibility: 'shared',
      owner: PROJECT,
      self: `/v2/images/${created.id}`,
    });
    const list = await glint.listImages({ name: 'cirros' });
    expect(list.images.map((i) => i.id)).toEqual([created.id]);
    expect(list).toMatchObject({ first: '/v2/images?name=cirros', schema: '/v2/schemas/images' });

    const renamed = await glint.updateImage(created.id, [
      { op: 'replace', path: '/name', value: 'cirros-0.6' },
    ]);
    expect(renamed.name).toBe('cirros-0.6');
    await glint.addTag(created.id, 'ci');
    expect((await glint.getImage(created.id)).tags).toEqual(['ci']);
    await glint.removeTag(created.id, 'ci');

    // Over HTTP, the same image is there for the same project.
    const viaHttp = await t.http
      .get(`/v2/images/${created.id}`)
      .set({ 'X-Identity-Status': 'Confirmed', 'X-Project-Id': PROJECT, 'X-Roles': 'member,reader' })
      .expect(200);
    expect(viaHttp.body).toEqual(await glint.getImage(created.id));

    await glint.deleteImage(created.id);
    await expect(glint.getImage(created.id)).rejects.toMatchObject({
      code: 404,
      message: `No image found with ID ${created.id}`,
    });

    // The notifications of these calls, as a subscriber on the broker gets them, in order.
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(5), { timeout: 10_000 });
    expect(seen.map((n) => [n.event_type, (n.payload as { id: string }).id])).toEqual([
      ['image.create', created.id],
      ['image.update', created.id],
      ['image.update', created.id],
      ['image.update', created.id],
      ['image.delete', created.id],
    ]);
  });

  it('brings a policy refusal back as 403 with Glance’s message', async () => {
    const err = await glint.createImage({ name: 'public', visibility: 'public' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlintError);
    expect(err).toMatchObject({
      code: 403,
      message: 'You are not authorized to complete publicize_image action.',
    });
  });

  it('answers bad input with 400 and a missing identity with 401', async () => {
    await expect(glint.updateImage('x', [{ op: 'move', path: '/name' } as never])).rejects.toMatchObject({
      code: 400,
    });
    const anonymous = glint.as(undefined as never);
    await expect(anonymous.listImages()).rejects.toMatchObject({ code: 401 });
  });
});

describe.each([
  ['RabbitMQ', (run: string) => Promise.resolve(`amqp://guest:guest@127.0.0.1:5672?queue=${run}`)],
  ['Redis', () => Promise.resolve('redis://127.0.0.1:6379')],
  ['TCP', async () => `tcp://127.0.0.1:${await freePort()}`],
])('the image patterns over %s', (name, listener) => {
  const run = runId(`mesh-${name.toLowerCase()}`);
  let t: TestApp;
  let glint: GlintClient;
  let url: string;

  beforeAll(async () => {
    url = await listener(run);
    t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_MESH: url, GLINT_MESH_PREFIX: run });
    glint = GlintClient.create({ transport: url, prefix: run, identity: member, timeoutMs: 10_000 });
    await glint.connect();
  });

  afterAll(async () => {
    await glint?.close();
    await t?.close();
    if (url?.startsWith('amqp')) {
      const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
      const ch = await conn.createChannel();
      await ch.deleteQueue(run);
      await conn.close();
    }
  });

  it('creates, reads and refuses with Glance’s codes', async () => {
    const created = await glint.createImage({ name, tags: ['mesh'] });
    expect(await glint.getImage(created.id)).toEqual(created);
    // A member may not deactivate (admin only by default): policy's 403, as over HTTP.
    await expect(glint.deactivateImage(created.id)).rejects.toMatchObject({ code: 403 });
    await expect(glint.createImage({ visibility: 'public' })).rejects.toMatchObject({ code: 403 });
    await glint.deleteImage(created.id);
    await expect(glint.getImage(created.id)).rejects.toMatchObject({ code: 404 });
  });
});
