import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { PATCH_TYPE, as } from '../support/images.js';

/**
 * Who may call what, on which image: every endpoint that exists × five personas × the four
 * visibilities, against the status code Glance 25 gives with its default (secure RBAC) rules.
 * The expectations were measured on a real Glance (GLANCE_PEER_RBAC=secure, identity from
 * headers) with the same setup as here: every image is owned by p-own, created shared, shared
 * with p-mem (accepted) and p-victim, then switched to its visibility. Memberships of images that
 * are no longer shared stay recorded but count for nothing. Both run two file stores (`local`,
 * the default, and `backup`), the peer's GLANCE_PEER_STORES=multi layout.
 *
 * Where Glance and spec §2.14 differ (Glance wins; the member e2e tests pin the texts): a refused
 * add_member/modify_member/delete_member says "You are not authorized to complete <rule>
 * action." (the "Not allowed to … members for image <id>." texts are for images that are not
 * shared and for the legacy ownership checks); an owner setting a status is such a policy 403.
 *
 * Adding an endpoint is one line in TABLE (plus a BODIES entry if it takes a body). A `!` after
 * the path runs each cell on an image of its own, for calls that consume the image. `{data}` is
 * an image of the same kind that also has data, in both stores (`local` and `backup`); a cell that
 * removed it from `backup` has it copied back (copy-image) before the next cell runs.
 */

const PERSONAS = {
  admin: as('p-adm', 'admin,member,reader'),
  ownerMember: as('p-own', 'member,reader'),
  ownerReader: as('p-own', 'reader'),
  otherMember: as('p-oth', 'member,reader'),
  imageMember: as('p-mem', 'member,reader'),
};
type Persona = keyof typeof PERSONAS;
const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const;
const IMAGE_DATA = Buffer.from('0123456789');

/** Multi-store, as the Glance peer: data endpoints and /v2/info/stores exist only there. */
const STORES_CONFIG = `stores:
  enabled_backends: { local: file, backup: file }
  default_backend: local
  local: { filesystem_store_datadir: images/local }
  backup: { filesystem_store_datadir: images/backup }
`;
type Visibility = (typeof VISIBILITIES)[number];

// prettier-ignore
const TABLE = `
# call                                      admin             owner member      owner reader      other member      image member
#                                           (each: public private shared community)
GET    /v2/images                           200             | 200             | 200             | 200             | 200
POST   /v2/images                           201 201 201 201 | 403 201 201 201 | 403 403 403 403 | 403 201 201 201 | 403 201 201 201
GET    /v2/images/{id}                      200             | 200             | 200             | 200 404 404 200 | 200 404 200 200
PATCH  /v2/images/{id}                      200             | 200             | 403             | 403 404 404 403 | 403 404 403 403
DELETE /v2/images/{id}!                     204             | 204             | 403             | 403 404 404 403 | 403 404 403 403
PUT    /v2/images/{id}/tags/t1              204             | 204             | 403             | 403 404 404 403 | 403 404 403 403
DELETE /v2/images/{id}/tags/t1              204             | 204             | 403             | 403 404 404 403 | 403 404 403 403
POST   /v2/images/{id}/actions/deactivate   403             | 403             | 403             | 403 404 404 403 | 403 404 403 403
POST   /v2/images/{id}/actions/reactivate   403             | 403             | 403             | 403 404 404 403 | 403 404 403 403
GET    /v2/images/{id}/members              403 403 200 403 | 403 403 200 403 | 403 403 200 403 | 403 404 404 403 | 403 404 200 403
POST   /v2/images/{id}/members              403 403 200 403 | 403 403 200 403 | 403             | 403 404 404 403 | 403 404 403 403
GET    /v2/images/{id}/members/p-mem        404 404 200 404 | 404 404 200 404 | 404 404 200 404 | 404             | 404 404 200 404
PUT    /v2/images/{id}/members/p-mem        403 403 200 403 | 403             | 403             | 403 404 404 403 | 403 404 200 403
DELETE /v2/images/{id}/members/p-victim     403 403 204 403 | 403 403 204 403 | 403             | 403 404 404 403 | 403 404 404 403
GET    /v2/schemas/image                    200             | 200             | 200             | 200             | 200
GET    /v2/schemas/images                   200             | 200             | 200             | 200             | 200
GET    /v2/schemas/member                   200             | 200             | 200             | 200             | 200
GET    /v2/schemas/members                  200             | 200             | 200             | 200             | 200
GET    /v2/schemas/task                     200             | 200             | 200             | 200             | 200
GET    /v2/schemas/tasks                    200             | 200             | 200             | 200             | 200
GET    /v2/info/import                      200             | 200             | 200             | 200             | 200
PUT    /v2/images/{id}/file!                204             | 204             | 403             | 403 404 404 403 | 403 404 403 403
PUT    /v2/images/{id}/stage!               204             | 204             | 403             | 403 404 404 403 | 403 404 403 403
GET    /v2/images/{data}/file               200             | 200             | 403             | 200 404 404 200 | 200 404 200 200
DELETE /v2/stores/backup/{data}             204             | 403             | 403             | 403 404 404 403 | 403 404 403 403
GET    /v2/info/stores                      200             | 200             | 200             | 200             | 200
GET    /v2/info/stores/detail               200             | 403             | 403             | 403             | 403
`;

/** Bodies by call; `v` is the column's visibility, `n` a number unique to the cell. */
const BODIES: Record<string, (v: Visibility, n: number) => unknown> = {
  'PUT /v2/images/{id}/file': () => IMAGE_DATA,
  'PUT /v2/images/{id}/stage': () => IMAGE_DATA,
  'POST /v2/images': (v) => ({ name: 'matrix-new', visibility: v }),
  'PATCH /v2/images/{id}': () => [{ op: 'replace', path: '/name', value: 'renamed' }],
  'POST /v2/images/{id}/members': (_v, n) => ({ member: `p-new-${n}` }),
  'PUT /v2/images/{id}/members/p-mem': () => ({ status: 'accepted' }),
};

interface Row {
  method: string;
  path: string;
  ownImage: boolean;
  expected: string;
}

/** Reads TABLE; a group of one code stands for all four visibilities. */
function parseTable(): Row[] {
  return TABLE.split('\n')
    .filter((line) => line.trim() && !line.trimStart().startsWith('#'))
    .map((line) => {
      const [method, rawPath, ...rest] = line.trim().split(/\s+/);
      const groups = rest
        .join(' ')
        .split('|')
        .map((group) => group.trim().split(/\s+/));
      if (groups.length !== 5 || groups.some((g) => g.length !== 1 && g.length !== 4)) {
        throw new Error(`matrix row "${line.trim()}" needs five groups of one or four codes`);
      }
      const expected = groups
        .map((g) => (g.length === 1 ? [g[0], g[0], g[0], g[0]] : g).join(' '))
        .join(' | ');
      return { method, path: rawPath.replace(/!$/, ''), ownImage: rawPath.endsWith('!'), expected };
    });
}

describe('authorization matrix (Glance default rules)', () => {
  let t: TestApp;
  const images = {} as Record<Visibility, string>;
  const dataImages = {} as Record<Visibility, string>;
  let cell = 0;
  const admin = PERSONAS.admin;

  /** An image of p-own, shared with p-mem (accepted) and p-victim, then given its visibility. */
  async function makeImage(visibility: Visibility): Promise<string> {
    const created = await t.http
      .post('/v2/images')
      .set(admin)
      .send({ name: `matrix-${visibility}`, owner: 'p-own', disk_format: 'raw', container_format: 'bare' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    for (const project of ['p-mem', 'p-victim']) {
      await t.http
        .post(`/v2/images/${id}/members`)
        .set(PERSONAS.ownerMember)
        .send({ member: project })
        .expect(200);
    }
    await t.http
      .put(`/v2/images/${id}/members/p-mem`)
      .set(PERSONAS.imageMember)
      .send({ status: 'accepted' })
      .expect(200);
    if (visibility !== 'shared') {
      await t.http
        .patch(`/v2/images/${id}`)
        .set(admin)
        .set('Content-Type', PATCH_TYPE)
        .send(JSON.stringify([{ op: 'replace', path: '/visibility', value: visibility }]))
        .expect(200);
    }
    return id;
  }

  /** The image's data in the `backup` store too, copied there by a copy-image import. */
  async function ensureCopied(id: string): Promise<void> {
    const stores = async () =>
      String((await t.http.get(`/v2/images/${id}`).set(admin).expect(200)).body.stores).split(',');
    if ((await stores()).includes('backup')) return;
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(admin)
      .send({ method: { name: 'copy-image' }, stores: ['backup'] })
      .expect(202);
    for (let i = 0; i < 200 && !(await stores()).includes('backup'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await stores()).toEqual(['local', 'backup']);
  }

  /** An image as makeImage makes it, with data in both stores. */
  async function makeDataImage(visibility: Visibility): Promise<string> {
    const id = await makeImage(visibility);
    await t.http
      .put(`/v2/images/${id}/file`)
      .set(admin)
      .set('Content-Type', 'application/octet-stream')
      .send(IMAGE_DATA)
      .expect(204);
    await ensureCopied(id);
    return id;
  }

  /** Puts back what a previous cell of the same row may have removed. */
  async function restore(row: Row, id: string): Promise<void> {
    if (row.method === 'DELETE' && row.path.startsWith('/v2/stores/backup/')) await ensureCopied(id);
    if (row.method === 'DELETE' && row.path.endsWith('/tags/t1')) {
      await t.http.put(`/v2/images/${id}/tags/t1`).set(admin).expect(204);
    }
    if (row.method === 'DELETE' && row.path.endsWith('/members/p-victim')) {
      const res = await t.http.post(`/v2/images/${id}/members`).set(admin).send({ member: 'p-victim' });
      expect([200, 403, 409]).toContain(res.status);
    }
  }

  async function call(row: Row, persona: Persona, visibility: Visibility): Promise<number> {
    const withData = row.path.includes('{data}');
    const id = row.ownImage
      ? await makeImage(visibility)
      : withData
        ? dataImages[visibility]
        : images[visibility];
    await restore(row, id);
    const path = row.path.replace('{id}', id).replace('{data}', id);
    const key = `${row.method} ${row.path}`;
    let req = t.http[row.method.toLowerCase() as 'get'](path).set(PERSONAS[persona]);
    const body = BODIES[key]?.(visibility, ++cell);
    if (row.method === 'PATCH') req = req.set('Content-Type', PATCH_TYPE).send(JSON.stringify(body));
    else if (Buffer.isBuffer(body)) req = req.set('Content-Type', 'application/octet-stream').send(body);
    else if (body !== undefined) req = req.send(body as object);
    return (await req).status;
  }

  beforeAll(async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'glint-matrix-')), 'glint.yaml');
    writeFileSync(config, STORES_CONFIG);
    t = await startTestApp({ GLINT_AUTH: 'trusted' }, config);
    for (const visibility of VISIBILITIES) {
      images[visibility] = await makeImage(visibility);
      dataImages[visibility] = await makeDataImage(visibility);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(parseTable().map((row) => [`${row.method} ${row.path}`, row] as const))(
    '%s',
    async (_name, row) => {
      const groups: string[] = [];
      for (const persona of Object.keys(PERSONAS) as Persona[]) {
        const codes: number[] = [];
        for (const visibility of VISIBILITIES) codes.push(await call(row, persona, visibility));
        groups.push(codes.join(' '));
      }
      expect(groups.join(' | ')).toBe(row.expected);
    },
  );
});
