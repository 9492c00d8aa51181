import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ImageMembers1795730556101 implements MigrationInterface {
  name = 'ImageMembers1795730556101';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "image_members" ("id" BIGSERIAL NOT NULL, "image_id" uuid NOT NULL, "member" character varying(255) NOT NULL, "status" character varying(20) NOT NULL DEFAULT \'pending\', "can_share" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "deleted" boolean NOT NULL DEFAULT false, "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_image_members_image_member" UNIQUE ("image_id", "member"), CONSTRAINT "PK_58d4499bef266e64a000b734860" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "ix_image_members_member" ON "image_members"  ("member", "status", "image_id") WHERE deleted = false',
    );
    await queryRunner.query(
      'ALTER TABLE "image_members" ADD CONSTRAINT "FK_0367d26836d7b48565a3835b18c" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "image_members" DROP CONSTRAINT "FK_0367d26836d7b48565a3835b18c"');
    await queryRunner.query('DROP INDEX "public"."ix_image_members_member"');
    await queryRunner.query('DROP TABLE "image_members"');
  }
}
