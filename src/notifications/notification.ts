/** oslo.messaging's notification priorities, as Glance sends them. */
export type NotificationPriority = 'INFO' | 'WARN' | 'ERROR';

/** One notification, in oslo.messaging's envelope (what OpenStack consumers parse). */
export interface Notification {
  message_id: string;
  publisher_id: string;
  event_type: string;
  priority: NotificationPriority;
  /** oslo's `str(utcnow())` form: `YYYY-MM-DD HH:MM:SS.ffffff`. */
  timestamp: string;
  payload: unknown;
}

/** The in-process event carrying every notification to the sinks (log, brokers). */
export const NOTIFICATION_EVENT = 'glint.notification';

export function osloTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-11-26T21:00:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}
