import type { ImageStatus, ImageVisibility } from './image.entity.js';
import type { ImageEventPayload } from '../client/contract.js';

/** An image as the domain sees it: the row, its additional properties and its tags. */
export interface ImageRecord {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: ImageVisibility;
  protected: boolean;
  osHidden: boolean;
  owner: string | null;
  minDisk: number;
  minRam: number;
  containerFormat: string | null;
  diskFormat: string | null;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  createdAt: Date;
  updatedAt: Date;
  deleted: boolean;
  deletedAt: Date | null;
  properties: Record<string, string | null>;
  tags: string[];
  /** Stores holding the data (comma list, location order), known in multi-store mode only. */
  stores?: string | null;
  /**
   * Active locations in order; loaded only when show_multiple_locations or show_image_direct_url
   * is on, and emptied for callers who may not see them.
   */
  locations?: Array<{ url: string; metadata: Record<string, unknown> }>;
  /** Set by ImagesService when show_multiple_locations is on: the view lists the locations. */
  showLocations?: boolean;
  /** Set by ImagesService when show_image_direct_url is on and there is a location. */
  directUrl?: string;
  /**
   * The caller's project is a (non-owner) member of this image, whatever the member status;
   * only set when the record was loaded for a caller and membership is known.
   */
  callerIsMember?: boolean;
}

/** Glance's timestamp form: UTC, whole seconds, `Z`. */
export function isoSeconds(date: Date): string {
  return date.toISOString().slice(0, 19) + 'Z';
}

/** Properties the server keeps for itself and never shows. */
const HIDDEN_PROPERTIES = new Set(['os_glance_stage_host', 'os_glance_hash_op_host']);

/** The image as the API shows it (create, show, update, each list element). */
export function imageView(image: ImageRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(image.properties)) {
    if (!HIDDEN_PROPERTIES.has(name)) view[name] = value;
  }
  Object.assign(view, {
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.osHidden,
    owner: image.owner,
    checksum: image.checksum,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    size: image.size,
    virtual_size: image.virtualSize,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    container_format: image.containerFormat,
    disk_format: image.diskFormat,
    created_at: isoSeconds(image.createdAt),
    updated_at: isoSeconds(image.updatedAt),
    tags: image.tags,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  });
  if (image.showLocations)
    view.locations = (image.locations ?? []).map((l) => ({ url: l.url, metadata: l.metadata }));
  if (image.directUrl) view.direct_url = image.directUrl;
  if (image.stores) view.stores = image.stores;
  return view;
}

/** Glance's notification payload (no locations, os_hidden or os_hash_*): the mesh contract's type. */
export type ImagePayload = ImageEventPayload;

export function imagePayload(image: ImageRecord): ImagePayload {
  return {
    id: image.id,
    name: image.name,
    status: image.status,
    created_at: isoSeconds(image.createdAt),
    updated_at: isoSeconds(image.updatedAt),
    min_disk: image.minDisk,
    min_ram: image.minRam,
    protected: image.protected,
    checksum: image.checksum,
    owner: image.owner,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    size: image.size,
    virtual_size: image.virtualSize,
    is_public: image.visibility === 'public',
    visibility: image.visibility,
    properties: { ...image.properties },
    tags: [...image.tags],
    deleted: image.deleted,
    deleted_at: image.deletedAt ? isoSeconds(image.deletedAt) : null,
  };
}
