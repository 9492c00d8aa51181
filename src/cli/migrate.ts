import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from '../database/data-source.js';

/**
 * Migrations by hand: `run`, `revert` (the last one), `show`, and `generate <Name>`, which writes
 * the SQL that turns the current database into the entities' schema as a new file in migrations/
 * (read it, then add the class to migrations/index.ts).
 */
async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  const config = loadConfig();
  const dataSource = new DataSource({
    ...buildDataSourceOptions(config.database).options,
    migrationsRun: false,
  });
  await dataSource.initialize();
  try {
    switch (command) {
      case 'run': {
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        console.log(applied.length ? applied.map((m) => `applied ${m.name}`).join('\n') : 'nothing to apply');
        break;
      }
      case 'revert':
        await dataSource.undoLastMigration({ transaction: 'each' });
        console.log('reverted the last migration');
        break;
      case 'show':
        console.log((await dataSource.showMigrations()) ? 'migrations are pending' : 'up to date');
        break;
      case 'generate': {
        if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('generate needs a PascalCase name');
        const sql = await dataSource.driver.createSchemaBuilder().log();
        if (!sql.upQueries.length) {
          console.log('the database already matches the entities');
          break;
        }
        const stamp = Date.now();
        const line = (q: { query: string; parameters?: unknown[] }) =>
          `    await queryRunner.query(${JSON.stringify(q.query)}${q.parameters?.length ? `, ${JSON.stringify(q.parameters)}` : ''});`;
        const file = resolve('migrations', `${stamp}-${name}.ts`);
        writeFileSync(
          file,
          `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\n` +
            `export class ${name}${stamp} implements MigrationInterface {\n` +
            `  name = '${name}${stamp}';\n\n` +
            `  public async up(queryRunner: QueryRunner): Promise<void> {\n${sql.upQueries.map(line).join('\n')}\n  }\n\n` +
            `  public async down(queryRunner: QueryRunner): Promise<void> {\n${sql.downQueries.reverse().map(line).join('\n')}\n  }\n}\n`,
        );
        console.log(`wrote ${file}`);
        break;
      }
      default:
        throw new Error('usage: migrate run | revert | show | generate <Name>');
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: Error) => {
  console.error(err instanceof ConfigError ? `glint: configuration error: ${err.message}` : err.message);
  process.exit(1);
});
