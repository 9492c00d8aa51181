import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The roles of the caller who created a task: import plugins act on them after the request ended. */
export class TaskUserRoles1795735000000 implements MigrationInterface {
  name = 'TaskUserRoles1795735000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "tasks" ADD "user_roles" jsonb');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "tasks" DROP COLUMN "user_roles"');
  }
}
