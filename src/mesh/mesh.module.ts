import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { IMAGES_RPC } from '../images/images.rpc.js';
import { IMPORT_RPC } from '../import/import.rpc.js';
import { MEMBERS_RPC } from '../members/members.rpc.js';
import { TASKS_RPC } from '../tasks/tasks.rpc.js';
import type { RpcTable } from './rpc-table.js';
import { rpcController } from './rpc-table.js';

/** Every feature's mesh patterns. */
export const RPC_TABLES: RpcTable[] = [IMAGES_RPC, MEMBERS_RPC, IMPORT_RPC, TASKS_RPC];

/** The message-pattern handlers, mounted only when GLINT_MESH names at least one listener. */
@Module({})
export class MeshModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.mesh.listeners.length) return { module: MeshModule };
    return {
      module: MeshModule,
      controllers: [rpcController(config.mesh.prefix, RPC_TABLES)],
    };
  }
}
