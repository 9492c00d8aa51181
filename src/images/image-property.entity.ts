import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ImageEntity } from './image.entity.js';

/**
 * An additional (custom) property. The value is unbounded text, so the lookup index used by
 * property filters covers (name, md5(value)) rather than the value itself; it is created by the
 * migration (TypeORM cannot declare expression indexes) and left alone by the generator.
 */
@Entity('image_properties')
@Index('ix_image_properties_name_value', { synchronize: false })
export class ImagePropertyEntity {
  @PrimaryColumn({ name: 'image_id', type: 'uuid' })
  imageId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  name: string;

  /** null is a real value: operator-schema properties such as kernel_id may be set to null. */
  @Column({ type: 'text', nullable: true })
  value: string | null;

  @ManyToOne(() => ImageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'image_id' })
  image?: ImageEntity;
}
