// The OpenAPI 3.1 document, generated from the route table (the same schemas
// the routes validate with). docs/openapi.json is this, committed; a test
// checks the two and the served document agree.
import { ERROR_CODES } from '../client/codes';
import { ROUTES, type RouteSpec } from './routes';
import type { Schema } from './schemas';

function parameters(r: RouteSpec): unknown[] {
  const out: unknown[] = [];
  const add = (where: string, s: Schema | undefined) => {
    const props = (s?.properties ?? {}) as Record<string, Schema>;
    const required = (s?.required ?? []) as string[];
    for (const [name, schema] of Object.entries(props)) {
      const { description, ...rest } = schema;
      out.push({ name, in: where, required: where === 'path' || required.includes(name), ...(description ? { description } : {}), schema: rest });
    }
  };
  add('path', r.schema.params);
  add('query', r.schema.querystring);
  add('header', r.schema.headers);
  if (r.auth) {
    out.push({ name: 'x-correlator', in: 'header', required: false, description: 'echoed in the response (one is made when absent)', schema: { type: 'string' } });
  }
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 400: 'Invalid argument', 401: 'Unauthenticated', 403: 'Permission denied', 404: 'Not found', 409: 'Conflict', 422: 'Unprocessable',
  413: 'Payload too large', 415: 'Unsupported media type', 429: 'Too many requests', 500: 'Internal error', 501: 'Not implemented', 503: 'Unavailable',
};

function responses(r: RouteSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(r.schema.response)) {
    const codes = Object.entries(ERROR_CODES).filter(([, v]) => String(v.status) === status).map(([k]) => k);
    const description = Number(status) >= 400 && schema.required && (schema.required as string[]).includes('code') ? `${STATUS_TEXT[Number(status)]}: ${codes.join(', ')}` : STATUS_TEXT[Number(status)];
    const headers: Record<string, unknown> = { 'x-correlator': { schema: { type: 'string' } } };
    if (status === '429') headers['retry-after'] = { description: 'seconds to wait', schema: { type: 'integer' } };
    out[status] = { description, headers, content: { [r.produces ?? 'application/json']: { schema } } };
  }
  return out;
}

export function buildOpenApi(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: r.tags,
      ...(r.auth ? { security: [{ apiKey: [] }] } : { security: [] }),
      parameters: parameters(r),
      ...(r.schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.schema.body } } } } : {}),
      responses: responses(r),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'gnpay SP API',
      version,
      description:
        'Carrier billing for service providers: create an order, send the subscriber to its payUrl over the mobile network, ' +
        'get the result by signed webhook (CloudEvents 1.0) or by polling. Errors are {status, code, message}. See docs/api.md.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'the API key printed by `gnpay sp add`' } },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
