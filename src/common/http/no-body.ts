import type { Request } from 'express';
import { InvalidError } from '../errors/domain-errors.js';

/** Glance refuses a body on the routes that take none (spec §0, "no body" routes). */
export function refuseBody(req: Request): void {
  if (req.hasBody) throw new InvalidError('A body is not expected with this request.');
}
