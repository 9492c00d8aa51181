import { Images1795728968014 } from './1795728968014-Images.js';
import { ImageMembers1795730556101 } from './1795730556101-ImageMembers.js';

/**
 * Every migration, in order. Loaded as classes (not by file glob) so that the same list runs
 * under the compiled app, the migration CLI and the test runner.
 */
export const MIGRATIONS: Array<new () => unknown> = [Images1795728968014, ImageMembers1795730556101];
