/**
 * The `WWW-Authenticate` value every 401 carries in the configured auth mode (keystonemiddleware
 * adds `Keystone uri="…"` to any 401 that passes through it), or null when the mode has none.
 * Provided by the auth module; the error filter reads it.
 */
export const AUTH_CHALLENGE = Symbol('AUTH_CHALLENGE');
