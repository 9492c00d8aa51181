import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../auth/request-context.js';
import { DuplicateError, ForbiddenError, NotFoundError } from '../common/errors/domain-errors.js';
import { Notifier } from '../notifications/notifier.js';
import { MetadefNamespaceResourceTypeEntity, MetadefResourceTypeEntity } from './entities/index.js';
import type { MetadefNamespaceEntity } from './entities/index.js';
import { MetadefAccess } from './metadef-access.js';
import { association, associationPayload, isoTime, resourceType } from './metadef-format.js';
import type { JsonObject } from './metadef-format.js';
import { checkBody, optionalString } from './metadef-input.js';
import { MetadefsRepository } from './metadefs.repository.js';
import type { AssociationRow } from './metadefs.repository.js';
import { resourceTypeAssociationSchema } from './schema/metadef-schemas.js';

export interface AssociationInput {
  name: string;
  prefix: string | null;
  propertiesTarget: string | null;
}

@Injectable()
export class MetadefResourceTypesService {
  constructor(
    private readonly repo: MetadefsRepository,
    private readonly access: MetadefAccess,
    private readonly notifier: Notifier,
  ) {}

  async listAll(ctx: RequestContext): Promise<{ resource_types: JsonObject[] }> {
    this.access.enforce(ctx, 'list_metadef_resource_types');
    const types = await this.repo.listResourceTypes(this.repo.manager);
    return { resource_types: types.map(resourceType) };
  }

  async listForNamespace(
    ctx: RequestContext,
    name: string,
  ): Promise<{ resource_type_associations: JsonObject[] }> {
    const em = this.repo.manager;
    const ns = await this.access.authorize(em, ctx, name, 'list_metadef_resource_types');
    const rows = (await this.repo.listAssociations(em, [ns.id])).get(ns.id) ?? [];
    return { resource_type_associations: rows.map(association) };
  }

  /**
   * Finds or creates the resource type, then associates it with the namespace. Unknown types
   * are created, as Glance does, since there is no API to create them on their own.
   */
  async associate(
    em: EntityManager,
    ns: MetadefNamespaceEntity,
    input: AssociationInput,
    fromCatalog = false,
  ): Promise<AssociationRow> {
    let rt = await this.repo.findResourceType(em, input.name);
    rt ??= await this.repo.saveResourceType(
      em,
      Object.assign(new MetadefResourceTypeEntity(), { name: input.name, protected: fromCatalog }),
    );
    if (await this.repo.findAssociation(em, ns.id, rt.id)) {
      throw new DuplicateError(
        `The metadata definition resource-type association of resource-type=${input.name} to ` +
          `namespace=${ns.namespace} already exists.`,
      );
    }
    const saved = await this.repo.saveAssociation(
      em,
      Object.assign(new MetadefNamespaceResourceTypeEntity(), {
        namespaceId: ns.id,
        resourceTypeId: rt.id,
        prefix: input.prefix,
        propertiesTarget: input.propertiesTarget,
      }),
    );
    return { association: saved, name: rt.name };
  }

  async create(ctx: RequestContext, name: string, raw: unknown): Promise<JsonObject> {
    const body = checkBody(raw, resourceTypeAssociationSchema(), ['created_at', 'updated_at']);
    const row = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'add_metadef_resource_type_association', ns);
      return this.associate(em, ns, {
        name: body.name as string,
        prefix: optionalString(body.prefix),
        propertiesTarget: optionalString(body.properties_target),
      });
    });
    this.notifier.notify('metadef_resource_type.create', associationPayload(name, row));
    const out: JsonObject = { name: row.name };
    if ('prefix' in body) out.prefix = body.prefix;
    if ('properties_target' in body) out.properties_target = body.properties_target;
    out.created_at = isoTime(row.association.createdAt);
    out.updated_at = isoTime(row.association.updatedAt);
    return out;
  }

  async remove(ctx: RequestContext, name: string, typeName: string): Promise<void> {
    const row = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'remove_metadef_resource_type_association', ns);
      const rt = await this.repo.findResourceType(em, typeName);
      const found = rt && (await this.repo.findAssociation(em, ns.id, rt.id));
      if (!rt || !found) throw new NotFoundError(`Failed to find resource type ${typeName} to delete`);
      if (ns.protected) {
        throw new ForbiddenError(
          `Metadata definition resource-type-association ${typeName} is protected and cannot be deleted.`,
        );
      }
      await this.repo.deleteAssociation(em, ns.id, rt.id);
      return { association: found, name: rt.name };
    });
    this.notifier.notify('metadef_resource_type.delete', associationPayload(name, row, true));
  }
}
