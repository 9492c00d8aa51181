import { InvalidError } from '../../common/errors/domain-errors.js';

/**
 * The two member bodies, read as Glance's deserializer reads them: only presence and shape are
 * checked here, before the image is looked up. The member id is a project id that Glance does not
 * check against Keystone; the status value is checked later, after authorization.
 */

/** `{"member": "<project id>"}` of POST …/members; the project id, as text. */
export function parseAddMember(body: unknown): string {
  if (body === undefined) throw new InvalidError('Body expected in request.');
  const shapeError = 'Expected a member in the form: {"member": "image_id"}';
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidError(shapeError);
  if (!Object.hasOwn(body, 'member')) throw new InvalidError('Member to be added not specified');
  const member = (body as { member: unknown }).member;
  // Python's falsy values: Glance calls all of them empty.
  const empty =
    member === null ||
    member === '' ||
    member === 0 ||
    member === false ||
    (Array.isArray(member) && member.length === 0) ||
    (typeof member === 'object' && member !== null && Object.keys(member).length === 0);
  if (empty) throw new InvalidError("Member can't be empty");
  // Glance stores a number as its text (it fails with a 500 on lists and objects).
  if (typeof member === 'number' && Number.isFinite(member)) return String(member);
  if (typeof member !== 'string') throw new InvalidError(shapeError);
  return member;
}

/** `{"status": …}` of PUT …/members/{m}; the value as sent (checked by the service). */
export function parseMemberStatus(body: unknown): unknown {
  if (body === undefined) throw new InvalidError('Body expected in request.');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidError('Expected a status in the form: {"status": "status"}');
  }
  if (!Object.hasOwn(body, 'status')) throw new InvalidError('Status not specified');
  return (body as { status: unknown }).status;
}
