import type { Notification } from '../notification.js';
import { osloRoutingKey, osloV2Body } from './amqp.transport.js';

const n: Notification = {
  message_id: '0b9c5c4e-8f7a-4d3e-9a1b-2c3d4e5f6a7b',
  publisher_id: 'image.localhost',
  event_type: 'image.upload',
  priority: 'ERROR',
  timestamp: '2026-11-26 21:00:00.000000',
  payload: 'Image storage media is full',
};

describe("oslo.messaging's AMQP notification format", () => {
  it('wraps the notification as a JSON string in the 2.0 envelope, with a _unique_id stable across retries', () => {
    const body = JSON.parse(osloV2Body(n).toString('utf8'));
    expect(Object.keys(body)).toEqual(['oslo.version', 'oslo.message']);
    expect(body['oslo.version']).toBe('2.0');
    expect(JSON.parse(body['oslo.message'])).toEqual({
      ...n,
      _unique_id: '0b9c5c4e8f7a4d3e9a1b2c3d4e5f6a7b',
    });
    expect(osloV2Body(n).equals(osloV2Body(n))).toBe(true);
  });

  it('routes by lower-cased priority under the topic', () => {
    expect(osloRoutingKey('notifications', n)).toBe('notifications.error');
    expect(osloRoutingKey('notifications', { ...n, priority: 'WARN' })).toBe('notifications.warn');
    expect(osloRoutingKey('notifications', { ...n, priority: 'INFO' })).toBe('notifications.info');
  });
});
