import { loadConfig } from '../config/app-config.js';
import { RequestContext } from '../auth/request-context.js';
import { ForbiddenError, NotFoundError, PolicyDeniedError } from '../common/errors/domain-errors.js';
import { PolicyService } from '../policy/policy.service.js';
import type { Notifier } from '../notifications/notifier.js';
import type { ImageRecord } from './image-record.js';
import { ImageSchemaRegistry } from './image-schemas.js';
import type { ImagesRepository } from './images.repository.js';
import { ImagesService } from './images.service.js';

const IMAGE_ID = '11111111-2222-4333-8444-555555555555';

function activeImage(overrides: Partial<ImageRecord> = {}): ImageRecord {
  const at = new Date('2026-01-02T03:04:05.678Z');
  return {
    id: IMAGE_ID,
    name: 'img',
    status: 'active',
    visibility: 'shared',
    protected: false,
    osHidden: false,
    owner: 'p1',
    minDisk: 0,
    minRam: 0,
    containerFormat: 'bare',
    diskFormat: 'raw',
    size: 10,
    virtualSize: 10,
    checksum: 'c'.repeat(32),
    osHashAlgo: 'sha512',
    osHashValue: 'h'.repeat(128),
    createdAt: at,
    updatedAt: at,
    deleted: false,
    deletedAt: null,
    properties: { foo: 'bar' },
    tags: ['t'],
    ...overrides,
  };
}

function setup(images: ImageRecord[]) {
  const config = loadConfig({});
  const rows = new Map(images.map((i) => [i.id, i]));
  const repo = {
    findById: (id: string) => Promise.resolve(rows.get(id) ?? null),
    markDeleted: (id: string) => Promise.resolve(rows.delete(id)),
    useMembership: () => undefined,
  } as unknown as ImagesRepository;
  const sent: Array<{ event: string; payload: unknown }> = [];
  const notifier = {
    notify: (event: string, payload: unknown) => {
      sent.push({ event, payload });
      return undefined;
    },
  } as unknown as Notifier;
  const service = new ImagesService(
    repo,
    new PolicyService(config),
    notifier,
    new ImageSchemaRegistry(config),
    config,
  );
  return { service, sent, rows };
}

const ownerCtx = new RequestContext('u1', 'p1', ['member', 'reader'], false);
const readerCtx = new RequestContext('u2', 'p1', ['reader'], false);
const otherCtx = new RequestContext('u3', 'p2', ['member', 'reader'], false);

describe('ImagesService.remove', () => {
  it('sends image.delete without locations, os_hidden or hashes', async () => {
    const { service, sent } = setup([activeImage()]);
    await service.remove(ownerCtx, IMAGE_ID);
    const [n] = sent;
    expect(n.event).toBe('image.delete');
    expect(n.payload).toMatchObject({ id: IMAGE_ID, deleted: true, status: 'deleted', is_public: false });
    expect(n.payload).not.toHaveProperty('locations');
    expect(n.payload).not.toHaveProperty('os_hidden');
    expect(n.payload).not.toHaveProperty('os_hash_value');
  });

  it('refuses protected images before running delete hooks', async () => {
    const { service, sent, rows } = setup([activeImage({ protected: true })]);
    let hooked = false;
    service.registerDeleteHook(() => {
      hooked = true;
      return Promise.resolve();
    });
    await expect(service.remove(ownerCtx, IMAGE_ID)).rejects.toBeInstanceOf(ForbiddenError);
    expect(hooked).toBe(false);
    expect(rows.has(IMAGE_ID)).toBe(true);
    expect(sent).toEqual([]);
  });

  it('answers 404 to projects that cannot see the image and 403 to readers who can', async () => {
    const { service } = setup([activeImage()]);
    await expect(service.remove(otherCtx, IMAGE_ID)).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.remove(readerCtx, IMAGE_ID)).rejects.toBeInstanceOf(PolicyDeniedError);
  });
});

describe('ImagesService.isVisible', () => {
  it('follows Glance: public and community for all, shared only for members', () => {
    const { service } = setup([]);
    expect(service.isVisible(otherCtx, activeImage({ visibility: 'community' }))).toBe(true);
    expect(service.isVisible(otherCtx, activeImage({ visibility: 'shared' }))).toBe(false);
    expect(service.isVisible(otherCtx, activeImage({ visibility: 'shared', callerIsMember: true }))).toBe(
      true,
    );
    expect(service.isVisible(otherCtx, activeImage({ visibility: 'private', callerIsMember: true }))).toBe(
      false,
    );
  });
});
