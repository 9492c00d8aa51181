import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { ClientProxy } from '@nestjs/microservices';
import type { INestApplication } from '@nestjs/common';
import amqp from 'amqplib';
import request from 'supertest';
import { firstValueFrom, timeout } from 'rxjs';
import { meshClientOptions, meshTransportOptions } from '../../src/client/transport-url.js';
import { runId } from '../support/brokers.js';

/**
 * The transports the mesh will use, checked on this machine's brokers: a hybrid app (HTTP plus a
 * microservice from meshTransportOptions) answers a request pattern, receives an event and still
 * serves HTTP. Patterns and queues are unique to the run.
 */
function probeModule(run: string, events: unknown[]) {
  @Controller()
  class ProbeController {
    @Get('probe')
    http() {
      return { ok: true };
    }

    @MessagePattern(`${run}.image.get_status`)
    status(@Payload() data: { id: string }) {
      return { id: data.id, status: 'active' };
    }

    @EventPattern(`${run}.image.activated`)
    activated(@Payload() data: unknown) {
      events.push(data);
    }
  }

  @Module({ controllers: [ProbeController] })
  class ProbeModule {}
  return ProbeModule;
}

describe.each([
  ['NATS', (run: string) => `nats://127.0.0.1:4222?queue=${run}`],
  ['RabbitMQ', (run: string) => `amqp://guest:guest@127.0.0.1:5672?queue=${run}`],
  ['Redis', () => 'redis://127.0.0.1:6379'],
])('mesh transport %s (@nestjs/microservices hybrid app)', (_name, url) => {
  const run = runId('mesh');
  const events: unknown[] = [];
  let app: INestApplication;
  let client: ClientProxy;

  beforeAll(async () => {
    const options = meshTransportOptions(url(run));
    app = await NestFactory.create(probeModule(run, events), { logger: false });
    app.connectMicroservice(options, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.init();
    client = ClientProxyFactory.create(meshClientOptions(url(run)));
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    if (url(run).startsWith('amqp')) {
      const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
      const ch = await conn.createChannel();
      await ch.deleteQueue(run);
      await conn.close();
    }
  });

  it('answers a request, receives an event and still serves HTTP', async () => {
    const reply = await firstValueFrom(
      client.send(`${run}.image.get_status`, { id: 'i-1' }).pipe(timeout(10_000)),
    );
    expect(reply).toEqual({ id: 'i-1', status: 'active' });
    await firstValueFrom(client.emit(`${run}.image.activated`, { id: 'i-1' }));
    await vi.waitFor(() => expect(events).toEqual([{ id: 'i-1' }]), { timeout: 10_000 });
    await request(app.getHttpServer()).get('/probe').expect(200, { ok: true });
  });
});
