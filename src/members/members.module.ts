import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module.js';
import { MembersController } from './members.controller.js';
import { MembersService } from './members.service.js';

/** Image sharing: the member records, their API, and membership in image visibility. */
@Module({
  imports: [ImagesModule],
  controllers: [MembersController],
  providers: [MembersService],
  exports: [MembersService],
})
export class MembersModule {}
