import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Images1795728968014 implements MigrationInterface {
  name = 'Images1795728968014';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "images" ("id" uuid NOT NULL, "name" character varying(255), "status" character varying(30) NOT NULL, "visibility" character varying(20) NOT NULL, "protected" boolean NOT NULL DEFAULT false, "os_hidden" boolean NOT NULL DEFAULT false, "owner" character varying(255), "min_disk" integer NOT NULL DEFAULT \'0\', "min_ram" integer NOT NULL DEFAULT \'0\', "container_format" character varying(20), "disk_format" character varying(20), "size" bigint, "virtual_size" bigint, "checksum" character varying(32), "os_hash_algo" character varying(64), "os_hash_value" character varying(128), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "deleted" boolean NOT NULL DEFAULT false, "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_1fe148074c6a1a91b63cb9ee3c9" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "ix_images_os_hash_value" ON "images"  ("os_hash_value") WHERE deleted = false',
    );
    await queryRunner.query(
      'CREATE INDEX "ix_images_checksum" ON "images"  ("checksum") WHERE deleted = false',
    );
    await queryRunner.query('CREATE INDEX "ix_images_name" ON "images"  ("name") WHERE deleted = false');
    await queryRunner.query('CREATE INDEX "ix_images_status" ON "images"  ("status") WHERE deleted = false');
    await queryRunner.query(
      'CREATE INDEX "ix_images_updated" ON "images"  ("updated_at", "id") WHERE deleted = false',
    );
    await queryRunner.query(
      'CREATE INDEX "ix_images_created" ON "images"  ("created_at", "id") WHERE deleted = false',
    );
    await queryRunner.query(
      'CREATE INDEX "ix_images_visibility_created" ON "images"  ("visibility", "created_at", "id") WHERE deleted = false',
    );
    await queryRunner.query(
      'CREATE INDEX "ix_images_owner_created" ON "images"  ("owner", "created_at", "id") WHERE deleted = false',
    );
    await queryRunner.query(
      'CREATE TABLE "image_locations" ("id" BIGSERIAL NOT NULL, "image_id" uuid NOT NULL, "url" text NOT NULL, "metadata" jsonb NOT NULL DEFAULT \'{}\', "status" character varying(30) NOT NULL DEFAULT \'active\', "position" integer NOT NULL DEFAULT \'0\', CONSTRAINT "PK_023839b483c3af157b7091def99" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "ix_image_locations_image" ON "image_locations"  ("image_id", "position") ',
    );
    await queryRunner.query(
      'CREATE TABLE "image_properties" ("image_id" uuid NOT NULL, "name" character varying(255) NOT NULL, "value" text, CONSTRAINT "PK_5c3213681f58e0b19f8878a46bf" PRIMARY KEY ("image_id", "name"))',
    );
    await queryRunner.query(
      'CREATE TABLE "image_tags" ("image_id" uuid NOT NULL, "value" character varying(255) NOT NULL, CONSTRAINT "PK_5a183159ec7e42f0f5dd534279f" PRIMARY KEY ("image_id", "value"))',
    );
    // Property filters look rows up by name and value. Values are unbounded text, which a btree
    // cannot always hold, so the index keys on their md5 (declared with synchronize: false).
    await queryRunner.query(
      'CREATE INDEX "ix_image_properties_name_value" ON "image_properties" ("name", md5("value"))',
    );
    await queryRunner.query('CREATE INDEX "ix_image_tags_value" ON "image_tags"  ("value", "image_id") ');
    await queryRunner.query(
      'ALTER TABLE "image_locations" ADD CONSTRAINT "FK_bc1d4f83fcdcde3891a9ba86415" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "image_properties" ADD CONSTRAINT "FK_57d37ed2d40bdba2e295030e2d9" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "image_tags" ADD CONSTRAINT "FK_4582d56b8bf1f9bc2d1505b7faa" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "image_tags" DROP CONSTRAINT "FK_4582d56b8bf1f9bc2d1505b7faa"');
    await queryRunner.query(
      'ALTER TABLE "image_properties" DROP CONSTRAINT "FK_57d37ed2d40bdba2e295030e2d9"',
    );
    await queryRunner.query('ALTER TABLE "image_locations" DROP CONSTRAINT "FK_bc1d4f83fcdcde3891a9ba86415"');
    await queryRunner.query('DROP INDEX "public"."ix_image_tags_value"');
    await queryRunner.query('DROP TABLE "image_tags"');
    await queryRunner.query('DROP INDEX "public"."ix_image_properties_name_value"');
    await queryRunner.query('DROP TABLE "image_properties"');
    await queryRunner.query('DROP INDEX "public"."ix_image_locations_image"');
    await queryRunner.query('DROP TABLE "image_locations"');
    await queryRunner.query('DROP INDEX "public"."ix_images_owner_created"');
    await queryRunner.query('DROP INDEX "public"."ix_images_visibility_created"');
    await queryRunner.query('DROP INDEX "public"."ix_images_created"');
    await queryRunner.query('DROP INDEX "public"."ix_images_updated"');
    await queryRunner.query('DROP INDEX "public"."ix_images_status"');
    await queryRunner.query('DROP INDEX "public"."ix_images_name"');
    await queryRunner.query('DROP INDEX "public"."ix_images_checksum"');
    await queryRunner.query('DROP INDEX "public"."ix_images_os_hash_value"');
    await queryRunner.query('DROP TABLE "images"');
  }
}
