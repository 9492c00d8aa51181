import { PgBoss, fromPglite } from 'pg-boss';
import type { ConstructorOptions, PGliteLike } from 'pg-boss';
import type { DataSource } from 'typeorm';
import type { TaskExecutorConfig } from '../../config/app-config.js';
import type { PgliteDriver } from '../../database/pglite-driver.js';

type IDatabase = NonNullable<ConstructorOptions['db']>;

/** pg-boss keeps its tables in a schema of their own. */
export const JOB_SCHEMA = 'glint_jobs';

/** The embedded database's session lock, when the application runs on PGlite. */
export function embeddedSession(dataSource: DataSource): PgliteDriver | undefined {
  const driver = (dataSource.options as { driver?: Partial<PgliteDriver> }).driver;
  return typeof driver?.withSession === 'function' ? (driver as PgliteDriver) : undefined;
}

/**
 * pg-boss's statements on the embedded database. PGlite has one session, which TypeORM's
 * transactions hold while they run; each pg-boss statement therefore takes the same session lock,
 * so it can never land inside someone else's transaction.
 */
function embeddedJobDatabase(session: PgliteDriver): IDatabase {
  let adapter: IDatabase | undefined;
  return {
    executeSql: (text, values) =>
      session.withSession(async (pglite) => {
        adapter ??= fromPglite(pglite);
        return adapter.executeSql(text, values);
      }),
  };
}

/**
 * A pg-boss instance on the application's database, tuned to stay quiet when idle: no cron, no
 * instance registry, no LISTEN connection, housekeeping passes spread out.
 */
export function createJobQueue(
  dataSource: DataSource,
  url: string | undefined,
  cfg: TaskExecutorConfig,
): PgBoss {
  const session = embeddedSession(dataSource);
  const connection: ConstructorOptions = session
    ? { db: embeddedJobDatabase(session), backend: 'pglite' }
    : { connectionString: url, max: 4, application_name: 'glint-tasks' };
  return new PgBoss({
    ...connection,
    schema: JOB_SCHEMA,
    schedule: false,
    registerInstance: false,
    useListenNotify: false,
    supervise: true,
    superviseIntervalSeconds: cfg.superviseSeconds,
    monitorIntervalSeconds: cfg.superviseSeconds,
    queueCacheIntervalSeconds: Math.max(60, cfg.superviseSeconds),
    bamIntervalSeconds: 300,
    flowIntervalSeconds: 300,
    reindex: false,
    monitorVacuum: false,
    openTelemetry: { enabled: false },
  });
}

/**
 * Installs (or upgrades) pg-boss's tables on an embedded database and leaves. The executor does
 * this itself at start; the test suite calls it once on its database snapshot, so that each
 * test app does not pay for the install again.
 */
export async function prepareJobSchema(pglite: PGliteLike): Promise<void> {
  const boss = new PgBoss({
    db: fromPglite(pglite),
    backend: 'pglite',
    schema: JOB_SCHEMA,
    supervise: false,
    schedule: false,
    registerInstance: false,
    openTelemetry: { enabled: false },
  });
  await boss.start();
  await boss.stop({ graceful: false });
}
