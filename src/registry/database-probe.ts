import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RegistryClient } from './registry.client.js';

/** "Does the database answer?", for the health endpoints: directly, or through the registry. */
export abstract class DatabaseProbe {
  /** Resolves when the database answered a trivial query; rejects with why not. */
  abstract ping(): Promise<void>;
}

@Injectable()
export class SqlDatabaseProbe extends DatabaseProbe {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

/** GLINT_ROLE=api: the registry runs the query, so its own database connection is what is checked. */
@Injectable()
export class RegistryDatabaseProbe extends DatabaseProbe {
  constructor(private readonly registry: RegistryClient) {
    super();
  }

  async ping(): Promise<void> {
    await this.registry.call('health', 'ping', []);
  }
}
