import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'glint:public';

/** Served before authentication, as Glance serves version discovery and health. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
