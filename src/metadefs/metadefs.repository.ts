import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { DuplicateError, InvalidError } from '../common/errors/domain-errors.js';
import {
  MetadefNamespaceEntity,
  MetadefNamespaceResourceTypeEntity,
  MetadefObjectEntity,
  MetadefPropertyEntity,
  MetadefResourceTypeEntity,
  MetadefTagEntity,
} from './entities/index.js';

export interface NamespaceListQuery {
  /** null: every namespace (admin); else the caller's project (or none) sees its own and public ones. */
  visibleTo: { projectId: string | null } | null;
  visibility?: 'public' | 'private';
  resourceTypes?: string[];
  sortKey: string;
  sortDir: 'asc' | 'desc';
  limit: number;
  marker?: MetadefNamespaceEntity;
}

export interface TagListQuery {
  sortKey: 'name' | 'created_at' | 'updated_at';
  sortDir: 'asc' | 'desc';
  limit?: number;
  marker?: MetadefTagEntity;
}

export interface AssociationRow {
  association: MetadefNamespaceResourceTypeEntity;
  name: string;
}

const NAMESPACE_SORT_COLUMNS: Record<string, string> = {
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  namespace: 'namespace',
  display_name: 'displayName',
  visibility: 'visibility',
  owner: 'owner',
  protected: 'protected',
  id: 'id',
};

/** A concurrent request created the same name first. */
export class UniqueViolation extends DuplicateError {
  constructor() {
    super('There was a conflict when trying to complete your request.');
  }
}

export const NAMESPACE_SORT_KEYS = Object.keys(NAMESPACE_SORT_COLUMNS);

/** TypeORM access to the metadef tables. Every method takes the manager of the caller's transaction. */
@Injectable()
export class MetadefsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in one transaction; the manager it gets must be passed to every call inside.
   * Services check names before inserting, under the namespace's row lock; a unique violation
   * can then only come from a concurrent create of the same namespace or resource type, and is
   * reported as a conflict rather than a server error.
   */
  async transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(work);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '23505') throw new UniqueViolation();
      // A value longer than its column: every API path checks lengths first, catalog files may not.
      if (code === '22001') throw new InvalidError(`A value is too long: ${(err as Error).message}`);
      throw err;
    }
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  // ---- namespaces

  findNamespace(em: EntityManager, name: string): Promise<MetadefNamespaceEntity | null> {
    return em.findOneBy(MetadefNamespaceEntity, { namespace: name });
  }

  /** Locks the row so that concurrent changes to one namespace's contents serialize. */
  findNamespaceForUpdate(em: EntityManager, name: string): Promise<MetadefNamespaceEntity | null> {
    return em
      .createQueryBuilder(MetadefNamespaceEntity, 'ns')
      .setLock('pessimistic_write')
      .where('ns.namespace = :name', { name })
      .getOne();
  }

  allNamespaces(em: EntityManager): Promise<MetadefNamespaceEntity[]> {
    return em.find(MetadefNamespaceEntity, { order: { id: 'ASC' } });
  }

  async listNamespaces(em: EntityManager, q: NamespaceListQuery): Promise<MetadefNamespaceEntity[]> {
    const qb = em.createQueryBuilder(MetadefNamespaceEntity, 'ns');
    if (q.visibleTo) {
      const projectId = q.visibleTo.projectId;
      qb.andWhere(
        new Brackets((w) => {
          w.where("ns.visibility = 'public'").orWhere('ns.owner IS NULL');
          if (projectId !== null) w.orWhere('ns.owner = :projectId', { projectId });
        }),
      );
    }
    if (q.visibility) qb.andWhere('ns.visibility = :visibility', { visibility: q.visibility });
    if (q.resourceTypes?.length) {
      qb.andWhere(
        `ns.id IN (SELECT a.namespace_id FROM metadef_namespace_resource_types a
           JOIN metadef_resource_types rt ON rt.id = a.resource_type_id WHERE rt.name IN (:...rtNames))`,
        { rtNames: q.resourceTypes },
      );
    }
    const column = NAMESPACE_SORT_COLUMNS[q.sortKey];
    const dir = q.sortDir === 'asc' ? 'ASC' : 'DESC';
    if (q.marker) {
      const op = q.sortDir === 'asc' ? '>' : '<';
      const value = (q.marker as unknown as Record<string, unknown>)[column];
      qb.andWhere(
        new Brackets((w) => {
          w.where(`ns.${column} ${op} :mv`, { mv: value }).orWhere(
            new Brackets((w2) =>
              w2.where(`ns.${column} = :mv`).andWhere(`ns.id ${op} :mid`, { mid: q.marker!.id }),
            ),
          );
        }),
      );
    }
    return qb.orderBy(`ns.${column}`, dir).addOrderBy('ns.id', dir).take(q.limit).getMany();
  }

  saveNamespace(em: EntityManager, ns: MetadefNamespaceEntity): Promise<MetadefNamespaceEntity> {
    return em.save(MetadefNamespaceEntity, ns);
  }

  async deleteNamespace(em: EntityManager, id: number): Promise<void> {
    await em.delete(MetadefNamespaceEntity, { id });
  }

  // ---- objects

  listObjects(em: EntityManager, namespaceId: number): Promise<MetadefObjectEntity[]> {
    return em.find(MetadefObjectEntity, { where: { namespaceId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findObject(em: EntityManager, namespaceId: number, name: string): Promise<MetadefObjectEntity | null> {
    return em.findOneBy(MetadefObjectEntity, { namespaceId, name });
  }

  saveObject(em: EntityManager, obj: MetadefObjectEntity): Promise<MetadefObjectEntity> {
    return em.save(MetadefObjectEntity, obj);
  }

  async deleteObjects(em: EntityManager, namespaceId: number, ids?: number[]): Promise<void> {
    await em.delete(MetadefObjectEntity, ids ? { namespaceId, id: In(ids) } : { namespaceId });
  }

  // ---- properties

  listProperties(em: EntityManager, namespaceId: number): Promise<MetadefPropertyEntity[]> {
    return em.find(MetadefPropertyEntity, { where: { namespaceId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findProperty(em: EntityManager, namespaceId: number, name: string): Promise<MetadefPropertyEntity | null> {
    return em.findOneBy(MetadefPropertyEntity, { namespaceId, name });
  }

  saveProperty(em: EntityManager, prop: MetadefPropertyEntity): Promise<MetadefPropertyEntity> {
    return em.save(MetadefPropertyEntity, prop);
  }

  async deleteProperties(em: EntityManager, namespaceId: number, ids?: number[]): Promise<void> {
    await em.delete(MetadefPropertyEntity, ids ? { namespaceId, id: In(ids) } : { namespaceId });
  }

  // ---- tags

  listTags(em: EntityManager, namespaceId: number, q?: TagListQuery): Promise<MetadefTagEntity[]> {
    const qb = em
      .createQueryBuilder(MetadefTagEntity, 'tag')
      .where('tag.namespace_id = :namespaceId', { namespaceId });
    const sort = q ?? { sortKey: 'created_at', sortDir: 'desc' };
    const column = { name: 'name', created_at: 'createdAt', updated_at: 'updatedAt' }[sort.sortKey];
    const dir = sort.sortDir === 'asc' ? 'ASC' : 'DESC';
    if (q?.marker) {
      const op = q.sortDir === 'asc' ? '>' : '<';
      const value = (q.marker as unknown as Record<string, unknown>)[column];
      qb.andWhere(
        new Brackets((w) => {
          w.where(`tag.${column} ${op} :mv`, { mv: value }).orWhere(
            new Brackets((w2) =>
              w2.where(`tag.${column} = :mv`).andWhere(`tag.id ${op} :mid`, { mid: q.marker!.id }),
            ),
          );
        }),
      );
    }
    qb.orderBy(`tag.${column}`, dir).addOrderBy('tag.id', dir);
    if (q?.limit !== undefined) qb.take(q.limit);
    return qb.getMany();
  }

  findTag(em: EntityManager, namespaceId: number, name: string): Promise<MetadefTagEntity | null> {
    return em.findOneBy(MetadefTagEntity, { namespaceId, name });
  }

  saveTag(em: EntityManager, tag: MetadefTagEntity): Promise<MetadefTagEntity> {
    return em.save(MetadefTagEntity, tag);
  }

  async deleteTags(em: EntityManager, namespaceId: number, ids?: number[]): Promise<void> {
    await em.delete(MetadefTagEntity, ids ? { namespaceId, id: In(ids) } : { namespaceId });
  }

  // ---- resource types and associations

  listResourceTypes(em: EntityManager): Promise<MetadefResourceTypeEntity[]> {
    return em.find(MetadefResourceTypeEntity, { order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findResourceType(em: EntityManager, name: string): Promise<MetadefResourceTypeEntity | null> {
    return em.findOneBy(MetadefResourceTypeEntity, { name });
  }

  saveResourceType(em: EntityManager, rt: MetadefResourceTypeEntity): Promise<MetadefResourceTypeEntity> {
    return em.save(MetadefResourceTypeEntity, rt);
  }

  async listAssociations(em: EntityManager, namespaceIds: number[]): Promise<Map<number, AssociationRow[]>> {
    const byNamespace = new Map<number, AssociationRow[]>();
    if (!namespaceIds.length) return byNamespace;
    const rows = await em.find(MetadefNamespaceResourceTypeEntity, {
      where: { namespaceId: In(namespaceIds) },
      relations: { resourceType: true },
      order: { id: 'ASC' },
    });
    for (const association of rows) {
      const list = byNamespace.get(association.namespaceId) ?? [];
      list.push({ association, name: association.resourceType!.name });
      byNamespace.set(association.namespaceId, list);
    }
    return byNamespace;
  }

  findAssociation(
    em: EntityManager,
    namespaceId: number,
    resourceTypeId: number,
  ): Promise<MetadefNamespaceResourceTypeEntity | null> {
    return em.findOneBy(MetadefNamespaceResourceTypeEntity, { namespaceId, resourceTypeId });
  }

  saveAssociation(
    em: EntityManager,
    a: MetadefNamespaceResourceTypeEntity,
  ): Promise<MetadefNamespaceResourceTypeEntity> {
    return em.save(MetadefNamespaceResourceTypeEntity, a);
  }

  async deleteAssociation(em: EntityManager, namespaceId: number, resourceTypeId: number): Promise<void> {
    await em.delete(MetadefNamespaceResourceTypeEntity, { namespaceId, resourceTypeId });
  }
}
