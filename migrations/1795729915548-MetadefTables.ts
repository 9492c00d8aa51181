import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MetadefTables1795729915548 implements MigrationInterface {
  name = 'MetadefTables1795729915548';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "metadef_namespaces" ("id" SERIAL NOT NULL, "namespace" character varying(80) NOT NULL, "display_name" character varying(80), "description" text, "visibility" character varying(32) NOT NULL DEFAULT \'private\', "protected" boolean NOT NULL DEFAULT false, "owner" character varying(255), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_d4357bd16666ce908ad332fb555" UNIQUE ("namespace"), CONSTRAINT "PK_8848b5802cc82ebdf322cc831c9" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "metadef_resource_types" ("id" SERIAL NOT NULL, "name" character varying(80) NOT NULL, "protected" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_09d56f18ef26ded372014a0ed97" UNIQUE ("name"), CONSTRAINT "PK_cf0948daf1ee4082c25fcfac250" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "metadef_namespace_resource_types" ("id" SERIAL NOT NULL, "namespace_id" integer NOT NULL, "resource_type_id" integer NOT NULL, "prefix" character varying(80), "properties_target" character varying(80), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f0dfd6a5d29739b471fff4007f7" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_be325f5d0a6172ed74b4a6067b" ON "metadef_namespace_resource_types"  ("namespace_id", "resource_type_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "metadef_objects" ("id" SERIAL NOT NULL, "namespace_id" integer NOT NULL, "name" character varying(80) NOT NULL, "description" text, "required" text, "json_schema" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e6f8dc2fa46a9e3f9549bbc5077" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_b3c02259c03a81392d3e613f2b" ON "metadef_objects"  ("namespace_id", "name") ',
    );
    await queryRunner.query(
      'CREATE TABLE "metadef_properties" ("id" SERIAL NOT NULL, "namespace_id" integer NOT NULL, "name" character varying(80) NOT NULL, "json_schema" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_677ad2b53ae58d3ddf7008019ed" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_4141ae5f6264f030fb493d65b4" ON "metadef_properties"  ("namespace_id", "name") ',
    );
    await queryRunner.query(
      'CREATE TABLE "metadef_tags" ("id" SERIAL NOT NULL, "namespace_id" integer NOT NULL, "name" character varying(80) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8d645a4c7052511fa63ac77d928" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_d815d2feadc5b402f9a3f71455" ON "metadef_tags"  ("namespace_id", "name") ',
    );
    // No resource types are seeded: Glance 25's migrations insert none (a fresh peer answers
    // GET /v2/metadefs/resource_types with an empty list); they arrive with catalog loads and
    // with associations to types not seen before.
    await queryRunner.query(
      'ALTER TABLE "metadef_namespace_resource_types" ADD CONSTRAINT "FK_a6ac1744b237e7cc0b50f0a6d0c" FOREIGN KEY ("namespace_id") REFERENCES "metadef_namespaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "metadef_namespace_resource_types" ADD CONSTRAINT "FK_43aa8c9a0812de79d7d466a967a" FOREIGN KEY ("resource_type_id") REFERENCES "metadef_resource_types"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "metadef_objects" ADD CONSTRAINT "FK_4d118301fee7d1cb1e2a1948e88" FOREIGN KEY ("namespace_id") REFERENCES "metadef_namespaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "metadef_properties" ADD CONSTRAINT "FK_0b8d0158a74ed5bab4a234fdd95" FOREIGN KEY ("namespace_id") REFERENCES "metadef_namespaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "metadef_tags" ADD CONSTRAINT "FK_39f4e4371fd9e67cccc79b6687c" FOREIGN KEY ("namespace_id") REFERENCES "metadef_namespaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "metadef_tags" DROP CONSTRAINT "FK_39f4e4371fd9e67cccc79b6687c"');
    await queryRunner.query(
      'ALTER TABLE "metadef_properties" DROP CONSTRAINT "FK_0b8d0158a74ed5bab4a234fdd95"',
    );
    await queryRunner.query('ALTER TABLE "metadef_objects" DROP CONSTRAINT "FK_4d118301fee7d1cb1e2a1948e88"');
    await queryRunner.query(
      'ALTER TABLE "metadef_namespace_resource_types" DROP CONSTRAINT "FK_43aa8c9a0812de79d7d466a967a"',
    );
    await queryRunner.query(
      'ALTER TABLE "metadef_namespace_resource_types" DROP CONSTRAINT "FK_a6ac1744b237e7cc0b50f0a6d0c"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_d815d2feadc5b402f9a3f71455"');
    await queryRunner.query('DROP TABLE "metadef_tags"');
    await queryRunner.query('DROP INDEX "public"."IDX_4141ae5f6264f030fb493d65b4"');
    await queryRunner.query('DROP TABLE "metadef_properties"');
    await queryRunner.query('DROP INDEX "public"."IDX_b3c02259c03a81392d3e613f2b"');
    await queryRunner.query('DROP TABLE "metadef_objects"');
    await queryRunner.query('DROP INDEX "public"."IDX_be325f5d0a6172ed74b4a6067b"');
    await queryRunner.query('DROP TABLE "metadef_namespace_resource_types"');
    await queryRunner.query('DROP TABLE "metadef_resource_types"');
    await queryRunner.query('DROP TABLE "metadef_namespaces"');
  }
}
