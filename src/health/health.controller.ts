import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator.js';
import { HealthService } from './health.service.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthcheck')
  @Header('Content-Type', 'text/plain; charset=UTF-8')
  @ApiOperation({ summary: "Glance's healthcheck: OK while the database answers" })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'OK' })
  @ApiResponse({ status: 503, description: 'The database does not answer' })
  async healthcheck(@Res({ passthrough: true }) res: Response): Promise<string> {
    const problem = await this.health.databaseProblem();
    if (problem) {
      res.status(503);
      return problem;
    }
    return 'OK';
  }

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness for orchestrators: the process serves requests' })
  @ApiResponse({ status: 200, description: '{"status":"ok"}' })
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness for orchestrators: database reachable and not shutting down' })
  @ApiResponse({ status: 200, description: '{"status":"ready"}' })
  @ApiResponse({ status: 503, description: '{"status":"unavailable","reason":…}' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; reason?: string }> {
    const reason = this.health.shuttingDown ? 'shutting down' : await this.health.databaseProblem();
    if (reason) {
      res.status(503);
      return { status: 'unavailable', reason };
    }
    return { status: 'ready' };
  }
}
