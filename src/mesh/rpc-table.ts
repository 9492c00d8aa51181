import { Controller, Inject, UseFilters } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import type { MeshEnvelope } from '../client/contract.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext } from '../auth/request-context.js';
import { InvalidError } from '../common/errors/domain-errors.js';
import { PolicyService } from '../policy/policy.service.js';
import { meshContext } from './mesh-identity.js';
import { RpcGlanceExceptionFilter } from './rpc-exception.filter.js';

/** A mesh message after the envelope was checked: its operation fields, untyped until read. */
export type RpcMessage = MeshEnvelope & Record<string, unknown>;

/** One pattern: which service answers it and how (the same call the HTTP controller makes). */
export interface RpcRoute<S = unknown> {
  service: Type<S>;
  /** A rule that needs only the caller, which the HTTP PolicyGuard would have enforced. */
  policy?: string;
  handle(
    service: S,
    ctx: RequestContext,
    message: RpcMessage,
    config: AppConfig,
    /** Another feature's exported service, for a route that composes two as its controller does. */
    get: <T>(type: Type<T>) => T,
  ): Promise<unknown>;
}

/** A feature's patterns, keyed by pattern without the deployment prefix. */
export type RpcTable = Record<string, RpcRoute<never>>;

export function rpc<S>(
  service: Type<S>,
  handle: RpcRoute<S>['handle'],
  options: { policy?: string } = {},
): RpcRoute<never> {
  return { service, handle, ...options } as unknown as RpcRoute<never>;
}

/** A required string field of a message, or Glance's 400. */
export function field(message: RpcMessage, name: string): string {
  const value = message[name];
  if (typeof value !== 'string' || value === '') throw new InvalidError(`${name} must be a non-empty string`);
  return value;
}

/** A list call's `query` as its HTTP query string, from a string or a plain object. */
export function queryString(message: RpcMessage): string {
  const query = message.query;
  if (query === undefined || query === null) return '';
  if (typeof query === 'string') return query.replace(/^\?/, '');
  if (typeof query !== 'object' || Array.isArray(query)) throw new InvalidError('query must be an object');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  return params.toString();
}

/** Serves a table's patterns: identity from the envelope, then the route's service call. */
export abstract class RpcTableController {
  constructor(
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  protected async dispatch(route: RpcRoute<never>, data: unknown): Promise<unknown> {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new InvalidError('A mesh message must be a JSON object.');
    }
    const message = data as RpcMessage;
    const ctx = meshContext(this.config, message, (roles) => this.policy.isAdmin(roles));
    if (route.policy) this.policy.enforce(ctx, route.policy);
    const get = <T>(type: Type<T>): T => this.moduleRef.get(type, { strict: false });
    const reply = await route.handle(get(route.service), ctx, message, this.config, get);
    // Brokers carry JSON; a void operation answers null so that the caller sees one reply.
    return reply === undefined ? null : reply;
  }
}

/**
 * A controller class answering `<prefix>.<pattern>` for every line of the tables. Built at
 * start because the prefix is a setting; errors leave as `{ code, message }`.
 */
export function rpcController(prefix: string, tables: RpcTable[]): Type {
  class MeshRpcController extends RpcTableController {}
  for (const table of tables) {
    for (const [pattern, route] of Object.entries(table)) {
      const key = `rpc:${pattern}`;
      const descriptor: PropertyDescriptor = {
        value(this: MeshRpcController, data: unknown) {
          return this.dispatch(route, data);
        },
        writable: true,
        configurable: true,
      };
      Object.defineProperty(MeshRpcController.prototype, key, descriptor);
      MessagePattern(`${prefix}.${pattern}`)(MeshRpcController.prototype, key, descriptor);
    }
  }
  UseFilters(RpcGlanceExceptionFilter)(MeshRpcController);
  Controller()(MeshRpcController);
  return MeshRpcController;
}
