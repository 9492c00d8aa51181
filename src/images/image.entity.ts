import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'active',
  'killed',
  'deleted',
  'uploading',
  'importing',
  'pending_delete',
  'deactivated',
] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export const IMAGE_VISIBILITIES = ['community', 'public', 'private', 'shared'] as const;
export type ImageVisibility = (typeof IMAGE_VISIBILITIES)[number];

/**
 * One image. Rows are never removed: a deleted image keeps its row (`deleted = true`) so that its
 * id can never be taken again. List indexes are partial on live rows, which are all lists read.
 */
@Entity('images')
@Index('ix_images_owner_created', ['owner', 'createdAt', 'id'], { where: 'deleted = false' })
@Index('ix_images_visibility_created', ['visibility', 'createdAt', 'id'], { where: 'deleted = false' })
@Index('ix_images_created', ['createdAt', 'id'], { where: 'deleted = false' })
@Index('ix_images_updated', ['updatedAt', 'id'], { where: 'deleted = false' })
@Index('ix_images_status', ['status'], { where: 'deleted = false' })
@Index('ix_images_name', ['name'], { where: 'deleted = false' })
@Index('ix_images_checksum', ['checksum'], { where: 'deleted = false' })
@Index('ix_images_os_hash_value', ['osHashValue'], { where: 'deleted = false' })
export class ImageEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 30 })
  status: ImageStatus;

  @Column({ type: 'varchar', length: 20 })
  visibility: ImageVisibility;

  @Column({ type: 'boolean', default: false })
  protected: boolean;

  @Column({ name: 'os_hidden', type: 'boolean', default: false })
  osHidden: boolean;

  @Column({ type: 'varchar', length: 255, nullable: true })
  owner: string | null;

  @Column({ name: 'min_disk', type: 'integer', default: 0 })
  minDisk: number;

  @Column({ name: 'min_ram', type: 'integer', default: 0 })
  minRam: number;

  @Column({ name: 'container_format', type: 'varchar', length: 20, nullable: true })
  containerFormat: string | null;

  @Column({ name: 'disk_format', type: 'varchar', length: 20, nullable: true })
  diskFormat: string | null;

  /** bigint arrives as a decimal string from both drivers; the view turns it into a number. */
  @Column({ type: 'bigint', nullable: true })
  size: string | null;

  @Column({ name: 'virtual_size', type: 'bigint', nullable: true })
  virtualSize: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  checksum: string | null;

  @Column({ name: 'os_hash_algo', type: 'varchar', length: 64, nullable: true })
  osHashAlgo: string | null;

  @Column({ name: 'os_hash_value', type: 'varchar', length: 128, nullable: true })
  osHashValue: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'boolean', default: false })
  deleted: boolean;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
