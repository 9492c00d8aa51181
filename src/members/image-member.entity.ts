import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { ImageEntity } from '../images/image.entity.js';

export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/**
 * A project an image is shared with. One row per (image, project) for ever: removing a member
 * marks the row deleted and adding the project again revives it, as Glance keeps a single record
 * per pair. The member index serves "images shared with project P (in status S)", which every
 * image list and every lookup by a non-owner asks.
 */
@Entity('image_members')
@Unique('uq_image_members_image_member', ['imageId', 'member'])
@Index('ix_image_members_member', ['member', 'status', 'imageId'], { where: 'deleted = false' })
export class ImageMemberEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'image_id', type: 'uuid' })
  imageId: string;

  /** A project id; not checked against an identity service, as Glance does not. */
  @Column({ type: 'varchar', length: 255 })
  member: string;

  @Column({ type: 'varchar', length: 20, default: 'pending' })
  status: MemberStatus;

  /** Glance's column, always false since v1's sharing-with-resharing went away. */
  @Column({ name: 'can_share', type: 'boolean', default: false })
  canShare: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'boolean', default: false })
  deleted: boolean;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @ManyToOne(() => ImageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: ImageEntity;
}
