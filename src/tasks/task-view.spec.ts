import { TaskEntity } from './task.entity.js';
import { toImageTaskRow, toTaskDocument, toTaskNotification, toTaskStub } from './task-view.js';

function task(overrides: Partial<TaskEntity> = {}): TaskEntity {
  return Object.assign(new TaskEntity(), {
    id: '8becb6e3-4ae2-4a81-8f8b-45372482fc3d',
    type: 'api_image_import',
    status: 'processing',
    owner: 'p1',
    userId: 'u1',
    requestId: 'req-1',
    imageId: null,
    input: { image_id: 'i', import_req: { method: { name: 'web-download', uri: 'http://u:p@h/' } } },
    result: null,
    message: 'Copied 15 MiB',
    progressBytes: '15728640',
    progressTotal: null,
    expiresAt: null,
    createdAt: new Date('2020-12-18T05:20:38.123Z'),
    updatedAt: new Date('2020-12-18T05:25:39.000Z'),
    deleted: false,
    deletedAt: null,
    ...overrides,
  });
}

describe('task views', () => {
  it('prints the task document in whole seconds and leaves out empty optional fields', () => {
    const doc = toTaskDocument(task());
    expect(doc.created_at).toBe('2020-12-18T05:20:38Z');
    expect(doc).not.toHaveProperty('image_id');
    expect(doc).not.toHaveProperty('expires_at');
    expect(doc).toMatchObject({ request_id: 'req-1', user_id: 'u1', message: 'Copied 15 MiB' });
    expect(doc).not.toHaveProperty('progressBytes');
  });

  it('keeps input, result and message out of list stubs', () => {
    const stub = toTaskStub(task({ expiresAt: new Date('2020-12-20T05:25:39Z') }));
    expect(Object.keys(stub).sort()).toEqual(
      ['created_at', 'expires_at', 'id', 'owner', 'schema', 'self', 'status', 'type', 'updated_at'].sort(),
    );
  });

  it('prints image-task rows with microseconds and no zone, nulls kept', () => {
    const row = toImageTaskRow(task());
    expect(row.created_at).toBe('2020-12-18T05:20:38.123000');
    expect(row.updated_at).toBe('2020-12-18T05:25:39.000000');
    expect(row).toMatchObject({
      expires_at: null,
      deleted_at: null,
      deleted: false,
      image_id: null,
      result: null,
      progress_bytes: 15728640,
      progress_total: null,
    });
  });

  it('blanks input, result and message in notifications, and stamps a missing expiry with now', () => {
    const now = new Date('2021-01-01T00:00:00Z');
    const payload = toTaskNotification(task({ result: { image_id: 'i' } }), now);
    expect(payload).toEqual({
      id: '8becb6e3-4ae2-4a81-8f8b-45372482fc3d',
      type: 'api_image_import',
      status: 'processing',
      result: null,
      owner: 'p1',
      message: null,
      expires_at: '2021-01-01T00:00:00Z',
      created_at: '2020-12-18T05:20:38Z',
      updated_at: '2020-12-18T05:25:39Z',
      deleted: false,
      deleted_at: null,
    });
    expect(JSON.stringify(payload)).not.toContain('u:p@h');
  });
});
