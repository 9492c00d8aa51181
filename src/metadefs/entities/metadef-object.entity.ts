import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  ManyToOne,
  JoinColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { MetadefNamespaceEntity } from './metadef-namespace.entity.js';

/** An object: a named group of property definitions inside a namespace. */
@Entity('metadef_objects')
@Index(['namespaceId', 'name'], { unique: true })
export class MetadefObjectEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'namespace_id', type: 'int' })
  namespaceId!: number;

  @ManyToOne(() => MetadefNamespaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'namespace_id' })
  namespace?: MetadefNamespaceEntity;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** JSON array of property names, or null when the client gave none. */
  @Column({ type: 'text', nullable: true })
  required!: string | null;

  /** JSON text (not jsonb) so that the order of the client's properties survives. */
  @Column({ name: 'json_schema', type: 'text', nullable: true })
  jsonSchema!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
