import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AUTH_CHALLENGE } from '../common/http/auth-challenge.js';
import { PolicyService } from '../policy/policy.service.js';
import { AuthGuard } from './auth.guard.js';
import { AUTHENTICATOR } from './authenticator.js';
import type { Authenticator } from './authenticator.js';
import { noauthContext, trustedContext } from './identity.js';
import { KeystoneAuthenticator } from './keystone/keystone.authenticator.js';
import { OidcAuthenticator } from './oidc/oidc.authenticator.js';

/** The authenticator of the configured GLINT_AUTH mode. */
export function createAuthenticator(config: AppConfig, policy: PolicyService): Authenticator {
  const isAdmin = (roles: string[]) => policy.isAdmin(roles);
  switch (config.auth) {
    case 'noauth':
      return { challenge: null, authenticate: (req) => Promise.resolve(noauthContext(req.id ?? '')) };
    case 'trusted':
      return {
        challenge: null,
        authenticate: (req) =>
          Promise.resolve().then(() => trustedContext(req.headers, req.id ?? '', isAdmin)),
      };
    case 'keystone':
      return new KeystoneAuthenticator(config.glance.keystone_authtoken, isAdmin);
    case 'oidc':
      return new OidcAuthenticator(config.glance.oidc, isAdmin);
  }
}

@Module({
  providers: [
    AuthGuard,
    { provide: AUTHENTICATOR, useFactory: createAuthenticator, inject: [APP_CONFIG, PolicyService] },
    {
      provide: AUTH_CHALLENGE,
      useFactory: (authenticator: Authenticator) => authenticator.challenge,
      inject: [AUTHENTICATOR],
    },
  ],
  exports: [AuthGuard, AUTHENTICATOR, AUTH_CHALLENGE],
})
export class AuthModule {}
