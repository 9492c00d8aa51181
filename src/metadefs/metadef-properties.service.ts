import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context.js';
import { DuplicateError, ForbiddenError, NotFoundError } from '../common/errors/domain-errors.js';
import { Notifier } from '../notifications/notifier.js';
import { MetadefPropertyEntity } from './entities/index.js';
import { MetadefAccess } from './metadef-access.js';
import { propertyPayload, propertyType, storedProperty } from './metadef-format.js';
import type { JsonObject } from './metadef-format.js';
import { checkBody, checkNo4ByteChars } from './metadef-input.js';
import { duplicateProperty } from './metadef-namespaces.service.js';
import { MetadefsRepository } from './metadefs.repository.js';
import { propertySchema } from './schema/metadef-schemas.js';

const READ_ONLY = ['created_at', 'updated_at'];

function notFound(name: string): NotFoundError {
  return new NotFoundError(`Could not find property ${name}`);
}

@Injectable()
export class MetadefPropertiesService {
  constructor(
    private readonly repo: MetadefsRepository,
    private readonly access: MetadefAccess,
    private readonly notifier: Notifier,
  ) {}

  async list(ctx: RequestContext, name: string): Promise<{ properties: JsonObject }> {
    const em = this.repo.manager;
    const ns = await this.access.authorize(em, ctx, name, 'get_metadef_properties');
    const props = await this.repo.listProperties(em, ns.id);
    return { properties: Object.fromEntries(props.map((p) => [p.name, propertyType(storedProperty(p))])) };
  }

  async create(ctx: RequestContext, name: string, raw: unknown): Promise<JsonObject> {
    const body = checkBody(raw, propertySchema(), READ_ONLY);
    const definition = propertyType(body);
    const saved = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'add_metadef_property', ns);
      const propName = body.name as string;
      checkNo4ByteChars('create metadata property', { name: propName });
      if (await this.repo.findProperty(em, ns.id, propName)) throw duplicateProperty(propName, name);
      return this.repo.saveProperty(
        em,
        Object.assign(new MetadefPropertyEntity(), {
          namespaceId: ns.id,
          name: propName,
          jsonSchema: JSON.stringify(definition),
        }),
      );
    });
    this.notifier.notify('metadef_property.create', propertyPayload(name, saved));
    return definition;
  }

  /** With `resource_type`, the name in the path carries that association's prefix, which is stripped. */
  async show(
    ctx: RequestContext,
    name: string,
    propName: string,
    resourceType?: string,
  ): Promise<JsonObject> {
    const em = this.repo.manager;
    const ns = await this.access.authorize(em, ctx, name, 'get_metadef_property');
    let lookup = propName;
    if (resourceType) {
      this.access.enforce(ctx, 'get_metadef_resource_type', ns);
      const rt = await this.repo.findResourceType(em, resourceType);
      const association = rt && (await this.repo.findAssociation(em, ns.id, rt.id));
      if (!association) {
        throw new NotFoundError(
          `The metadata definition resource-type association of resource-type=${resourceType} to ` +
            `namespace=${name}, was not found.`,
        );
      }
      const prefix = association.prefix;
      if (!prefix || !propName.startsWith(prefix)) {
        throw new NotFoundError(
          `Property ${propName} does not start with the expected resource type association prefix of '${prefix ?? 'None'}'.`,
        );
      }
      lookup = propName.slice(prefix.length);
    }
    const prop = await this.repo.findProperty(em, ns.id, lookup);
    if (!prop) throw notFound(lookup);
    return propertyType(storedProperty(prop), prop.name);
  }

  async update(ctx: RequestContext, name: string, propName: string, raw: unknown): Promise<JsonObject> {
    const body = checkBody(raw, propertySchema(), READ_ONLY);
    const definition = propertyType(body);
    const saved = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'modify_metadef_property', ns);
      const prop = await this.repo.findProperty(em, ns.id, propName);
      if (!prop) throw notFound(propName);
      const newName = body.name as string;
      checkNo4ByteChars('update metadata property', { name: newName });
      if (newName !== prop.name && (await this.repo.findProperty(em, ns.id, newName))) {
        throw new DuplicateError(
          `Invalid update. It would result in a duplicate metadata definition property with the same name=${newName} ` +
            `in namespace=${name}.`,
        );
      }
      prop.name = newName;
      prop.jsonSchema = JSON.stringify(definition);
      return this.repo.saveProperty(em, prop);
    });
    this.notifier.notify('metadef_property.update', propertyPayload(name, saved, propName));
    return definition;
  }

  async remove(ctx: RequestContext, name: string, propName: string): Promise<void> {
    const removed = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'remove_metadef_property', ns);
      const prop = await this.repo.findProperty(em, ns.id, propName);
      if (!prop) throw notFound(propName);
      if (ns.protected) {
        throw new ForbiddenError(
          `Metadata definition property ${propName} is protected and cannot be deleted.`,
        );
      }
      await this.repo.deleteProperties(em, ns.id, [prop.id]);
      return prop;
    });
    this.notifier.notify('metadef_property.delete', propertyPayload(name, removed, undefined, true));
  }
}
