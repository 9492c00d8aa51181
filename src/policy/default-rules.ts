/**
 * Glance's default policy rules, as data. NEW_DEFAULTS are the secure-RBAC rules Glance enforces
 * by default since 2023.1 (reader / member / admin, project scope). LEGACY_DEFAULTS are the
 * deprecated ones selected by `oslo_policy.enforce_new_defaults: false`: Glance OR-s every new
 * rule with its deprecated default, which for most image rules is "allow", and then checks image
 * ownership in code instead.
 */

const ADMIN = 'rule:context_is_admin';
const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
const ADMIN_OR_PROJECT_MEMBER = `${ADMIN} or (${PROJECT_MEMBER})`;
const ADMIN_OR_PROJECT_READER = `${ADMIN} or (${PROJECT_READER})`;
const VISIBLE_TO =
  'project_id:%(project_id)s or project_id:%(member_id)s or "community":%(visibility)s or "public":%(visibility)s or "shared":%(visibility)s';
const ADMIN_OR_READER_GET_IMAGE = `${ADMIN} or (role:reader and (${VISIBLE_TO}))`;
const ADMIN_OR_MEMBER_DOWNLOAD_IMAGE = `${ADMIN} or (role:member and (${VISIBLE_TO}))`;
const ADMIN_OR_SHARED_MEMBER = `${ADMIN} or (role:member and project_id:%(member_id)s)`;
const ADMIN_OR_READER_OR_SHARED_MEMBER = `${ADMIN} or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))`;
const SERVICE = 'rule:service_api';
const SERVICE_OR_PROJECT_MEMBER = `${SERVICE} or (${PROJECT_MEMBER})`;
const METADEF_READ = `${ADMIN} or (role:reader and (project_id:%(project_id)s or "public":%(visibility)s))`;

const METADEF_WRITES = [
  'add_metadef_namespace',
  'modify_metadef_namespace',
  'delete_metadef_namespace',
  'add_metadef_object',
  'modify_metadef_object',
  'delete_metadef_object',
  'add_metadef_property',
  'modify_metadef_property',
  'remove_metadef_property',
  'add_metadef_tag',
  'add_metadef_tags',
  'modify_metadef_tag',
  'delete_metadef_tag',
  'delete_metadef_tags',
  'add_metadef_resource_type_association',
  'remove_metadef_resource_type_association',
];
const METADEF_READS = [
  'get_metadef_namespace',
  'get_metadef_object',
  'get_metadef_objects',
  'get_metadef_property',
  'get_metadef_properties',
  'get_metadef_tag',
  'get_metadef_tags',
  'get_metadef_resource_type',
  'list_metadef_resource_types',
];
const CACHE_RULES = [
  'cache_list',
  'cache_image',
  'cache_delete',
  'cache_clean',
  'cache_prune',
  'list_cached_nodes',
  'manage_image_cache',
];

const BASE: Record<string, string> = {
  context_is_admin: 'role:admin',
  default: '',
  service_api: 'role:service',
  metadef_admin: 'role:admin',
};

export const NEW_DEFAULTS: Record<string, string> = {
  ...BASE,
  add_image: ADMIN_OR_PROJECT_MEMBER,
  get_images: ADMIN_OR_PROJECT_READER,
  get_image: ADMIN_OR_READER_GET_IMAGE,
  modify_image: ADMIN_OR_PROJECT_MEMBER,
  publicize_image: ADMIN,
  communitize_image: ADMIN_OR_PROJECT_MEMBER,
  delete_image: ADMIN_OR_PROJECT_MEMBER,
  download_image: ADMIN_OR_MEMBER_DOWNLOAD_IMAGE,
  download_from_store: ADMIN_OR_MEMBER_DOWNLOAD_IMAGE,
  upload_image: ADMIN_OR_PROJECT_MEMBER,
  deactivate: ADMIN_OR_PROJECT_MEMBER,
  reactivate: ADMIN_OR_PROJECT_MEMBER,
  copy_image: ADMIN,
  get_image_location: ADMIN_OR_PROJECT_READER,
  set_image_location: ADMIN_OR_PROJECT_MEMBER,
  delete_image_location: ADMIN,
  add_image_location: `${SERVICE_OR_PROJECT_MEMBER} or ${ADMIN}`,
  fetch_image_location: `${SERVICE} or ${ADMIN}`,
  add_member: ADMIN_OR_PROJECT_MEMBER,
  delete_member: ADMIN_OR_PROJECT_MEMBER,
  get_member: ADMIN_OR_READER_OR_SHARED_MEMBER,
  get_members: ADMIN_OR_READER_OR_SHARED_MEMBER,
  modify_member: ADMIN_OR_SHARED_MEMBER,
  tasks_api_access: ADMIN,
  get_task: 'rule:default',
  get_tasks: 'rule:default',
  add_task: 'rule:default',
  modify_task: 'rule:default',
  stores_info_detail: `${ADMIN} or ${SERVICE}`,
  get_metadef_namespaces: ADMIN_OR_PROJECT_READER,
  ...Object.fromEntries(METADEF_READS.map((r) => [r, METADEF_READ])),
  ...Object.fromEntries(METADEF_WRITES.map((r) => [r, 'rule:metadef_admin'])),
  ...Object.fromEntries(CACHE_RULES.map((r) => [r, ADMIN])),
};

/** Rules whose deprecated default was admin-only; every other deprecated image rule allowed all. */
const LEGACY_ADMIN_ONLY = new Set([
  'publicize_image',
  'copy_image',
  'tasks_api_access',
  'stores_info_detail',
  'delete_image_location',
  'fetch_image_location',
  ...CACHE_RULES,
  ...METADEF_WRITES,
]);

export const LEGACY_DEFAULTS: Record<string, string> = Object.fromEntries(
  Object.entries(NEW_DEFAULTS).map(([name, rule]) => {
    if (name in BASE) return [name, rule];
    return [name, LEGACY_ADMIN_ONLY.has(name) ? ADMIN : `(${rule}) or rule:default`];
  }),
);

/** Rules whose legacy form leaves ownership to code ("You do not own this image"). */
export const LEGACY_OWNER_CHECKED = new Set([
  'add_image',
  'modify_image',
  'delete_image',
  'upload_image',
  'deactivate',
  'reactivate',
  'set_image_location',
  'add_member',
  'delete_member',
  'modify_member',
]);
