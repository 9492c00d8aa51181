import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { ImageSchemaRegistry } from '../../src/images/image-schemas.js';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { PATCH_TYPE, as } from '../support/images.js';

/**
 * An operator's schema-image.json. The expected error bodies below were recorded from Glance 25
 * (the peer's start.sh, run with this very file in its configuration directory): they are the
 * bytes Glance sends, so a client that shows them sees no difference.
 */
const OPERATOR_FILE = `{
    "color": {
        "description": "Colour the operator files this image under.",
        "type": "string",
        "enum": ["red", "green", "blue"]
    },
    "site_code": {
        "description": "Site that built the image, like ABC-01.",
        "type": ["null", "string"],
        "pattern": "^[A-Z]{3}-[0-9]{2}$",
        "maxLength": 6
    },
    "cpu_count": {
        "description": "vCPUs the image was tuned for.",
        "type": "integer",
        "minimum": 1,
        "maximum": 64
    }
}
`;

const GLANCE_BODIES = {
  badEnum:
    "{\"message\": \"Provided object does not match schema 'image': 'purple' is not one of ['red', 'green', 'blue']\\n\\nFailed validating 'enum' in schema['properties']['color']:\\n    {'description': 'Colour the operator files this image under.',\\n     'enum': ['red', 'green', 'blue'],\\n     'is_base': False,\\n     'type': 'string'}\\n\\nOn instance['color']:\\n    'purple'<br /><br />\\n\\n\\n\", \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}",
  badPattern:
    "{\"message\": \"Provided object does not match schema 'image': 'ABC-012' does not match '^[A-Z]{3}-[0-9]{2}$'\\n\\nFailed validating 'pattern' in schema['properties']['site_code']:\\n    {'description': 'Site that built the image, like ABC-01.',\\n     'is_base': False,\\n     'maxLength': 6,\\n     'pattern': '^[A-Z]{3}-[0-9]{2}$',\\n     'type': ['null', 'string']}\\n\\nOn instance['site_code']:\\n    'ABC-012'<br /><br />\\n\\n\\n\", \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}",
  belowMinimum:
    "{\"message\": \"Provided object does not match schema 'image': 0 is less than the minimum of 1\\n\\nFailed validating 'minimum' in schema['properties']['cpu_count']:\\n    {'description': 'vCPUs the image was tuned for.',\\n     'is_base': False,\\n     'maximum': 64,\\n     'minimum': 1,\\n     'type': 'integer'}\\n\\nOn instance['cpu_count']:\\n    0<br /><br />\\n\\n\\n\", \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}",
  badTag:
    "{\"message\": \"Provided object does not match schema 'image': 1 is not of type 'string'\\n\\nFailed validating 'type' in schema['properties']['tags']['items']:\\n    {'maxLength': 255, 'type': 'string'}\\n\\nOn instance['tags'][1]:\\n    1<br /><br />\\n\\n\\n\", \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}",
  patchWrongType:
    "{\"message\": \"Provided object does not match schema 'image': '8' is not of type 'integer'\\n\\nFailed validating 'type' in schema['properties']['cpu_count']:\\n    {'description': 'vCPUs the image was tuned for.',\\n     'is_base': False,\\n     'maximum': 64,\\n     'minimum': 1,\\n     'type': 'integer'}\\n\\nOn instance['cpu_count']:\\n    '8'<br /><br />\\n\\n\\n\", \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}",
  /** The same error as a browser (HTML) and a client without Accept (plain text) get it. */
  badTagHtml:
    '<html>\n <head>\n  <title>400 Bad Request</title>\n </head>\n <body>\n  <h1>400 Bad Request</h1>\n  Provided object does not match schema &#x27;image&#x27;: 1 is not of type &#x27;string&#x27;\n\nFailed validating &#x27;type&#x27; in schema[&#x27;properties&#x27;][&#x27;tags&#x27;][&#x27;items&#x27;]:\n    {&#x27;maxLength&#x27;: 255, &#x27;type&#x27;: &#x27;string&#x27;}\n\nOn instance[&#x27;tags&#x27;][1]:\n    1<br /><br />\n\n\n\n </body>\n</html>',
  badTagPlain:
    "400 Bad Request\n\nProvided object does not match schema 'image': 1 is not of type 'string'  Failed validating 'type' in schema['properties']['tags']['items']:     {'maxLength': 255, 'type': 'string'}  On instance['tags'][1]:     1\n\n   ",
  /** The Glance peer, which runs with Debian's stock schema-image.json. */
  stockEnum:
    "{\"message\": \"Provided object does not match schema 'image': 'later' is not one of ['on_image_deletion', 'do_not_delete']\\n\\nFailed validating 'enum' in schema['properties']['cinder_encryption_key_deletion_policy']:\\n    {'description': 'States the condition under which the Image Service '\\n                    'will delete the object associated with the '\\n                    \\\"'cinder_encryption_key_id' image property.  If this \\\"\\n                    'property is missing, the Image Service will take no '\\n                    'action',\\n     'enum': ['on_image_deletion', 'do_not_delete'],\\n     'is_base': False,\\n     'type': 'string'}\\n\\nOn instance['cinder_encryption_key_deletion_policy']:\\n    'later'<br /><br />\\n\\n\\n\", \"code\": \"400 Bad Request\", \"title\": \"Bad Request\"}",
};

/** Debian's stock file, as the Glance peer loads it. */
const DEBIAN_FILE = join(import.meta.dirname, '../fixtures/schema-image.debian.json');

function writeTemp(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'glint-schema-')), name);
  writeFileSync(file, text);
  return file;
}

describe('operator schema-image.json', () => {
  const owner = as('p1');

  describe('beside GLINT_CONFIG', () => {
    let t: TestApp;
    beforeAll(async () => {
      const config = writeTemp('glint.yaml', 'image_member_quota: 128\n');
      writeFileSync(join(config, '..', 'schema-image.json'), OPERATOR_FILE);
      t = await startTestApp({ GLINT_AUTH: 'trusted' }, config);
    });
    afterAll(() => t?.close());

    it('publishes its properties in place of the stock ones, marked is_base false', async () => {
      const res = await t.http.get('/v2/schemas/image').set(owner).expect(200);
      const props = res.body.properties as Record<string, unknown>;
      expect(Object.keys(props).slice(-3)).toEqual(['color', 'site_code', 'cpu_count']);
      expect(props.os_distro).toBeUndefined();
      expect(props.kernel_id).toBeUndefined();
      // Glance's own answer for the same file, key order included.
      expect(JSON.stringify(props.site_code)).toBe(
        '{"description":"Site that built the image, like ABC-01.","type":["null","string"],"pattern":"^[A-Z]{3}-[0-9]{2}$","maxLength":6,"is_base":false}',
      );
      const list = await t.http.get('/v2/schemas/images').set(owner).expect(200);
      expect(list.body.properties.images.items.properties.color).toEqual(props.color);
    });

    it.each([
      ['an enum', { name: 'x', color: 'purple' }, GLANCE_BODIES.badEnum],
      ['a pattern', { site_code: 'ABC-012' }, GLANCE_BODIES.badPattern],
      ['a minimum', { cpu_count: 0 }, GLANCE_BODIES.belowMinimum],
      ['a base property next to a valid custom one', { color: 'red', tags: ['a', 1] }, GLANCE_BODIES.badTag],
    ])('refuses a create that breaks %s with Glance’s exact 400', async (_what, body, glance) => {
      const res = await t.http.post('/v2/images').set(owner).send(body).expect(400);
      expect(res.text).toBe(glance);
    });

    it('renders the error for HTML and plain-text clients as WebOb does', async () => {
      const body = { color: 'red', tags: ['a', 1] };
      const html = await t.http
        .post('/v2/images')
        .set(owner)
        .set('Accept', 'text/html')
        .send(body)
        .expect(400);
      expect(html.text).toBe(GLANCE_BODIES.badTagHtml);
      const plain = await t.http.post('/v2/images').set(owner).set('Accept', '').send(body).expect(400);
      expect(plain.text).toBe(GLANCE_BODIES.badTagPlain);
    });

    it('checks PATCH values against the same schema', async () => {
      const image = (await t.http.post('/v2/images').set(owner).send({ name: 'pt' }).expect(201)).body;
      const res = await t.http
        .patch(`/v2/images/${image.id}`)
        .set(owner)
        .set('Content-Type', PATCH_TYPE)
        .send(JSON.stringify([{ op: 'add', path: '/cpu_count', value: '8' }]))
        .expect(400);
      expect(res.text).toBe(GLANCE_BODIES.patchWrongType);
      await t.http
        .patch(`/v2/images/${image.id}`)
        .set(owner)
        .set('Content-Type', PATCH_TYPE)
        .send(JSON.stringify([{ op: 'add', path: '/color', value: 'pink' }]))
        .expect(400);
      const ok = await t.http
        .patch(`/v2/images/${image.id}`)
        .set(owner)
        .set('Content-Type', PATCH_TYPE)
        .send(
          JSON.stringify([
            { op: 'add', path: '/color', value: 'blue' },
            { op: 'add', path: '/site_code', value: null },
          ]),
        )
        .expect(200);
      expect(ok.body).toMatchObject({ color: 'blue', site_code: null });
    });

    it('accepts valid values; like Glance, a non-string one is stored as text', async () => {
      const res = await t.http
        .post('/v2/images')
        .set(owner)
        .send({ name: 'ok', color: 'red', site_code: 'ABC-01', cpu_count: 4 })
        .expect(201);
      expect(res.body).toMatchObject({ color: 'red', site_code: 'ABC-01', cpu_count: 4 });
      const shown = await t.http.get(`/v2/images/${res.body.id}`).set(owner).expect(200);
      expect(shown.body).toMatchObject({ color: 'red', site_code: 'ABC-01', cpu_count: '4' });
    });

    it('no longer knows the stock properties: they are plain strings again', async () => {
      await t.http.post('/v2/images').set(owner).send({ kernel_id: 'not-a-uuid' }).expect(201);
    });
  });

  it('GLINT_SCHEMA_IMAGE_FILE with Debian’s file gives the Glance peer’s bytes', async () => {
    const t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_SCHEMA_IMAGE_FILE: DEBIAN_FILE });
    try {
      const res = await t.http
        .post('/v2/images')
        .set(owner)
        .send({ cinder_encryption_key_deletion_policy: 'later' })
        .expect(400);
      expect(res.text).toBe(GLANCE_BODIES.stockEnum);
    } finally {
      await t.close();
    }
  });

  describe('a bad file stops the start and is named', () => {
    const start = (file: string) => () =>
      loadConfig({ GLINT_SCHEMA_IMAGE_FILE: file, GLINT_DATA_DIR: tmpdir() });

    it.each([
      ['unreadable', '/nonexistent/schema-image.json', /cannot read/],
      ['not JSON', writeTemp('schema-image.json', '{"color": '), /not valid JSON/],
      ['a list', writeTemp('schema-image.json', '[{"type": "string"}]'), /must be a JSON object/],
      [
        'a property that is not a schema',
        writeTemp('schema-image.json', '{"color": "red"}'),
        /'color' must map/,
      ],
      ['an unknown type', writeTemp('schema-image.json', '{"n": {"type": "int"}}'), /unknown type "int"/],
      ['a broken pattern', writeTemp('schema-image.json', '{"n": {"pattern": "(["}}'), /'n': pattern/],
    ])('%s', (_what, file, reason) => {
      expect(start(file)).toThrow(ConfigError);
      expect(start(file)).toThrow(
        new RegExp(`^GLINT_SCHEMA_IMAGE_FILE: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
      );
      expect(start(file)).toThrow(reason);
    });

    it('a property that redefines a base one', () => {
      const file = writeTemp(
        'schema-image.json',
        '{"name": {"type": "string"}, "min_ram": {"type": "integer"}}',
      );
      const config = loadConfig({ GLINT_SCHEMA_IMAGE_FILE: file, GLINT_DATA_DIR: tmpdir() });
      expect(() => new ImageSchemaRegistry(config)).toThrow(
        new ConfigError(`${file}: custom properties (name, min_ram) conflict with base properties`),
      );
    });

    it('a broken file beside GLINT_CONFIG', () => {
      const config = writeTemp('glint.yaml', '{}\n');
      writeFileSync(join(config, '..', 'schema-image.json'), 'nope');
      expect(() => loadConfig({ GLINT_CONFIG: config, GLINT_DATA_DIR: tmpdir() })).toThrow(
        /^schema-image\.json beside GLINT_CONFIG: .*schema-image\.json: not valid JSON/,
      );
    });
  });
});
