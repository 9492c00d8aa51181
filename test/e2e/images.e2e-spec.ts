import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { PATCH_TYPE, as, errorText, recordNotifications } from '../support/images.js';
import type { Notification } from '../../src/notifications/notification.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const BASE_KEYS = [
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'owner',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'min_disk',
  'min_ram',
  'container_format',
  'disk_format',
  'created_at',
  'updated_at',
  'tags',
  'self',
  'file',
  'schema',
];

describe('images (trusted identity)', () => {
  let t: TestApp;
  let sent: Notification[];
  const owner = as('p-owner');
  const other = as('p-other');
  const reader = as('p-owner', 'reader');
  const admin = as('p-admin', 'admin,member,reader');

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
    sent = recordNotifications(t);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => {
    sent.length = 0;
  });

  async function create(body: Record<string, unknown> = {}, headers = owner) {
    const res = await t.http.post('/v2/images').set(headers).send(body);
    expect(res.status).toBe(201);
    return res.body as Record<string, unknown> & { id: string };
  }

  describe('create', () => {
    it('creates a queued shared image with every base key, Location and import methods', async () => {
      const res = await t.http
        .post('/v2/images')
        .set(owner)
        .send({
          name: 'cirros',
          disk_format: 'qcow2',
          container_format: 'bare',
          tags: ['a', 'b', 'a'],
          os_distro: 'cirros',
        })
        .expect(201);
      const image = res.body;
      for (const key of BASE_KEYS) expect(image).toHaveProperty(key);
      expect(image).toMatchObject({
        name: 'cirros',
        status: 'queued',
        visibility: 'shared',
        protected: false,
        os_hidden: false,
        owner: 'p-owner',
        size: null,
        virtual_size: null,
        checksum: null,
        os_hash_algo: null,
        os_hash_value: null,
        min_disk: 0,
        min_ram: 0,
        os_distro: 'cirros',
        self: `/v2/images/${image.id}`,
        file: `/v2/images/${image.id}/file`,
        schema: '/v2/schemas/image',
      });
      expect([...image.tags].sort()).toEqual(['a', 'b']);
      expect(image.created_at).toMatch(TIMESTAMP);
      expect(image.updated_at).toBe(image.created_at);
      expect(res.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/v2/images/${image.id}$`));
      expect(res.headers['openstack-image-import-methods']).toBe('glance-direct,web-download,copy-image');
      expect(image).not.toHaveProperty('locations');
      expect(image).not.toHaveProperty('direct_url');
    });

    it('takes a client-chosen id and never reuses it, even after delete', async () => {
      const id = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
      await create({ id });
      await t.http.delete(`/v2/images/${id}`).set(owner).expect(204);
      const again = await t.http.post('/v2/images').set(owner).send({ id }).expect(409);
      expect(errorText(again.body)).toBe(`Image ID ${id} already exists!`);
      expect(again.body.code).toBe('409 Conflict');
    });

    it('sends image.create with the Glance payload after the row exists', async () => {
      const image = await create({ name: 'n', foo: 'bar', tags: ['t'] });
      const [n] = sent.filter((s) => s.event_type === 'image.create');
      expect(n.publisher_id).toBe('image.localhost');
      expect(n.priority).toBe('INFO');
      expect(n.payload).toEqual({
        id: image.id,
        name: 'n',
        status: 'queued',
        created_at: image.created_at,
        updated_at: image.updated_at,
        min_disk: 0,
        min_ram: 0,
        protected: false,
        checksum: null,
        owner: 'p-owner',
        disk_format: null,
        container_format: null,
        size: null,
        virtual_size: null,
        is_public: false,
        visibility: 'shared',
        properties: { foo: 'bar' },
        tags: ['t'],
        deleted: false,
        deleted_at: null,
      });
    });

    it.each([
      [{ self: 'x' }, 403, "Attribute 'self' is read-only."],
      [{ stores: 'x' }, 403, "Attribute 'stores' is read-only."],
      [{ size: 1 }, 403, "Attribute 'size' is read-only."],
      [{ status: 'active' }, 403, "Attribute 'status' is read-only."],
      [{ os_hash_algo: 'md5' }, 403, "Attribute 'os_hash_algo' is read-only."],
      [{ locations: [] }, 403, "Attribute 'locations' is reserved."],
      [{ os_glance_import_task: 'x' }, 403, "Attribute 'os_glance_import_task' is reserved."],
      [{ deleted: 'x' }, 403, "Attribute 'deleted' is reserved."],
      [{ min_ram: 'x' }, 400, "Provided object does not match schema 'image': 'x' is not of type 'integer'"],
      [
        { min_ram: true },
        400,
        "Provided object does not match schema 'image': True is not of type 'integer'",
      ],
      [{ foo: 1 }, 400, "Provided object does not match schema 'image': 1 is not of type 'string'"],
      [{ foo: null }, 400, "Provided object does not match schema 'image': None is not of type 'string'"],
      [
        { name: 'x'.repeat(256) },
        400,
        `Provided object does not match schema 'image': '${'x'.repeat(256)}' is too long`,
      ],
      [
        { id: 'abc' },
        400,
        "Provided object does not match schema 'image': 'abc' does not match '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'",
      ],
      [
        { kernel_id: 'abc' },
        400,
        "Provided object does not match schema 'image': 'abc' does not match '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'",
      ],
      [
        { cinder_encryption_key_deletion_policy: 'later' },
        400,
        "Provided object does not match schema 'image': 'later' is not one of ['on_image_deletion', 'do_not_delete']",
      ],
      [
        { disk_format: 'foo' },
        400,
        "Provided object does not match schema 'image': 'foo' is not one of [None, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']",
      ],
      [{ tags: [1] }, 400, "Provided object does not match schema 'image': 1 is not of type 'string'"],
      [
        { visibility: 'everyone' },
        400,
        "Provided object does not match schema 'image': 'everyone' is not one of ['community', 'public', 'private', 'shared']",
      ],
      [{ min_disk: -1 }, 400, "Invalid value '-1' for parameter 'min_disk': Cannot be a negative value"],
      [{ min_ram: 2147483648 }, 400, "'min_ram' value out of range, must not exceed 2147483647."],
      [{ ['k'.repeat(256)]: 'v' }, 400, 'Custom property should not be greater than 255 characters.'],
      [{ name: 'smile 😀' }, 400, "Name can't contain 4 byte unicode characters."],
      [{ os_distro: '😀' }, 400, "Os_Distro can't contain 4 byte unicode characters."],
      [{ '😀': 'x' }, 400, "Property names can't contain 4 byte unicode."],
      [{ tags: ['😀'] }, 400, "Param values can't contain 4 byte unicode."],
      [{ visibility: 'public' }, 403, 'You are not authorized to complete publicize_image action.'],
      [{ owner: 'p-other' }, 403, "You are not permitted to create images owned by 'p-other'."],
    ])('refuses %j with %i', async (body, status, message) => {
      const before = await t.http.get('/v2/images?limit=1000').set(owner).expect(200);
      const res = await t.http.post('/v2/images').set(owner).send(body);
      expect(res.status).toBe(status);
      // python-jsonschema's account of the failing schema follows; image-schema-file checks it.
      expect(errorText(res.body).split('\n\nFailed validating')[0]).toBe(message);
      const after = await t.http.get('/v2/images?limit=1000').set(owner).expect(200);
      expect(after.body.images.length).toBe(before.body.images.length);
      expect(sent.filter((s) => s.event_type === 'image.create')).toEqual([]);
    });

    it('refuses malformed JSON, scalars, arrays and a missing body with 400', async () => {
      const bad = await t.http
        .post('/v2/images')
        .set(owner)
        .set('Content-Type', 'application/json')
        .send('{bad');
      expect(bad.status).toBe(400);
      expect(errorText(bad.body)).toBe('Malformed JSON in request body.');
      const arr = await t.http.post('/v2/images').set(owner).send([]);
      expect(arr.status).toBe(400);
      const none = await t.http.post('/v2/images').set(owner);
      expect(none.status).toBe(400);
      expect(errorText(none.body)).toBe('Body expected in request.');
    });

    it('refuses an oversized body with 413', async () => {
      const res = await t.http
        .post('/v2/images')
        .set(owner)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ description: 'x'.repeat(t.config.maxBodyBytes) }));
      expect(res.status).toBe(413);
    });

    it('lets a reader not create (add_image needs member), and an admin create public images for others', async () => {
      const res = await t.http.post('/v2/images').set(reader).send({});
      expect(res.status).toBe(403);
      expect(errorText(res.body)).toBe('You are not authorized to complete add_image action.');
      const pub = await create({ visibility: 'public', owner: 'p-owner' }, admin);
      expect(pub.owner).toBe('p-owner');
      expect(pub.visibility).toBe('public');
    });

    it('lets a member make community images and stores null-valued schema properties', async () => {
      const image = await create({ visibility: 'community', kernel_id: null });
      expect(image.visibility).toBe('community');
      expect(image.kernel_id).toBeNull();
    });
  });

  describe('show', () => {
    it('shows an image to its owner and hides shared/private images from other projects with 404', async () => {
      const image = await create({ name: 'mine' });
      const mine = await t.http.get(`/v2/images/${image.id}`).set(reader).expect(200);
      expect(mine.body).toEqual(image);
      const hidden = await t.http.get(`/v2/images/${image.id}`).set(other).expect(404);
      expect(errorText(hidden.body)).toBe(`No image found with ID ${image.id}`);
      await t.http.get(`/v2/images/${image.id}`).set(admin).expect(200);
    });

    it('shows public and community images to everyone', async () => {
      const pub = await create({ visibility: 'public' }, admin);
      const com = await create({ visibility: 'community' });
      await t.http.get(`/v2/images/${pub.id}`).set(other).expect(200);
      await t.http.get(`/v2/images/${com.id}`).set(other).expect(200);
    });

    it('answers 404 for ids that are not UUIDs, deleted images, and refuses a body', async () => {
      const res = await t.http.get('/v2/images/not-a-uuid').set(owner).expect(404);
      expect(errorText(res.body)).toBe('No image found with ID not-a-uuid');
      const image = await create();
      await t.http.delete(`/v2/images/${image.id}`).set(owner).expect(204);
      await t.http.get(`/v2/images/${image.id}`).set(admin).expect(404);
      const body = await t.http
        .get(`/v2/images/${image.id}`)
        .set(owner)
        .set('Content-Type', 'application/json')
        .send('{"a":1}')
        .expect(400);
      expect(errorText(body.body)).toBe('A body is not expected with this request.');
    });

    it('answers 405 with Allow for HEAD and unsupported methods', async () => {
      const image = await create();
      const res = await t.http.head(`/v2/images/${image.id}`).set(owner).expect(405);
      expect(res.headers.allow).toBe('GET, PATCH, DELETE');
      await t.http.put('/v2/images').set(owner).expect(405);
    });
  });

  describe('update (PATCH)', () => {
    function patch(id: string, ops: unknown, headers = owner, type = PATCH_TYPE) {
      return t.http
        .patch(`/v2/images/${id}`)
        .set(headers)
        .set('Content-Type', type)
        .send(JSON.stringify(ops));
    }

    it('adds, replaces and removes attributes, properties and tags, and sends image.update', async () => {
      const image = await create({ name: 'old', foo: 'bar', gone: 'x', tags: ['t1'] });
      const res = await patch(image.id, [
        { op: 'replace', path: '/name', value: 'new' },
        { op: 'add', path: '/foo', value: 'baz' },
        { op: 'add', path: '/a~1b~0c', value: 'escaped' },
        { op: 'remove', path: '/gone' },
        { op: 'replace', path: '/tags', value: ['t2', 't3', 't2'] },
        { op: 'replace', path: '/min_ram', value: 512 },
        { op: 'add', path: '/protected', value: true },
        { op: 'replace', path: '/disk_format', value: 'raw' },
      ]).expect(200);
      expect(res.body).toMatchObject({
        name: 'new',
        foo: 'baz',
        'a/b~c': 'escaped',
        min_ram: 512,
        protected: true,
        disk_format: 'raw',
      });
      expect(res.body).not.toHaveProperty('gone');
      expect([...res.body.tags].sort()).toEqual(['t2', 't3']);
      const shown = await t.http.get(`/v2/images/${image.id}`).set(owner).expect(200);
      expect(shown.body).toEqual(res.body);
      const updates = sent.filter((s) => s.event_type === 'image.update');
      expect(updates).toHaveLength(1);
      expect(updates[0].payload).toMatchObject({
        name: 'new',
        properties: { foo: 'baz', 'a/b~c': 'escaped' },
        protected: true,
      });
      expect(updates[0].payload).not.toHaveProperty('os_hidden');
      expect(updates[0].payload).not.toHaveProperty('locations');
    });

    it('accepts the draft-4 media type and treats add of a present key as a conflict there', async () => {
      const image = await create({ foo: 'bar' });
      await patch(
        image.id,
        [{ replace: '/foo', value: 'x' }],
        owner,
        'application/openstack-images-v2.0-json-patch',
      ).expect(200);
      const res = await patch(
        image.id,
        [{ add: '/foo', value: 'y' }],
        owner,
        'application/openstack-images-v2.0-json-patch',
      ).expect(409);
      expect(errorText(res.body)).toBe('Property foo already present.');
    });

    it('answers [] with the unchanged image', async () => {
      const image = await create();
      const res = await patch(image.id, []).expect(200);
      expect(res.body).toEqual(image);
    });

    it('refuses other media types with 415 and Accept-Patch', async () => {
      const image = await create();
      const res = await patch(
        image.id,
        [{ op: 'add', path: '/name', value: 'x' }],
        owner,
        'application/json',
      ).expect(415);
      expect(res.headers['accept-patch']).toBe(
        'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch',
      );
      // Glance's bytes: WebOb's own 415 template, naming the Content-Type as sent.
      expect(res.text).toBe(
        '{"message": "The request media type application/json is not supported by this server.\\n<br /><br />\\n", ' +
          '"code": "415 Unsupported Media Type", "title": "Unsupported Media Type"}',
      );
      const html = await patch(
        image.id,
        [],
        { ...owner, Accept: 'text/html' },
        'text/<b>; charset=UTF-8',
      ).expect(415);
      expect(html.text).toContain(
        '<h1>415 Unsupported Media Type</h1>\n  The request media type text/&lt;b&gt;; charset=UTF-8 is not supported by this server.\n<br /><br />\n\n </body>',
      );
      await patch(image.id, [], owner, 'application/json-patch+json').expect(415);
    });

    it.each([
      [{}, 400, 'Request body must be a JSON array of operation objects.'],
      [[1], 400, 'Operations must be JSON objects.'],
      [
        [{ path: '/x', value: 'y' }],
        400,
        'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
      ],
      [
        [{ op: 'move', path: '/name' }],
        400,
        'Invalid operation: `move`. It must be one of the following: add, remove, replace.',
      ],
      [
        [{ op: 'test', path: '/name', value: 'x' }],
        400,
        'Invalid operation: `test`. It must be one of the following: add, remove, replace.',
      ],
      [[{ op: 'add' }], 400, "Unable to find 'path' in JSON Schema change"],
      [[{ op: 'add', path: '/name' }], 400, 'Operation "add" requires a member named "value".'],
      [[{ op: 'add', path: 'name', value: 'x' }], 400, 'Pointer `name` does not start with "/".'],
      [[{ op: 'add', path: '/a/', value: 'x' }], 400, 'Pointer `/a/` end with "/".'],
      [
        [{ op: 'add', path: '/a~2', value: 'x' }],
        400,
        'Pointer `/a~2` contains "~" not part of a recognized escape sequence.',
      ],
      [
        [{ op: 'add', path: '/tags/-', value: 'x' }],
        400,
        "Invalid JSON pointer for this resource: '/tags/-'",
      ],
      [[{ op: 'replace', path: '/status', value: 'active' }], 403, "Attribute 'status' is read-only."],
      [[{ op: 'replace', path: '/id', value: 'x' }], 403, "Attribute 'id' is read-only."],
      [
        [{ op: 'replace', path: '/os_hash_value', value: 'x' }],
        403,
        "Attribute 'os_hash_value' is read-only.",
      ],
      [[{ op: 'add', path: '/os_glance_foo', value: 'x' }], 403, "Attribute 'os_glance_foo' is reserved."],
      [[{ op: 'add', path: '/deleted_at', value: 'x' }], 403, "Attribute 'deleted_at' is reserved."],
      [[{ op: 'replace', path: '/nope', value: 'x' }], 409, 'Property nope does not exist.'],
      [[{ op: 'remove', path: '/nope' }], 409, 'Property nope does not exist.'],
      [[{ op: 'remove', path: '/name' }], 403, 'Property name may not be removed.'],
      [
        [{ op: 'add', path: '/min_ram', value: 'x' }],
        400,
        "Provided object does not match schema 'image': 'x' is not of type 'integer'",
      ],
      [
        [{ op: 'add', path: '/x', value: null }],
        400,
        "Provided object does not match schema 'image': None is not of type 'string'",
      ],
      [
        [{ op: 'add', path: '/tags', value: 'x' }],
        400,
        "Provided object does not match schema 'image': 'x' is not of type 'array'",
      ],
      [[{ op: 'add', path: '/x', value: '😀' }], 400, "X can't contain 4 byte unicode characters."],
      [
        [{ op: 'add', path: '/min_disk', value: -1 }],
        400,
        "Invalid value '-1' for parameter 'min_disk': Cannot be a negative value",
      ],
      [
        [{ op: 'add', path: '/min_disk', value: 2147483648 }],
        400,
        "'min_disk' value out of range, must not exceed 2147483647.",
      ],
      [
        [{ op: 'add', path: '/visibility', value: 'public' }],
        403,
        'You are not authorized to complete publicize_image action.',
      ],
      [[{ op: 'add', path: '/owner', value: 'p-other' }], 403, "Owner can't be updated by non admin."],
      [
        [
          { op: 'add', path: '/name', value: 'ok' },
          { op: 'remove', path: '/nope' },
        ],
        409,
        'Property nope does not exist.',
      ],
    ])('refuses %j with %i and changes nothing', async (ops, status, message) => {
      const image = await create({ name: 'keep' });
      const res = await patch(image.id, ops);
      expect(res.status).toBe(status);
      // python-jsonschema's account of the failing schema follows; image-schema-file checks it.
      expect(errorText(res.body).split('\n\nFailed validating')[0]).toBe(message);
      const shown = await t.http.get(`/v2/images/${image.id}`).set(owner).expect(200);
      expect(shown.body).toEqual(image);
      expect(sent.filter((s) => s.event_type === 'image.update')).toEqual([]);
    });

    it('answers 404 to a project that cannot see the image and 403 to a reader who can', async () => {
      const image = await create();
      const hidden = await patch(image.id, [{ op: 'add', path: '/name', value: 'x' }], other).expect(404);
      expect(errorText(hidden.body)).toBe(`No image found with ID ${image.id}`);
      const denied = await patch(image.id, [{ op: 'add', path: '/name', value: 'x' }], reader).expect(403);
      expect(errorText(denied.body)).toBe('You are not authorized to complete modify_image action.');
      const pub = await create({ visibility: 'public' }, admin);
      await patch(pub.id, [{ op: 'add', path: '/name', value: 'x' }], other).expect(403);
    });

    it('lets an admin change the owner and publicize', async () => {
      const image = await create();
      const res = await patch(
        image.id,
        [
          { op: 'replace', path: '/owner', value: 'p-other' },
          { op: 'replace', path: '/visibility', value: 'public' },
        ],
        admin,
      ).expect(200);
      expect(res.body).toMatchObject({ owner: 'p-other', visibility: 'public' });
    });
  });

  describe('delete, tags and actions', () => {
    it('soft-deletes, sends image.delete with deleted fields, and then answers 404', async () => {
      const image = await create({ name: 'bye' });
      await t.http.delete(`/v2/images/${image.id}`).set(owner).expect(204);
      const [n] = sent.filter((s) => s.event_type === 'image.delete');
      expect(n.payload).toMatchObject({ id: image.id, deleted: true, status: 'deleted' });
      expect((n.payload as { deleted_at: string }).deleted_at).toMatch(TIMESTAMP);
      const again = await t.http.delete(`/v2/images/${image.id}`).set(owner).expect(404);
      expect(errorText(again.body)).toBe(`Failed to find image ${image.id} to delete`);
    });

    it('refuses to delete protected images, and lets others neither see nor delete', async () => {
      const image = await create({ protected: true });
      const res = await t.http.delete(`/v2/images/${image.id}`).set(owner).expect(403);
      expect(errorText(res.body)).toBe(`Image ${image.id} is protected and cannot be deleted.`);
      const free = await create();
      await t.http.delete(`/v2/images/${free.id}`).set(other).expect(404);
      const denied = await t.http.delete(`/v2/images/${free.id}`).set(reader).expect(403);
      expect(errorText(denied.body)).toBe('You are not authorized to complete delete_image action.');
      await t.http.get(`/v2/images/${free.id}`).set(owner).expect(200);
    });

    it('adds and removes tags with 204, enforcing length, quota and visibility', async () => {
      const image = await create({ tags: ['a'] });
      await t.http.put(`/v2/images/${image.id}/tags/b`).set(owner).expect(204);
      await t.http.put(`/v2/images/${image.id}/tags/b`).set(owner).expect(204);
      let shown = await t.http.get(`/v2/images/${image.id}`).set(owner).expect(200);
      expect([...shown.body.tags].sort()).toEqual(['a', 'b']);
      await t.http.delete(`/v2/images/${image.id}/tags/a`).set(owner).expect(204);
      shown = await t.http.get(`/v2/images/${image.id}`).set(owner).expect(200);
      expect(shown.body.tags).toEqual(['b']);
      const missing = await t.http.delete(`/v2/images/${image.id}/tags/a`).set(owner).expect(404);
      expect(missing.body.code).toBe('404 Not Found');
      const long = await t.http
        .put(`/v2/images/${image.id}/tags/${'t'.repeat(256)}`)
        .set(owner)
        .expect(400);
      const tag = `'${'t'.repeat(256)}'`;
      expect(errorText(long.body)).toBe(
        `Provided object does not match schema 'image': ${tag} is too long\n\n` +
          "Failed validating 'maxLength' in schema['properties']['tags']['items']:\n" +
          "    {'maxLength': 255, 'type': 'string'}\n\n" +
          `On instance['tags'][0]:\n    ${tag}`,
      );
      const hidden = await t.http.put(`/v2/images/${image.id}/tags/x`).set(other).expect(404);
      expect(errorText(hidden.body)).toBe(`Image ${image.id} not found.`);
      expect(sent.filter((s) => s.event_type === 'image.update').length).toBe(3);
      await t.http.put(`/v2/images/${image.id}/tags/x`).set(owner).send({ a: 1 }).expect(400);
    });

    it('refuses deactivate/reactivate outside active/deactivated', async () => {
      const image = await create();
      const res = await t.http.post(`/v2/images/${image.id}/actions/deactivate`).set(owner).expect(403);
      expect(errorText(res.body)).toBe("Not allowed to deactivate image in status 'queued'");
      const re = await t.http.post(`/v2/images/${image.id}/actions/reactivate`).set(owner).expect(403);
      expect(errorText(re.body)).toBe("Not allowed to reactivate image in status 'queued'");
      await t.http.post(`/v2/images/${image.id}/actions/deactivate`).set(other).expect(404);
      await t.http.post(`/v2/images/${image.id}/actions/deactivate`).set(reader).expect(403);
    });
  });

  describe('per-image quotas', () => {
    let q: TestApp;
    beforeAll(async () => {
      q = await startTestApp({ GLINT_AUTH: 'trusted' });
      q.config.glance.image_property_quota = 2;
      q.config.glance.image_tag_quota = 2;
    });
    afterAll(async () => {
      await q?.close();
    });

    it('answers 413 with Glance texts on create, PATCH and tag PUT', async () => {
      const props = await q.http.post('/v2/images').set(owner).send({ a: '1', b: '2', c: '3' }).expect(413);
      expect(errorText(props.body)).toBe(
        'The limit has been exceeded on the number of allowed image properties. Attempted: 3, Maximum: 2',
      );
      const tags = await q.http
        .post('/v2/images')
        .set(owner)
        .send({ tags: ['1', '2', '3'] })
        .expect(413);
      expect(errorText(tags.body)).toBe(
        'The limit has been exceeded on the number of allowed image tags. Attempted: 3, Maximum: 2',
      );
      const image = (
        await q.http
          .post('/v2/images')
          .set(owner)
          .send({ a: '1', b: '2', tags: ['1', '2'] })
          .expect(201)
      ).body;
      await q.http
        .patch(`/v2/images/${image.id}`)
        .set(owner)
        .set('Content-Type', PATCH_TYPE)
        .send(JSON.stringify([{ op: 'replace', path: '/a', value: 'x' }]))
        .expect(200);
      const patchRes = await q.http
        .patch(`/v2/images/${image.id}`)
        .set(owner)
        .set('Content-Type', PATCH_TYPE)
        .send(JSON.stringify([{ op: 'add', path: '/c', value: 'x' }]))
        .expect(413);
      expect(errorText(patchRes.body)).toMatch(/Attempted: 3, Maximum: 2$/);
      const tagRes = await q.http.put(`/v2/images/${image.id}/tags/3`).set(owner).expect(413);
      expect(errorText(tagRes.body)).toBe(
        `Image tag limit exceeded for image ${image.id}: The limit has been exceeded on the number of allowed image tags. Attempted: 3, Maximum: 2`,
      );
      await q.http.put(`/v2/images/${image.id}/tags/2`).set(owner).expect(204);
    });
  });
});

describe('images (noauth)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates images without an owner as Glance unauthenticated-context does, and manages them', async () => {
    const res = await t.http.post('/v2/images').send({ name: 'n', visibility: 'public' }).expect(201);
    expect(res.body.owner).toBeNull();
    const id = res.body.id as string;
    await t.http.get(`/v2/images/${id}`).expect(200);
    const list = await t.http.get('/v2/images').expect(200);
    expect(list.body.images.map((i: { id: string }) => i.id)).toContain(id);
    await t.http
      .patch(`/v2/images/${id}`)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/owner', value: 'p1' }]))
      .expect(200);
    await t.http.delete(`/v2/images/${id}`).expect(204);
  });

  it('renders errors as plain text by default', async () => {
    const res = await t.http.get('/v2/images/nope').expect(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(res.text).toContain('No image found with ID nope');
  });
});
