import { z } from 'zod';

export const ROLES = ['creator', 'cameo_owner', 'rightsholder', 'operator'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** Roles a person may give themselves at sign-up; the others are granted by an operator. */
export const SELF_SERVICE_ROLES: readonly Role[] = ['creator', 'cameo_owner'];
