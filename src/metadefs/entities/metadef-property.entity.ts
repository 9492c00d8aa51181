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

/** A property definition that belongs to the namespace itself (not to an object). */
@Entity('metadef_properties')
@Index(['namespaceId', 'name'], { unique: true })
export class MetadefPropertyEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'namespace_id', type: 'int' })
  namespaceId!: number;

  @ManyToOne(() => MetadefNamespaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'namespace_id' })
  namespace?: MetadefNamespaceEntity;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  /** The property's JSON-schema text, in the client's key order. */
  @Column({ name: 'json_schema', type: 'text' })
  jsonSchema!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
