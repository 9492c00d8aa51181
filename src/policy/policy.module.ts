import { Global, Module } from '@nestjs/common';
import { PolicyService } from './policy.service.js';
import { PolicyGuard } from './policy.guard.js';

@Global()
@Module({ providers: [PolicyService, PolicyGuard], exports: [PolicyService, PolicyGuard] })
export class PolicyModule {}
