import { CreateTasks1795728281386 } from './1795728281386-CreateTasks.js';
import { Images1795728968014 } from './1795728968014-Images.js';
import { MetadefTables1795729915548 } from './1795729915548-MetadefTables.js';
import { ImageMembers1795730556101 } from './1795730556101-ImageMembers.js';
import { TaskUserRoles1795735000000 } from './1795735000000-TaskUserRoles.js';

/**
 * Every migration, in order. Loaded as classes (not by file glob) so that the same list runs
 * under the compiled app, the migration CLI and the test runner.
 */
export const MIGRATIONS: Array<new () => unknown> = [
  CreateTasks1795728281386,
  Images1795728968014,
  MetadefTables1795729915548,
  ImageMembers1795730556101,
  TaskUserRoles1795735000000,
];
