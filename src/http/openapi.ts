import { z } from 'zod';
import type { RouteSpec } from './route';

function schemaOf(s: z.ZodType, io: 'input' | 'output'): unknown {
  try {
    return z.toJSONSchema(s, { io, unrepresentable: 'any' });
  } catch {
    return {};
  }
}

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
    },
  },
};

/** Builds the OpenAPI 3.1 document from the same zod schemas that validate the requests. */
export function buildOpenApi(specs: RouteSpec[], info: { title: string; version: string }): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const s of specs) {
    const p = s.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const params: unknown[] = [];
    for (const m of s.path.matchAll(/:([A-Za-z_]+)/g)) {
      params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    }
    if (s.query) {
      const js = schemaOf(s.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(js.properties ?? {})) {
        params.push({ name, in: 'query', required: (js.required ?? []).includes(name), schema });
      }
    }
    const op: Record<string, unknown> = {
      summary: s.summary,
      tags: s.tags,
      parameters: params.length ? params : undefined,
      security: s.auth === null ? [] : [{ bearer: [] }],
      responses: {
        [String(s.status ?? 200)]: s.rawResponse
          ? { description: s.rawResponse.description, content: { [s.rawResponse.contentType]: {} } }
          : {
              description: 'OK',
              ...(s.response
                ? { content: { 'application/json': { schema: schemaOf(s.response, 'output') } } }
                : {}),
            },
        default: { description: 'Error', content: { 'application/json': { schema: errorSchema } } },
      },
    };
    if (s.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(s.body, 'input') } },
      };
    } else if (s.rawBody) {
      op.requestBody = {
        required: true,
        description: s.rawBody.description,
        content: Object.fromEntries(s.rawBody.contentTypes.map((c) => [c, {}])),
      };
    }
    (paths[p] ??= {})[s.method] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}
