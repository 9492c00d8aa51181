import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../auth/request-context.js';
import {
  DuplicateError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
} from '../common/errors/domain-errors.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Notifier } from '../notifications/notifier.js';
import type { ListQuery, NamespaceListResult } from './dto/list-query.dto.js';
import {
  MetadefNamespaceEntity,
  MetadefObjectEntity,
  MetadefPropertyEntity,
  MetadefTagEntity,
} from './entities/index.js';
import { MetadefAccess } from './metadef-access.js';
import {
  association,
  associationPayload,
  namespaceBase,
  namespaceLinks,
  namespacePayload,
  objectPayload,
  propertyMap,
  propertyPayload,
  propertyType,
  storedObject,
  storedProperty,
  tagPayload,
} from './metadef-format.js';
import type { JsonObject } from './metadef-format.js';
import { checkBody, checkNo4ByteChars, optionalString } from './metadef-input.js';
import { parseLimit, parseSortDir, parseSortKey, single, urlencode } from './metadef-query.js';
import { MetadefResourceTypesService } from './metadef-resource-types.service.js';
import { MetadefsRepository, NAMESPACE_SORT_KEYS, UniqueViolation } from './metadefs.repository.js';
import type { AssociationRow } from './metadefs.repository.js';
import { firstSchemaError } from '../common/schema/json-schema-check.js';
import type { Schema } from '../common/schema/json-schema-check.js';
import {
  namespaceSchema,
  objectSchema,
  propertySchema,
  resourceTypeAssociationSchema,
  tagSchema,
} from './schema/metadef-schemas.js';
import type { Json } from '../common/schema/python-format.js';

type Pending = Array<[string, JsonObject]>;

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

export function duplicateObject(name: string, ns: string): DuplicateError {
  return new DuplicateError(
    `A metadata definition object with name=${name} already exists in namespace=${ns}.`,
  );
}
export function duplicateProperty(name: string, ns: string): DuplicateError {
  return new DuplicateError(
    `A metadata definition property with name=${name} already exists in namespace=${ns}.`,
  );
}
export function duplicateTag(name: string, ns: string): DuplicateError {
  return new DuplicateError(
    `A metadata tag with name=${name} already exists in namespace=${ns}. ` +
      '(Please note that metadata tag names are case insensitive).',
  );
}

@Injectable()
export class MetadefNamespacesService {
  constructor(
    private readonly repo: MetadefsRepository,
    private readonly access: MetadefAccess,
    private readonly resourceTypes: MetadefResourceTypesService,
    private readonly notifier: Notifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private send(events: Pending): void {
    for (const [event, payload] of events) this.notifier.notify(event, payload);
  }

  async list(
    ctx: RequestContext,
    query: ListQuery,
    order: Array<[string, string]>,
  ): Promise<NamespaceListResult> {
    const requested = parseLimit(single(query, 'limit')) ?? this.config.glance.limit_param_default;
    const limit = Math.min(this.config.glance.api_limit_max, requested);
    const sortDir = parseSortDir(single(query, 'sort_dir'));
    const sortKey = parseSortKey(single(query, 'sort_key'), NAMESPACE_SORT_KEYS, 'created_at');
    const visibility = single(query, 'visibility');
    if (visibility && visibility !== 'public' && visibility !== 'private') {
      throw new InvalidError(`Invalid visibility value: ${visibility}`);
    }
    this.access.enforce(ctx, 'get_metadef_namespaces');
    this.access.enforce(ctx, 'list_metadef_resource_types');
    const em = this.repo.manager;
    let marker: MetadefNamespaceEntity | undefined;
    const markerName = single(query, 'marker');
    if (markerName !== undefined) {
      marker = (await this.repo.findNamespace(em, markerName)) ?? undefined;
      if (!marker) throw new NotFoundError(`Metadata definition namespace=${markerName} was not found.`);
      if (!this.access.visible(ctx, marker)) {
        throw new ForbiddenError(
          `Forbidding request, metadata definition namespace=${markerName} is not visible.`,
        );
      }
    }
    const rt = single(query, 'resource_types');
    const rows = await this.repo.listNamespaces(em, {
      visibleTo: ctx.isAdmin ? null : { projectId: ctx.projectId },
      visibility: visibility as 'public' | 'private' | undefined,
      resourceTypes: rt ? rt.split(',').map((s) => s.trim()) : undefined,
      sortKey,
      sortDir,
      limit,
      marker,
    });
    const shown = rows.filter((ns) => this.access.allows(ctx, 'get_metadef_namespace', ns));
    const associations = await this.repo.listAssociations(
      em,
      shown.map((ns) => ns.id),
    );
    const namespaces = shown.map((ns) => {
      const out = namespaceBase(ns);
      const rtas = associations.get(ns.id);
      if (rtas?.length) out.resource_type_associations = rtas.map(association);
      return { ...out, ...namespaceLinks(ns) };
    });
    const params = order.filter(([k]) => k !== 'marker');
    const base = '/v2/metadefs/namespaces';
    const result: NamespaceListResult = {
      namespaces,
      schema: '/v2/schemas/metadefs/namespaces',
      first: params.length ? `${base}?${urlencode(params)}` : base,
    };
    if (namespaces.length && namespaces.length === limit) {
      const nextParams: Array<[string, string]> = [...params, ['marker', shown[shown.length - 1].namespace]];
      return {
        namespaces,
        next: `${base}?${urlencode(nextParams)}`,
        schema: result.schema,
        first: result.first,
      };
    }
    return result;
  }

  async create(ctx: RequestContext, raw: unknown): Promise<JsonObject> {
    const body = checkBody(raw, namespaceSchema());
    const associations = Array.isArray(body.resource_type_associations)
      ? body.resource_type_associations.filter(isObject)
      : [];
    const objects = Array.isArray(body.objects) ? body.objects.filter(isObject) : [];
    const tags = Array.isArray(body.tags) ? body.tags.filter(isObject) : [];
    const properties = isObject(body.properties) ? body.properties : {};
    checkEmbeddedLengths(associations, objects, tags, properties);
    this.access.enforce(ctx, 'add_metadef_namespace');
    if (associations.length) this.access.enforce(ctx, 'add_metadef_resource_type_association');
    if (objects.length) this.access.enforce(ctx, 'add_metadef_object');
    if (Object.keys(properties).length) this.access.enforce(ctx, 'add_metadef_property');
    if (tags.length) this.access.enforce(ctx, 'add_metadef_tag');

    const name = body.namespace as string;
    const owner = 'owner' in body ? optionalString(body.owner) : ctx.projectId;
    const action = 'create metadata namespace';
    checkNo4ByteChars(action, {
      namespace: name,
      display_name: optionalString(body.display_name),
      description: optionalString(body.description),
      owner,
    });
    for (const o of objects) {
      checkNo4ByteChars(action, { name: optionalString(o.name), description: optionalString(o.description) });
    }
    for (const t of tags) checkNo4ByteChars(action, { name: optionalString(t.name) });
    for (const p of Object.keys(properties)) checkNo4ByteChars(action, { name: p });

    const events: Pending = [];
    const saved = await this.repo
      .transaction(async (em) => {
        if (await this.repo.findNamespace(em, name)) {
          throw new DuplicateError(`The metadata definition namespace=${name} already exists.`);
        }
        const ns = await this.repo.saveNamespace(
          em,
          Object.assign(new MetadefNamespaceEntity(), {
            namespace: name,
            displayName: optionalString(body.display_name),
            description: optionalString(body.description),
            visibility: (body.visibility as 'public' | 'private' | undefined) ?? 'private',
            protected: body.protected === true,
            owner,
          }),
        );
        events.push(['metadef_namespace.create', namespacePayload(ns)]);
        for (const a of associations) {
          const row = await this.resourceTypes.associate(em, ns, {
            name: a.name as string,
            prefix: optionalString(a.prefix),
            propertiesTarget: optionalString(a.properties_target),
          });
          events.push(['metadef_resource_type.create', associationPayload(name, row)]);
        }
        const objectNames = new Set<string>();
        for (const o of objects) {
          const oname = typeof o.name === 'string' ? o.name : '';
          if (objectNames.has(oname)) throw duplicateObject(oname, name);
          objectNames.add(oname);
          const obj = await this.repo.saveObject(em, newObject(ns.id, o));
          events.push(['metadef_object.create', objectPayload(name, obj)]);
        }
        const tagNames = new Set<string>();
        for (const t of tags) {
          const tname = typeof t.name === 'string' ? t.name : '';
          if (tagNames.has(tname)) throw duplicateTag(tname, name);
          tagNames.add(tname);
          const tag = await this.repo.saveTag(
            em,
            Object.assign(new MetadefTagEntity(), { namespaceId: ns.id, name: tname }),
          );
          events.push(['metadef_tag.create', tagPayload(name, tag)]);
        }
        for (const [pname, def] of Object.entries(properties)) {
          const prop = await this.repo.saveProperty(
            em,
            Object.assign(new MetadefPropertyEntity(), {
              namespaceId: ns.id,
              name: pname,
              jsonSchema: JSON.stringify(propertyType(isObject(def) ? def : {})),
            }),
          );
          events.push(['metadef_property.create', propertyPayload(name, prop)]);
        }
        return ns;
      })
      .catch((err: unknown) => {
        if (err instanceof UniqueViolation)
          throw new DuplicateError(`The metadata definition namespace=${name} already exists.`);
        throw err;
      });
    this.send(events);

    const out = namespaceBase(saved);
    if (associations.length) out.resource_type_associations = associations.map(sentAssociation);
    if (Object.keys(properties).length) out.properties = propertyMap(properties);
    if (objects.length) out.objects = objects.map(sentObject);
    if (tags.length) out.tags = tags.map((t) => ({ name: t.name ?? null }));
    return { ...out, ...namespaceLinks(saved) };
  }

  async show(ctx: RequestContext, name: string, resourceType?: string): Promise<JsonObject> {
    const em = this.repo.manager;
    const ns = await this.repo.findNamespace(em, name);
    if (!ns) throw new NotFoundError(`Metadata definition namespace=${name} was not found.`);
    if (!this.access.visible(ctx, ns)) throw new NotFoundError('');
    this.access.enforce(ctx, 'get_metadef_namespace', ns);
    for (const rule of [
      'list_metadef_resource_types',
      'get_metadef_objects',
      'get_metadef_properties',
      'get_metadef_tags',
    ])
      this.access.enforce(ctx, rule, ns);
    const out = namespaceBase(ns);
    const rows: AssociationRow[] = (await this.repo.listAssociations(em, [ns.id])).get(ns.id) ?? [];
    const prefix = (resourceType && rows.find((r) => r.name === resourceType)?.association.prefix) || '';
    if (rows.length) out.resource_type_associations = rows.map(association);
    const props = await this.repo.listProperties(em, ns.id);
    if (props.length) {
      out.properties = Object.fromEntries(
        props.map((p) => [prefix + p.name, propertyType(storedProperty(p))]),
      );
    }
    const objects = await this.repo.listObjects(em, ns.id);
    if (objects.length) out.objects = objects.map((o) => storedObject(ns.namespace, o, prefix));
    const tags = await this.repo.listTags(em, ns.id);
    if (tags.length) out.tags = tags.map((t) => ({ name: t.name }));
    return { ...out, ...namespaceLinks(ns) };
  }

  async update(ctx: RequestContext, name: string, raw: unknown): Promise<JsonObject> {
    const body = checkBody(raw, namespaceSchema());
    const events: Pending = [];
    const saved = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'modify_metadef_namespace', ns);
      const next = {
        namespace: body.namespace as string,
        displayName: optionalString(body.display_name),
        description: optionalString(body.description),
        visibility: (body.visibility as 'public' | 'private' | undefined) || 'private',
        protected: body.protected === true,
        owner: optionalString(body.owner) || ctx.projectId,
      };
      checkNo4ByteChars('update metadata namespace', {
        namespace: next.namespace,
        display_name: next.displayName,
        description: next.description,
        owner: next.owner,
      });
      if (next.namespace !== ns.namespace && (await this.repo.findNamespace(em, next.namespace))) {
        throw new DuplicateError(
          'Invalid update. It would result in a duplicate metadata definition namespace with the same name of ' +
            next.namespace,
        );
      }
      const updated = await this.repo.saveNamespace(em, Object.assign(ns, next));
      events.push(['metadef_namespace.update', namespacePayload(updated, name)]);
      return updated;
    });
    this.send(events);
    return { ...namespaceBase(saved), ...namespaceLinks(saved) };
  }

  async remove(ctx: RequestContext, name: string): Promise<void> {
    const events: Pending = [];
    await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'delete_metadef_namespace', ns);
      refuseProtected(ns);
      await this.repo.deleteNamespace(em, ns.id);
      events.push(['metadef_namespace.delete', namespacePayload(ns, undefined, true)]);
    });
    this.send(events);
  }

  /** DELETE …/objects, …/properties, …/tags: Glance guards them as deleting the namespace. */
  async removeContents(
    ctx: RequestContext,
    name: string,
    kind: 'objects' | 'properties' | 'tags',
  ): Promise<void> {
    const events: Pending = [];
    await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'delete_metadef_namespace', ns);
      if (kind === 'tags') this.access.enforce(ctx, 'delete_metadef_tags', ns);
      refuseProtected(ns);
      await this.deleteKind(em, ns.id, kind);
      events.push([`metadef_namespace.delete_${kind}`, namespacePayload(ns)]);
    });
    this.send(events);
  }

  private deleteKind(em: EntityManager, id: number, kind: 'objects' | 'properties' | 'tags'): Promise<void> {
    if (kind === 'objects') return this.repo.deleteObjects(em, id);
    if (kind === 'properties') return this.repo.deleteProperties(em, id);
    return this.repo.deleteTags(em, id);
  }
}

/**
 * The namespace schema sets no length on the names of embedded objects, tags, associations and
 * properties, while the columns hold 80 characters; each is held to its own schema instead, so
 * that an overlong name is a 400 rather than a database error.
 */
export function checkEmbeddedLengths(
  associations: JsonObject[],
  objects: JsonObject[],
  tags: JsonObject[],
  properties: JsonObject,
): void {
  const check = (schema: Schema, value: Json) => {
    const error = firstSchemaError(schema, value);
    if (error)
      throw new InvalidError(`Provided object does not match schema '${schema.name as string}': ${error}`);
  };
  const assoc = resourceTypeAssociationSchema();
  const fields = ['name', 'prefix', 'properties_target'];
  for (const a of associations)
    check(assoc, Object.fromEntries(Object.entries(a).filter(([k]) => fields.includes(k))));
  const tag = tagSchema();
  for (const t of tags) check(tag, { name: t.name ?? null });
  const obj = objectSchema();
  for (const o of objects) check(obj, { name: o.name ?? null });
  const prop = propertySchema();
  for (const name of Object.keys(properties)) check(prop, { name, title: '', type: 'string' });
}

export function refuseProtected(ns: MetadefNamespaceEntity): void {
  if (ns.protected) {
    throw new ForbiddenError(
      `Metadata definition namespace ${ns.namespace} is protected and cannot be deleted.`,
    );
  }
}

export function newObject(namespaceId: number, o: JsonObject): MetadefObjectEntity {
  return Object.assign(new MetadefObjectEntity(), {
    namespaceId,
    name: o.name as string,
    description: optionalString(o.description),
    required: Array.isArray(o.required) ? JSON.stringify(o.required) : null,
    jsonSchema: isObject(o.properties) ? JSON.stringify(propertyMap(o.properties)) : null,
  });
}

function sentAssociation(a: JsonObject): JsonObject {
  const out: JsonObject = { name: a.name ?? null };
  if ('prefix' in a) out.prefix = a.prefix;
  if ('properties_target' in a) out.properties_target = a.properties_target;
  return out;
}

function sentObject(o: JsonObject): JsonObject {
  const out: JsonObject = { name: o.name ?? null };
  if ('required' in o) out.required = o.required;
  if ('description' in o) out.description = o.description;
  if ('properties' in o) out.properties = propertyMap(o.properties);
  return out;
}
