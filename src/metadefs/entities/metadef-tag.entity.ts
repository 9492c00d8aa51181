import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { MetadefNamespaceEntity } from './metadef-namespace.entity.js';

/**
 * A tag of a namespace. Names are unique per namespace and case-sensitive, as on the Glance
 * peer (its "tag names are case insensitive" message only holds on MySQL's collation).
 */
@Entity('metadef_tags')
@Index(['namespaceId', 'name'], { unique: true })
export class MetadefTagEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'namespace_id', type: 'int' })
  namespaceId!: number;

  @ManyToOne(() => MetadefNamespaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'namespace_id' })
  namespace?: MetadefNamespaceEntity;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
