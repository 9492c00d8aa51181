import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgBoss, fromPglite } from 'pg-boss';
import { DataSource } from 'typeorm';
import { RequestContext } from '../../src/auth/request-context.js';
import { JOB_SCHEMA, embeddedSession } from '../../src/tasks/executor/job-queue.js';
import { INTERRUPTED_MESSAGE } from '../../src/tasks/executor/task-executor.js';
import { TaskHandlerRegistry } from '../../src/tasks/executor/task-handler.registry.js';
import { TaskLifecycle } from '../../src/tasks/task-lifecycle.service.js';
import { TasksService } from '../../src/tasks/tasks.service.js';
import type { TaskEntity } from '../../src/tasks/task.entity.js';
import { createTestDatabase, startTestApp } from '../support/test-app.js';
import type { TestApp, TestAppOptions } from '../support/test-app.js';
import { ADMIN, FINISHED, waitForTask } from '../support/tasks.js';

const onPostgres = Boolean(process.env.DATABASE_URL);
const FAST = { GLINT_AUTH: 'trusted', GLINT_TASK_POLL_SECONDS: '0.5', GLINT_TASK_SUPERVISE_SECONDS: '1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForState(app: TestApp, id: string, timeoutMs = 30_000): Promise<TaskEntity> {
  const lifecycle = app.app.get(TaskLifecycle);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await lifecycle.find(id);
    if (task && FINISHED.has(task.status)) return task;
    if (Date.now() > deadline) throw new Error(`task ${id} still ${task?.status}`);
    await sleep(100);
  }
}

/**
 * One deployment's database for several app instances: a PostgreSQL database of its own, or,
 * on the embedded database, a data dir on disk (the in-memory snapshot would not survive a restart).
 */
async function sharedDatabase(): Promise<{ options: TestAppOptions; drop(): Promise<void> }> {
  const pg = await createTestDatabase();
  if (pg) return { options: { databaseUrl: pg.url }, drop: () => pg.drop() };
  const dataDir = mkdtempSync(join(tmpdir(), 'glint-restart-'));
  return {
    options: { dataDir },
    drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
  };
}

describe(`task executor durability (${onPostgres ? 'PostgreSQL' : 'embedded database on disk'})`, () => {
  const open: TestApp[] = [];
  let db: Awaited<ReturnType<typeof sharedDatabase>> | undefined;

  afterEach(async () => {
    for (const app of open.splice(0)) await app.close();
    await db?.drop();
    db = undefined;
  });

  it('runs a task queued by a process that stopped before running it, once, in the next process', async () => {
    db = await sharedDatabase();
    // An API-only process: it stores and queues tasks but runs none.
    const a = await startTestApp({ ...FAST, GLINT_TASK_CONCURRENCY: '0' }, undefined, db.options);
    open.push(a);
    const queued = await a.http
      .post('/v2/tasks')
      .set(ADMIN)
      .send({ type: 'api_image_import', input: { image_id: 'img-restart' } })
      .expect(201);
    // A second task whose job was lost: the process died between storing the task and queuing it.
    const lost = await a.app.get(TasksService).createTask(new RequestContext('u', 'p1', ['admin'], true), {
      type: 'api_image_import',
      input: {},
      imageId: 'img-lost',
    });
    await a.app.get(DataSource).query(`DELETE FROM ${JOB_SCHEMA}.job WHERE id = $1`, [lost.id]);
    await sleep(1500);
    expect((await a.http.get(`/v2/tasks/${queued.body.id}`).set(ADMIN)).body.status).toBe('pending');
    await a.close();
    open.pop();

    const runs: string[] = [];
    const b = await startTestApp(FAST, undefined, {
      ...db.options,
      beforeInit: (app) =>
        app.get(TaskHandlerRegistry).register('api_image_import', (ctx) => {
          runs.push(ctx.task.id);
          return Promise.resolve({ image_id: ctx.task.imageId });
        }),
    });
    open.push(b);
    const done = await waitForTask(b.http, queued.body.id);
    expect(done).toMatchObject({ status: 'success', result: { image_id: 'img-restart' } });
    const recovered = await waitForTask(b.http, lost.id);
    expect(recovered).toMatchObject({ status: 'success', result: { image_id: 'img-lost' } });
    await sleep(1000);
    expect(runs.sort()).toEqual([queued.body.id, lost.id].sort());
  }, 240_000);

  (onPostgres ? it : it.skip)(
    'shares the work between two processes on one database, each task running once',
    async () => {
      db = await sharedDatabase();
      const runs = new Map<string, string[]>();
      const worker = (name: string) => (app: TestApp['app']) =>
        app.get(TaskHandlerRegistry).register('api_image_import', async (ctx) => {
          runs.set(ctx.task.id, [...(runs.get(ctx.task.id) ?? []), name]);
          await sleep(150);
          return { ran_on: name };
        });
      const a = await startTestApp(FAST, undefined, { ...db.options, beforeInit: worker('a') });
      open.push(a);
      const b = await startTestApp(FAST, undefined, { ...db.options, beforeInit: worker('b') });
      open.push(b);
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) {
        const via = i % 2 ? a : b;
        const res = await via.http
          .post('/v2/tasks')
          .set(ADMIN)
          .send({ type: 'api_image_import', input: { n: i } })
          .expect(201);
        ids.push(res.body.id);
      }
      for (const id of ids) expect((await waitForTask(a.http, id)).status).toBe('success');
      await sleep(1000);
      expect([...runs.keys()].sort()).toEqual([...ids].sort());
      for (const id of ids) expect(runs.get(id)).toHaveLength(1);
      const byProcess = [...runs.values()].flat();
      expect(byProcess.filter((n) => n === 'a').length).toBeGreaterThan(0);
      expect(byProcess.filter((n) => n === 'b').length).toBeGreaterThan(0);
    },
    240_000,
  );

  it('fails, or runs again when its handler is idempotent, a task whose worker died while running it', async () => {
    db = await sharedDatabase();
    const env = { ...FAST, GLINT_TASK_MAX_RUNTIME_SECONDS: '2' };
    const a = await startTestApp({ ...env, GLINT_TASK_CONCURRENCY: '0' }, undefined, db.options);
    open.push(a);
    const ctx = new RequestContext('u', 'p1', ['admin'], true);
    const once = await a.app.get(TasksService).createTask(ctx, { type: 'test_once', input: {} });
    const again = await a.app.get(TasksService).createTask(ctx, { type: 'test_again', input: {} });

    // A worker claims both jobs, starts both tasks, and dies without another word.
    const session = embeddedSession(a.app.get(DataSource));
    const dead = new PgBoss({
      ...(session
        ? {
            db: {
              executeSql: (text: string, values?: unknown[]) =>
                session.withSession((pglite) => fromPglite(pglite).executeSql(text, values)),
            },
            backend: 'pglite' as const,
          }
        : { connectionString: db.options.databaseUrl }),
      schema: JOB_SCHEMA,
      supervise: false,
      schedule: false,
      registerInstance: false,
      openTelemetry: { enabled: false },
    });
    await dead.start();
    const claimed = await dead.fetch<{ taskId: string }>('glint-tasks', { batchSize: 2 });
    expect(claimed.map((j) => j.data.taskId).sort()).toEqual([once.id, again.id].sort());
    for (const job of claimed) expect(await a.app.get(TaskLifecycle).begin(job.data.taskId)).not.toBeNull();
    await dead.stop({ graceful: false });
    // The process restarts: its jobs are still marked active, by a worker that no longer exists.
    await a.close();
    open.pop();

    const attempts: number[] = [];
    const recovered: Array<{ id: string; input: unknown }> = [];
    const b = await startTestApp(env, undefined, {
      ...db.options,
      beforeInit: (app) => {
        const registry = app.get(TaskHandlerRegistry);
        registry.register('test_once', {
          run: () => Promise.resolve({ ran: true }),
          // The handler undoes what the dead run left (an import puts its image back).
          recover: (task) => {
            recovered.push({ id: task.id, input: task.input });
            return Promise.resolve();
          },
        });
        registry.register(
          'test_again',
          (run) => {
            attempts.push(run.attempt);
            return Promise.resolve({ attempt: run.attempt });
          },
          { idempotent: true },
        );
      },
    });
    open.push(b);
    const failed = await waitForState(b, once.id);
    expect(failed.status).toBe('failure');
    expect(failed.message).toBe(INTERRUPTED_MESSAGE);
    expect(failed.result).toBeNull();
    const rerun = await waitForState(b, again.id);
    expect(rerun.status).toBe('success');
    expect(rerun.result).toEqual({ attempt: 2 });
    expect(attempts).toEqual([2]);
    await vi.waitFor(() => expect(recovered).toEqual([{ id: once.id, input: {} }]));
  }, 240_000);
});
