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
import { MetadefResourceTypeEntity } from './metadef-resource-type.entity.js';

/** Associates a namespace with a resource type, with the prefix its properties take there. */
@Entity('metadef_namespace_resource_types')
@Index(['namespaceId', 'resourceTypeId'], { unique: true })
export class MetadefNamespaceResourceTypeEntity {
  /** Keeps the order in which associations were made, which listings and exports follow. */
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'namespace_id', type: 'int' })
  namespaceId!: number;

  @Column({ name: 'resource_type_id', type: 'int' })
  resourceTypeId!: number;

  @ManyToOne(() => MetadefNamespaceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'namespace_id' })
  namespace?: MetadefNamespaceEntity;

  @ManyToOne(() => MetadefResourceTypeEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'resource_type_id' })
  resourceType?: MetadefResourceTypeEntity;

  @Column({ type: 'varchar', length: 80, nullable: true })
  prefix!: string | null;

  @Column({ name: 'properties_target', type: 'varchar', length: 80, nullable: true })
  propertiesTarget!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
