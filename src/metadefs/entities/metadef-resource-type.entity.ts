import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A kind of resource (OS::Glance::Image, OS::Nova::Flavor, …) that namespaces apply to. */
@Entity('metadef_resource_types')
export class MetadefResourceTypeEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 80, unique: true })
  name!: string;

  /** Set for types that came from a catalog load, as glance-manage marks them. */
  @Column({ type: 'boolean', default: false })
  protected!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
