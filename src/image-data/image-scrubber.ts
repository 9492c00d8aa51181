import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ImageDataService } from './image-data.service.js';
import { ImageLocationsRepository } from './image-locations.repository.js';

/**
 * glance-scrubber's daemon, inside every Glint process: every wakeup_time seconds one process of
 * the deployment (the one that gets the database lock) removes the data that delayed_delete kept
 * for deleted images once scrub_time has passed. It also runs with delayed_delete off, so data
 * kept while it was on is not left behind.
 */
@Injectable()
export class ImageScrubber implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Scrubber');
  private timer?: NodeJS.Timeout;
  private pass?: Promise<number | undefined>;

  constructor(
    private readonly data: ImageDataService,
    private readonly locations: ImageLocationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.glance.wakeup_time;
    // The registry scrubs under the database lock, which an API process cannot hold over the transport.
    if (seconds === 0 || this.config.registry.role === 'api') return;
    this.timer = setInterval(() => void this.runOnce(), seconds * 1000);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    // The database closes after this: let a pass under way finish its rows first.
    await this.pass;
  }

  /**
   * One pass, unless one is already running here or in another process (then undefined).
   * Resolves the number of locations removed.
   */
  runOnce(): Promise<number | undefined> {
    if (this.pass) return Promise.resolve(undefined);
    const embedded = this.config.database.url === undefined;
    this.pass = this.locations
      .whileScrubLockHeld(embedded, () => this.data.scrub())
      .then(
        (removed) => {
          if (removed) this.logger.log(`removed the data of ${removed} location(s) of deleted images`);
          return removed;
        },
        (err: unknown) => {
          this.logger.error(`scrubber pass failed: ${(err as Error).message}`);
          return undefined;
        },
      )
      .finally(() => {
        this.pass = undefined;
      });
    return this.pass;
  }
}
