/**
 * Secure-RBAC personas and what Glance's default rules let each do (spec §5.2), as one table that
 * both the PolicyService unit test (src/policy/personas.spec.ts) and the real-Keystone e2e test
 * (test/e2e/keystone.e2e-spec.ts) run. Add a row when a rule matters; add an ENDPOINT_CASES row
 * when an endpoint exists: rows whose route is not mounted yet are skipped, so the table grows as
 * features merge (the images rows run as soon as /v2/images is served).
 */

export type Persona =
  | 'admin' // admin (⇒ member ⇒ reader) in project P
  | 'member' // member (⇒ reader) in P
  | 'reader' // reader in P
  | 'otherMember' // member in project Q
  | 'serviceUser' // the service role only, in the service project S (Nova, Cinder…)
  | 'systemAdmin'; // admin on the system scope: every Glance rule is project-scoped

export const PERSONAS: Persona[] = ['admin', 'member', 'reader', 'otherMember', 'serviceUser', 'systemAdmin'];

export interface PersonaIdentity {
  project: 'P' | 'Q' | 'S' | null;
  /** Roles the way Keystone puts them in a token: implied roles included. */
  roles: string[];
  system?: boolean;
}

export const IDENTITIES: Record<Persona, PersonaIdentity> = {
  admin: { project: 'P', roles: ['admin', 'member', 'reader'] },
  member: { project: 'P', roles: ['member', 'reader'] },
  reader: { project: 'P', roles: ['reader'] },
  otherMember: { project: 'Q', roles: ['member', 'reader'] },
  serviceUser: { project: 'S', roles: ['service'] },
  systemAdmin: { project: null, roles: ['admin', 'member', 'reader'], system: true },
};

/** A policy target with symbolic projects: 'P', 'Q', or 'own' (the caller's project). */
export interface SymbolicTarget {
  project_id?: 'P' | 'Q' | 'own';
  member_id?: 'P' | 'Q';
  visibility?: 'public' | 'private' | 'shared' | 'community';
}

export interface RuleCase {
  rule: string;
  target: SymbolicTarget;
  /** Who passes with the new defaults (enforce_new_defaults: true). */
  allowed: Persona[];
  /** Who passes with the legacy rules (enforce_new_defaults: false). */
  legacyAllowed: Persona[];
}

const ADMIN_ONLY: Persona[] = ['admin'];
/** Legacy rules OR the new ones with "allow", so everyone with a project-scoped token passes. */
const ALL_PROJECT_SCOPED: Persona[] = ['admin', 'member', 'reader', 'otherMember', 'serviceUser'];
const P_MEMBERS: Persona[] = ['admin', 'member'];
const P_READERS: Persona[] = ['admin', 'member', 'reader'];

export const RULE_CASES: RuleCase[] = [
  { rule: 'add_image', target: { project_id: 'P' }, allowed: P_MEMBERS, legacyAllowed: ALL_PROJECT_SCOPED },
  {
    rule: 'add_image',
    target: { project_id: 'own' },
    allowed: ['admin', 'member', 'otherMember'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'get_images',
    target: { project_id: 'own' },
    allowed: ['admin', 'member', 'reader', 'otherMember'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'get_image',
    target: { project_id: 'P', visibility: 'private' },
    allowed: P_READERS,
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'get_image',
    target: { project_id: 'P', visibility: 'public' },
    allowed: ['admin', 'member', 'reader', 'otherMember'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'get_image',
    target: { project_id: 'P', visibility: 'shared', member_id: 'Q' },
    allowed: ['admin', 'member', 'reader', 'otherMember'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'modify_image',
    target: { project_id: 'P' },
    allowed: P_MEMBERS,
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'delete_image',
    target: { project_id: 'P' },
    allowed: P_MEMBERS,
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'upload_image',
    target: { project_id: 'P' },
    allowed: P_MEMBERS,
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  { rule: 'publicize_image', target: { project_id: 'P' }, allowed: ADMIN_ONLY, legacyAllowed: ADMIN_ONLY },
  {
    rule: 'communitize_image',
    target: { project_id: 'P' },
    allowed: P_MEMBERS,
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    // A reader cannot download even a public image (spec Appendix C.10).
    rule: 'download_image',
    target: { project_id: 'P', visibility: 'public' },
    allowed: ['admin', 'member', 'otherMember'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  { rule: 'copy_image', target: { project_id: 'P' }, allowed: ADMIN_ONLY, legacyAllowed: ADMIN_ONLY },
  { rule: 'tasks_api_access', target: { project_id: 'own' }, allowed: ADMIN_ONLY, legacyAllowed: ADMIN_ONLY },
  {
    rule: 'add_image_location',
    target: { project_id: 'P' },
    allowed: ['admin', 'member', 'serviceUser'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'fetch_image_location',
    target: { project_id: 'P' },
    allowed: ['admin', 'serviceUser'],
    legacyAllowed: ADMIN_ONLY,
  },
  {
    rule: 'stores_info_detail',
    target: { project_id: 'own' },
    allowed: ['admin', 'serviceUser'],
    legacyAllowed: ADMIN_ONLY,
  },
  {
    rule: 'get_members',
    target: { project_id: 'P', member_id: 'Q' },
    allowed: ['admin', 'member', 'reader', 'otherMember'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    // Only the project the image is shared with accepts or rejects the share.
    rule: 'modify_member',
    target: { project_id: 'P', member_id: 'Q' },
    allowed: ['admin', 'otherMember'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'get_metadef_namespaces',
    target: { project_id: 'own' },
    allowed: ['admin', 'member', 'reader', 'otherMember'],
    legacyAllowed: ALL_PROJECT_SCOPED,
  },
  {
    rule: 'add_metadef_namespace',
    target: { project_id: 'own' },
    allowed: ADMIN_ONLY,
    legacyAllowed: ADMIN_ONLY,
  },
  { rule: 'cache_list', target: { project_id: 'own' }, allowed: ADMIN_ONLY, legacyAllowed: ADMIN_ONLY },
];

/** Resolves symbolic projects to ids; 'own' is the caller's project. */
export function resolveTarget(
  target: SymbolicTarget,
  projects: Record<'P' | 'Q' | 'S', string>,
  own: string | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (target.project_id) out.project_id = target.project_id === 'own' ? own : projects[target.project_id];
  if (target.member_id) out.member_id = projects[target.member_id];
  if (target.visibility) out.visibility = target.visibility;
  return out;
}

export interface EndpointCase {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** The status each persona gets. */
  expect: Record<Persona, number>;
  /** `METHOD /path` that must be mounted for the row to run. */
  requires?: string;
}

const everyone = (status: number): Record<Persona, number> =>
  Object.fromEntries(PERSONAS.map((p) => [p, status])) as Record<Persona, number>;
const allowedTo = (allowed: Persona[], ok: number): Record<Persona, number> =>
  Object.fromEntries(PERSONAS.map((p) => [p, allowed.includes(p) ? ok : 403])) as Record<Persona, number>;

export const ENDPOINT_CASES: EndpointCase[] = [
  // Not policy-protected in Glance: any authenticated caller, whatever its scope.
  { name: 'import methods', method: 'GET', path: '/v2/info/import', expect: everyone(200) },
  {
    name: 'schemas',
    method: 'GET',
    path: '/v2/schemas/image',
    expect: everyone(200),
    requires: 'GET /v2/schemas/image',
  },
  {
    name: 'list images',
    method: 'GET',
    path: '/v2/images',
    expect: allowedTo(['admin', 'member', 'reader', 'otherMember'], 200),
    requires: 'GET /v2/images',
  },
  {
    name: 'create an image',
    method: 'POST',
    path: '/v2/images',
    body: { name: 'persona-image', disk_format: 'raw', container_format: 'bare' },
    expect: allowedTo(['admin', 'member', 'otherMember'], 201),
    requires: 'POST /v2/images',
  },
  {
    name: 'tasks API',
    method: 'GET',
    path: '/v2/tasks',
    expect: allowedTo(['admin'], 200),
    requires: 'GET /v2/tasks',
  },
];
