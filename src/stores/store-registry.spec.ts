import { join } from 'node:path';
import { ConfigError } from '../config/app-config.js';
import {
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
} from '../common/errors/domain-errors.js';
import { GlanceOptions } from '../config/glance-options.js';
import { S3StoreDriver } from './drivers/s3.driver.js';
import { StoreRegistry, buildStores } from './store-registry.js';

const DATA = '/var/lib/glint-test';

function registry(stores?: Record<string, unknown>): StoreRegistry {
  const glance = Object.assign(new GlanceOptions(), { stores });
  return new StoreRegistry({ dataDir: DATA, glance });
}

const MULTI = {
  enabled_backends: { fast: 'file', cold: 's3', web: 'http' },
  default_backend: 'fast',
  fast: { store_description: 'Fast disks', weight: 100, filesystem_store_datadir: '/srv/images' },
  cold: {
    s3_store_host: 'http://127.0.0.1:4569',
    s3_store_access_key: 'key',
    s3_store_secret_key: 'secret',
    s3_store_bucket: 'images',
    s3_store_large_object_chunk_size: 8,
    s3_store_thread_pools: 4,
    weight: 50,
  },
  web: { store_description: 'Somewhere else' },
};

describe('StoreRegistry configuration', () => {
  it('without stores: one default file store under the data dir, plus the reserved stores', () => {
    const r = registry();
    expect(r.multiStore).toBe(false);
    expect(r.defaultStore.driver.detailProperties()).toMatchObject({ data_dir: `${join(DATA, 'images')}/` });
    expect(r.staging.driver.detailProperties()).toMatchObject({ data_dir: `${join(DATA, 'staging')}/` });
    expect(r.tasks.driver.detailProperties()).toMatchObject({ data_dir: `${join(DATA, 'tasks')}/` });
    expect(r.list().map((s) => s.id)).toEqual(['default']);
    expect(() => r.info(false)).toThrow(new NotFoundError('Multi backend is not supported at this site.'));
  });

  it('single-store mode takes the default store type and its options side by side, as [glance_store]', () => {
    const r = registry({ ...MULTI.cold, default_store: 's3' });
    expect(r.defaultStore.type).toBe('s3');
    expect(r.defaultStore.driver).toBeInstanceOf(S3StoreDriver);
    // The X-Image-Meta-Store header is ignored without multi-store.
    expect(r.storeForWrite('anything').id).toBe('default');
  });

  it('multi-store: the stores in configured order, with Glance flags as strings', () => {
    const r = registry(MULTI);
    expect(r.multiStore).toBe(true);
    expect(r.info(false)).toEqual([
      { id: 'fast', description: 'Fast disks', default: 'true' },
      { id: 'cold' },
      { id: 'web', description: 'Somewhere else', 'read-only': 'true' },
    ]);
    expect(r.info(true)).toEqual([
      {
        id: 'fast',
        description: 'Fast disks',
        default: 'true',
        type: 'file',
        weight: 100,
        properties: { data_dir: '/srv/images/', chunk_size: 65536, thin_provisioning: false },
      },
      {
        id: 'cold',
        type: 's3',
        weight: 50,
        properties: {
          s3_store_large_object_size: 100,
          s3_store_large_object_chunk_size: 8,
          s3_store_thread_pools: 4,
        },
      },
      {
        id: 'web',
        description: 'Somewhere else',
        'read-only': 'true',
        type: 'http',
        weight: 0,
        properties: {},
      },
    ]);
  });

  it('puts the reserved stores where their sections say', () => {
    const r = registry({
      ...MULTI,
      os_glance_staging_store: { filesystem_store_datadir: '/fast/staging' },
      os_glance_tasks_store: { filesystem_store_datadir: 'work' },
    });
    expect(r.staging.driver.detailProperties()).toMatchObject({ data_dir: '/fast/staging/' });
    expect(r.tasks.driver.detailProperties()).toMatchObject({ data_dir: `${join(DATA, 'work')}/` });
    expect(r.info(false).map((s) => s.id)).toEqual(['fast', 'cold', 'web']);
  });

  it('shares staging: GLINT_STAGING_DIR wins over the section, or the staging store is an S3 bucket', () => {
    const glance = Object.assign(new GlanceOptions(), {
      stores: { ...MULTI, os_glance_staging_store: { filesystem_store_datadir: '/fast/staging' } },
    });
    const shared = new StoreRegistry({ dataDir: DATA, glance, stagingDir: '/mnt/shared/staging' });
    expect(shared.staging.driver.detailProperties()).toMatchObject({ data_dir: '/mnt/shared/staging/' });
    expect(shared.tasks.driver.detailProperties()).toMatchObject({ data_dir: `${join(DATA, 'tasks')}/` });

    const s3 = registry({ ...MULTI, os_glance_staging_store: { ...MULTI.cold, s3_store_bucket: 'staging' } });
    expect(s3.staging.type).toBe('s3');
    expect(s3.staging.reserved).toBe(true);
    expect(s3.info(false).map((s) => s.id)).toEqual(['fast', 'cold', 'web']);
    expect(() => registry({ ...MULTI, os_glance_staging_store: { s3_store_host: 'http://x' } })).toThrow(
      /os_glance_staging_store/,
    );
  });

  it.each([
    [
      { ...MULTI, enabled_backends: { ...MULTI.enabled_backends, odd: 'rbd' } },
      /stores\.enabled_backends\.odd: unknown store type "rbd"/,
    ],
    [
      { enabled_backends: { os_glance_mine: 'file' }, default_backend: 'os_glance_mine' },
      /os_glance_mine: store ids starting with os_glance_ are reserved/,
    ],
    [{ ...MULTI, default_backend: 'nope' }, /stores\.default_backend must name one of the enabled_backends/],
    [{ ...MULTI, default_backend: undefined }, /stores\.default_backend/],
    [{ ...MULTI, cold: { ...MULTI.cold, s3_store_bucket: undefined } }, /stores\.cold\.s3_store_bucket/],
    [
      { ...MULTI, cold: { ...MULTI.cold, s3_store_large_object_chunk_size: 1 } },
      /stores\.cold\.s3_store_large_object_chunk_size/,
    ],
    [
      { ...MULTI, cold: { ...MULTI.cold, s3_store_bucket_url_format: 'weird' } },
      /stores\.cold\.s3_store_bucket_url_format/,
    ],
    [
      { ...MULTI, fast: { ...MULTI.fast, filesystem_store_datadirs: ['/a'] } },
      /stores\.fast\.filesystem_store_datadirs: property filesystem_store_datadirs should not exist/,
    ],
    [{ ...MULTI, fast: { weight: 1 } }, /stores\.fast\.filesystem_store_datadir is required/],
    [{ ...MULTI, other: {} }, /stores\.other is not a store named in enabled_backends/],
    [{ ...MULTI, enabled_backends: {} }, /names no store/],
    [{ default_store: 'http' }, /stores\.default_store/],
    [{ default_store: 'file', filesystem_store_chunk_size: 'big' }, /stores\.filesystem_store_chunk_size/],
  ])('refuses a bad configuration %#, naming it', (stores, message) => {
    expect(() => buildStores(stores as Record<string, unknown>, DATA)).toThrow(ConfigError);
    expect(() => buildStores(stores as Record<string, unknown>, DATA)).toThrow(message);
  });
});

describe('StoreRegistry lookups', () => {
  const r = registry(MULTI);

  it('picks the upload store from X-Image-Meta-Store', () => {
    expect(r.storeForWrite(undefined).id).toBe('fast');
    expect(r.storeForWrite('cold').id).toBe('cold');
    expect(() => r.storeForWrite('nope')).toThrow(InvalidError);
    expect(() => r.storeForWrite('os_glance_staging_store')).toThrow(InvalidError);
    expect(() => r.storeForWrite('web')).toThrow(ForbiddenError);
  });

  it('answers 409 for a store this node does not have', () => {
    expect(r.availableStore('cold').id).toBe('cold');
    expect(() => r.availableStore('gone')).toThrow(
      new ConflictError('The selected store gone is not available on this node.'),
    );
  });

  it('finds the store of a location by its metadata, else by scheme', () => {
    expect(r.storeOf({ url: 'file:///srv/images/x', metadata: { store: 'fast' } }).id).toBe('fast');
    expect(r.storeOf('s3+http://127.0.0.1:4569/images/x').id).toBe('cold');
    expect(r.storeOf('https://example.com/image.qcow2').id).toBe('web');
    expect(() => r.storeOf('rbd://pool/image')).toThrow(NotFoundError);
    // Without metadata a file location is placed by its directory.
    expect(r.storeOf(`file://${join(DATA, 'staging', 'img')}`).id).toBe('os_glance_staging_store');
  });

  it('orders locations for reading: ?prefer first, then weight', () => {
    const loc = (store: string) => ({ url: `x://${store}`, metadata: { store } });
    const order = (prefer?: string[]) =>
      r.readOrder([loc('web'), loc('cold'), loc('fast')], prefer).map((l) => l.metadata.store);
    expect(order()).toEqual(['fast', 'cold', 'web']);
    expect(order(['web'])).toEqual(['web', 'fast', 'cold']);
  });

  it('refuses writes to a read-only store', async () => {
    await expect(r.write(r.get('web')!, 'id', undefined as never)).rejects.toBeInstanceOf(ForbiddenError);
  });
});
