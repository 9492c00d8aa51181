import { Controller, Delete, Get, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { refuseBody } from '../common/http/no-body.js';
import { Policy } from '../policy/policy.decorator.js';
import { ClientGoneError } from '../stores/image-data.pipeline.js';
import { ImageDataService } from './image-data.service.js';
import type { DataRequest } from './image-data.service.js';

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The request body as a stream, with a signal that fires if the client leaves halfway. */
function dataRequest(req: Request): DataRequest {
  const aborted = new AbortController();
  req.on('close', () => {
    if (!req.complete) aborted.abort(new ClientGoneError());
  });
  return {
    contentType: header(req, 'content-type'),
    sizeHeader: header(req, 'x-openstack-image-size'),
    contentLength: header(req, 'content-length'),
    store: header(req, 'x-image-meta-store'),
    body: req,
    signal: aborted.signal,
  };
}

@ApiTags('image data')
@Controller()
export class ImageDataController {
  constructor(private readonly data: ImageDataService) {}

  @Put('v2/images/:id/file')
  @HttpCode(204)
  @Policy('upload_image', 'resource')
  @ApiOperation({
    summary: 'Upload image data (streamed; queued → saving → active). Body: application/octet-stream',
  })
  @ApiHeader({ name: 'x-openstack-image-size', required: false, description: 'Expected size in bytes' })
  @ApiHeader({ name: 'X-Image-Meta-Store', required: false, description: 'Target store (multi-store)' })
  async upload(@Ctx() ctx: RequestContext, @Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.data.upload(ctx, id, dataRequest(req));
  }

  @Put('v2/images/:id/stage')
  @HttpCode(204)
  @Policy('modify_image', 'resource')
  @ApiOperation({ summary: 'Stage image data for a glance-direct import (queued → uploading)' })
  async stage(@Ctx() ctx: RequestContext, @Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.data.stage(ctx, id, dataRequest(req));
  }

  @Get('v2/images/:id/file')
  @Policy('download_image', 'resource')
  @ApiOperation({ summary: 'Download image data (200, 206 for one Range, 204 when there is no data)' })
  @ApiResponse({ status: 200, description: 'The data, with Content-MD5' })
  @ApiResponse({ status: 204, description: 'The image has no data' })
  @ApiResponse({ status: 206, description: 'One byte range, with Content-Range' })
  async download(
    @Ctx() ctx: RequestContext,
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    refuseBody(req);
    const download = await this.data.download(ctx, id, header(req, 'range'), header(req, 'content-range'));
    if (!download.stream && !download.writeTo) {
      res.status(204).end();
      return;
    }
    const { range, size } = download;
    res.status(range ? 206 : 200);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : size));
    if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    if (download.checksum) res.setHeader('Content-MD5', download.checksum);
    let sent = 0;
    if (download.writeTo) {
      res.on('close', () => download.done(sent));
      download
        .writeTo(res, (bytes) => (sent += bytes))
        .then(
          () => res.end(),
          () => res.destroy(),
        );
      return;
    }
    const stream = download.stream!;
    stream.on('data', (chunk: Buffer) => {
      sent += chunk.length;
    });
    // pipe keeps back-pressure: the store is read no faster than the client takes the bytes.
    stream.pipe(res);
    stream.on('error', () => res.destroy());
    res.on('close', () => {
      if (!stream.destroyed) stream.destroy();
      download.done(sent);
    });
  }

  @Delete('v2/stores/:store/:id')
  @HttpCode(204)
  @Policy('delete_image_location', 'resource')
  @ApiOperation({ summary: 'Remove image data from one store (multi-store; admin by default)' })
  async deleteFromStore(
    @Ctx() ctx: RequestContext,
    @Param('store') store: string,
    @Param('id') id: string,
    @Req() req: Request,
  ): Promise<void> {
    refuseBody(req);
    await this.data.deleteFromStore(ctx, store, id);
  }
}
