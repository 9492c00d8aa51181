/**
 * The mesh contract shared by Glint's listeners and GlintClient: message patterns, message and
 * reply shapes, notification payloads. Plain types and constants only, so that this folder can
 * become its own package.
 */

/**
 * Message patterns, without the deployment's prefix (`GLINT_MESH_PREFIX`, `glint` by default):
 * the wire pattern is `<prefix>.<pattern>`.
 */
export const MESH_PATTERNS = {
  getImage: 'image.get',
  listImages: 'image.list',
  createImage: 'image.create',
  updateImage: 'image.update',
  deleteImage: 'image.delete',
  addTag: 'image.tag.add',
  removeTag: 'image.tag.remove',
  deactivateImage: 'image.deactivate',
  reactivateImage: 'image.reactivate',
  listMembers: 'image.member.list',
  getMember: 'image.member.get',
  addMember: 'image.member.create',
  updateMember: 'image.member.update',
  removeMember: 'image.member.delete',
  importImage: 'image.import',
  listImageTasks: 'image.task.list',
  getTask: 'task.get',
  listTasks: 'task.list',
} as const;
export type MeshPatternName = keyof typeof MESH_PATTERNS;

/**
 * Who is calling, as Keystone would have said it (the fields of Glance's request context). The
 * listener trusts it the way GLINT_AUTH=trusted trusts a gateway's headers.
 */
export interface MeshIdentity {
  user_id?: string | null;
  project_id?: string | null;
  roles?: string[];
  service_roles?: string[];
  domain_id?: string | null;
  user_domain_id?: string | null;
  project_domain_id?: string | null;
  system_scope?: string | null;
  user_name?: string | null;
  project_name?: string | null;
  request_id?: string;
}

/** Every mesh message: the caller, the optional shared token, then the operation's fields. */
export interface MeshEnvelope {
  identity?: MeshIdentity;
  token?: string;
}

/** What a refused or failed call replies: Glance's HTTP status as `code`, and its message. */
export interface MeshErrorBody {
  code: number;
  message: string;
}

/** A JSON-patch operation as PATCH /v2/images/{id} takes it (media type v2.1). */
export type ImagePatchOp =
  { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** POST /v2/images/{id}/import's body. */
export interface ImportRequest {
  method: { name: 'glance-direct' | 'web-download' | 'copy-image' | (string & {}); uri?: string } & Record<
    string,
    unknown
  >;
  stores?: string[];
  all_stores?: boolean;
  all_stores_must_succeed?: boolean;
}

/** A list call's query: the HTTP route's query parameters, as an object or a query string. */
export type MeshQuery = string | Record<string, string | number | boolean | Array<string | number>>;

/** The fields each pattern reads besides the envelope. */
export interface MeshRequests {
  getImage: { id: string };
  listImages: { query?: MeshQuery };
  createImage: { image: Record<string, unknown> };
  updateImage: { id: string; ops: ImagePatchOp[]; media_type?: string };
  deleteImage: { id: string };
  addTag: { id: string; tag: string };
  removeTag: { id: string; tag: string };
  deactivateImage: { id: string };
  reactivateImage: { id: string };
  listMembers: { image_id: string };
  getMember: { image_id: string; member_id: string };
  addMember: { image_id: string; member: string };
  updateMember: { image_id: string; member_id: string; status: MemberStatus };
  removeMember: { image_id: string; member_id: string };
  /** `store` stands for the X-Image-Meta-Store header. */
  importImage: { id: string; body: ImportRequest; store?: string };
  listImageTasks: { id: string };
  getTask: { id: string };
  listTasks: { query?: MeshQuery };
}

/** An image as GET /v2/images/{id} shows it (additional properties are extra keys). */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  protected: boolean;
  os_hidden: boolean;
  owner: string | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  size: number | null;
  virtual_size: number | null;
  min_disk: number;
  min_ram: number;
  container_format: string | null;
  disk_format: string | null;
  created_at: string;
  updated_at: string;
  tags: string[];
  self: string;
  file: string;
  schema: string;
  [property: string]: unknown;
}

/** GET /v2/images's body. */
export interface GlanceImageList {
  images: GlanceImage[];
  first: string;
  next?: string;
  schema: string;
}

export type MemberStatus = 'pending' | 'accepted' | 'rejected';

/** A membership as GET /v2/images/{id}/members/{member} shows it. */
export interface GlanceMember {
  image_id: string;
  member_id: string;
  status: MemberStatus;
  created_at: string;
  updated_at: string;
  schema: string;
}

export interface GlanceMemberList {
  members: GlanceMember[];
  schema: string;
}

/** A task as GET /v2/tasks/{id} shows it. */
export interface GlanceTask {
  id: string;
  type: string;
  status: 'pending' | 'processing' | 'success' | 'failure';
  owner: string | null;
  input: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  message: string;
  created_at: string;
  updated_at: string;
  expires_at?: string;
  image_id?: string;
  request_id?: string;
  user_id?: string;
  self: string;
  schema: string;
}

/** GET /v2/tasks's body: entries without input, result and message. */
export interface GlanceTaskList {
  tasks: Array<Omit<GlanceTask, 'input' | 'result' | 'message' | 'image_id' | 'request_id' | 'user_id'>>;
  first: string;
  next?: string;
  schema: string;
}

/** GET /v2/images/{id}/tasks's entry: the task's row, as Glance returns it. */
export interface GlanceImageTask {
  id: string;
  type: string;
  status: string;
  owner: string | null;
  image_id: string | null;
  request_id: string | null;
  user_id: string | null;
  input: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  message: string;
  expires_at: string | null;
  created_at: string | null;
  updated_at: string | null;
  deleted_at: string | null;
  deleted: boolean;
  /** Glint's addition: bytes done so far by a task that reports progress. */
  progress_bytes: number | null;
  progress_total: number | null;
}

export interface MeshReplies {
  getImage: GlanceImage;
  listImages: GlanceImageList;
  createImage: GlanceImage;
  updateImage: GlanceImage;
  deleteImage: null;
  addTag: null;
  removeTag: null;
  deactivateImage: null;
  reactivateImage: null;
  listMembers: GlanceMemberList;
  getMember: GlanceMember;
  addMember: GlanceMember;
  updateMember: GlanceMember;
  removeMember: null;
  importImage: null;
  listImageTasks: { tasks: GlanceImageTask[] };
  getTask: GlanceTask;
  listTasks: GlanceTaskList;
}

/** Glance's image notification payload (no locations, os_hidden or os_hash_*). */
export interface ImageEventPayload {
  id: string;
  name: string | null;
  status: string;
  created_at: string;
  updated_at: string;
  min_disk: number;
  min_ram: number;
  protected: boolean;
  checksum: string | null;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  is_public: boolean;
  visibility: string;
  properties: Record<string, string | null>;
  tags: string[];
  deleted: boolean;
  deleted_at: string | null;
}

export interface MemberEventPayload {
  image_id: string;
  member_id: string;
  status: string;
  created_at: string;
  updated_at: string;
  deleted: boolean;
  deleted_at: string | null;
}

export interface TaskEventPayload {
  id: string;
  type: string;
  status: string;
  result: null;
  owner: string;
  message: null;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  deleted: boolean;
  deleted_at: string | null;
}

/** Each Glance event type and its payload (spec §6). */
export interface GlintEventPayloads {
  'image.create': ImageEventPayload;
  'image.update': ImageEventPayload;
  'image.delete': ImageEventPayload;
  'image.prepare': ImageEventPayload & Record<string, unknown>;
  /** A string when the upload failed (ERROR priority). */
  'image.upload': (ImageEventPayload & Record<string, unknown>) | string;
  'image.activate': ImageEventPayload;
  'image.send': {
    bytes_sent: number;
    image_id: string;
    owner_id: string | null;
    receiver_tenant_id: string | null;
    receiver_user_id: string | null;
  };
  'image.member.create': MemberEventPayload;
  'image.member.update': MemberEventPayload;
  'image.member.delete': MemberEventPayload;
  'task.create': TaskEventPayload;
  'task.processing': TaskEventPayload;
  'task.success': TaskEventPayload;
  'task.failure': TaskEventPayload;
  'task.run': TaskEventPayload;
  'task.delete': TaskEventPayload;
}
export type GlintEventType = keyof GlintEventPayloads;

/** A notification in oslo.messaging's envelope, as Glint's sinks publish it. */
export interface GlintNotification<E extends GlintEventType = GlintEventType> {
  message_id: string;
  publisher_id: string;
  event_type: E;
  priority: 'INFO' | 'WARN' | 'ERROR';
  timestamp: string;
  payload: GlintEventPayloads[E];
}
