import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { as, errorText, PATCH_TYPE, bytes } from '../support/images.js';

const USER = as('p1');
const ADMIN = as('p1', 'admin,member,reader');
const OCTET = 'application/octet-stream';

function configFile(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'glint-loc-cfg-')), 'glint.yaml');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** A plain web server holding image data, as an http store location points at. */
async function dataServer(files: Record<string, Buffer>): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': OCTET });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('legacy location operations with show_multiple_locations', () => {
  let t: TestApp;
  let web: Server;
  let base: string;
  let refused: string;
  const data = randomBytes(64 * 1024);
  const other = randomBytes(1000);
  const md5 = createHash('md5').update(data).digest('hex');
  const sha512 = createHash('sha512').update(data).digest('hex');

  beforeAll(async () => {
    const s = await dataServer({ '/img': data, '/copy': data, '/other': other, '/third': data });
    web = s.server;
    base = `http://127.0.0.1:${s.port}`;
    const second = await dataServer({ '/img': data });
    refused = `http://127.0.0.1:${second.port}/img`;
    second.server.close();
    t = await startTestApp(
      { GLINT_AUTH: 'trusted' },
      configFile([
        'show_multiple_locations: true',
        'show_image_direct_url: true',
        'image_location_quota: 3',
        'import_filtering_opts:',
        `  allowed_ports: [80, 443, ${s.port}]`,
        '  allowed_hosts: [127.0.0.1]',
      ]),
    );
  });
  afterAll(async () => {
    await t?.close();
    web?.close();
  });

  async function image(body: object = { disk_format: 'raw', container_format: 'bare' }) {
    const res = await t.http
      .post('/v2/images')
      .set(USER)
      .send({ name: 'loc', ...body })
      .expect(201);
    return res.body as Record<string, unknown> & { id: string };
  }
  function patch(id: string, ops: object[], who = USER) {
    return t.http
      .patch(`/v2/images/${id}`)
      .set(who)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify(ops));
  }
  async function refusal(id: string, ops: object[], status: number, text: string, who = USER) {
    const res = await patch(id, ops, who);
    expect(res.status).toBe(status);
    expect(errorText(res.body)).toBe(text);
  }

  it('shows locations (empty) and no direct_url on a new image', async () => {
    const img = await image();
    expect(img.locations).toEqual([]);
    expect(img).not.toHaveProperty('direct_url');
    const list = (await t.http.get('/v2/images').set(USER).expect(200)).body.images as Array<
      Record<string, unknown>
    >;
    expect(list.find((i) => i.id === img.id)?.locations).toEqual([]);
  });

  it('add: a first location activates a queued image with its validation data; the data downloads', async () => {
    const { id } = await image();
    const res = await patch(id, [
      {
        op: 'add',
        path: '/locations/-',
        value: {
          url: `${base}/img`,
          metadata: { note: 'first' },
          validation_data: { checksum: md5, os_hash_algo: 'sha512', os_hash_value: sha512 },
        },
      },
    ]).expect(200);
    expect(res.body).toMatchObject({
      status: 'active',
      size: data.length,
      checksum: md5,
      os_hash_algo: 'sha512',
      os_hash_value: sha512,
      locations: [{ url: `${base}/img`, metadata: { note: 'first' } }],
      direct_url: `${base}/img`,
    });
    expect(res.body.locations[0]).not.toHaveProperty('validation_data');

    const file = await t.http.get(`/v2/images/${id}/file`).set(USER).buffer(true).parse(bytes).expect(200);
    expect(Buffer.compare(file.body as Buffer, data)).toBe(0);
    expect(file.headers['content-md5']).toBe(md5);

    // Positions: 0 inserts first, and direct_url follows the first location.
    const second = await patch(id, [
      { op: 'add', path: '/locations/0', value: { url: `${base}/copy`, metadata: {} } },
    ]).expect(200);
    expect(second.body.locations.map((l: { url: string }) => l.url)).toEqual([`${base}/copy`, `${base}/img`]);
    expect(second.body.direct_url).toBe(`${base}/copy`);
    const shown = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(shown.locations).toEqual(second.body.locations);
  });

  it('add: refuses bad positions, duplicates, unusable URLs, conflicting validation data and too many', async () => {
    const { id } = await image();
    await refusal(
      id,
      [{ op: 'add', path: '/locations', value: { url: `${base}/img`, metadata: {} } }],
      400,
      "Invalid JSON pointer for this resource: '/locations'",
    );
    const noMeta = await patch(id, [{ op: 'add', path: '/locations/-', value: { url: `${base}/img` } }]);
    expect(noMeta.status).toBe(400);
    await refusal(
      id,
      [{ op: 'add', path: '/locations/x', value: { url: `${base}/img`, metadata: {} } }],
      400,
      'Invalid position for adding a location.',
    );
    for (const url of ['file:///etc/passwd', `${base}/missing`, refused, 'swift://x/y', 'nonsense']) {
      await refusal(
        id,
        [{ op: 'add', path: '/locations/-', value: { url, metadata: {} } }],
        400,
        'Invalid location',
      );
    }
    await refusal(
      id,
      [
        {
          op: 'add',
          path: '/locations/-',
          value: {
            url: `${base}/img`,
            metadata: {},
            validation_data: { os_hash_algo: 'sha256', os_hash_value: 'ab'.repeat(32) },
          },
        },
      ],
      409,
      'os_hash_algo must be sha512, not sha256',
    );
    await refusal(
      id,
      [
        {
          op: 'add',
          path: '/locations/-',
          value: {
            url: `${base}/img`,
            metadata: {},
            validation_data: { os_hash_algo: 'sha512', os_hash_value: 'zz' },
          },
        },
      ],
      409,
      'os_hash_value (zz) is not a valid hexadecimal value',
    );
    expect((await t.http.get(`/v2/images/${id}`).set(USER)).body.status).toBe('queued');

    await patch(id, [
      { op: 'add', path: '/locations/-', value: { url: `${base}/img`, metadata: {} } },
    ]).expect(200);
    await refusal(
      id,
      [{ op: 'add', path: '/locations/-', value: { url: `${base}/img`, metadata: {} } }],
      400,
      `The location ${base}/img already exists`,
    );
    // New validation data on an active image: only values equal to the image's pass.
    await refusal(
      id,
      [
        {
          op: 'add',
          path: '/locations/-',
          value: {
            url: `${base}/copy`,
            metadata: {},
            validation_data: { os_hash_algo: 'sha512', os_hash_value: 'ab'.repeat(64) },
          },
        },
      ],
      409,
      "New value(s) for os_hash_algo, os_hash_value may only be provided when image status is 'queued'",
    );
    await patch(id, [
      { op: 'add', path: '/locations/-', value: { url: `${base}/copy`, metadata: {} } },
    ]).expect(200);
    await patch(id, [
      { op: 'add', path: '/locations/-', value: { url: `${base}/third`, metadata: {} } },
    ]).expect(200);
    await refusal(
      id,
      [{ op: 'add', path: '/locations/-', value: { url: `${base}/other`, metadata: {} } }],
      413,
      'The limit has been exceeded on the number of allowed image locations. Attempted: 4, Maximum: 3',
    );
  });

  it('add needs the formats and a queued or active image', async () => {
    const noFormats = await image({});
    await refusal(
      noFormats.id,
      [{ op: 'add', path: '/locations/-', value: { url: `${base}/img`, metadata: {} } }],
      400,
      'Properties disk_format, container_format must be set prior to saving data.',
    );
    const { id } = await image();
    await patch(id, [
      { op: 'add', path: '/locations/-', value: { url: `${base}/img`, metadata: {} } },
    ]).expect(200);
    await t.http.post(`/v2/images/${id}/actions/deactivate`).set(ADMIN).expect(204);
    await refusal(
      id,
      [{ op: 'add', path: '/locations/-', value: { url: `${base}/copy`, metadata: {} } }],
      409,
      "It's not allowed to add locations if image status is deactivated.",
      ADMIN,
    );
    await refusal(
      id,
      [{ op: 'replace', path: '/locations', value: [{ url: `${base}/img`, metadata: {} }] }],
      409,
      "It's not allowed to replace locations if image status is deactivated.",
      ADMIN,
    );
    // Deactivated: hidden from non-admins, shown to admins.
    const mine = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(mine.locations).toEqual([]);
    expect(mine).not.toHaveProperty('direct_url');
    const admin = (await t.http.get(`/v2/images/${id}`).set(ADMIN).expect(200)).body;
    expect(admin.locations).toEqual([{ url: `${base}/img`, metadata: {} }]);
    expect(admin.direct_url).toBe(`${base}/img`);
  });

  it('add that loses a race with an upload writes nothing: 409, and the upload keeps its data', async () => {
    // The location's server answers only once the upload has made the image active.
    let asked!: () => void;
    const askedOnce = new Promise<void>((resolve) => (asked = resolve));
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow = createServer((req, res) => {
      asked();
      void gate.then(() => {
        res.writeHead(200, { 'Content-Length': String(data.length), 'Content-Type': OCTET });
        res.end(req.method === 'HEAD' ? undefined : data);
      });
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    try {
      const racer = await startTestApp(
        { GLINT_AUTH: 'trusted' },
        configFile([
          'show_multiple_locations: true',
          'import_filtering_opts:',
          `  allowed_ports: [${(slow.address() as AddressInfo).port}]`,
          '  allowed_hosts: [127.0.0.1]',
        ]),
      );
      try {
        const created = await racer.http
          .post('/v2/images')
          .set(USER)
          .send({ name: 'before', disk_format: 'raw', container_format: 'bare' })
          .expect(201);
        const id = created.body.id as string;
        const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/img`;
        const patching = racer.http
          .patch(`/v2/images/${id}`)
          .set(USER)
          .set('Content-Type', PATCH_TYPE)
          .send(
            JSON.stringify([
              { op: 'replace', path: '/name', value: 'after' },
              { op: 'add', path: '/locations/-', value: { url, metadata: {} } },
            ]),
          )
          .then((r) => r);
        await askedOnce;
        await racer.http
          .put(`/v2/images/${id}/file`)
          .set(USER)
          .set('Content-Type', OCTET)
          .send(other)
          .expect(204);
        open();
        const refused = await patching;
        expect(refused.status).toBe(409);
        const after = (await racer.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
        expect(after).toMatchObject({ name: 'before', status: 'active', size: other.length });
        expect(after.locations).toHaveLength(1);
        expect(after.locations[0].url).toMatch(/^file:/);
        const file = await racer.http
          .get(`/v2/images/${id}/file`)
          .set(USER)
          .buffer(true)
          .parse(bytes)
          .expect(200);
        expect(Buffer.compare(file.body as Buffer, other)).toBe(0);
      } finally {
        await racer.close();
      }
    } finally {
      open();
      slow.close();
    }
  });

  it('replace: sets the list of a queued image, then only changes metadata', async () => {
    const { id } = await image();
    await refusal(
      id,
      [{ op: 'replace', path: '/locations', value: [] }],
      403,
      'Cannot set locations to empty list.',
    );
    await refusal(
      id,
      [{ op: 'replace', path: '/locations/0', value: [] }],
      400,
      "Invalid JSON pointer for this resource: '/locations/0'",
    );
    await refusal(
      id,
      [
        {
          op: 'replace',
          path: '/locations',
          value: [
            { url: `${base}/img`, metadata: {} },
            { url: `${base}/img`, metadata: {} },
          ],
        },
      ],
      400,
      `The location ${base}/img already exists`,
    );
    await refusal(
      id,
      [
        {
          op: 'replace',
          path: '/locations',
          value: ['/img', '/copy', '/third', '/other'].map((p) => ({ url: base + p, metadata: {} })),
        },
      ],
      413,
      'The limit has been exceeded on the number of allowed image locations. Attempted: 4, Maximum: 3',
    );
    const res = await patch(id, [
      {
        op: 'replace',
        path: '/locations',
        value: [
          {
            url: `${base}/img`,
            metadata: {},
            validation_data: { os_hash_algo: 'sha512', os_hash_value: sha512 },
          },
          { url: `${base}/copy`, metadata: {} },
        ],
      },
    ]).expect(200);
    expect(res.body).toMatchObject({
      status: 'active',
      size: data.length,
      os_hash_value: sha512,
      checksum: null,
    });
    expect(res.body.locations).toHaveLength(2);

    const refusedReplace = await patch(id, [
      { op: 'replace', path: '/locations', value: [{ url: `${base}/other`, metadata: {} }] },
    ]);
    expect(refusedReplace.status).toBe(400);
    expect(errorText(refusedReplace.body)).toMatch(
      /^Original locations is not empty: \[\{'id': \d+, 'url': 'http:\/\/127\.0\.0\.1:\d+\/img', 'metadata': \{\}, 'status': 'active'\}, /,
    );

    const renamed = await patch(id, [
      {
        op: 'replace',
        path: '/locations',
        value: [
          { url: `${base}/copy`, metadata: { tier: 'b' } },
          { url: `${base}/img`, metadata: { tier: 'a' } },
        ],
      },
    ]).expect(200);
    expect(renamed.body.locations).toEqual([
      { url: `${base}/copy`, metadata: { tier: 'b' } },
      { url: `${base}/img`, metadata: { tier: 'a' } },
    ]);
  });

  it('remove: admin only, active only, never the last one, and it deletes the data', async () => {
    const { id } = await image();
    await refusal(
      id,
      [{ op: 'remove', path: '/locations/0' }],
      409,
      "It's not allowed to remove locations if image status is queued.",
      ADMIN,
    );
    await t.http.put(`/v2/images/${id}/file`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    const storeDir = join(t.dataDir, 'images');
    expect(readdirSync(storeDir)).toContain(id);
    await refusal(
      id,
      [{ op: 'remove', path: '/locations/0' }],
      403,
      'Cannot remove last location in the image.',
      ADMIN,
    );
    await patch(id, [
      { op: 'add', path: '/locations/-', value: { url: `${base}/img`, metadata: {} } },
    ]).expect(200);

    await refusal(
      id,
      [{ op: 'remove', path: '/locations/0' }],
      403,
      'You are not authorized to complete delete_image_location action.',
    );
    await refusal(
      id,
      [{ op: 'remove', path: '/locations/2' }],
      400,
      'Invalid position for removing a location.',
      ADMIN,
    );
    await refusal(
      id,
      [{ op: 'remove', path: '/locations/x' }],
      400,
      'Invalid position for removing a location.',
      ADMIN,
    );
    await refusal(
      id,
      [{ op: 'remove', path: '/locations' }],
      400,
      "Invalid JSON pointer for this resource: '/locations'",
      ADMIN,
    );

    const res = await patch(id, [{ op: 'remove', path: '/locations/0' }], ADMIN).expect(200);
    expect(res.body.locations).toEqual([{ url: `${base}/img`, metadata: {} }]);
    expect(res.body.direct_url).toBe(`${base}/img`);
    expect(readdirSync(storeDir)).not.toContain(id);
    // The image now serves from the web location alone.
    const file = await t.http.get(`/v2/images/${id}/file`).set(USER).expect(200);
    expect(Number(file.headers['content-length'])).toBe(data.length);
  });
});

describe('location operations with the default options', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses every /locations op with 403 and shows neither locations nor direct_url', async () => {
    const { id } = (
      await t.http
        .post('/v2/images')
        .set(USER)
        .send({ disk_format: 'raw', container_format: 'bare' })
        .expect(201)
    ).body;
    await t.http
      .put(`/v2/images/${id}/file`)
      .set(USER)
      .set('Content-Type', OCTET)
      .send(Buffer.alloc(10))
      .expect(204);
    const cases: Array<[object, string]> = [
      [
        { op: 'add', path: '/locations/-', value: { url: 'http://example.com/x', metadata: {} } },
        "It's not allowed to add locations if locations are invisible.",
      ],
      [
        { op: 'replace', path: '/locations', value: [{ url: 'http://example.com/x', metadata: {} }] },
        "It's not allowed to update locations if locations are invisible.",
      ],
      [
        { op: 'remove', path: '/locations/0' },
        "It's not allowed to remove locations if locations are invisible.",
      ],
    ];
    for (const [op, text] of cases) {
      const res = await t.http
        .patch(`/v2/images/${id}`)
        .set(ADMIN)
        .set('Content-Type', PATCH_TYPE)
        .send(JSON.stringify([op]));
      expect(res.status).toBe(403);
      expect(errorText(res.body)).toBe(text);
    }
    // The path and the value are checked first, as Glance's request parsing does.
    const depth = await t.http
      .patch(`/v2/images/${id}`)
      .set(USER)
      .set('Content-Type', PATCH_TYPE)
      .send(
        JSON.stringify([
          { op: 'add', path: '/locations', value: { url: 'http://example.com/x', metadata: {} } },
        ]),
      );
    expect(depth.status).toBe(400);
    expect(errorText(depth.body)).toBe("Invalid JSON pointer for this resource: '/locations'");
    const schema = await t.http
      .patch(`/v2/images/${id}`)
      .set(USER)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/locations/-', value: { url: 'http://example.com/x' } }]));
    expect(schema.status).toBe(400);
    expect(errorText(schema.body)).toMatch(
      /^Provided object does not match schema 'image': 'metadata' is a required property/,
    );
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img).not.toHaveProperty('locations');
    expect(img).not.toHaveProperty('direct_url');
  });
});

describe('location URLs need a store that serves them', () => {
  let t: TestApp;
  let web: Server;
  let url: string;
  beforeAll(async () => {
    const s = await dataServer({ '/img': Buffer.alloc(100, 1) });
    web = s.server;
    url = `http://127.0.0.1:${s.port}/img`;
    const dir = mkdtempSync(join(tmpdir(), 'glint-loc-fast-'));
    t = await startTestApp(
      { GLINT_AUTH: 'trusted' },
      configFile([
        'show_multiple_locations: true',
        'stores:',
        '  enabled_backends: {fast: file}',
        '  default_backend: fast',
        `  fast: {filesystem_store_datadir: ${dir}}`,
        'import_filtering_opts:',
        `  allowed_ports: [80, 443, ${s.port}]`,
        '  allowed_hosts: [127.0.0.1]',
      ]),
    );
  });
  afterAll(async () => {
    await t?.close();
    web?.close();
  });

  it('refuses an http URL when no http store is configured', async () => {
    const { id } = (
      await t.http
        .post('/v2/images')
        .set(USER)
        .send({ disk_format: 'raw', container_format: 'bare' })
        .expect(201)
    ).body;
    const res = await t.http
      .patch(`/v2/images/${id}`)
      .set(USER)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/locations/-', value: { url, metadata: {} } }]));
    expect(res.status).toBe(400);
    expect(errorText(res.body)).toBe('Invalid location');
  });
});

describe('locations in multi-store mode', () => {
  let t: TestApp;
  let web: Server;
  let url: string;
  const data = randomBytes(5000);
  beforeAll(async () => {
    const s = await dataServer({ '/img': data });
    web = s.server;
    url = `http://127.0.0.1:${s.port}/img`;
    const dir = mkdtempSync(join(tmpdir(), 'glint-loc-ms-'));
    t = await startTestApp(
      { GLINT_AUTH: 'trusted' },
      configFile([
        'show_multiple_locations: true',
        'user_storage_quota: 8000B',
        'stores:',
        '  enabled_backends: {fast: file, web: http}',
        '  default_backend: fast',
        `  fast: {filesystem_store_datadir: ${dir}}`,
        'import_filtering_opts:',
        `  allowed_ports: [80, 443, ${s.port}]`,
        '  allowed_hosts: [127.0.0.1]',
      ]),
    );
  });
  afterAll(async () => {
    await t?.close();
    web?.close();
  });

  it('records the store of the URL and lists it in stores; the image downloads from it', async () => {
    const { id } = (
      await t.http
        .post('/v2/images')
        .set(USER)
        .send({ disk_format: 'raw', container_format: 'bare' })
        .expect(201)
    ).body;
    const res = await t.http
      .patch(`/v2/images/${id}`)
      .set(USER)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/locations/-', value: { url, metadata: {} } }]))
      .expect(200);
    expect(res.body.locations).toEqual([{ url, metadata: { store: 'web' } }]);
    expect(res.body.stores).toBe('web');
    expect(res.body).not.toHaveProperty('direct_url');
    const file = await t.http.get(`/v2/images/${id}/file`).set(USER).expect(200);
    expect(Number(file.headers['content-length'])).toBe(data.length);
  });

  it('counts each location against user_storage_quota', async () => {
    const { id } = (
      await t.http
        .post('/v2/images')
        .set(USER)
        .send({ disk_format: 'raw', container_format: 'bare' })
        .expect(201)
    ).body;
    const res = await t.http
      .patch(`/v2/images/${id}`)
      .set(USER)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/locations/-', value: { url, metadata: {} } }]));
    expect(res.status).toBe(413);
    expect(errorText(res.body)).toBe(
      'Denying attempt to upload image because it exceeds the quota: The size of the data 5000 will exceed the limit. 3000 bytes remaining.',
    );
    expect((await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body.status).toBe('queued');
  });
});
