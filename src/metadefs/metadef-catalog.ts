import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-errors.js';
import {
  MetadefNamespaceEntity,
  MetadefNamespaceResourceTypeEntity,
  MetadefObjectEntity,
  MetadefPropertyEntity,
  MetadefResourceTypeEntity,
  MetadefTagEntity,
} from './entities/index.js';
import { parseJson } from './metadef-format.js';
import type { JsonObject } from './metadef-format.js';
import { checkBody, checkNo4ByteChars, optionalString } from './metadef-input.js';
import { checkEmbeddedLengths } from './metadef-namespaces.service.js';
import type { MetadefsRepository } from './metadefs.repository.js';
import { namespaceSchema } from './schema/metadef-schemas.js';
import type { Json } from '../common/schema/python-format.js';

/**
 * Glance's metadef catalog files (one JSON document per namespace, as glance-manage
 * db_load_metadefs reads and db_export_metadefs writes them) to and from the database.
 *
 * Loading follows glance-manage: a namespace that exists is skipped, unless `merge`, which adds
 * what it lacks (and with `preferNew` also rewrites what it has), or `overwrite`, which replaces
 * it. Unlike glance-manage, each file is checked against the namespace schema first and loaded in
 * one transaction, so a bad file leaves nothing behind and is reported instead of logged; and an
 * object's `required` list is kept (glance-manage drops it).
 */

export interface LoadOptions {
  merge?: boolean;
  preferNew?: boolean;
  overwrite?: boolean;
}

export type LoadOutcome =
  | { file: string; status: 'created' | 'merged' | 'replaced' | 'skipped'; namespace: string }
  | { file: string; status: 'failed'; reason: string };

export class CatalogOptionsError extends Error {}

export function checkLoadOptions(o: LoadOptions): void {
  if (!o.merge && (o.preferNew || o.overwrite)) {
    throw new CatalogOptionsError('To use --prefer-new or --overwrite, combine it with --merge.');
  }
  if (o.preferNew && o.overwrite) {
    throw new CatalogOptionsError('Give no more than one of --prefer-new and --overwrite.');
  }
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** The catalog files under `path` (or `path` itself when it is a file), in name order. */
export function catalogFiles(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.json') && statSync(join(path, f)).isFile())
    .sort()
    .map((f) => join(path, f));
}

export class MetadefCatalog {
  constructor(private readonly repo: MetadefsRepository) {}

  async load(path: string, options: LoadOptions = {}): Promise<LoadOutcome[]> {
    checkLoadOptions(options);
    const outcomes: LoadOutcome[] = [];
    for (const file of catalogFiles(path)) {
      outcomes.push(await this.loadFile(file, options));
    }
    return outcomes;
  }

  private async loadFile(file: string, options: LoadOptions): Promise<LoadOutcome> {
    let doc: JsonObject;
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as Json;
      doc = checkBody(withoutNulls(raw), namespaceSchema());
      // glance-manage gives files without an owner to 'admin'; an explicit null means no owner.
      doc.owner = isObject(raw) && 'owner' in raw ? raw.owner : 'admin';
      checkNo4ByteChars('load metadata namespace', {
        namespace: doc.namespace as string,
        display_name: optionalString(doc.display_name),
        description: optionalString(doc.description),
        owner: optionalString(doc.owner),
      });
      for (const o of arrayOf(doc.objects))
        checkNo4ByteChars('load metadata object', { name: optionalString(o.name) });
      for (const t of arrayOf(doc.tags))
        checkNo4ByteChars('load metadata tag', { name: optionalString(t.name) });
      for (const p of Object.keys(isObject(doc.properties) ? doc.properties : {}))
        checkNo4ByteChars('load metadata property', { name: p });
      for (const o of arrayOf(doc.objects)) {
        if (typeof o.name !== 'string') throw new Error("every object needs a string 'name'");
      }
      checkEmbeddedLengths(
        arrayOf(doc.resource_type_associations),
        arrayOf(doc.objects),
        arrayOf(doc.tags),
        isObject(doc.properties) ? doc.properties : {},
      );
      for (const t of arrayOf(doc.tags)) {
        if (typeof t.name !== 'string') throw new Error("every tag needs a string 'name'");
      }
      for (const a of arrayOf(doc.resource_type_associations)) {
        if (typeof a.name !== 'string')
          throw new Error("every resource type association needs a string 'name'");
      }
    } catch (err) {
      return { file, status: 'failed', reason: describe(err) };
    }
    const name = doc.namespace as string;
    try {
      const status = await this.repo.transaction((em) => this.apply(em, doc, options));
      return { file, status, namespace: name };
    } catch (err) {
      return { file, status: 'failed', reason: describe(err) };
    }
  }

  private async apply(
    em: EntityManager,
    doc: JsonObject,
    options: LoadOptions,
  ): Promise<'created' | 'merged' | 'replaced' | 'skipped'> {
    const name = doc.namespace as string;
    const values = {
      namespace: name,
      displayName: optionalString(doc.display_name),
      description: optionalString(doc.description),
      visibility: doc.visibility === 'public' ? 'public' : 'private',
      protected: doc.protected === true,
      owner: optionalString(doc.owner),
    };
    let ns = await this.repo.findNamespaceForUpdate(em, name);
    let status: 'created' | 'merged' | 'replaced' = 'created';
    if (ns && options.overwrite) {
      await this.repo.deleteNamespace(em, ns.id);
      ns = null;
      status = 'replaced';
    } else if (ns && !options.merge) {
      return 'skipped';
    } else if (ns) {
      status = 'merged';
      if (options.preferNew) ns = await this.repo.saveNamespace(em, Object.assign(ns, values));
    }
    ns ??= await this.repo.saveNamespace(em, Object.assign(new MetadefNamespaceEntity(), values));
    const prefer = options.preferNew === true;

    for (const a of arrayOf(doc.resource_type_associations)) {
      let rt = await this.repo.findResourceType(em, a.name as string);
      rt ??= await this.repo.saveResourceType(
        em,
        Object.assign(new MetadefResourceTypeEntity(), { name: a.name as string, protected: true }),
      );
      const existing = await this.repo.findAssociation(em, ns.id, rt.id);
      if (existing && !prefer) continue;
      await this.repo.saveAssociation(
        em,
        Object.assign(existing ?? new MetadefNamespaceResourceTypeEntity(), {
          namespaceId: ns.id,
          resourceTypeId: rt.id,
          prefix: optionalString(a.prefix),
          propertiesTarget: optionalString(a.properties_target),
        }),
      );
    }
    for (const [pname, schema] of Object.entries(isObject(doc.properties) ? doc.properties : {})) {
      const existing = await this.repo.findProperty(em, ns.id, pname);
      if (existing && !prefer) continue;
      await this.repo.saveProperty(
        em,
        Object.assign(existing ?? new MetadefPropertyEntity(), {
          namespaceId: ns.id,
          name: pname,
          jsonSchema: JSON.stringify(schema),
        }),
      );
    }
    for (const o of arrayOf(doc.objects)) {
      const existing = await this.repo.findObject(em, ns.id, o.name as string);
      if (existing && !prefer) continue;
      await this.repo.saveObject(
        em,
        Object.assign(existing ?? new MetadefObjectEntity(), {
          namespaceId: ns.id,
          name: o.name as string,
          description: optionalString(o.description),
          required: Array.isArray(o.required) ? JSON.stringify(o.required) : null,
          jsonSchema: 'properties' in o ? JSON.stringify(o.properties) : null,
        }),
      );
    }
    const seenTags = new Set<string>();
    for (const t of arrayOf(doc.tags)) {
      const tname = t.name as string;
      if (seenTags.has(tname)) continue;
      seenTags.add(tname);
      const existing = await this.repo.findTag(em, ns.id, tname);
      if (existing && !prefer) continue;
      await this.repo.saveTag(
        em,
        Object.assign(existing ?? new MetadefTagEntity(), { namespaceId: ns.id, name: tname }),
      );
    }
    return status;
  }

  /** Writes one file per namespace, named from its display name as glance-manage names them. */
  async export(dir: string): Promise<Array<{ namespace: string; file: string }>> {
    mkdirSync(dir, { recursive: true });
    const em = this.repo.manager;
    const namespaces = await this.repo.allNamespaces(em);
    const associations = await this.repo.listAssociations(
      em,
      namespaces.map((n) => n.id),
    );
    const used = new Set<string>();
    const written: Array<{ namespace: string; file: string }> = [];
    for (const ns of namespaces) {
      const doc: JsonObject = {
        namespace: ns.namespace,
        display_name: ns.displayName,
        description: ns.description,
        visibility: ns.visibility,
        protected: ns.protected,
        owner: ns.owner,
        resource_type_associations: (associations.get(ns.id) ?? []).map((r) => ({
          name: r.name,
          prefix: r.association.prefix,
          properties_target: r.association.propertiesTarget,
        })),
        properties: Object.fromEntries(
          (await this.repo.listProperties(em, ns.id)).map((p) => [p.name, parseJson(p.jsonSchema) ?? {}]),
        ),
        objects: (await this.repo.listObjects(em, ns.id)).map((o) => {
          const out: JsonObject = { name: o.name, description: o.description };
          const required = parseJson(o.required);
          if (Array.isArray(required)) out.required = required;
          out.properties = parseJson(o.jsonSchema) ?? {};
          return out;
        }),
        tags: (await this.repo.listTags(em, ns.id, { sortKey: 'created_at', sortDir: 'asc' })).map((t) => ({
          name: t.name,
        })),
      };
      const file = join(dir, uniqueFileName(ns, used));
      writeFileSync(file, JSON.stringify(doc, null, 4) + '\n');
      written.push({ namespace: ns.namespace, file });
    }
    return written;
  }
}

/**
 * Exports (ours and glance-manage's) write null for attributes that are not set, which the
 * namespace schema does not allow; null means absent here, except for `owner` (no owner).
 */
function withoutNulls(doc: Json): Json {
  if (!isObject(doc)) return doc;
  const strip = (o: JsonObject): JsonObject =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
  const out = strip(doc);
  for (const key of ['resource_type_associations', 'objects', 'tags']) {
    if (Array.isArray(out[key])) out[key] = out[key].map((item) => (isObject(item) ? strip(item) : item));
  }
  return out;
}

function arrayOf(v: Json | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/** glance-manage strips everything but letters and digits from the display name. */
function uniqueFileName(ns: MetadefNamespaceEntity, used: Set<string>): string {
  const strip = (s: string) => s.replace(/[^\p{L}\p{N}]+/gu, '');
  const stem = strip(ns.displayName ?? '') || strip(ns.namespace) || 'namespace';
  // Two namespaces with one display name would overwrite each other's file in glance-manage.
  let candidate = `${stem}.json`;
  for (let i = 2; used.has(candidate); i++) candidate = `${stem}-${i}.json`;
  used.add(candidate);
  return candidate;
}

function describe(err: unknown): string {
  if (err instanceof DomainError) return err.message;
  if (err instanceof SyntaxError) return `malformed JSON: ${err.message}`;
  const e = err as { message?: string; detail?: string };
  return e.detail ? `${e.message ?? ''} (${e.detail})` : (e.message ?? String(err));
}

export function fileLabel(file: string): string {
  return basename(file);
}
