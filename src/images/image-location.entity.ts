import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ImageEntity } from './image.entity.js';

/** Where an image's data lives (one row per store copy); the store feature writes these. */
@Entity('image_locations')
@Index('ix_image_locations_image', ['imageId', 'position'])
export class ImageLocationEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'image_id', type: 'uuid' })
  imageId: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: Record<string, unknown>;

  /** `active`, `pending_delete` or `deleted`, as Glance's location states. */
  @Column({ type: 'varchar', length: 30, default: 'active' })
  status: string;

  /** Order of the locations as the API shows them. */
  @Column({ type: 'integer', default: 0 })
  position: number;

  @ManyToOne(() => ImageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: ImageEntity;
}
