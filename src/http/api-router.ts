import type { createApiRouter } from './route';

export type ApiRouter = ReturnType<typeof createApiRouter>;
