import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { PATCH_TYPE, as, errorText } from '../support/images.js';

interface Img {
  id: string;
  name: string | null;
  [key: string]: unknown;
}

describe('image list (trusted identity)', () => {
  let t: TestApp;
  const p1 = as('p1');
  const p2 = as('p2');
  const admin = as('p-admin', 'admin,member,reader');
  const created: Record<string, Img> = {};

  async function make(key: string, body: Record<string, unknown>, headers = p1): Promise<Img> {
    const res = await t.http.post('/v2/images').set(headers).send(body);
    expect(res.status).toBe(201);
    created[key] = res.body;
    return res.body;
  }

  const ids = (res: { body: { images: Img[] } }) => res.body.images.map((i) => i.id);
  const names = (res: { body: { images: Img[] } }) => res.body.images.map((i) => i.name);

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
    // Created one after the other: created_at order is creation order.
    await make('a', {
      name: 'alpha',
      disk_format: 'raw',
      container_format: 'bare',
      tags: ['x', 'y'],
      os_distro: 'ubuntu',
      min_ram: 128,
    });
    await make('b', { name: 'beta', disk_format: 'qcow2', tags: ['x'], os_distro: 'fedora' });
    await make('c', { name: 'glass, darkly', visibility: 'private', protected: true });
    await make('d', { name: 'delta', os_hidden: true });
    await make('e', { name: 'echo', visibility: 'community' });
    await make('f', { name: 'foxtrot', visibility: 'public' }, admin);
    await make('g', { name: 'golf' }, p2);
    await make('h', { name: 'hotel', visibility: 'community' }, p2);
    await make('i', { name: null, visibility: 'private' }, p2);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists the caller visible set newest first, with first and schema links', async () => {
    const res = await t.http.get('/v2/images').set(p1).expect(200);
    // Own images (not hidden), public; not p2's shared/private/community images.
    expect(names(res)).toEqual(['foxtrot', 'echo', 'glass, darkly', 'beta', 'alpha']);
    expect(res.body.first).toBe('/v2/images');
    expect(res.body.schema).toBe('/v2/schemas/images');
    expect(res.body).not.toHaveProperty('next');
    expect(res.body.images[4]).toEqual((await t.http.get(`/v2/images/${created.a.id}`).set(p1)).body);
  });

  it('leaves other projects community images out unless asked for', async () => {
    const res = await t.http.get('/v2/images').set(p2).expect(200);
    expect(names(res)).toEqual([null, 'hotel', 'golf', 'foxtrot']);
    const community = await t.http.get('/v2/images?visibility=community').set(p2).expect(200);
    expect(names(community)).toEqual(['hotel', 'echo']);
    const all = await t.http.get('/v2/images?visibility=all').set(p2).expect(200);
    expect(names(all)).toEqual([null, 'hotel', 'golf', 'foxtrot', 'echo']);
  });

  it('lists every project for admins, but community images only when asked', async () => {
    const res = await t.http.get('/v2/images').set(admin).expect(200);
    expect(names(res)).toEqual([null, 'golf', 'foxtrot', 'glass, darkly', 'beta', 'alpha']);
    const all = await t.http.get('/v2/images?visibility=all').set(admin).expect(200);
    expect(all.body.images).toHaveLength(8);
  });

  it('filters by visibility, os_hidden, protected, tags, properties and columns', async () => {
    const q = async (query: string, headers = p1) =>
      names(await t.http.get(`/v2/images?${query}`).set(headers).expect(200));
    expect(await q('visibility=private')).toEqual(['glass, darkly']);
    expect(await q('visibility=shared')).toEqual(['beta', 'alpha']);
    expect(await q('visibility=public')).toEqual(['foxtrot']);
    expect(await q('os_hidden=true')).toEqual(['delta']);
    expect(await q('protected=true')).toEqual(['glass, darkly']);
    expect(await q('protected=false')).toEqual(['foxtrot', 'echo', 'beta', 'alpha']);
    expect(await q('tag=x')).toEqual(['beta', 'alpha']);
    expect(await q('tag=x&tag=y')).toEqual(['alpha']);
    expect(await q('os_distro=fedora')).toEqual(['beta']);
    expect(await q('name=alpha')).toEqual(['alpha']);
    expect(await q('name=in:alpha,beta')).toEqual(['beta', 'alpha']);
    expect(await q('name=in:"glass, darkly",beta')).toEqual(['glass, darkly', 'beta']);
    expect(await q('disk_format=in:raw,qcow2')).toEqual(['beta', 'alpha']);
    expect(await q('container_format=bare')).toEqual(['alpha']);
    expect(await q('status=queued&owner=p1')).toEqual(['echo', 'glass, darkly', 'beta', 'alpha']);
    expect(await q(`id=${created.b.id}`)).toEqual(['beta']);
    expect(await q(`id=in:${created.b.id},${created.a.id}`)).toEqual(['beta', 'alpha']);
    expect(await q('id=not-a-uuid')).toEqual([]);
    expect(await q('min_ram=128')).toEqual(['alpha']);
    expect(await q('min_ram=x')).toEqual([]);
    expect(await q('size_min=0')).toEqual([]);
    expect(await q('created_at=lt:2999-01-01T00:00:00Z')).toHaveLength(5);
    expect(await q('created_at=gte:2999-01-01T00:00:00Z')).toEqual([]);
    expect(await q('created_at=lt:2000-01-01')).toEqual([]);
    expect(await q('updated_at=gt:2000-01-01T00:00:00%2B02:00')).toHaveLength(5);
  });

  it('sorts with both syntaxes and with tie-breakers', async () => {
    const q = async (query: string) => names(await t.http.get(`/v2/images?${query}`).set(p1).expect(200));
    const byName = ['alpha', 'beta', 'echo', 'foxtrot', 'glass, darkly'];
    expect(await q('sort_key=name&sort_dir=asc')).toEqual(byName);
    expect(await q('sort=name:asc')).toEqual(byName);
    expect(await q('sort=name')).toEqual([...byName].reverse());
    expect(await q('sort_key=disk_format&sort_key=name&sort_dir=asc&sort_dir=desc')).toEqual([
      'glass, darkly',
      'foxtrot',
      'echo',
      'beta',
      'alpha',
    ]);
    expect(await q('sort=disk_format:desc,name:asc')).toEqual([
      'alpha',
      'beta',
      'echo',
      'foxtrot',
      'glass, darkly',
    ]);
  });

  it('pages with marker and limit, keeping repeated parameters in the links', async () => {
    const first = await t.http.get('/v2/images?limit=2&sort=name:asc&tag=x&tag=x').set(p1).expect(200);
    expect(names(first)).toEqual(['alpha', 'beta']);
    expect(first.body.first).toBe('/v2/images?limit=2&sort=name%3Aasc&tag=x&tag=x');
    expect(first.body.next).toBe(`/v2/images?limit=2&sort=name%3Aasc&tag=x&tag=x&marker=${created.b.id}`);
    const second = await t.http.get(first.body.next).set(p1).expect(200);
    expect(names(second)).toEqual([]);
    expect(second.body.first).toBe('/v2/images?limit=2&sort=name%3Aasc&tag=x&tag=x');
    expect(second.body).not.toHaveProperty('next');

    const seen: Array<string | null> = [];
    let url: string | undefined =
      '/v2/images?limit=2&sort_key=name&sort_key=status&sort_dir=asc&sort_dir=desc';
    while (url) {
      const page: { body: { images: Img[]; next?: string } } = await t.http.get(url).set(p1).expect(200);
      seen.push(...page.body.images.map((i) => i.name));
      url = page.body.next;
    }
    expect(seen).toEqual(['alpha', 'beta', 'echo', 'foxtrot', 'glass, darkly']);

    const zero = await t.http.get('/v2/images?limit=0').set(p1).expect(200);
    expect(zero.body).toEqual({ images: [], first: '/v2/images?limit=0', schema: '/v2/schemas/images' });
  });

  it('caps limit at api_limit_max and reads limit_param_default', async () => {
    t.config.glance.limit_param_default = 1;
    try {
      const res = await t.http.get('/v2/images').set(p1).expect(200);
      expect(res.body.images).toHaveLength(1);
      expect(res.body.next).toMatch(/^\/v2\/images\?marker=/);
    } finally {
      t.config.glance.limit_param_default = 25;
    }
    t.config.glance.api_limit_max = 2;
    try {
      const res = await t.http.get('/v2/images?limit=500').set(p1).expect(200);
      expect(res.body.images).toHaveLength(2);
    } finally {
      t.config.glance.api_limit_max = 1000;
    }
  });

  it('refuses markers the caller cannot see', async () => {
    const res = await t.http.get(`/v2/images?marker=${created.g.id}`).set(p1).expect(400);
    expect(errorText(res.body)).toBe(`No image found with ID ${created.g.id}`);
    await t.http.get(`/v2/images?marker=${created.g.id}`).set(p2).expect(200);
  });

  it.each([
    ['limit=x', 'limit param must be an integer'],
    ['limit=1.5', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['marker=abc', 'No image found with ID abc'],
    [
      'marker=00000000-0000-4000-8000-000000000000',
      'No image found with ID 00000000-0000-4000-8000-000000000000',
    ],
    [
      'sort_key=foo',
      'Invalid sort key: foo. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.',
    ],
    [
      'sort=owner:asc',
      'Invalid sort key: owner. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.',
    ],
    ['sort_dir=up', 'Invalid sort direction: up'],
    ['sort=name:up', 'Invalid sort direction: up'],
    ['sort=name&sort_dir=asc', 'Old and new sorting syntax cannot be combined'],
    [
      'sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc',
      'Number of sort dirs does not match the number of sort keys',
    ],
    ['name=gt:x', "Unable to filter by unknown operator 'gt'."],
    ['status=lte:queued', "Unable to filter by unknown operator 'lte'."],
    ['created_at=foo', 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['updated_at=gt:2020-13-45', 'Bad "updated_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['created_at=foo:2020-01-01T00:00:00Z', 'Unable to filter on a unknown operator.'],
    ['size_min=x', 'Unable to filter on a range with a non-numeric value.'],
    ['size_max=1e3', 'Unable to filter on a range with a non-numeric value.'],
    ['visibility=x', 'Invalid visibility value: x'],
    ['member_status=x', 'Invalid status: x'],
    ['os_hidden=yes', "Invalid value 'yes' for 'os_hidden' filter. Valid values are 'true' or 'false'."],
    ['protected=True', "Invalid value 'True' for 'protected' filter. Valid values are 'true' or 'false'."],
    ['changes-since=2020-01-01', 'The "changes-since" filter is no longer available on v2.'],
    ['name=in:"a,b', 'Invalid filter value "a,b. The quote is not closed.'],
  ])('refuses ?%s with 400', async (query, message) => {
    const res = await t.http.get(`/v2/images?${query}`).set(p1).expect(400);
    expect(errorText(res.body)).toBe(message);
  });

  it('needs get_images: a caller without roles is refused with 403', async () => {
    const res = await t.http.get('/v2/images').set(as('p1', '')).expect(403);
    expect(errorText(res.body)).toBe('You are not authorized to complete get_images action.');
  });

  it('leaves deleted images out and shows changes made by PATCH', async () => {
    const tmp = await make('tmp', { name: 'zulu' });
    await t.http
      .patch(`/v2/images/${tmp.id}`)
      .set(p1)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/os_distro', value: 'arch' }]))
      .expect(200);
    const found = await t.http.get('/v2/images?os_distro=arch').set(p1).expect(200);
    expect(ids(found)).toEqual([tmp.id]);
    await t.http.delete(`/v2/images/${tmp.id}`).set(p1).expect(204);
    const gone = await t.http.get('/v2/images?os_distro=arch').set(p1).expect(200);
    expect(gone.body.images).toEqual([]);
  });
});

describe('schemas', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves the image schema with config enums, stock properties and links', async () => {
    const res = await t.http.get('/v2/schemas/image').set(as('p1', 'reader')).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const schema = res.body;
    expect(schema.name).toBe('image');
    expect(schema.additionalProperties).toEqual({ type: 'string' });
    expect(schema.links).toEqual([
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ]);
    expect(Object.keys(schema.properties).slice(0, 4)).toEqual(['id', 'name', 'status', 'visibility']);
    expect(schema.properties.disk_format.enum).toEqual([null, ...t.config.glance.image_format.disk_formats]);
    expect(schema.properties.status.enum).toHaveLength(9);
    expect(schema.properties.kernel_id).toMatchObject({ type: ['null', 'string'], is_base: false });
    expect(schema.properties.cinder_encryption_key_deletion_policy.enum).toEqual([
      'on_image_deletion',
      'do_not_delete',
    ]);
    const images = await t.http.get('/v2/schemas/images').set(as('p1', 'reader')).expect(200);
    expect(images.body.properties.images.items).toEqual(schema);
  });

  it('serves member, members, task and tasks schemas', async () => {
    const member = (await t.http.get('/v2/schemas/member').set(as('p1')).expect(200)).body;
    expect(member.properties.status.enum).toEqual(['pending', 'accepted', 'rejected']);
    expect(member).not.toHaveProperty('links');
    const members = (await t.http.get('/v2/schemas/members').set(as('p1')).expect(200)).body;
    expect(members.properties.members.items).toEqual(member);
    const task = (await t.http.get('/v2/schemas/task').set(as('p1')).expect(200)).body;
    expect(Object.keys(task.properties)).toContain('input');
    const tasks = (await t.http.get('/v2/schemas/tasks').set(as('p1')).expect(200)).body;
    expect(Object.keys(tasks.properties.tasks.items.properties)).not.toContain('input');
  });

  it('refuses a body on image and member schemas, and other methods with 405', async () => {
    const res = await t.http
      .get('/v2/schemas/image')
      .set(as('p1'))
      .set('Content-Type', 'application/json')
      .send('{"a":1}');
    expect(res.status).toBe(400);
    expect(errorText(res.body)).toBe('A body is not expected with this request.');
    const put = await t.http.put('/v2/schemas/image').set(as('p1')).expect(405);
    expect(put.headers.allow).toBe('GET');
  });

  it('follows the configured formats', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'glint-cfg-')), 'glint.yaml');
    writeFileSync(file, 'image_format:\n  disk_formats: [raw, qcow2]\n  container_formats: [bare]\n');
    const c = await startTestApp({ GLINT_AUTH: 'trusted' }, file);
    try {
      const schema = (await c.http.get('/v2/schemas/image').set(as('p1')).expect(200)).body;
      expect(schema.properties.disk_format.enum).toEqual([null, 'raw', 'qcow2']);
      const res = await c.http.post('/v2/images').set(as('p1')).send({ disk_format: 'vmdk' }).expect(400);
      expect(errorText(res.body).split('\n\n')[0]).toBe(
        "Provided object does not match schema 'image': 'vmdk' is not one of [None, 'raw', 'qcow2']",
      );
    } finally {
      await c.close();
    }
  });
});
