import { Injectable } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { DatabaseProbe } from '../registry/database-probe.js';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService implements BeforeApplicationShutdown {
  shuttingDown = false;

  constructor(private readonly database: DatabaseProbe) {}

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  /** undefined when the database answers a trivial query in time, else why not. */
  async databaseProblem(): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('database did not answer in time'), PING_TIMEOUT_MS);
    });
    const ping = this.database
      .ping()
      .then(() => undefined)
      .catch((err: Error) => `database unreachable: ${err.message}`);
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
