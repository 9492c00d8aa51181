import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context.js';
import {
  DuplicateError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
} from '../common/errors/domain-errors.js';
import { Notifier } from '../notifications/notifier.js';
import type { ListQuery } from './dto/list-query.dto.js';
import { MetadefAccess } from './metadef-access.js';
import { objectPayload, propertyMap, storedObject, writtenObject } from './metadef-format.js';
import type { JsonObject } from './metadef-format.js';
import { checkBody, checkNo4ByteChars, optionalString } from './metadef-input.js';
import { duplicateObject, newObject } from './metadef-namespaces.service.js';
import { parseLimit, parseSortDir, single } from './metadef-query.js';
import { MetadefsRepository } from './metadefs.repository.js';
import { firstSchemaError } from '../common/schema/json-schema-check.js';
import { objectSchema, propertySchema } from './schema/metadef-schemas.js';

const READ_ONLY = ['self', 'schema', 'created_at', 'updated_at'];

function notFound(name: string): NotFoundError {
  return new NotFoundError(`Could not find metadata object ${name}`);
}

@Injectable()
export class MetadefObjectsService {
  constructor(
    private readonly repo: MetadefsRepository,
    private readonly access: MetadefAccess,
    private readonly notifier: Notifier,
  ) {}

  /** Glance checks the paging parameters here but returns every object regardless. */
  async list(ctx: RequestContext, name: string, query: ListQuery): Promise<JsonObject> {
    parseSortDir(single(query, 'sort_dir'));
    const limit = parseLimit(single(query, 'limit'));
    if (limit === 0) throw new InvalidError('limit param must be positive');
    const em = this.repo.manager;
    const ns = await this.access.authorize(em, ctx, name, 'get_metadef_objects');
    const objects = await this.repo.listObjects(em, ns.id);
    // Glance's quirk: this link has no leading slash.
    return {
      objects: objects.map((o) => storedObject(ns.namespace, o)),
      schema: 'v2/schemas/metadefs/objects',
    };
  }

  async create(ctx: RequestContext, name: string, raw: unknown): Promise<JsonObject> {
    const body = checkBody(raw, objectSchema(), READ_ONLY);
    // Each property is also held to the single-property schema, minus its required name.
    if (body.properties && typeof body.properties === 'object' && !Array.isArray(body.properties)) {
      const schema = propertySchema();
      schema.required = ['type', 'title'];
      for (const def of Object.values(body.properties)) {
        const error = firstSchemaError(schema, def);
        if (error) throw new InvalidError(`Provided object does not match schema 'property': ${error}`);
      }
    }
    const saved = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'add_metadef_object', ns);
      checkNo4ByteChars('create metadata object', {
        name: body.name as string,
        description: optionalString(body.description),
      });
      if (await this.repo.findObject(em, ns.id, body.name as string))
        throw duplicateObject(body.name as string, name);
      return this.repo.saveObject(em, newObject(ns.id, body));
    });
    this.notifier.notify('metadef_object.create', objectPayload(name, saved));
    return writtenObject(name, saved, body);
  }

  async show(ctx: RequestContext, name: string, objectName: string): Promise<JsonObject> {
    const em = this.repo.manager;
    const ns = await this.access.authorize(em, ctx, name, 'get_metadef_object');
    const obj = await this.repo.findObject(em, ns.id, objectName);
    if (!obj) throw notFound(objectName);
    return storedObject(ns.namespace, obj);
  }

  async update(ctx: RequestContext, name: string, objectName: string, raw: unknown): Promise<JsonObject> {
    const body = checkBody(raw, objectSchema(), READ_ONLY);
    const [saved, oldName] = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'modify_metadef_object', ns);
      const obj = await this.repo.findObject(em, ns.id, objectName);
      if (!obj) throw notFound(objectName);
      const newName = body.name as string;
      checkNo4ByteChars('update metadata object', {
        name: newName,
        description: optionalString(body.description),
      });
      if (newName !== obj.name && (await this.repo.findObject(em, ns.id, newName))) {
        throw new DuplicateError(
          `Invalid update. It would result in a duplicate metadata definition object with the same name=${newName} ` +
            `in namespace=${name}.`,
        );
      }
      obj.name = newName;
      obj.description = optionalString(body.description);
      obj.required = Array.isArray(body.required) ? JSON.stringify(body.required) : null;
      obj.jsonSchema =
        body.properties && typeof body.properties === 'object'
          ? JSON.stringify(propertyMap(body.properties))
          : null;
      return [await this.repo.saveObject(em, obj), objectName] as const;
    });
    this.notifier.notify('metadef_object.update', objectPayload(name, saved, oldName));
    return writtenObject(name, saved, body);
  }

  async remove(ctx: RequestContext, name: string, objectName: string): Promise<void> {
    const removed = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'delete_metadef_object', ns);
      const obj = await this.repo.findObject(em, ns.id, objectName);
      if (!obj) throw notFound(objectName);
      if (ns.protected) {
        throw new ForbiddenError(
          `Metadata definition object ${objectName} is protected and cannot be deleted.`,
        );
      }
      await this.repo.deleteObjects(em, ns.id, [obj.id]);
      return obj;
    });
    this.notifier.notify('metadef_object.delete', objectPayload(name, removed, undefined, true));
  }
}
