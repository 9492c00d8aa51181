import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTasks1795728281386 implements MigrationInterface {
  name = 'CreateTasks1795728281386';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "tasks" ("id" uuid NOT NULL, "type" character varying(30) NOT NULL, "status" character varying(30) NOT NULL, "owner" character varying(255), "user_id" character varying(255), "request_id" character varying(255), "image_id" character varying(255), "input" jsonb, "result" jsonb, "message" text NOT NULL DEFAULT \'\', "progress_bytes" bigint, "progress_total" bigint, "expires_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "deleted" boolean NOT NULL DEFAULT false, "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_8d12ff38fcc62aaba2cab748772" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "ix_tasks_expires_at" ON "tasks"  ("expires_at") ');
    await queryRunner.query('CREATE INDEX "ix_tasks_image_id" ON "tasks"  ("image_id") ');
    await queryRunner.query('CREATE INDEX "ix_tasks_type" ON "tasks"  ("type") ');
    await queryRunner.query('CREATE INDEX "ix_tasks_status" ON "tasks"  ("status") ');
    await queryRunner.query('CREATE INDEX "ix_tasks_created" ON "tasks"  ("created_at", "id") ');
    await queryRunner.query(
      'CREATE INDEX "ix_tasks_owner_created" ON "tasks"  ("owner", "created_at", "id") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."ix_tasks_owner_created"');
    await queryRunner.query('DROP INDEX "public"."ix_tasks_created"');
    await queryRunner.query('DROP INDEX "public"."ix_tasks_status"');
    await queryRunner.query('DROP INDEX "public"."ix_tasks_type"');
    await queryRunner.query('DROP INDEX "public"."ix_tasks_image_id"');
    await queryRunner.query('DROP INDEX "public"."ix_tasks_expires_at"');
    await queryRunner.query('DROP TABLE "tasks"');
  }
}
