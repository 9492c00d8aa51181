import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { RequestContext } from '../../src/auth/request-context.js';
import { NOTIFICATION_EVENT } from '../../src/notifications/notification.js';
import type { Notification } from '../../src/notifications/notification.js';
import { TaskHandlerRegistry } from '../../src/tasks/executor/task-handler.registry.js';
import { TaskFailedError } from '../../src/tasks/executor/task-handler.js';
import { TasksService } from '../../src/tasks/tasks.service.js';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { ADMIN, IMPORT_BODY, MEMBER_P1, MEMBER_P2, waitForTask } from '../support/tasks.js';

const TASK_KEYS = [
  'created_at',
  'id',
  'input',
  'message',
  'owner',
  'result',
  'schema',
  'self',
  'status',
  'type',
  'updated_at',
];
const STUB_KEYS = ['created_at', 'id', 'owner', 'schema', 'self', 'status', 'type', 'updated_at'];
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ROW_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/** A stand-in for the import flow: reports progress, then succeeds or fails as its input says. */
function registerFakeImport(t: { app: { get: TestApp['app']['get'] } }) {
  // The real import handler is registered at start; these tests drive the executor with a fake.
  t.app.get(TaskHandlerRegistry).unregister('api_image_import');
  t.app.get(TaskHandlerRegistry).register('api_image_import', async (ctx) => {
    await ctx.setMessage('Copied 0 MiB');
    await ctx.reportProgress({ bytes: 512, total: 1024 });
    await ctx.reportProgress({ bytes: 1024, total: 1024, message: 'Copied 1 MiB' });
    if (ctx.task.input?.fail) throw new TaskFailedError(ctx.task.input.fail as string);
    return { image_id: ctx.task.imageId };
  });
}

describe('tasks API (default policy)', () => {
  let t: TestApp;
  const sent: Notification[] = [];

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_TASK_POLL_SECONDS: '0.5' }, undefined, {
      beforeInit: (app) => {
        registerFakeImport({ app });
        app.get(EventEmitter2).on(NOTIFICATION_EVENT, (n: Notification) => sent.push(n));
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('tasks_api_access', () => {
    it('refuses a member on every call with 403', async () => {
      const denied = 'You are not authorized to complete tasks_api_access action.';
      const list = await t.http.get('/v2/tasks').set(MEMBER_P1).set('Accept', 'application/json').expect(403);
      expect(list.body.message).toContain(denied);
      await t.http.post('/v2/tasks').set(MEMBER_P1).send(IMPORT_BODY).expect(403);
      await t.http.get('/v2/tasks/8becb6e3-4ae2-4a81-8f8b-45372482fc3d').set(MEMBER_P1).expect(403);
      // Glance checks the policy before refusing the method.
      await t.http.delete('/v2/tasks/8becb6e3-4ae2-4a81-8f8b-45372482fc3d').set(MEMBER_P1).expect(403);
    });
  });

  describe('POST /v2/tasks', () => {
    it('creates an import task: 201, absolute Location, Glance task document', async () => {
      const res = await t.http
        .post('/v2/tasks')
        .set(ADMIN)
        .set('X-Openstack-Request-Id', 'req-create-1')
        .send(IMPORT_BODY)
        .expect(201);
      expect(Object.keys(res.body).sort()).toEqual([...TASK_KEYS, 'request_id', 'user_id'].sort());
      expect(res.body).toMatchObject({
        type: 'import',
        status: 'pending',
        owner: 'p1',
        user_id: 'admin-user',
        request_id: 'req-create-1',
        message: '',
        result: null,
        input: IMPORT_BODY.input,
        schema: '/v2/schemas/task',
        self: `/v2/tasks/${res.body.id}`,
      });
      expect(res.body.created_at).toMatch(ISO_Z);
      expect(res.headers.location).toMatch(new RegExp(`^http://[^/]+/v2/tasks/${res.body.id}$`));
    });

    it('fails a legacy import task clearly instead of pretending: no handler runs that type yet', async () => {
      const res = await t.http.post('/v2/tasks').set(ADMIN).send(IMPORT_BODY).expect(201);
      const done = await waitForTask(t.http, res.body.id);
      expect(done.status).toBe('failure');
      expect(done.message).toBe(
        "Tasks of type 'import' cannot run on this server: no handler is registered for them.",
      );
      expect(done.result).toBeNull();
      expect(done.expires_at).toMatch(ISO_Z);
    });

    it('runs a registered handler: processing, then success with its result', async () => {
      const image = 'a1b2c3d4-0000-4000-8000-000000000001';
      const res = await t.http
        .post('/v2/tasks')
        .set(ADMIN)
        .send({ type: 'api_image_import', input: { image_id: image } })
        .expect(201);
      expect(res.body.image_id).toBe(image);
      const done = await waitForTask(t.http, res.body.id);
      expect(done).toMatchObject({ status: 'success', result: { image_id: image }, message: 'Copied 1 MiB' });
      const expires = Date.parse(String(done.expires_at));
      expect(expires - Date.now()).toBeGreaterThan(47 * 3600_000);
      expect(expires - Date.now()).toBeLessThanOrEqual(48 * 3600_000);
    });

    it('fails the task with the handler error as its message', async () => {
      const res = await t.http
        .post('/v2/tasks')
        .set(ADMIN)
        .send({ type: 'api_image_import', input: { image_id: 'img-x', fail: 'Image storage media is full' } })
        .expect(201);
      const done = await waitForTask(t.http, res.body.id);
      expect(done).toMatchObject({ status: 'failure', message: 'Image storage media is full', result: null });
    });

    it.each([
      [undefined, 'Body expected in request.'],
      [{}, "Task 'type' is required"],
      [[], "Task 'type' is required"],
      [{ type: 'import' }, "Task 'input' is required"],
      [{ input: {} }, "Task 'type' is required"],
      [
        { type: 'foo', input: {} },
        "Provided object does not match schema 'task': 'foo' is not one of ['import', 'api_image_import', 'location_import']",
      ],
      [
        { type: 'import', input: 'x' },
        "Provided object does not match schema 'task': 'x' is not of type 'null', 'object'",
      ],
      [
        { type: 'import', input: {}, extra: 1 },
        "Provided object does not match schema 'task': Additional properties are not allowed ('extra' was unexpected)",
      ],
      [{ type: 'import', input: {} }, 'Invalid location: None'],
      [{ type: 'import', input: null }, 'Invalid location: None'],
      [{ type: 'import', input: { import_from: '' } }, 'Invalid location: '],
      [
        { type: 'import', input: { import_from: 'file:///etc/passwd' } },
        'File based imports are not allowed. Please use a non-local source of image data.',
      ],
      [
        { type: 'import', input: { import_from: 'ftp://93.184.216.34/x.img' } },
        "The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http']",
      ],
      [
        { type: 'import', input: { import_from: 'http://93.184.216.34:8080/x.img' } },
        'URI for legacy import task does not pass filtering: http://93.184.216.34:8080/x.img',
      ],
      [
        { type: 'import', input: { import_from: 'http://127.1/x.img' } },
        'URI for legacy import task does not pass filtering: http://127.1/x.img',
      ],
      [
        { type: 'import', input: { import_from: 'http://2130706433/x.img' } },
        'URI for legacy import task does not pass filtering: http://2130706433/x.img',
      ],
    ])('refuses %j with 400 and Glance message', async (body, message) => {
      const req = t.http.post('/v2/tasks').set(ADMIN).set('Accept', 'application/json');
      const res = await (body === undefined ? req : req.send(body as object)).expect(400);
      if (message.startsWith('Provided object does not match schema')) {
        // python-jsonschema's whole text follows, as in Glance: the failing schema and instance.
        const [first, ...rest] = (res.body.message as string).split('\n\n');
        expect(first).toBe(message);
        expect(rest[0]).toMatch(/^Failed validating '\w+' in schema/);
        expect(res.body).toMatchObject({ code: '400 Bad Request', title: 'Bad Request' });
        return;
      }
      expect(res.body).toEqual({
        message: `${message}<br /><br />\n\n\n`,
        code: '400 Bad Request',
        title: 'Bad Request',
      });
    });
  });

  describe('GET /v2/tasks', () => {
    let ids: string[];
    beforeAll(async () => {
      ids = [];
      for (let i = 0; i < 3; i++) {
        const res = await t.http.post('/v2/tasks').set(ADMIN).send(IMPORT_BODY).expect(201);
        ids.push(res.body.id);
        await new Promise((r) => setTimeout(r, 15));
      }
      for (const id of ids) await waitForTask(t.http, id);
    });

    it('lists stubs without input, result and message, newest first, with links', async () => {
      const res = await t.http.get('/v2/tasks').set(ADMIN).expect(200);
      expect(res.body.first).toBe('/v2/tasks');
      expect(res.body.schema).toBe('/v2/schemas/tasks');
      expect(res.body.next).toBeUndefined();
      const stub = res.body.tasks.find((x: { id: string }) => x.id === ids[0]);
      expect(Object.keys(stub).sort()).toEqual([...STUB_KEYS, 'expires_at'].sort());
      const created = res.body.tasks.map((x: { created_at: string }) => x.created_at);
      expect([...created].sort().reverse()).toEqual(created);
      const pos = ids.map((id) => res.body.tasks.findIndex((x: { id: string }) => x.id === id));
      expect(pos[0]).toBeGreaterThan(pos[1]);
      expect(pos[1]).toBeGreaterThan(pos[2]);
    });

    it('pages with limit and marker, keeping the query in first and next', async () => {
      const all = (await t.http.get('/v2/tasks?type=import&sort_dir=asc').set(ADMIN).expect(200)).body.tasks;
      const page1 = await t.http.get('/v2/tasks?type=import&sort_dir=asc&limit=2').set(ADMIN).expect(200);
      expect(page1.body.first).toBe('/v2/tasks?type=import&sort_dir=asc&limit=2');
      expect(page1.body.tasks.map((x: { id: string }) => x.id)).toEqual(
        all.slice(0, 2).map((x: { id: string }) => x.id),
      );
      const marker = page1.body.tasks[1].id;
      expect(page1.body.next).toBe(`/v2/tasks?type=import&sort_dir=asc&limit=2&marker=${marker}`);
      const page2 = await t.http.get(page1.body.next).set(ADMIN).expect(200);
      expect(page2.body.first).toBe('/v2/tasks?type=import&sort_dir=asc&limit=2');
      expect(page2.body.tasks[0].id).toBe(all[2].id);
      const seen = new Set<string>();
      let url: string | undefined = '/v2/tasks?limit=1&sort_key=status';
      while (url) {
        const page: { body: { tasks: Array<{ id: string }>; next?: string } } = await t.http
          .get(url)
          .set(ADMIN)
          .expect(200);
        page.body.tasks.forEach((x: { id: string }) => seen.add(x.id));
        url = page.body.next;
      }
      const total = (await t.http.get('/v2/tasks?limit=1000').set(ADMIN).expect(200)).body.tasks.length;
      expect(seen.size).toBe(total);
    });

    it('filters by status and type, and by other columns by equality', async () => {
      const failed = await t.http.get('/v2/tasks?status=failure').set(ADMIN).expect(200);
      expect(failed.body.tasks.length).toBeGreaterThan(0);
      expect(failed.body.tasks.every((x: { status: string }) => x.status === 'failure')).toBe(true);
      const pending = await t.http.get('/v2/tasks?status=pending&type=import').set(ADMIN).expect(200);
      expect(pending.body.tasks).toEqual([]);
      const mine = await t.http.get(`/v2/tasks?id=${ids[1]}`).set(ADMIN).expect(200);
      expect(mine.body.tasks.map((x: { id: string }) => x.id)).toEqual([ids[1]]);
      const nobody = await t.http.get('/v2/tasks?owner=nobody').set(ADMIN).expect(200);
      expect(nobody.body.tasks).toEqual([]);
      await t.http
        .get('/v2/tasks?id=not-a-uuid')
        .set(ADMIN)
        .expect(200, { tasks: [], first: '/v2/tasks?id=not-a-uuid', schema: '/v2/schemas/tasks' });
      const empty = await t.http.get('/v2/tasks?limit=0').set(ADMIN).expect(200);
      expect(empty.body).toEqual({ tasks: [], first: '/v2/tasks?limit=0', schema: '/v2/schemas/tasks' });
    });

    it.each([
      ['type=api_image_import', 'Invalid type value: api_image_import'],
      ['status=bogus', 'Invalid status value: bogus'],
      ['limit=-1', 'limit param must be positive'],
      ['limit=abc', 'limit param must be an integer'],
      ['marker=abc', 'Invalid marker format'],
      [
        'marker=9ecb6e3f-4ae2-4a81-8f8b-45372482fc3d',
        'Task with the given id 9ecb6e3f-4ae2-4a81-8f8b-45372482fc3d was not found',
      ],
      ['sort_key=foo', 'Sort key supplied was not valid.'],
      ['sort_key=input', 'Sort key supplied was not valid.'],
      ['sort_dir=up', 'Invalid sort direction: up'],
      ['sort_dir=ASC', 'Invalid sort direction: ASC'],
    ])('refuses ?%s with 400', async (query, message) => {
      const res = await t.http
        .get(`/v2/tasks?${query}`)
        .set(ADMIN)
        .set('Accept', 'application/json')
        .expect(400);
      expect(res.body.message).toBe(`${message}<br /><br />\n\n\n`);
    });
  });

  describe('GET and DELETE /v2/tasks/{id}', () => {
    it('answers 404 for an unknown or malformed id', async () => {
      const res = await t.http
        .get('/v2/tasks/nonexistent')
        .set(ADMIN)
        .set('Accept', 'application/json')
        .expect(404);
      expect(res.body.message).toBe('Could not find task nonexistent<br /><br />\n\n\n');
      await t.http.get('/v2/tasks/9ecb6e3f-4ae2-4a81-8f8b-45372482fc3d').set(ADMIN).expect(404);
    });

    it('refuses DELETE with 405, Allow: GET and Glance text', async () => {
      const text =
        'This operation is currently not permitted on Glance Tasks. They are auto deleted after reaching the time based on their expires_at property.';
      const plain = await t.http.delete('/v2/tasks/anything').set(ADMIN).expect(405);
      expect(plain.headers.allow).toBe('GET');
      expect(plain.headers['content-type']).toBe('text/plain; charset=UTF-8');
      expect(plain.text).toBe(`405 Method Not Allowed\n\n${text}`);
      const json = await t.http
        .delete('/v2/tasks/anything')
        .set(ADMIN)
        .set('Accept', 'application/json')
        .expect(405);
      expect(json.body).toEqual({
        message: text,
        code: '405 Method Not Allowed',
        title: 'Method Not Allowed',
      });
      const put = await t.http.put('/v2/tasks/anything').set(ADMIN).expect(405);
      expect(put.headers.allow).toBe('GET, DELETE');
    });
  });

  describe('notifications', () => {
    it("sends task.create, processing, success and run with Glance's blanked payload, plus progress", async () => {
      const image = 'a1b2c3d4-0000-4000-8000-0000000000aa';
      const res = await t.http
        .post('/v2/tasks')
        .set(ADMIN)
        .send({ type: 'api_image_import', input: { image_id: image, secret: 'http://user:pw@x/' } })
        .expect(201);
      await waitForTask(t.http, res.body.id);
      const mine = sent.filter(
        (n) =>
          (n.payload as { id?: string; task_id?: string }).id === res.body.id ||
          (n.payload as { task_id?: string }).task_id === res.body.id,
      );
      const types = mine.map((n) => n.event_type);
      expect(types.filter((e) => e.startsWith('task.'))).toEqual([
        'task.create',
        'task.processing',
        'task.success',
        'task.run',
      ]);
      expect(types).toContain('image.import.progress');
      const success = mine.find((n) => n.event_type === 'task.success')!;
      expect(success.payload).toEqual({
        id: res.body.id,
        type: 'api_image_import',
        status: 'success',
        result: null,
        owner: 'p1',
        message: null,
        expires_at: expect.stringMatching(ISO_Z),
        created_at: expect.stringMatching(ISO_Z),
        updated_at: expect.stringMatching(ISO_Z),
        deleted: false,
        deleted_at: null,
      });
      expect(JSON.stringify(mine.filter((n) => n.event_type.startsWith('task.')))).not.toContain('user:pw');
      const progress = mine.filter((n) => n.event_type === 'image.import.progress').map((n) => n.payload);
      expect(progress.at(-1)).toMatchObject({
        task_id: res.body.id,
        image_id: image,
        bytes: 1024,
        total: 1024,
        percent: 100,
      });
    });
  });

  describe('image tasks (TasksService.listForImage)', () => {
    it('returns the raw rows of the caller’s live tasks of the image', async () => {
      const image = 'a1b2c3d4-0000-4000-8000-0000000000bb';
      const res = await t.http
        .post('/v2/tasks')
        .set(ADMIN)
        .send({ type: 'api_image_import', input: { image_id: image } })
        .expect(201);
      await waitForTask(t.http, res.body.id);
      const service = t.backend.get(TasksService);
      const owner = new RequestContext('alice', 'p1', ['member', 'reader'], false);
      const other = new RequestContext('bob', 'p2', ['member', 'reader'], false);
      const { tasks } = await service.listForImage(owner, image);
      expect(tasks).toHaveLength(1);
      expect(Object.keys(tasks[0]).sort()).toEqual(
        [
          'created_at',
          'deleted',
          'deleted_at',
          'expires_at',
          'id',
          'image_id',
          'input',
          'message',
          'owner',
          'request_id',
          'result',
          'status',
          'type',
          'updated_at',
          'user_id',
          'progress_bytes',
          'progress_total',
        ].sort(),
      );
      expect(tasks[0]).toMatchObject({
        id: res.body.id,
        image_id: image,
        status: 'success',
        deleted: false,
        deleted_at: null,
        result: { image_id: image },
        progress_bytes: 1024,
        progress_total: 1024,
      });
      expect(tasks[0].created_at).toMatch(ROW_TIME);
      expect(tasks[0].expires_at).toMatch(ROW_TIME);
      expect((await service.listForImage(other, image)).tasks).toEqual([]);
      expect((await service.listForImage(RequestContext.internal(), image)).tasks).toHaveLength(1);
    });
  });
});

describe('tasks API (tasks open to members, tasks expire at once)', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glint-tasks-cfg-'));
    const file = join(dir, 'glint.yaml');
    writeFileSync(file, "policy:\n  tasks_api_access: 'role:member'\ntask:\n  task_time_to_live: 0\n");
    t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_TASK_POLL_SECONDS: '0.5' }, file, {
      beforeInit: (app) => {
        // Runs until told to stop.
        app
          .get(TaskHandlerRegistry)
          .register(
            'api_image_import',
            (ctx) =>
              new Promise((_, reject) =>
                ctx.signal.addEventListener('abort', () => reject(new Error('stopped'))),
              ),
          );
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("hides another project's tasks: 404 on show, absent from lists", async () => {
    const mine = await t.http
      .post('/v2/tasks')
      .set(MEMBER_P1)
      .send({ type: 'api_image_import', input: { image_id: 'i1' } })
      .expect(201);
    await t.http.get(`/v2/tasks/${mine.body.id}`).set(MEMBER_P1).expect(200);
    const other = await t.http
      .get(`/v2/tasks/${mine.body.id}`)
      .set(MEMBER_P2)
      .set('Accept', 'application/json')
      .expect(404);
    expect(other.body.message).toBe(`Could not find task ${mine.body.id}<br /><br />\n\n\n`);
    const list = await t.http.get('/v2/tasks').set(MEMBER_P2).expect(200);
    expect(list.body.tasks.map((x: { id: string }) => x.id)).not.toContain(mine.body.id);
    const own = await t.http.get('/v2/tasks').set(MEMBER_P1).expect(200);
    expect(own.body.tasks.map((x: { id: string }) => x.id)).toContain(mine.body.id);
    const marker = await t.http.get(`/v2/tasks?marker=${mine.body.id}`).set(MEMBER_P2).expect(403);
    expect(marker.text).toContain(`Forbidding request, task ${mine.body.id} is not visible`);
  });

  it('lets another feature fail a running task (a preempted import lock)', async () => {
    const res = await t.http
      .post('/v2/tasks')
      .set(MEMBER_P1)
      .send({ type: 'api_image_import', input: { image_id: 'i2' } })
      .expect(201);
    const service = t.backend.get(TasksService);
    const deadline = Date.now() + 20_000;
    while ((await service.findTask(res.body.id))?.status !== 'processing') {
      if (Date.now() > deadline) throw new Error('task never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    const failed = await service.failTask(res.body.id, 'Expired lock preempted');
    expect(failed).toMatchObject({ status: 'failure', message: 'Expired lock preempted' });
    expect(await service.failTask(res.body.id, 'again')).toBeNull();
    expect(await service.findTask('not-a-uuid')).toBeNull();
  });

  it('makes a finished task disappear from every read once it expires', async () => {
    const res = await t.http.post('/v2/tasks').set(MEMBER_P1).send(IMPORT_BODY).expect(201);
    const deadline = Date.now() + 20_000;
    // With task_time_to_live 0 the failed task expires the moment it finishes.
    while ((await t.http.get(`/v2/tasks/${res.body.id}`).set(MEMBER_P1)).status === 200) {
      if (Date.now() > deadline) throw new Error('task never finished');
      await new Promise((r) => setTimeout(r, 100));
    }
    await t.http.get(`/v2/tasks/${res.body.id}`).set(MEMBER_P1).expect(404);
    const list = await t.http.get('/v2/tasks').set(MEMBER_P1).expect(200);
    expect(list.body.tasks.map((x: { id: string }) => x.id)).not.toContain(res.body.id);
    await t.http.get(`/v2/tasks?marker=${res.body.id}`).set(MEMBER_P1).expect(400);
    const rows = await t.backend.get(TasksService).listForImage(RequestContext.internal(), 'whatever');
    expect(rows.tasks).toEqual([]);
  });
});
