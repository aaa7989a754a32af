// The OpenAPI 3.1 document, generated from the route table (the same schemas
// the routes validate and serialize with). Every schema of NAMED_SCHEMAS is a
// component, referred to by `$ref` wherever it is used; open enums
// (OPEN_ENUMS) are `x-extensible-enum`; `webhooks` describes what gnpay POSTs
// (order events to the SP's webhook URL, CAMARA notifications to a `sink`).
// docs/openapi.json is this, written by `npm run docs`; a test checks the
// two and the served document agree, and lints it with Redocly CLI.
import { ERROR_CODES } from '../client/codes';
import { ROUTES, type RouteSpec } from './routes';
import { NAMED_SCHEMAS, OPEN_ENUMS, type Schema } from './schemas';

const NAME_OF = new Map<unknown, string>(Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [schema, name]));

/** A schema as the document shows it: named schemas as `$ref`s, open enums as `x-extensible-enum`. */
function render(s: unknown, self?: unknown): unknown {
  if (Array.isArray(s)) return s.map((x) => render(x));
  if (s === null || typeof s !== 'object') return s;
  const name = NAME_OF.get(s);
  if (name !== undefined && s !== self) return { $ref: `#/components/schemas/${name}` };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'enum' && OPEN_ENUMS.has(s as Schema))
      out['x-extensible-enum'] = (v as unknown[]).filter((x) => x !== null);
    else out[k] = render(v);
  }
  return out;
}

function parameters(r: RouteSpec): unknown[] {
  const out: unknown[] = [];
  const add = (where: string, s: Schema | undefined) => {
    const props = (s?.properties ?? {}) as Record<string, Schema>;
    const required = (s?.required ?? []) as string[];
    for (const [name, schema] of Object.entries(props)) {
      const { description, ...rest } = schema;
      out.push({
        name,
        in: where,
        required: where === 'path' || required.includes(name),
        ...(description ? { description } : {}),
        schema: render(rest),
      });
    }
  };
  add('path', r.schema.params);
  add('query', r.schema.querystring);
  add('header', r.schema.headers);
  if (r.auth) {
    out.push({
      name: 'x-correlator',
      in: 'header',
      required: false,
      description: 'echoed in the response (one is made when absent)',
      schema: { type: 'string' },
    });
  }
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Invalid argument',
  401: 'Unauthenticated',
  403: 'Permission denied',
  404: 'Not found',
  409: 'Conflict',
  422: 'Unprocessable',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  501: 'Not implemented',
  503: 'Unavailable',
};

function responses(r: RouteSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(r.schema.response)) {
    const codes = Object.entries(ERROR_CODES)
      .filter(([, v]) => String(v.status) === status)
      .map(([k]) => k);
    const description =
      Number(status) >= 400 && schema.required && (schema.required as string[]).includes('code')
        ? `${STATUS_TEXT[Number(status)]}: ${codes.join(', ')}`
        : STATUS_TEXT[Number(status)];
    const headers: Record<string, unknown> = { 'x-correlator': { schema: { type: 'string' } } };
    if (status === '429') headers['retry-after'] = { description: 'seconds to wait', schema: { type: 'integer' } };
    out[status] = {
      description,
      headers,
      content: { [(Number(status) < 300 && r.produces) || 'application/json']: { schema: render(schema) } },
    };
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
      ...(r.schema.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: render(r.schema.body) } } } }
        : {}),
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
        'get the result by signed webhook (CloudEvents 1.0) or by polling. Errors are {status, code, message}; codes, statuses and ' +
        'event types are open (x-extensible-enum: accept values you do not know). A test key (sandbox) simulates the subscriber. ' +
        "The CAMARA routes (/carrier-billing/v0.5, /carrier-billing-refund/v0.3, /number-verification/v2) follow CAMARA's own definitions. See docs/api.md.",
      license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
    },
    servers: [
      {
        url: 'https://{host}',
        description: 'the SP API listener of the operator running gnpay',
        variables: { host: { default: 'gnpay.operator.invalid', description: 'host[:port] the operator gives you' } },
      },
    ],
    tags: TAGS,
    components: {
      schemas: Object.fromEntries(
        Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [name, render(schema, schema)]),
      ),
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'the API key printed by `gnpay sp add` (`gnpk_test_…`: a sandbox key)',
        },
        sinkCredential: {
          type: 'http',
          scheme: 'bearer',
          description:
            "what gnpay sends to a CAMARA `sink`: the accessToken of the payment's (or refund's) sinkCredential",
        },
      },
    },
    security: [{ apiKey: [] }],
    paths,
    webhooks: WEBHOOKS,
  };
}

const TAGS = [
  { name: 'orders', description: 'Orders: create one, send the subscriber to its payUrl, follow its state' },
  { name: 'refunds', description: 'Money of a paid order given back, exactly once' },
  { name: 'webhooks', description: 'Where your notifications go, and their secret' },
  { name: 'sandbox', description: 'Test keys only: simulate the subscriber' },
  { name: 'events', description: 'The feed of state changes, to poll' },
  { name: 'operations', description: 'Health, readiness, metrics and this document (no key)' },
  { name: 'notifications', description: 'What gnpay POSTs to you' },
];

const ref = (name: keyof typeof NAMED_SCHEMAS) => ({ $ref: `#/components/schemas/${name}` });

const delivery = (what: string) => ({
  '200': {
    description: `Any 2xx acknowledges the ${what}; anything else (or no answer in webhooks.timeoutMs) is retried with backoff, at least once in all: deduplicate by \`id\``,
  },
  '410': { description: `Gone: the ${what}s of this endpoint stop (CAMARA sinks)` },
});

/** A CAMARA notification to the sink the SP gave, with its CloudEvent schema. */
const camaraNotification = (operationId: string, summary: string, event: keyof typeof NAMED_SCHEMAS) => ({
  post: {
    operationId,
    summary,
    tags: ['notifications'],
    security: [{ sinkCredential: [] }],
    parameters: [
      { name: 'x-correlator', in: 'header', required: true, schema: { type: 'string' }, description: 'the event id' },
    ],
    requestBody: {
      required: true,
      content: { 'application/cloudevents+json': { schema: ref(event) } },
    },
    responses: delivery('notification'),
  },
});

const WEBHOOKS = {
  orderEvent: {
    post: {
      operationId: 'orderEvent',
      summary: 'A state change of one of your orders, to your webhook URL (PUT /v1/webhook)',
      description:
        'Signed: `Gnpay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 with your webhook secret over "<t>.<raw body>">` (two v1 during a secret rotation); ' +
        'verify with verifyWebhook of the SP kit. The changes of one order arrive in order.',
      tags: ['notifications'],
      security: [],
      parameters: [
        {
          name: 'Gnpay-Signature',
          in: 'header',
          required: true,
          schema: { type: 'string' },
          description: 't=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]',
        },
        {
          name: 'Gnpay-Event-Id',
          in: 'header',
          required: true,
          schema: { type: 'string' },
          description: 'the event id',
        },
      ],
      requestBody: { required: true, content: { 'application/cloudevents+json': { schema: ref('Event') } } },
      responses: delivery('delivery'),
    },
  },
  camaraPaymentNotification: camaraNotification(
    'camaraPaymentNotification',
    "A change of a CAMARA payment's status, to the payment's sink",
    'CamaraPaymentEvent',
  ),
  camaraRefundNotification: camaraNotification(
    'camaraRefundNotification',
    "The outcome of a CAMARA refund, to the refund's sink",
    'CamaraRefundEvent',
  ),
};
