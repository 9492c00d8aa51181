import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module.js';
import { MembersController } from './members.controller.js';
import { MembersRepository } from './members.repository.js';
import { MembersService } from './members.service.js';

/** Image sharing: the member records, their API, and membership in image visibility. */
@Module({
  imports: [ImagesModule],
  controllers: [MembersController],
  providers: [MembersRepository, MembersService],
  exports: [MembersService],
})
export class MembersModule {}
