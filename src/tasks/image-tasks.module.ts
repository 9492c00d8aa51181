import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module.js';
import { ImageTasksController } from './image-tasks.controller.js';

/**
 * `GET /v2/images/{id}/tasks`, apart from the tasks feature: it only reads (ImageTasksSource,
 * bound by GLINT_ROLE), so a GLINT_ROLE=api process serves it without the task executor.
 */
@Module({ imports: [ImagesModule], controllers: [ImageTasksController] })
export class ImageTasksModule {}
