export * from './contract.js';
export { GlintClient, GlintError } from './glint-client.js';
export type { GlintClientOptions } from './glint-client.js';
export { GlintClientModule } from './glint-client.module.js';
export { GlintEvents } from './glint-events.js';
export type { GlintEventsOptions } from './glint-events.js';
export { meshClientOptions, meshTransportOptions } from './transport-url.js';
