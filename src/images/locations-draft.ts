import type { RequestContext } from '../auth/request-context.js';
import type { ImageRecord } from './image-record.js';
import type { PatchOp } from './json-patch.js';

/**
 * The legacy PATCH operations on `/locations` (show_multiple_locations) of one request. The image
 * data feature owns locations, so it supplies this: `apply` checks one operation against the
 * working copy of the image (it may set its status, size and hashes, as a first location makes a
 * queued image active); `active` is the location list to save with the image, undefined when no
 * operation changed it; `afterSave`, called once the image and its locations are saved, removes
 * the data of the locations that were removed.
 */
export interface LocationsDraft {
  apply(ctx: RequestContext, image: ImageRecord, op: PatchOp): Promise<void>;
  active(): Array<{ url: string; metadata: Record<string, unknown> }> | undefined;
  afterSave(): Promise<void>;
}

export type LocationsDraftFactory = (image: ImageRecord) => Promise<LocationsDraft>;
