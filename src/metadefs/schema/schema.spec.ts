import { firstSchemaError } from '../../common/schema/json-schema-check.js';
import { METADEF_SCHEMAS, namespaceSchema, propertySchema, tagsBodySchema } from './metadef-schemas.js';
import { pformat } from '../../common/schema/python-format.js';

describe('metadef schemas and python-jsonschema messages', () => {
  it('serves every metadef schema with its Glance name', () => {
    expect(Object.keys(METADEF_SCHEMAS).sort()).toEqual([
      'namespace',
      'namespaces',
      'object',
      'objects',
      'properties',
      'property',
      'resource_type',
      'resource_types',
      'tag',
      'tags',
    ]);
    expect(METADEF_SCHEMAS.resource_type().name).toBe('resource_type_association');
  });

  it('reports an enum failure as python-jsonschema words it', () => {
    expect(firstSchemaError(propertySchema(), { name: 'n', title: 'T', type: 'foo' })).toBe(
      "'foo' is not one of ['array', 'boolean', 'integer', 'number', 'object', 'string', None]\n\n" +
        "Failed validating 'enum' in schema['properties']['type']:\n" +
        "    {'enum': ['array',\n              'boolean',\n              'integer',\n              'number',\n" +
        "              'object',\n              'string',\n              None],\n     'type': 'string'}\n\n" +
        "On instance['type']:\n    'foo'",
    );
  });

  it('follows $ref and allOf in the schema path', () => {
    expect(firstSchemaError(propertySchema(), { name: 'n', title: 'T', type: 'string', minLength: -1 })).toBe(
      "-1 is less than the minimum of 0\n\nFailed validating 'minimum' in schema['properties']['minLength']['allOf'][0]:\n" +
        "    {'minimum': 0, 'type': 'integer'}\n\nOn instance['minLength']:\n    -1",
    );
  });

  it('prefers the shallowest error, as best_match does', () => {
    const message = firstSchemaError(namespaceSchema(), { namespace: 'x'.repeat(81), foo: 1 });
    expect(
      message?.startsWith(
        "Additional properties are not allowed ('foo' was unexpected)\n\nFailed validating 'additionalProperties' in schema:\n    {'additionalProperties': False,",
      ),
    ).toBe(true);
    expect(firstSchemaError(tagsBodySchema(), { x: 1 })).toBe(
      "Additional properties are not allowed ('x' was unexpected)\n\nFailed validating 'additionalProperties' in schema:\n" +
        "    {'additionalProperties': False,\n     'name': 'tags',\n" +
        "     'properties': {'tags': {'items': {'additionalProperties': False,\n" +
        "                                       'properties': {'name': {'type': 'string'}},\n" +
        "                                       'required': ['name'],\n" +
        "                                       'type': 'object'},\n" +
        "                             'type': 'array'}}}\n\nOn instance:\n    {'x': 1}",
    );
  });

  it('accepts what Glance accepts', () => {
    expect(
      firstSchemaError(propertySchema(), { name: 'n', title: 'T', type: 'string', pattern: '(' }),
    ).toBeUndefined();
    expect(
      firstSchemaError(namespaceSchema(), {
        namespace: 'ns',
        properties: { a: { title: 'A', type: 'string', confidential: true } },
      }),
    ).toBeUndefined();
  });

  it('splits long strings as pprint does', () => {
    const text = pformat(
      { description: 'Some resource types allow more than one key / value pair per instance.  For example' },
      72,
    );
    expect(text).toBe(
      "{'description': 'Some resource types allow more than one key / value '\n                'pair per instance.  For example'}",
    );
  });
});
