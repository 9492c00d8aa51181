import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import {
  detectRealClients,
  glance,
  glanceRequests,
  parseJsonCell,
  parseListTable,
  parsePropertyTable,
  runGlance,
  runSdk,
  stepResult,
} from '../support/real-clients.js';
import type { SdkImage, SdkRun, SdkStep } from '../support/real-clients.js';

/**
 * The real OpenStack clients (Debian's python3-glanceclient 4.1 and python3-openstacksdk 0.101)
 * against Glint over TCP, asserting what the clients report.
 *
 * Targets: by default each suite starts Glint in-process (noauth, and GLINT_AUTH=trusted). To
 * check the tests themselves against the real Glance, point them at the peer instead:
 *   REAL_CLIENTS_NOAUTH_URL   a Glance with the noauth pipeline (GLANCE_PEER_AUTH=noauth)
 *   REAL_CLIENTS_TRUSTED_URL  a Glance taking identity from headers (GLANCE_PEER_AUTH=headers)
 *
 * Without the Debian packages the suites are skipped with a warning, unless CI is set, where
 * they run and fail. The same holds while the server has no Images API (GET /v2/schemas/image
 * is not 200): skipped with a warning locally, a failure in CI.
 */

const CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const clients = detectRealClients();
const TIMEOUT = 300_000;

function warn(lines: string[]): void {
  const bar = '!'.repeat(100);
  console.warn([bar, ...lines.map((line) => `!! ${line}`), bar].join('\n'));
}

if (!clients.ok && !CI) {
  warn([
    'real-clients e2e tests SKIPPED: the OpenStack clients they drive are not installed.',
    ...clients.missing.map((m) => `missing: ${m}`),
    'Install: apt-get install python3-glanceclient python3-openstacksdk (CI=true makes this a failure).',
  ]);
}

interface Target {
  url: string;
  glint?: TestApp;
  /** Why the tests of this suite are skipped (outside CI only), or undefined to run them. */
  skip?: string;
}

async function openTarget(externalUrl: string | undefined, env: Record<string, string>): Promise<Target> {
  if (!clients.ok)
    throw new Error(`CI is set but the real clients are missing: ${clients.missing.join('; ')}`);
  let target: Target;
  if (externalUrl) {
    target = { url: externalUrl.replace(/\/+$/, '') };
  } else {
    const glint = await startTestApp(env);
    await glint.app.listen(0, '127.0.0.1');
    const { port } = glint.app.getHttpServer().address() as AddressInfo;
    target = { url: `http://127.0.0.1:${port}`, glint };
  }
  const probe = await fetch(`${target.url}/v2/schemas/image`, {
    headers: { 'X-Identity-Status': 'Confirmed', 'X-Roles': 'reader', 'X-Project-Id': 'probe' },
  });
  if (probe.status !== 200) {
    const reason = `${target.url} has no Images API yet (GET /v2/schemas/image answered ${probe.status})`;
    if (CI) {
      await target.glint?.close();
      throw new Error(reason);
    }
    warn([`real-clients e2e tests SKIPPED: ${reason}.`, 'CI=true makes this a failure.']);
    target.skip = reason;
  }
  return target;
}

const run = randomBytes(4).toString('hex');
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.skipIf(!clients.ok && !CI)('glanceclient CLI against a noauth server', () => {
  let target: Target;
  const ids: Record<string, string> = {};
  const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((n) => `rc-${run}-${n}`);
  const [alpha, bravo, charlie, delta, echo] = names;
  const tag1 = `rc-${run}-t1`;
  const tag2 = `rc-${run}-t2`;
  const tag3 = `rc-${run}-t3`;

  const cli = (args: string[], debug = false) => glance(target.url, args, { debug });
  const show = async (id: string) => parsePropertyTable((await cli(['image-show', id])).stdout);
  const list = async (args: string[]) =>
    parseListTable((await cli(['image-list', ...args])).stdout).map((row) => row.Name);

  beforeAll(async () => {
    target = await openTarget(process.env.REAL_CLIENTS_NOAUTH_URL, {});
  }, TIMEOUT);
  beforeEach((ctx) => {
    if (target?.skip) ctx.skip(target.skip);
  });
  afterAll(async () => {
    // Leaves a shared peer as it found it; Glint's database goes away with the app.
    if (target && !target.skip) {
      for (const id of Object.values(ids)) await runGlance(target.url, ['image-delete', id]);
    }
    await target?.glint?.close();
  }, TIMEOUT);

  it(
    'creates images with properties and tags (image-create)',
    async () => {
      const created = parsePropertyTable(
        (
          await cli([
            'image-create',
            '--name',
            alpha,
            '--disk-format',
            'raw',
            '--container-format',
            'bare',
            '--property',
            `run=${run}`,
            '--property',
            'color=red',
            '--tags',
            tag1,
            tag2,
          ])
        ).stdout,
      );
      expect(created.id).toMatch(uuidPattern);
      ids.alpha = created.id;
      expect(created).toMatchObject({
        name: alpha,
        status: 'queued',
        visibility: 'shared',
        disk_format: 'raw',
        container_format: 'bare',
        protected: 'False',
        os_hidden: 'False',
        min_disk: '0',
        min_ram: '0',
        size: 'None',
        owner: 'None',
        run,
        color: 'red',
      });
      expect(new Set(parseJsonCell(created.tags) as string[])).toEqual(new Set([tag1, tag2]));

      const more: [string, string, string[]][] = [
        ['bravo', bravo, ['--property', 'color=blue', '--tags', tag1]],
        ['charlie', charlie, ['--visibility', 'private']],
        ['delta', delta, ['--min-disk', '2', '--min-ram', '512']],
        ['echo', echo, ['--disk-format', 'qcow2']],
      ];
      for (const [key, name, extra] of more) {
        const image = parsePropertyTable(
          (
            await cli([
              'image-create',
              '--name',
              name,
              '--container-format',
              'bare',
              ...(extra.includes('--disk-format') ? [] : ['--disk-format', 'raw']),
              '--property',
              `run=${run}`,
              ...extra,
            ])
          ).stdout,
        );
        ids[key] = image.id;
        expect(image.name).toBe(name);
        expect(image.status).toBe('queued');
      }
      const charlieShown = await show(ids.charlie);
      expect(charlieShown.visibility).toBe('private');
      const deltaShown = await show(ids.delta);
      expect([deltaShown.min_disk, deltaShown.min_ram]).toEqual(['2', '512']);
      expect((await show(ids.echo)).disk_format).toBe('qcow2');
    },
    TIMEOUT,
  );

  it(
    'shows an image as it was created (image-show)',
    async () => {
      const shown = await show(ids.alpha);
      expect(shown).toMatchObject({ id: ids.alpha, name: alpha, status: 'queued', color: 'red', run });
      expect(shown.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(new Set(parseJsonCell(shown.tags) as string[])).toEqual(new Set([tag1, tag2]));
      const missing = await runGlance(target.url, ['image-show', '00000000-0000-4000-8000-000000000000']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/404 Not Found/);
    },
    TIMEOUT,
  );

  it(
    'prints the empty usage table and the "no cache API" answer as against Glance (usage, cache-list)',
    async () => {
      // Glance 25 without unified limits or an image cache prints exactly these.
      expect((await cli(['usage'])).stdout).toBe(
        '+-------+-------+-------+\n| Quota | Limit | Usage |\n+-------+-------+-------+\n+-------+-------+-------+\n',
      );
      const cache = await runGlance(target.url, ['cache-list']);
      expect(cache.code).not.toBe(0);
      expect(cache.stdout + cache.stderr).toContain('Glance does not support image caching API (v2.14)');
    },
    TIMEOUT,
  );

  it(
    'lists with property, visibility, tag and name filters (image-list)',
    async () => {
      // glanceclient sorts by name ascending unless told otherwise.
      expect(await list(['--property-filter', `run=${run}`])).toEqual(names);
      expect(await list(['--property-filter', `run=${run}`, '--property-filter', 'color=red'])).toEqual([
        alpha,
      ]);
      expect(await list(['--property-filter', `run=${run}`, '--visibility', 'private'])).toEqual([charlie]);
      expect(await list(['--property-filter', `run=${run}`, '--visibility', 'shared'])).toEqual([
        alpha,
        bravo,
        delta,
        echo,
      ]);
      expect(await list(['--tag', tag1])).toEqual([alpha, bravo]);
      expect(await list(['--property-filter', `name=${delta}`])).toEqual([delta]);
      expect(
        await list(['--property-filter', `run=${run}`, '--sort-key', 'name', '--sort-dir', 'desc']),
      ).toEqual([...names].reverse());

      const verbose = parseListTable(
        (
          await cli([
            '-v',
            'image-list',
            '--property-filter',
            `run=${run}`,
            '--property-filter',
            'color=blue',
          ])
        ).stdout,
      );
      expect(verbose).toEqual([
        {
          ID: ids.bravo,
          Name: bravo,
          Disk_format: 'raw',
          Container_format: 'bare',
          Size: '',
          Status: 'queued',
          Owner: '',
        },
      ]);
    },
    TIMEOUT,
  );

  it(
    'follows next links when the page size is smaller than the result (--page-size, --limit)',
    async () => {
      const paged = await cli(['image-list', '--property-filter', `run=${run}`, '--page-size', '2'], true);
      expect(parseListTable(paged.stdout).map((r) => r.Name)).toEqual(names);
      const pages = glanceRequests(paged.stderr).filter((r) => r.path.startsWith('/v2/images?'));
      expect(pages.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(pages.every((r) => /[?&]limit=2(&|$)/.test(r.path))).toBe(true);
      expect(pages[0].path).not.toMatch(/marker=/);
      expect(pages[1].path).toContain(`marker=${ids.bravo}`);
      expect(pages[2].path).toContain(`marker=${ids.delta}`);

      const limited = await cli(
        ['image-list', '--property-filter', `run=${run}`, '--page-size', '2', '--limit', '3'],
        true,
      );
      expect(parseListTable(limited.stdout).map((r) => r.Name)).toEqual([alpha, bravo, charlie]);
      expect(glanceRequests(limited.stderr).filter((r) => r.path.startsWith('/v2/images?'))).toHaveLength(2);
    },
    TIMEOUT,
  );

  it(
    'updates the name, sets and removes custom properties (image-update)',
    async () => {
      const updated = parsePropertyTable(
        (
          await cli([
            'image-update',
            ids.alpha,
            '--name',
            `${alpha}-renamed`,
            '--property',
            'color=green',
            '--property',
            'extra=1',
            '--remove-property',
            'run',
          ])
        ).stdout,
      );
      expect(updated).toMatchObject({
        name: `${alpha}-renamed`,
        color: 'green',
        extra: '1',
        status: 'queued',
      });
      expect(updated).not.toHaveProperty('run');
      const shown = await show(ids.alpha);
      expect(shown).toMatchObject({ name: `${alpha}-renamed`, color: 'green', extra: '1' });
      expect(shown).not.toHaveProperty('run');
      expect(await list(['--property-filter', `run=${run}`])).toEqual([bravo, charlie, delta, echo]);
    },
    TIMEOUT,
  );

  it(
    'adds and removes tags (image-tag-update, image-tag-delete)',
    async () => {
      await cli(['image-tag-update', ids.alpha, tag3]);
      await cli(['image-tag-update', ids.alpha, tag3]); // adding a tag twice is a no-op
      await cli(['image-tag-delete', ids.alpha, tag1]);
      expect(new Set(parseJsonCell((await show(ids.alpha)).tags) as string[])).toEqual(new Set([tag2, tag3]));
      expect(await list(['--tag', tag1])).toEqual([bravo]);
      expect(await list(['--tag', tag3])).toEqual([`${alpha}-renamed`]);
      const absent = await runGlance(target.url, ['image-tag-delete', ids.alpha, tag1]);
      expect(absent.code).not.toBe(0);
      expect(absent.stderr).toMatch(/404 Not Found/);
    },
    TIMEOUT,
  );

  it(
    'refuses to deactivate a queued image with 403 (image-deactivate)',
    async () => {
      const refused = await runGlance(target.url, ['image-deactivate', ids.bravo]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(
        /HTTP 403 Forbidden: Not allowed to deactivate image in status (&#x27;|')queued(&#x27;|')/,
      );
      expect((await show(ids.bravo)).status).toBe('queued');
    },
    TIMEOUT,
  );

  it(
    'deactivates and reactivates an image that has data (image-upload, image-deactivate, image-reactivate)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'glint-rc-data-'));
      try {
        const data = randomBytes(4096);
        const file = join(dir, 'disk.raw');
        writeFileSync(file, data);
        await cli(['image-upload', '--file', file, ids.bravo]);
        const uploaded = await show(ids.bravo);
        expect(uploaded).toMatchObject({
          status: 'active',
          size: '4096',
          checksum: createHash('md5').update(data).digest('hex'),
          os_hash_algo: 'sha512',
          os_hash_value: createHash('sha512').update(data).digest('hex'),
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await cli(['image-deactivate', ids.bravo]);
      expect((await show(ids.bravo)).status).toBe('deactivated');
      await cli(['image-deactivate', ids.bravo]); // already deactivated: a no-op
      await cli(['image-reactivate', ids.bravo]);
      expect((await show(ids.bravo)).status).toBe('active');
    },
    TIMEOUT,
  );

  it(
    'deletes images (image-delete)',
    async () => {
      await cli(['image-delete', ids.alpha, ids.bravo]);
      const gone = await runGlance(target.url, ['image-show', ids.alpha]);
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toMatch(/404 Not Found/);
      delete ids.alpha;
      delete ids.bravo;
      expect(await list(['--property-filter', `run=${run}`])).toEqual([charlie, delta, echo]);
      await cli(['image-delete', ids.charlie, ids.delta, ids.echo]);
      for (const key of ['charlie', 'delta', 'echo']) delete ids[key];
      expect(await list(['--property-filter', `run=${run}`])).toEqual([]);
    },
    TIMEOUT,
  );
});

/** The openstacksdk steps of a whole image lifecycle, as one project sees it. */
function sdkLifecycle(prefix: string, tag: string): SdkStep[] {
  return [
    /* 0 */ {
      op: 'create',
      save: 'a',
      name: `${prefix}-a`,
      tags: [tag, `${tag}-x`],
      properties: { color: 'red', run },
    },
    /* 1 */ { op: 'create', save: 'b', name: `${prefix}-b`, tags: [tag], visibility: 'private' },
    /* 2 */ { op: 'create', save: 'c', name: `${prefix}-c`, tags: [tag], properties: { color: 'blue' } },
    /* 3 */ { op: 'show', image: '$a' },
    /* 4 */ { op: 'list', query: { tag, limit: 2, sort_key: 'name', sort_dir: 'asc' } },
    /* 5 */ { op: 'list', query: { tag, visibility: 'private' } },
    /* 6 */ { op: 'list', query: { tag: `${tag}-x` } },
    /* 7 */ { op: 'list', query: { tag, name: `${prefix}-c` } },
    /* 8 */ {
      op: 'update',
      image: '$a',
      attrs: { name: `${prefix}-a2`, min_ram: 256 },
      set_properties: { color: 'green', extra: 'yes' },
      remove_properties: ['run'],
    },
    /* 9 */ { op: 'add_tag', image: '$a', tag: `${tag}-y` },
    /* 10 */ { op: 'remove_tag', image: '$a', tag: `${tag}-x` },
    /* 11 */ { op: 'show', image: '$a' },
    /* 12 */ { op: 'deactivate', image: '$c' },
    /* 13 */ { op: 'upload', image: '$c', data: 'glint real-clients data' },
    /* 14 */ { op: 'deactivate', image: '$c' },
    /* 15 */ { op: 'show', image: '$c' },
    /* 16 */ { op: 'reactivate', image: '$c' },
    /* 17 */ { op: 'show', image: '$c' },
    /* 18 */ { op: 'delete', image: '$a' },
    /* 19 */ { op: 'show', image: '$a' },
    /* 20 */ { op: 'list', query: { tag } },
    /* 21 */ { op: 'delete', image: '$b' },
    /* 22 */ { op: 'delete', image: '$c' },
    /* 23 */ { op: 'list', query: { tag } },
  ];
}

/** Assertions on an sdkLifecycle run that hold in every auth mode. */
function expectLifecycle(result: SdkRun, prefix: string, tag: string, owner: string | null): void {
  const a = stepResult<SdkImage>(result, 0);
  expect(a.id).toMatch(uuidPattern);
  expect(a).toMatchObject({
    name: `${prefix}-a`,
    status: 'queued',
    visibility: 'shared',
    owner_id: owner,
    disk_format: 'raw',
    container_format: 'bare',
    is_protected: false,
    is_hidden: false,
  });
  expect(a.properties).toMatchObject({ color: 'red', run });
  expect(new Set(a.tags)).toEqual(new Set([tag, `${tag}-x`]));
  expect(stepResult<SdkImage>(result, 1).visibility).toBe('private');
  expect(stepResult<SdkImage>(result, 3)).toMatchObject({ id: a.id, name: `${prefix}-a`, owner_id: owner });

  // limit is the SDK's page size: it follows next until the list is exhausted.
  expect(stepResult<SdkImage[]>(result, 4).map((i) => i.name)).toEqual(
    ['a', 'b', 'c'].map((s) => `${prefix}-${s}`),
  );
  const pages = result.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v2/images?'));
  const firstList = pages.filter((r) => /[?&]limit=2(&|$)/.test(r.path));
  expect(firstList.length).toBeGreaterThanOrEqual(2);
  expect(firstList[1].path).toMatch(/marker=/);
  expect(stepResult<SdkImage[]>(result, 5).map((i) => i.name)).toEqual([`${prefix}-b`]);
  expect(stepResult<SdkImage[]>(result, 6).map((i) => i.name)).toEqual([`${prefix}-a`]);
  expect(stepResult<SdkImage[]>(result, 7).map((i) => i.name)).toEqual([`${prefix}-c`]);

  const updated = stepResult<SdkImage>(result, 8);
  expect(updated).toMatchObject({ name: `${prefix}-a2`, min_ram: 256 });
  expect(updated.properties).toMatchObject({ color: 'green', extra: 'yes' });
  expect(updated.properties).not.toHaveProperty('run');
  const retagged = stepResult<SdkImage>(result, 11);
  expect(new Set(retagged.tags)).toEqual(new Set([tag, `${tag}-y`]));
  expect(retagged).toMatchObject({ name: `${prefix}-a2`, min_ram: 256 });
  expect(retagged.properties).not.toHaveProperty('run');

  // The SDK does not raise on action errors; the status it got is in the request log.
  const actions = result.requests.filter((r) => r.path.includes('/actions/'));
  expect(actions.map((r) => [r.path.replace(/.*\/actions\//, ''), r.status])).toEqual([
    ['deactivate', 403],
    ['deactivate', 204],
    ['reactivate', 204],
  ]);
  stepResult(result, 13);
  expect(stepResult<SdkImage>(result, 15)).toMatchObject({ status: 'deactivated', size: 23 });
  expect(stepResult<SdkImage>(result, 17)).toMatchObject({ status: 'active', size: 23 });

  stepResult(result, 18);
  expect(result.steps[19]).toMatchObject({
    ok: false,
    error: { type: 'ResourceNotFound', http_status: 404 },
  });
  expect(
    stepResult<SdkImage[]>(result, 20)
      .map((i) => i.name)
      .sort(),
  ).toEqual([`${prefix}-b`, `${prefix}-c`]);
  stepResult(result, 21);
  stepResult(result, 22);
  expect(stepResult<SdkImage[]>(result, 23)).toEqual([]);
}

describe.skipIf(!clients.ok && !CI)('openstacksdk against a noauth server', () => {
  let target: Target;
  beforeAll(async () => {
    target = await openTarget(process.env.REAL_CLIENTS_NOAUTH_URL, {});
  }, TIMEOUT);
  beforeEach((ctx) => {
    if (target?.skip) ctx.skip(target.skip);
  });
  afterAll(async () => {
    await target?.glint?.close();
  }, TIMEOUT);

  it(
    'creates, shows, lists (filters, paging), updates, tags, deactivates, reactivates and deletes',
    async () => {
      const prefix = `sdk-${run}`;
      const tag = `sdk-${run}-tag`;
      const result = await runSdk(target.url, sdkLifecycle(prefix, tag));
      expectLifecycle(result, prefix, tag, null);
      // Version discovery on the root, as with a catalog endpoint.
      expect(result.requests[0]).toMatchObject({ method: 'GET', path: '/', status: 300 });
    },
    TIMEOUT,
  );
});

describe.skipIf(!clients.ok && !CI)('openstacksdk against a trusted-headers server, two projects', () => {
  let target: Target;
  const identity = (project: string, user: string) => ({
    'X-Identity-Status': 'Confirmed',
    'X-Project-Id': project,
    'X-Roles': 'member,reader',
    'X-User-Id': user,
  });
  const projectA = `rc-${run}-project-a`;
  const projectB = `rc-${run}-project-b`;

  beforeAll(async () => {
    target = await openTarget(process.env.REAL_CLIENTS_TRUSTED_URL, { GLINT_AUTH: 'trusted' });
  }, TIMEOUT);
  beforeEach((ctx) => {
    if (target?.skip) ctx.skip(target.skip);
  });
  afterAll(async () => {
    await target?.glint?.close();
  }, TIMEOUT);

  it(
    'runs the whole lifecycle as a project, sending the identity headers on every request',
    async () => {
      const prefix = `sdk-${run}-trusted`;
      const tag = `sdk-${run}-trusted-tag`;
      const result = await runSdk(target.url, sdkLifecycle(prefix, tag), {
        headers: identity(projectA, 'alice'),
      });
      expectLifecycle(result, prefix, tag, projectA);
      expect(result.requests.length).toBeGreaterThan(20);
      for (const request of result.requests) {
        expect(request.headers).toEqual({
          'x-identity-status': 'Confirmed',
          'x-project-id': projectA,
          'x-roles': 'member,reader',
          'x-user-id': 'alice',
        });
      }
    },
    TIMEOUT,
  );

  it(
    'keeps the images of one project invisible to another',
    async () => {
      const tag = `sdk-${run}-tenancy`;
      const asA = await runSdk(
        target.url,
        [
          { op: 'create', save: 'shared', name: `${tag}-a-shared`, tags: [tag] },
          { op: 'create', save: 'private', name: `${tag}-a-private`, tags: [tag], visibility: 'private' },
        ],
        { headers: identity(projectA, 'alice') },
      );
      const sharedId = stepResult<SdkImage>(asA, 0).id;
      const privateId = stepResult<SdkImage>(asA, 1).id;

      const asB = await runSdk(
        target.url,
        [
          { op: 'create', save: 'mine', name: `${tag}-b`, tags: [tag] },
          { op: 'list', query: { tag } },
          { op: 'show', image: sharedId },
          { op: 'show', image: privateId },
          { op: 'update', image: sharedId, attrs: { name: 'stolen' } },
          { op: 'add_tag', image: sharedId, tag: 'stolen' },
          { op: 'delete', image: privateId },
          { op: 'list', query: { tag, visibility: 'shared' } },
        ],
        { headers: identity(projectB, 'bob') },
      );
      const bImage = stepResult<SdkImage>(asB, 0);
      expect(bImage.owner_id).toBe(projectB);
      expect(stepResult<SdkImage[]>(asB, 1).map((i) => i.id)).toEqual([bImage.id]);
      for (const index of [2, 3, 4, 6]) {
        expect(asB.steps[index]).toMatchObject({ ok: false, error: { http_status: 404 } });
      }
      // add_tag does not raise either; the 404 is on the wire.
      expect(
        asB.requests.find((r) => r.method === 'PUT' && r.path === `/v2/images/${sharedId}/tags/stolen`)
          ?.status,
      ).toBe(404);
      expect(stepResult<SdkImage[]>(asB, 7).map((i) => i.id)).toEqual([bImage.id]);

      const back = await runSdk(
        target.url,
        [
          { op: 'list', query: { tag } },
          { op: 'show', image: sharedId },
          { op: 'delete', image: sharedId },
          { op: 'delete', image: privateId },
        ],
        { headers: identity(projectA, 'alice') },
      );
      expect(
        stepResult<SdkImage[]>(back, 0)
          .map((i) => i.name)
          .sort(),
      ).toEqual([`${tag}-a-private`, `${tag}-a-shared`]);
      const shared = stepResult<SdkImage>(back, 1);
      expect(shared.name).toBe(`${tag}-a-shared`);
      expect(shared.tags).toEqual([tag]);
      stepResult(back, 2);
      stepResult(back, 3);

      const cleanup = await runSdk(target.url, [{ op: 'delete', image: bImage.id }], {
        headers: identity(projectB, 'bob'),
      });
      stepResult(cleanup, 0);
    },
    TIMEOUT,
  );
});
