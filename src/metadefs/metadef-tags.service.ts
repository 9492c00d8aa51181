import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../common/errors/domain-errors.js';
import { Notifier } from '../notifications/notifier.js';
import type { ListQuery } from './dto/list-query.dto.js';
import { MetadefTagEntity } from './entities/index.js';
import { MetadefAccess } from './metadef-access.js';
import { tagPayload, tagWithDates } from './metadef-format.js';
import type { JsonObject } from './metadef-format.js';
import { checkBody, checkNo4ByteChars } from './metadef-input.js';
import { duplicateTag } from './metadef-namespaces.service.js';
import { parseLimit, parseSortDir, parseSortKey, single } from './metadef-query.js';
import { MetadefsRepository } from './metadefs.repository.js';
import { firstSchemaError } from '../common/schema/json-schema-check.js';
import { tagSchema, tagsBodySchema } from './schema/metadef-schemas.js';

const READ_ONLY = ['created_at', 'updated_at'];
const TAG_SORT_KEYS = ['created_at', 'updated_at', 'name'] as const;

function notFound(name: string): NotFoundError {
  return new NotFoundError(`Could not find metadata tag ${name}`);
}

/** oslo's bool_from_string, which reads X-Openstack-Append. */
export function truthy(value: string | undefined): boolean {
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes((value ?? '').trim().toLowerCase());
}

@Injectable()
export class MetadefTagsService {
  constructor(
    private readonly repo: MetadefsRepository,
    private readonly access: MetadefAccess,
    private readonly notifier: Notifier,
  ) {}

  async list(ctx: RequestContext, name: string, query: ListQuery): Promise<{ tags: JsonObject[] }> {
    const sortKey = parseSortKey(single(query, 'sort_key'), TAG_SORT_KEYS, 'created_at');
    const sortDir = parseSortDir(single(query, 'sort_dir'));
    const limit = parseLimit(single(query, 'limit'));
    const em = this.repo.manager;
    const ns = await this.access.authorize(em, ctx, name, 'get_metadef_tags');
    const markerName = single(query, 'marker');
    let marker: MetadefTagEntity | undefined;
    if (markerName !== undefined) {
      marker = (await this.repo.findTag(em, ns.id, markerName)) ?? undefined;
      if (!marker) throw notFound(markerName);
    }
    if (limit === 0) return { tags: [] };
    const tags = await this.repo.listTags(em, ns.id, { sortKey, sortDir, limit, marker });
    return { tags: tags.map((t) => ({ name: t.name })) };
  }

  /** POST …/tags: replaces every tag, or adds to them when `append`. */
  async createMany(
    ctx: RequestContext,
    name: string,
    raw: unknown,
    append: boolean,
  ): Promise<{ tags: JsonObject[] }> {
    const body = checkBody(raw, tagsBodySchema(), READ_ONLY);
    const names = ((body.tags ?? []) as JsonObject[]).map((t) => t.name as string);
    // The batch schema has no length limit, but each tag must fit as a single tag would.
    for (const n of names) {
      const error = firstSchemaError(tagSchema(), { name: n });
      if (error) throw new InvalidError(`Provided object does not match schema 'tag': ${error}`);
    }
    const created = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'add_metadef_tags', ns);
      const seen = new Set<string>();
      for (const n of names) {
        if (seen.has(n)) throw duplicateTag(n, name);
        seen.add(n);
      }
      if (!append) await this.repo.deleteTags(em, ns.id);
      const out: MetadefTagEntity[] = [];
      for (const n of names) {
        if (append && (await this.repo.findTag(em, ns.id, n))) throw duplicateTag(n, name);
        out.push(
          await this.repo.saveTag(em, Object.assign(new MetadefTagEntity(), { namespaceId: ns.id, name: n })),
        );
      }
      return out;
    });
    for (const tag of created) this.notifier.notify('metadef_tag.create', tagPayload(name, tag));
    return { tags: created.map((t) => ({ name: t.name })) };
  }

  /** POST …/tags/{tag}: the name comes from the path, so it is checked against the tag schema here. */
  async createOne(ctx: RequestContext, name: string, tagName: string): Promise<JsonObject> {
    const created = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      const error = firstSchemaError(tagSchema(), { name: tagName });
      if (error) throw new InvalidError(`Provided object does not match schema 'tag': ${error}`);
      this.access.enforce(ctx, 'add_metadef_tag', ns);
      checkNo4ByteChars('create metadata tag', { name: tagName });
      if (await this.repo.findTag(em, ns.id, tagName)) throw duplicateTag(tagName, name);
      return this.repo.saveTag(
        em,
        Object.assign(new MetadefTagEntity(), { namespaceId: ns.id, name: tagName }),
      );
    });
    this.notifier.notify('metadef_tag.create', tagPayload(name, created));
    return tagWithDates(created);
  }

  async show(ctx: RequestContext, name: string, tagName: string): Promise<JsonObject> {
    const em = this.repo.manager;
    const ns = await this.access.authorize(em, ctx, name, 'get_metadef_tag');
    const tag = await this.repo.findTag(em, ns.id, tagName);
    if (!tag) throw notFound(tagName);
    return tagWithDates(tag);
  }

  async update(ctx: RequestContext, name: string, tagName: string, raw: unknown): Promise<JsonObject> {
    const body = checkBody(raw, tagSchema(), READ_ONLY);
    const saved = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'modify_metadef_tag', ns);
      const tag = await this.repo.findTag(em, ns.id, tagName);
      if (!tag) throw notFound(tagName);
      const newName = body.name as string;
      checkNo4ByteChars('update metadata tag', { name: newName });
      if (newName !== tag.name && (await this.repo.findTag(em, ns.id, newName)))
        throw duplicateTag(newName, name);
      tag.name = newName;
      return this.repo.saveTag(em, tag);
    });
    this.notifier.notify('metadef_tag.update', tagPayload(name, saved, tagName));
    return tagWithDates(saved);
  }

  async remove(ctx: RequestContext, name: string, tagName: string): Promise<void> {
    const removed = await this.repo.transaction(async (em) => {
      const ns = await this.access.load(em, ctx, name, true);
      this.access.enforce(ctx, 'delete_metadef_tag', ns);
      const tag = await this.repo.findTag(em, ns.id, tagName);
      if (!tag) throw notFound(tagName);
      if (ns.protected) {
        throw new ForbiddenError(`Metadata definition tag ${tagName} is protected and cannot be deleted.`);
      }
      await this.repo.deleteTags(em, ns.id, [tag.id]);
      return tag;
    });
    this.notifier.notify('metadef_tag.delete', tagPayload(name, removed, undefined, true));
  }
}
