import { Injectable } from '@nestjs/common';
import type { ImageStatus } from '../images/image.entity.js';
import type { ImageRecord } from '../images/image-record.js';
import { ImagesRepository } from '../images/images.repository.js';
import type {
  ImageAttributeChanges,
  ImageDataFields,
  ListCaller,
  LocationsChange,
  MembershipClause,
} from '../images/images.repository.js';
import type { ListQuery } from '../images/list-query.js';
import type { MemberStatus } from '../members/image-member.entity.js';
import type { MemberRecord } from '../members/member-record.js';
import { MembersRepository } from '../members/members.repository.js';
import { ImageLocationsRepository } from '../image-data/image-locations.repository.js';
import type {
  LocationStatus,
  PendingLocation,
  StoredLocation,
} from '../image-data/image-locations.repository.js';
import type { ImageLocation } from '../stores/store-registry.js';
import { ImageTasksSource } from '../tasks/image-tasks.source.js';
import type { TaskEntity } from '../tasks/task.entity.js';
import { RegistryClient } from './registry.client.js';

/** ImagesRepository over the registry: each method is one message, run there as one statement. */
@Injectable()
export class RemoteImagesRepository extends ImagesRepository {
  constructor(private readonly registry: RegistryClient) {
    super();
  }

  /**
   * The registry embeds its own Members clause in visibility and lookups (it always mounts the
   * member SQL); SQL cannot travel as a function, and the api process has none to send.
   */
  useMembership(_clause: MembershipClause): void {}

  /** The registry always loads locations (a subquery); whether they are shown is decided here. */
  loadLocations(): void {}

  private call<T>(operation: string, ...args: unknown[]): Promise<T> {
    return this.registry.call<T>('images', operation, args);
  }

  findById(id: string, memberOf?: string | null): Promise<ImageRecord | null> {
    return this.call('findById', id, memberOf);
  }
  idTaken(id: string): Promise<boolean> {
    return this.call('idTaken', id);
  }
  insert(image: ImageRecord): Promise<boolean> {
    return this.call('insert', image);
  }
  saveChanges(
    id: string,
    attributes: ImageAttributeChanges,
    updatedAt: Date,
    properties: { set: Record<string, string | null>; remove: string[] },
    tags: string[] | null,
    locations?: LocationsChange,
  ): Promise<boolean> {
    return this.call('saveChanges', id, attributes, updatedAt, properties, tags, locations);
  }
  setProperties(
    id: string,
    changes: { set: Record<string, string | null>; remove: string[] },
    expectedStatus?: ImageStatus,
  ): Promise<boolean> {
    return this.call('setProperties', id, changes, expectedStatus);
  }
  insertPropertyIfAbsent(id: string, name: string, value: string): Promise<boolean> {
    return this.call('insertPropertyIfAbsent', id, name, value);
  }
  compareAndSetStatus(
    id: string,
    from: ImageStatus,
    to: ImageStatus,
    fields?: ImageDataFields,
  ): Promise<boolean> {
    return this.call('compareAndSetStatus', id, from, to, fields);
  }
  touch(id: string): Promise<boolean> {
    return this.call('touch', id);
  }
  addTag(id: string, tag: string): Promise<boolean> {
    return this.call('addTag', id, tag);
  }
  removeTag(id: string, tag: string): Promise<boolean> {
    return this.call('removeTag', id, tag);
  }
  markDeleted(id: string, at: Date, status?: 'deleted' | 'pending_delete'): Promise<boolean> {
    return this.call('markDeleted', id, at, status);
  }
  markScrubbed(id: string): Promise<void> {
    return this.call('markScrubbed', id);
  }
  list(caller: ListCaller, query: ListQuery): Promise<ImageRecord[]> {
    return this.call('list', caller, query);
  }
}

@Injectable()
export class RemoteMembersRepository extends MembersRepository {
  constructor(private readonly registry: RegistryClient) {
    super();
  }

  private call<T>(operation: string, ...args: unknown[]): Promise<T> {
    return this.registry.call<T>('members', operation, args);
  }

  list(imageId: string, only?: string): Promise<MemberRecord[]> {
    return this.call('list', imageId, only);
  }
  find(imageId: string, member: string): Promise<MemberRecord | null> {
    return this.call('find', imageId, member);
  }
  countLive(imageId: string): Promise<number> {
    return this.call('countLive', imageId);
  }
  add(imageId: string, member: string, at: Date): Promise<MemberRecord | null> {
    return this.call('add', imageId, member, at);
  }
  setStatus(imageId: string, member: string, status: MemberStatus, at: Date): Promise<MemberRecord | null> {
    return this.call('setStatus', imageId, member, status, at);
  }
  remove(imageId: string, member: string, at: Date): Promise<boolean> {
    return this.call('remove', imageId, member, at);
  }
  removeAll(imageId: string, at: Date): Promise<void> {
    return this.call('removeAll', imageId, at);
  }
}

@Injectable()
export class RemoteImageLocationsRepository extends ImageLocationsRepository {
  constructor(private readonly registry: RegistryClient) {
    super();
  }

  private call<T>(operation: string, ...args: unknown[]): Promise<T> {
    return this.registry.call<T>('locations', operation, args);
  }

  list(imageId: string, status?: LocationStatus): Promise<StoredLocation[]> {
    return this.call('list', imageId, status);
  }
  listAll(imageId: string): Promise<StoredLocation[]> {
    return this.call('listAll', imageId);
  }
  add(imageId: string, location: ImageLocation, status?: LocationStatus): Promise<void> {
    return this.call('add', imageId, location, status);
  }
  setActive(imageId: string, locations: ImageLocation[]): Promise<void> {
    return this.call('setActive', imageId, locations);
  }
  remove(id: string): Promise<void> {
    return this.call('remove', id);
  }
  setStatus(id: string, status: LocationStatus): Promise<void> {
    return this.call('setStatus', id, status);
  }
  pendingDelete(limit: number, deletedBefore: Date, afterId?: string): Promise<PendingLocation[]> {
    return this.call('pendingDelete', limit, deletedBefore, afterId);
  }
  referencedElsewhere(url: string, exceptId: string): Promise<boolean> {
    return this.call('referencedElsewhere', url, exceptId);
  }
  /** The database lock cannot be held across the transport; API processes leave scrubbing to the registry. */
  whileScrubLockHeld<T>(_embedded: boolean, _work: () => Promise<T>): Promise<T | undefined> {
    return Promise.resolve(undefined);
  }
  projectUsage(owner: string | null): Promise<number> {
    return this.call('projectUsage', owner);
  }
}

@Injectable()
export class RemoteImageTasksSource extends ImageTasksSource {
  constructor(private readonly registry: RegistryClient) {
    super();
  }

  liveForImage(imageId: string, owner: string | null | undefined, now: Date): Promise<TaskEntity[]> {
    return this.registry.call('imageTasks', 'liveForImage', [imageId, owner, now]);
  }
}
