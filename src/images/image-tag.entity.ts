import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ImageEntity } from './image.entity.js';

/** One tag of an image; the primary key makes tags a set. */
@Entity('image_tags')
@Index('ix_image_tags_value', ['value', 'imageId'])
export class ImageTagEntity {
  @PrimaryColumn({ name: 'image_id', type: 'uuid' })
  imageId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  value: string;

  @ManyToOne(() => ImageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: ImageEntity;
}
