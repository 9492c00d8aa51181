import type { Json } from '../../common/schema/python-format.js';
import type { Schema } from '../../common/schema/json-schema-check.js';

/**
 * Glance's metadef JSON schemas, served under /v2/schemas/metadefs/* and used to validate
 * request bodies. The served documents are the validation schemas, so a client that validates
 * against what it downloads agrees with the server. Two Glance quirks are kept because clients
 * see them: the single-property schema requires `name`, forbids `confidential` and gives its
 * string arrays `minItems: 1`, while the property map inside namespaces and objects does neither.
 */

const TYPES: Json[] = ['array', 'boolean', 'integer', 'number', 'object', 'string', null];

function propertyFields(): Schema {
  return {
    name: { type: 'string', maxLength: 80 },
    title: { type: 'string' },
    description: { type: 'string' },
    operators: { type: 'array', items: { type: 'string' } },
    type: { type: 'string', enum: TYPES },
    required: { $ref: '#/definitions/stringArray' },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    maxLength: { $ref: '#/definitions/positiveInteger' },
    minLength: { $ref: '#/definitions/positiveIntegerDefault0' },
    pattern: { type: 'string', format: 'regex' },
    enum: { type: 'array' },
    readonly: { type: 'boolean' },
    default: {},
    items: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: TYPES },
        enum: { type: 'array' },
      },
    },
    maxItems: { $ref: '#/definitions/positiveInteger' },
    minItems: { $ref: '#/definitions/positiveIntegerDefault0' },
    uniqueItems: { type: 'boolean', default: false },
    additionalItems: { type: 'boolean' },
  };
}

function baseDefinitions(stringArrayMinItems: boolean): Schema {
  return {
    positiveInteger: { type: 'integer', minimum: 0 },
    positiveIntegerDefault0: { allOf: [{ $ref: '#/definitions/positiveInteger' }, { default: 0 }] },
    stringArray: stringArrayMinItems
      ? { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true }
      : { type: 'array', items: { type: 'string' }, uniqueItems: true },
  };
}

function definitions(): Schema {
  return {
    ...baseDefinitions(false),
    property: {
      type: 'object',
      additionalProperties: { type: 'object', required: ['title', 'type'], properties: propertyFields() },
    },
  };
}

const LIST_LINKS: Json = [
  { rel: 'first', href: '{first}' },
  { rel: 'next', href: '{next}' },
  { rel: 'describedby', href: '{schema}' },
];
const PAGING = { first: { type: 'string' }, next: { type: 'string' }, schema: { type: 'string' } };

function readOnlyDate(description: string): Schema {
  return { type: 'string', readOnly: true, description, format: 'date-time' };
}

function namespaceProperties(): Schema {
  return {
    namespace: { type: 'string', description: 'The unique namespace text.', maxLength: 80 },
    display_name: {
      type: 'string',
      description: 'The user friendly name for the namespace. Used by UI if available.',
      maxLength: 80,
    },
    description: {
      type: 'string',
      description: 'Provides a user friendly description of the namespace.',
      maxLength: 500,
    },
    visibility: {
      type: 'string',
      description: 'Scope of namespace accessibility.',
      enum: ['public', 'private'],
    },
    protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
    owner: { type: 'string', description: 'Owner of the namespace.', maxLength: 255 },
    created_at: readOnlyDate('Date and time of namespace creation'),
    updated_at: readOnlyDate('Date and time of the last namespace modification'),
    schema: { readOnly: true, type: 'string' },
    self: { readOnly: true, type: 'string' },
    resource_type_associations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          prefix: { type: 'string' },
          properties_target: { type: 'string' },
        },
      },
    },
    properties: { $ref: '#/definitions/property' },
    objects: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          required: { $ref: '#/definitions/stringArray' },
          properties: { $ref: '#/definitions/property' },
        },
      },
    },
    tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
  };
}

export function namespaceSchema(): Schema {
  return {
    name: 'namespace',
    properties: namespaceProperties(),
    additionalProperties: false,
    definitions: definitions(),
    required: ['namespace'],
  };
}

export function namespacesSchema(): Schema {
  return {
    name: 'namespaces',
    properties: {
      namespaces: {
        type: 'array',
        items: {
          name: 'namespace',
          properties: namespaceProperties(),
          additionalProperties: false,
          required: ['namespace'],
        },
      },
      ...PAGING,
    },
    links: LIST_LINKS,
    definitions: definitions(),
  };
}

function objectProperties(): Schema {
  return {
    name: { type: 'string', maxLength: 80 },
    description: { type: 'string' },
    required: { $ref: '#/definitions/stringArray' },
    properties: { $ref: '#/definitions/property' },
    schema: { readOnly: true, type: 'string' },
    self: { readOnly: true, type: 'string' },
    created_at: readOnlyDate('Date and time of object creation'),
    updated_at: readOnlyDate('Date and time of the last object modification'),
  };
}

export function objectSchema(): Schema {
  return {
    name: 'object',
    properties: objectProperties(),
    additionalProperties: false,
    definitions: definitions(),
    required: ['name'],
  };
}

export function objectsSchema(): Schema {
  return {
    name: 'objects',
    properties: {
      objects: {
        type: 'array',
        items: {
          name: 'object',
          properties: objectProperties(),
          additionalProperties: false,
          required: ['name'],
        },
      },
      ...PAGING,
    },
    links: LIST_LINKS,
    definitions: definitions(),
  };
}

export function propertySchema(): Schema {
  return {
    name: 'property',
    properties: propertyFields(),
    additionalProperties: false,
    definitions: baseDefinitions(true),
    required: ['type', 'title', 'name'],
  };
}

export function propertiesSchema(): Schema {
  return {
    name: 'properties',
    properties: {
      properties: {
        type: 'object',
        additionalProperties: {
          name: 'property',
          properties: propertyFields(),
          additionalProperties: false,
          required: ['type', 'title'],
        },
      },
      ...PAGING,
    },
    links: LIST_LINKS,
    definitions: baseDefinitions(true),
  };
}

function tagProperties(): Schema {
  return {
    name: { type: 'string', maxLength: 80 },
    created_at: readOnlyDate('Date and time of tag creation'),
    updated_at: readOnlyDate('Date and time of the last tag modification'),
  };
}

export function tagSchema(): Schema {
  return { name: 'tag', properties: tagProperties(), additionalProperties: false, required: ['name'] };
}

export function tagsSchema(): Schema {
  return {
    name: 'tags',
    properties: {
      tags: {
        type: 'array',
        items: { name: 'tag', properties: tagProperties(), additionalProperties: false, required: ['name'] },
      },
      ...PAGING,
    },
    links: LIST_LINKS,
  };
}

/** What POST …/tags validates against (not the served list schema, as in Glance). */
export function tagsBodySchema(): Schema {
  return {
    name: 'tags',
    properties: {
      tags: {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string' } },
          required: ['name'],
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  };
}

function associationProperties(): Schema {
  return {
    name: {
      type: 'string',
      description:
        'Resource type names should be aligned with Heat resource types whenever possible: ' +
        'https://docs.openstack.org/heat/latest/template_guide/openstack.html',
      maxLength: 80,
    },
    prefix: {
      type: 'string',
      description:
        'Specifies the prefix to use for the given resource type. Any properties in the namespace should be ' +
        'prefixed with this prefix when being applied to the specified resource type. Must include prefix ' +
        'separator (e.g. a colon :).',
      maxLength: 80,
    },
    properties_target: {
      type: 'string',
      description:
        'Some resource types allow more than one key / value pair per instance.  For example, Cinder allows ' +
        'user and image metadata on volumes. Only the image properties metadata is evaluated by Nova ' +
        '(scheduling or drivers). This property allows a namespace target to remove the ambiguity.',
      maxLength: 80,
    },
    created_at: readOnlyDate('Date and time of resource type association'),
    updated_at: readOnlyDate('Date and time of the last resource type association modification'),
  };
}

export function resourceTypeAssociationSchema(): Schema {
  return {
    name: 'resource_type_association',
    properties: associationProperties(),
    additionalProperties: false,
    required: ['name'],
  };
}

export function resourceTypeAssociationsSchema(): Schema {
  return {
    name: 'resource_type_associations',
    properties: {
      resource_type_associations: {
        type: 'array',
        items: {
          name: 'resource_type_association',
          properties: associationProperties(),
          additionalProperties: false,
          required: ['name'],
        },
      },
      ...PAGING,
    },
    links: LIST_LINKS,
  };
}

/** The documents under /v2/schemas/metadefs/<name>. */
export const METADEF_SCHEMAS: Record<string, () => Schema> = {
  namespace: namespaceSchema,
  namespaces: namespacesSchema,
  object: objectSchema,
  objects: objectsSchema,
  property: propertySchema,
  properties: propertiesSchema,
  tag: tagSchema,
  tags: tagsSchema,
  resource_type: resourceTypeAssociationSchema,
  resource_types: resourceTypeAssociationsSchema,
};
