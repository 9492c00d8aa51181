import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { MetadefCatalog, checkLoadOptions } from '../../src/metadefs/metadef-catalog.js';
import { MetadefsRepository } from '../../src/metadefs/metadefs.repository.js';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';

const ADMIN = {
  'X-Identity-Status': 'Confirmed',
  'X-Project-Id': 'padmin',
  'X-Roles': 'admin,member,reader',
};
const NS = '/v2/metadefs/namespaces';
const DEBIAN_CATALOG = ['/usr/share/glance-common/metadefs', '/etc/glance/metadefs'].find(
  (d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')),
);

type Doc = Record<string, unknown>;

const compute: Doc = {
  namespace: 'OS::Test::Compute',
  display_name: 'Test Compute',
  description: 'Compute settings for tests.',
  visibility: 'public',
  protected: true,
  resource_type_associations: [
    { name: 'OS::Nova::Flavor', prefix: 'hw:' },
    { name: 'OS::Glance::Image', prefix: 'hw_' },
    { name: 'OS::Test::NeverSeenBefore', properties_target: 'image' },
  ],
  properties: {
    cpu_policy: { title: 'CPU Policy', type: 'string', enum: ['shared', 'dedicated'], default: 'shared' },
    cpu_count: { title: 'CPUs', type: 'integer', minimum: 1, maximum: 128 },
  },
  objects: [
    {
      name: 'Topology',
      description: 'CPU topology',
      required: ['sockets'],
      properties: {
        sockets: { title: 'Sockets', type: 'integer' },
        cores: { title: 'Cores', type: 'integer' },
      },
    },
  ],
  tags: [{ name: 'fast' }, { name: 'slow' }],
};

const os: Doc = {
  namespace: 'OS::Test::OperatingSystem',
  display_name: 'Test OS',
  description: 'OS facts.',
  resource_type_associations: [{ name: 'OS::Glance::Image' }],
  properties: { os_distro: { title: 'Distro', type: 'string' } },
};

function write(dir: string, file: string, content: Doc | string): void {
  writeFileSync(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content, null, 4));
}

/** What an exported file must say about a source document (export adds owner and empty lists). */
function normalize(doc: Doc): Doc {
  const out = {
    namespace: doc.namespace,
    display_name: doc.display_name ?? null,
    description: doc.description ?? null,
    visibility: doc.visibility ?? 'private',
    protected: doc.protected ?? false,
    resource_type_associations: ((doc.resource_type_associations ?? []) as Doc[]).map((a) => ({
      name: a.name,
      prefix: a.prefix ?? null,
      properties_target: a.properties_target ?? null,
    })),
    properties: doc.properties ?? {},
    objects: ((doc.objects ?? []) as Doc[]).map((o) => ({
      name: o.name,
      description: o.description ?? null,
      ...(o.required ? { required: o.required } : {}),
      properties: o.properties ?? {},
    })),
    tags: doc.tags ?? [],
  };
  return out;
}

describe('metadef catalog loader', () => {
  let t: TestApp;
  let catalog: MetadefCatalog;
  let dir: string;

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
    catalog = new MetadefCatalog(new MetadefsRepository(t.backend.get(DataSource)));
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'glint-catalog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(async () => {
    await t?.close();
  });

  it('loads good files, reports each bad one, and leaves nothing of a bad one behind', async () => {
    write(dir, 'compute.json', compute);
    write(dir, 'os.json', os);
    write(dir, 'broken.json', '{"namespace": "OS::Test::Broken", ');
    write(dir, 'badtype.json', {
      namespace: 'OS::Test::BadType',
      properties: { x: { title: 'X', type: 'float' } },
    });
    write(dir, 'emoji.json', {
      namespace: 'OS::Test::Emoji',
      objects: [{ name: 'ok' }],
      tags: [{ name: 'bad\u{1F600}' }],
    });
    write(dir, 'noname.json', { namespace: 'OS::Test::NoName', objects: [{ description: 'no name' }] });
    write(dir, 'README', 'not a catalog file');
    const outcomes = await catalog.load(dir);
    const byFile = Object.fromEntries(outcomes.map((o) => [o.file.split('/').pop(), o]));
    expect(Object.keys(byFile).sort()).toEqual([
      'badtype.json',
      'broken.json',
      'compute.json',
      'emoji.json',
      'noname.json',
      'os.json',
    ]);
    expect(byFile['compute.json']).toMatchObject({ status: 'created', namespace: 'OS::Test::Compute' });
    expect(byFile['os.json']).toMatchObject({ status: 'created' });
    expect(byFile['broken.json']).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^malformed JSON/),
    });
    expect(byFile['badtype.json']).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(
        /^Provided object does not match schema 'namespace': 'float' is not one of \['array'/,
      ),
    });
    expect(byFile['emoji.json']).toMatchObject({
      status: 'failed',
      reason: "Couldn't load metadata tag: Name can't contain 4 byte unicode characters.",
    });
    expect(byFile['noname.json']).toMatchObject({ status: 'failed' });
    for (const name of ['OS::Test::Broken', 'OS::Test::BadType', 'OS::Test::Emoji', 'OS::Test::NoName']) {
      await t.http.get(`${NS}/${name}`).set(ADMIN).expect(404);
    }

    const shown = await t.http.get(`${NS}/OS::Test::Compute`).set(ADMIN).expect(200);
    expect(shown.body).toMatchObject({ owner: 'admin', visibility: 'public', protected: true });
    expect(shown.body.objects[0]).toMatchObject({ name: 'Topology', required: ['sockets'] });
    expect(Object.keys(shown.body.properties)).toEqual(['cpu_policy', 'cpu_count']);
    const types = await t.http.get('/v2/metadefs/resource_types').set(ADMIN).expect(200);
    expect(types.body.resource_types.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(['OS::Nova::Flavor', 'OS::Glance::Image', 'OS::Test::NeverSeenBefore']),
    );
    const forImage = await t.http.get(`${NS}?resource_types=OS::Glance::Image`).set(ADMIN).expect(200);
    expect(forImage.body.namespaces.map((n: { namespace: string }) => n.namespace).sort()).toEqual([
      'OS::Test::Compute',
      'OS::Test::OperatingSystem',
    ]);
  });

  it('skips what exists, merges with --merge, updates with --prefer-new, replaces with --overwrite', async () => {
    write(dir, 'compute.json', compute);
    expect((await catalog.load(dir))[0]).toMatchObject({ status: 'skipped' });
    const changed = {
      ...compute,
      description: 'Changed.',
      properties: {
        ...(compute.properties as Doc),
        cpu_policy: { title: 'Policy', type: 'string' },
        new_one: { title: 'N', type: 'boolean' },
      },
      tags: [{ name: 'fast' }, { name: 'new' }],
    };
    write(dir, 'compute.json', changed);
    expect((await catalog.load(dir, { merge: true }))[0]).toMatchObject({ status: 'merged' });
    let shown = await t.http.get(`${NS}/OS::Test::Compute`).set(ADMIN).expect(200);
    expect(shown.body.description).toBe('Compute settings for tests.');
    expect(shown.body.properties.cpu_policy.title).toBe('CPU Policy');
    expect(Object.keys(shown.body.properties)).toEqual(['cpu_policy', 'cpu_count', 'new_one']);
    expect(shown.body.tags.map((x: { name: string }) => x.name).sort()).toEqual(['fast', 'new', 'slow']);
    expect(shown.body.objects).toHaveLength(1);
    expect(shown.body.resource_type_associations).toHaveLength(3);

    expect((await catalog.load(dir, { merge: true, preferNew: true }))[0]).toMatchObject({
      status: 'merged',
    });
    shown = await t.http.get(`${NS}/OS::Test::Compute`).set(ADMIN).expect(200);
    expect(shown.body.description).toBe('Changed.');
    expect(shown.body.properties.cpu_policy).toEqual({ type: 'string', title: 'Policy' });
    expect(shown.body.tags).toHaveLength(3);

    expect((await catalog.load(dir, { merge: true, overwrite: true }))[0]).toMatchObject({
      status: 'replaced',
    });
    shown = await t.http.get(`${NS}/OS::Test::Compute`).set(ADMIN).expect(200);
    expect(shown.body.tags.map((x: { name: string }) => x.name).sort()).toEqual(['fast', 'new']);
    expect(() => checkLoadOptions({ preferNew: true })).toThrow(/--merge/);
    expect(() => checkLoadOptions({ merge: true, preferNew: true, overwrite: true })).toThrow(
      /no more than one/,
    );

    write(dir, 'compute.json', compute);
    await catalog.load(dir, { merge: true, overwrite: true });
  });

  it('exports what it loaded in the same format (load, export, compare)', async () => {
    const out = join(dir, 'out');
    const written = await catalog.export(out);
    const files = Object.fromEntries(
      written.map((w) => [w.namespace, JSON.parse(readFileSync(w.file, 'utf8')) as Doc]),
    );
    expect(written.find((w) => w.namespace === 'OS::Test::Compute')?.file).toBe(
      join(out, 'TestCompute.json'),
    );
    for (const source of [compute, os]) {
      const exported = files[source.namespace as string];
      const { owner, ...rest } = exported;
      expect(owner).toBe('admin');
      expect(rest).toEqual(normalize(source));
    }
    // and the export loads back as it is
    const again = await catalog.load(out, { merge: true, preferNew: true });
    expect(again.every((o) => o.status === 'merged')).toBe(true);
  });

  it.runIf(DEBIAN_CATALOG)(
    "loads Debian's glance-common catalog, twice without duplicates, and exports it back",
    async () => {
      const sources = readdirSync(DEBIAN_CATALOG!)
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(join(DEBIAN_CATALOG!, f), 'utf8')) as Doc);
      const first = await catalog.load(DEBIAN_CATALOG!);
      expect(first.filter((o) => o.status === 'failed')).toEqual([]);
      expect(first).toHaveLength(sources.length);
      const second = await catalog.load(DEBIAN_CATALOG!);
      expect(second.every((o) => o.status === 'skipped')).toBe(true);
      const list = await t.http.get(`${NS}?limit=1000`).set(ADMIN).expect(200);
      for (const s of sources) {
        expect(
          list.body.namespaces.filter((n: { namespace: string }) => n.namespace === s.namespace),
        ).toHaveLength(1);
      }
      const types = await t.http.get('/v2/metadefs/resource_types').set(ADMIN).expect(200);
      expect(types.body.resource_types.map((r: { name: string }) => r.name)).toEqual(
        expect.arrayContaining(['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor']),
      );
      const written = await catalog.export(join(dir, 'debian'));
      const exported = Object.fromEntries(
        written.map((w) => [w.namespace, JSON.parse(readFileSync(w.file, 'utf8')) as Doc]),
      );
      for (const s of sources) {
        const { owner: _owner, ...rest } = exported[s.namespace as string];
        expect(rest).toEqual(normalize(s));
      }
    },
    300_000,
  );
});
