import { MetadefObjectEntity, MetadefPropertyEntity } from './entities/index.js';
import { isoTime, objectPayload, propertyPayload, propertyType, storedObject } from './metadef-format.js';
import { urlencode } from './metadef-query.js';

const at = new Date('2026-11-26T21:22:05.678Z');

describe('metadef representations', () => {
  it('writes Glance isotime without fractions', () => {
    expect(isoTime(at)).toBe('2026-11-26T21:22:05Z');
  });

  it('coerces property fields as Glance model does and keeps its key order', () => {
    expect(
      propertyType({
        enum: ['a'],
        default: 5,
        title: 'T',
        type: 'integer',
        minimum: 1.5,
        bogus: 1,
        readonly: true,
      }),
    ).toEqual({ type: 'integer', title: 'T', default: '5', readonly: true, minimum: 1, enum: ['a'] });
    expect(Object.keys(propertyType({ enum: ['a'], title: 'T', type: 'string', name: 'n' }))).toEqual([
      'name',
      'type',
      'title',
      'enum',
    ]);
    expect(propertyType({ title: 'T', type: 'boolean', default: true }).default).toBe('True');
    expect(propertyType({ title: 'T', type: 'object', default: { a: 1 } }).default).toBeNull();
    expect(propertyType({ title: 'T', type: 'array', items: { type: 'string', x: 1 } }).items).toEqual({
      type: 'string',
    });
  });

  it('renders stored objects with required and properties, prefixed for a resource type', () => {
    const obj = Object.assign(new MetadefObjectEntity(), {
      name: 'o',
      description: null,
      required: '["a"]',
      jsonSchema: '{"a":{"title":"A","type":"string"}}',
      createdAt: at,
      updatedAt: at,
    });
    expect(storedObject('ns', obj, 'hw_')).toEqual({
      name: 'o',
      required: ['hw_a'],
      properties: { hw_a: { type: 'string', title: 'A' } },
      created_at: '2026-11-26T21:22:05Z',
      updated_at: '2026-11-26T21:22:05Z',
      self: '/v2/metadefs/namespaces/ns/objects/o',
      schema: '/v2/schemas/metadefs/object',
    });
  });

  it("builds Glance's notification payloads", () => {
    const obj = Object.assign(new MetadefObjectEntity(), {
      name: 'new',
      description: 'd',
      required: null,
      jsonSchema: '{"a":{"title":"A","type":"string","default":""}}',
      createdAt: at,
      updatedAt: at,
    });
    const payload = objectPayload('ns', obj, 'old');
    expect(payload).toMatchObject({
      namespace: 'ns',
      name: 'new',
      name_old: 'old',
      required: null,
      deleted: false,
    });
    expect(payload.properties).toEqual([
      {
        name: 'a',
        type: 'string',
        title: 'A',
        description: null,
        default: null,
        minimum: null,
        maximum: null,
        enum: null,
        pattern: null,
        minLength: null,
        maxLength: null,
        confidential: null,
        items: null,
        uniqueItems: null,
        minItems: null,
        maxItems: null,
        additionalItems: null,
      },
    ]);
    const prop = Object.assign(new MetadefPropertyEntity(), {
      name: 'p',
      jsonSchema: '{"title":"P","type":"integer","minimum":0}',
    });
    const deleted = propertyPayload('ns', prop, undefined, true);
    expect(deleted).toMatchObject({
      name: 'p',
      name_old: 'p',
      type: 'integer',
      minimum: 0,
      default: null,
      deleted: true,
    });
    expect(deleted.deleted_at).toMatch(/Z$/);
  });

  it("encodes paging links as Python's urlencode does", () => {
    expect(
      urlencode([
        ['resource_types', 'OS::Glance::Image'],
        ['marker', 'a b~(c)'],
      ]),
    ).toBe('resource_types=OS%3A%3AGlance%3A%3AImage&marker=a+b~%28c%29');
  });
});
