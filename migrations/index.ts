import { MetadefTables1795729915548 } from './1795729915548-MetadefTables.js';

/**
 * Every migration, in order. Loaded as classes (not by file glob) so that the same list runs
 * under the compiled app, the migration CLI and the test runner.
 */
export const MIGRATIONS: Array<new () => unknown> = [MetadefTables1795729915548];
