/**
 * Errors the domain throws. They say what went wrong, never how HTTP shows it: the error filter
 * holds the one table from class to status code.
 *
 * `detail` marks a message that Glance places after the status's generic explanation (it raised
 * the WebOb exception with a positional detail) rather than in place of it; clients see the same
 * code either way, the flag only keeps message texts identical to Glance's.
 */
export abstract class DomainError extends Error {
  readonly detail: boolean;
  constructor(message: string, options: { detail?: boolean } = {}) {
    super(message);
    this.name = new.target.name;
    this.detail = options.detail ?? false;
  }
}

/** Missing, or not visible to the caller. */
export class NotFoundError extends DomainError {}
/** Visible, but the caller may not do this. */
export class ForbiddenError extends DomainError {}
/** Policy refused the action on a resource the caller can see. */
export class PolicyDeniedError extends ForbiddenError {
  constructor(readonly rule: string) {
    super(`You are not authorized to complete ${rule} action.`);
  }
}
/** A read-only or reserved attribute was written. */
export class AttributeForbiddenError extends ForbiddenError {
  constructor(message: string) {
    super(message, { detail: true });
  }
}
/** The request is malformed or fails validation. */
export class InvalidError extends DomainError {}
/** The request conflicts with the resource's current state. */
export class ConflictError extends DomainError {}
/** The id or name is taken. */
export class DuplicateError extends ConflictError {}
/** A quota or size cap would be exceeded. */
export class OverLimitError extends DomainError {}
/** The store's disk (or its quota) has no room left for the data; Glance answers 413 too. */
export class StorageFullError extends OverLimitError {
  constructor() {
    super('Image storage media is full: There is not enough disk space on the image storage media.');
  }
}
/**
 * No identity, or an identity that could not be confirmed. `challenge` says how to authenticate
 * (the auth scheme's `WWW-Authenticate` value, e.g. `Keystone uri="…"`), when the mode has one.
 */
export class UnauthenticatedError extends DomainError {
  readonly challenge?: string;
  constructor(message = '', options: { detail?: boolean; challenge?: string } = {}) {
    super(message, options);
    this.challenge = options.challenge;
  }
}
/** The request's media type is not accepted here. */
export class UnsupportedMediaTypeError extends DomainError {
  constructor(
    message: string,
    readonly acceptPatch?: string,
  ) {
    super(message);
  }
}
/** A byte range that the data cannot satisfy. */
export class RangeNotSatisfiableError extends DomainError {}
/** The resource went away while the request ran. */
export class GoneError extends DomainError {}
/** A back end the request needs is not available. */
export class UnavailableError extends DomainError {}
/** The method is not supported on a known resource. */
export class MethodNotAllowedError extends DomainError {
  constructor(
    message: string,
    readonly allow: string[],
    /** true: the body is `message` alone (WebOb's body_template '${explanation}'), not the method sentence. */
    readonly explanationOnly = false,
  ) {
    super(message);
  }
}
