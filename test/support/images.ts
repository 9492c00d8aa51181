import { EventEmitter2 } from '@nestjs/event-emitter';
import { NOTIFICATION_EVENT } from '../../src/notifications/notification.js';
import type { Notification } from '../../src/notifications/notification.js';
import type { Response } from 'superagent';
import type { TestApp } from './test-app.js';

/** Headers for a trusted-mode caller acting in `project` with `roles`. */
export function as(project: string, roles = 'member,reader'): Record<string, string> {
  return {
    'X-Identity-Status': 'Confirmed',
    'X-Project-Id': project,
    'X-User-Id': `user-${project}`,
    'X-Roles': roles,
    Accept: 'application/json',
  };
}

export const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

/**
 * Records every notification the app sends while a test runs; in registry mode the registry's
 * too, where import and task notifications are sent (both run in this process, so the order holds).
 */
export function recordNotifications(t: TestApp): Notification[] {
  const sent: Notification[] = [];
  for (const app of new Set([t.app, t.backend]))
    app.get(EventEmitter2).on(NOTIFICATION_EVENT, (n: Notification) => sent.push(n));
  return sent;
}

/** The text of a Glance JSON error body, without WebOb's decoration. */
export function errorText(body: { message?: string }): string {
  const message = body.message ?? '';
  const [explanation, detail = ''] = message.split('<br /><br />');
  return (detail.trim() || explanation).trim();
}

/** A supertest parser that keeps a body as bytes, whatever its content type: `.parse(bytes)`. */
export function bytes(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}
