import type TestAgent from 'supertest/lib/agent.js';

export const ADMIN = {
  'X-Identity-Status': 'Confirmed',
  'X-Project-Id': 'p1',
  'X-User-Id': 'admin-user',
  'X-Roles': 'admin,member,reader',
};
export const MEMBER_P1 = {
  'X-Identity-Status': 'Confirmed',
  'X-Project-Id': 'p1',
  'X-User-Id': 'alice',
  'X-Roles': 'member,reader',
};
export const MEMBER_P2 = {
  'X-Identity-Status': 'Confirmed',
  'X-Project-Id': 'p2',
  'X-User-Id': 'bob',
  'X-Roles': 'member,reader',
};

export const FINISHED = new Set(['success', 'failure']);

/** Polls a task until it has finished (or the deadline passes) and returns its document. */
export async function waitForTask(
  http: TestAgent,
  id: string,
  headers: Record<string, string> = ADMIN,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await http.get(`/v2/tasks/${id}`).set(headers);
    if (res.status === 200 && FINISHED.has(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`task ${id} did not finish: ${res.status} ${res.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const IMPORT_BODY = {
  type: 'import',
  input: {
    import_from: 'http://93.184.216.34/cirros.img',
    import_from_format: 'qcow2',
    image_properties: { disk_format: 'qcow2', container_format: 'bare' },
  },
};
