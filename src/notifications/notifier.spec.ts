import { EventEmitter2 } from '@nestjs/event-emitter';
import { loadConfig } from '../config/app-config.js';
import { NOTIFICATION_EVENT } from './notification.js';
import type { Notification } from './notification.js';
import { Notifier } from './notifier.js';

function setup(disabled: string[] = []) {
  const events = new EventEmitter2();
  const config = loadConfig({});
  config.glance.disabled_notifications = disabled;
  const sent: Notification[] = [];
  events.on(NOTIFICATION_EVENT, (n: Notification) => sent.push(n));
  return { notifier: new Notifier(events, config), sent };
}

describe('Notifier', () => {
  it("wraps the payload in oslo.messaging's envelope", () => {
    const { notifier, sent } = setup();
    notifier.notify('image.create', { id: 'x' });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      event_type: 'image.create',
      priority: 'INFO',
      publisher_id: 'image.localhost',
    });
    expect(sent[0].timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(sent[0].message_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('drops disabled event types and groups', () => {
    const { notifier, sent } = setup(['image.member', 'task.run']);
    notifier.notify('image.member.create', {});
    notifier.notify('task.run', {});
    notifier.notify('image.membership', {});
    notifier.notify('task.success', {});
    expect(sent.map((n) => n.event_type)).toEqual(['image.membership', 'task.success']);
  });
});
