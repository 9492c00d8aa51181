import { MetadefTables1795728479139 } from './1795728479139-MetadefTables.js';

/**
 * Every migration, in order. Loaded as classes (not by file glob) so that the same list runs
 * under the compiled app, the migration CLI and the test runner.
 */
export const MIGRATIONS: Array<new () => unknown> = [MetadefTables1795728479139];
