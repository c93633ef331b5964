import { z } from 'zod';
import { roleSchema, SELF_SERVICE_ROLES } from './roles';

export const handleSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_]{3,30}$/, 'a handle is 3 to 30 letters, digits or underscores');

export const passwordSchema = z
  .string()
  .min(10, 'a password has at least 10 characters')
  .max(200, 'a password has at most 200 characters');

export const signUpSchema = z.strictObject({
  handle: handleSchema,
  displayName: z.string().trim().min(1).max(80).optional(),
  password: passwordSchema,
  roles: z
    .array(roleSchema)
    .min(1)
    .max(2)
    .refine((rs) => rs.every((r) => SELF_SERVICE_ROLES.includes(r)), {
      message: 'at sign-up only the roles creator and cameo_owner can be chosen',
    })
    .default(['creator']),
});

export const tokenRequestSchema = z.strictObject({
  handle: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
});

export const accountViewSchema = z.object({
  id: z.string().uuid(),
  handle: z.string(),
  displayName: z.string(),
  roles: z.array(roleSchema),
  createdAt: z.string(),
});
export type AccountView = z.infer<typeof accountViewSchema>;

export const tokenResponseSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int(),
});

export const roleChangeSchema = z.strictObject({ role: roleSchema });
export const accountIdParamsSchema = z.strictObject({ id: z.string().uuid() });
export const roleParamsSchema = z.strictObject({ id: z.string().uuid(), role: roleSchema });
