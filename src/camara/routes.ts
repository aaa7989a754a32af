// The CAMARA Carrier Billing v0.5 routes, beside /v1 on the SP API listener,
// authenticated by the same SP API keys. Field names, statuses, error codes
// and pagination are CAMARA's (docs/camara.md maps them to gnpay's orders).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store';
import type { ConsentLimits } from '../store/consent';
import { CURRENCIES } from '../api/currencies';
import { CAMARA_BASE, CAMARA_STATUSES, CamaraError, type CamaraPaymentInput, type CamaraStatus } from './store';

export interface CamaraRouteDeps {
  store: Store;
  settings: () => { payUrlTemplate: string; defaultTtlSeconds: number; maxTtlSeconds: number };
  limits: () => ConsentLimits;
  onChange?: () => void;
}

const PHONE = '^\\+[1-9][0-9]{4,14}$';

const ChargingInformation = {
  type: 'object',
  required: ['amount', 'currency', 'description'],
  properties: {
    amount: { type: 'number', exclusiveMinimum: 0 },
    currency: { type: 'string', enum: [...CURRENCIES] },
    description: { type: 'string', minLength: 1, maxLength: 1000 },
    isTaxIncluded: { type: 'boolean' },
    taxAmount: { type: 'number', minimum: 0 },
  },
} as const;

const PaymentItem = {
  type: 'object',
  required: ['id', 'amount', 'currency', 'description'],
  properties: {
    id: { type: 'string' },
    amount: { type: 'number', exclusiveMinimum: 0 },
    currency: { type: 'string' },
    description: { type: 'string' },
    isTaxIncluded: { type: 'boolean' },
    taxAmount: { type: 'number', minimum: 0 },
  },
} as const;

const ChargingMetaData = {
  type: 'object',
  properties: {
    merchantName: { type: 'string', maxLength: 200 },
    merchantIdentifier: { type: 'string', maxLength: 200 },
    fee: { type: 'number' },
    purchaseCategoryCode: { type: 'string' },
    channel: { type: 'string' },
    serviceId: { type: 'string' },
    productId: { type: 'string' },
  },
} as const;

const AmountTransactionInput = {
  type: 'object',
  required: ['paymentAmount', 'referenceCode'],
  properties: {
    phoneNumber: { type: 'string', pattern: PHONE },
    clientCorrelator: { type: 'string', minLength: 1, maxLength: 256 },
    paymentAmount: {
      type: 'object',
      required: ['chargingInformation'],
      properties: {
        chargingInformation: ChargingInformation,
        chargingMetaData: ChargingMetaData,
        paymentDetails: { type: 'array', minItems: 1, maxItems: 100, items: PaymentItem },
      },
    },
    referenceCode: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

const SinkCredential = {
  type: 'object',
  required: ['credentialType'],
  properties: {
    credentialType: { type: 'string', enum: ['PLAIN', 'ACCESSTOKEN', 'REFRESHTOKEN'] },
    accessToken: { type: 'string', minLength: 1, maxLength: 4096 },
    accessTokenExpiresUtc: { type: 'string', format: 'date-time' },
    accessTokenType: { type: 'string' },
  },
} as const;

export const CreatePaymentBody = {
  type: 'object',
  required: ['amountTransaction'],
  properties: {
    amountTransaction: AmountTransactionInput,
    sink: { type: 'string', pattern: '^https:\\/\\/.+$', maxLength: 2048 },
    sinkCredential: SinkCredential,
  },
} as const;

const PhoneNumberBody = { type: 'object', properties: { phoneNumber: { type: 'string', pattern: PHONE } } } as const;
const PaymentIdParams = {
  type: 'object',
  required: ['paymentId'],
  properties: { paymentId: { type: 'string', maxLength: 64 } },
} as const;

const ListQuery = {
  type: 'object',
  properties: {
    page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
    perPage: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    'paymentCreationDate.gte': { type: 'string', format: 'date-time' },
    'paymentCreationDate.lte': { type: 'string', format: 'date-time' },
    order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
    paymentStatus: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    merchantIdentifier: { type: 'string', maxLength: 200 },
  },
} as const;

/** Registers /carrier-billing/v0.5 on `app` (whose onRequest hook authenticates `config.auth` routes). */
export function registerCamaraRoutes(app: FastifyInstance, deps: CamaraRouteDeps): void {
  const { store } = deps;
  const camara = store.camara;
  const showNumber = (req: FastifyRequest) => req.sp!.scopes.includes('msisdn:read');
  const view = (req: FastifyRequest, id: string) => {
    const o = store.orders.find(id)!;
    return camara.view(o, camara.payment(id)!, showNumber(req));
  };

  const create = (oneStep: boolean) => (req: FastifyRequest, reply: FastifyReply) => {
    const sp = req.sp!;
    if (oneStep && sp.confirmation !== 'none') {
      throw new CamaraError(
        403,
        'PERMISSION_DENIED',
        'One-step payments are not enabled for this client (the operator allows them per SP); use POST /payments/prepare',
      );
    }
    const s = deps.settings();
    const r = camara.create(sp, req.body as CamaraPaymentInput, { oneStep, limits: deps.limits(), ...s });
    if (!r.replayed) deps.onChange?.();
    if (r.declined) {
      const threshold = r.declined !== 'LIMIT_PER_TRANSACTION' && r.declined.startsWith('LIMIT_');
      throw threshold
        ? new CamaraError(
            422,
            'CARRIER_BILLING.USER_AMOUNT_THRESHOLD_OVERPASSED',
            'Unauthorized payment request. Accumulated user mobile payments overpass account amount threshold.',
          )
        : new CamaraError(422, 'CARRIER_BILLING.UNAUTHORIZED_AMOUNT', 'Unauthorized amount requested.');
    }
    reply.code(201).header('location', `${CAMARA_BASE}/payments/${r.order.id}`);
    return view(req, r.order.id);
  };

  const route = (
    method: 'GET' | 'POST',
    url: string,
    operationId: string,
    schema: Record<string, unknown>,
    handler: (req: FastifyRequest, reply: FastifyReply) => unknown,
  ) => app.route({ method, url: `${CAMARA_BASE}${url}`, schema, config: { auth: true, operationId }, handler });

  route('POST', '/payments/prepare', 'camara.preparePayment', { body: CreatePaymentBody }, create(false));
  route('POST', '/payments', 'camara.createPayment', { body: CreatePaymentBody }, create(true));
  route('GET', '/payments', 'camara.retrievePayments', { querystring: ListQuery }, (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const raw =
      q.paymentStatus === undefined
        ? []
        : ([] as string[]).concat(q.paymentStatus as string | string[]).flatMap((x) => x.split(','));
    for (const x of raw)
      if (!(CAMARA_STATUSES as readonly string[]).includes(x))
        throw new CamaraError(400, 'INVALID_ARGUMENT', `paymentStatus: unknown status ${x}`);
    const gte =
      q['paymentCreationDate.gte'] === undefined ? undefined : Date.parse(q['paymentCreationDate.gte'] as string);
    let lte =
      q['paymentCreationDate.lte'] === undefined ? undefined : Date.parse(q['paymentCreationDate.lte'] as string);
    if (gte !== undefined && lte === undefined) lte = Date.now();
    if (gte !== undefined && lte !== undefined && gte > lte)
      throw new CamaraError(400, 'CARRIER_BILLING.INVALID_DATE_RANGE', 'Client specified an invalid date range.');
    const page = q.page as number;
    const perPage = q.perPage as number;
    const r = camara.list(req.sp!.id, {
      page,
      perPage,
      gte,
      lte,
      order: q.order as 'asc' | 'desc',
      statuses: raw.length ? (raw as CamaraStatus[]) : undefined,
      merchantIdentifier: q.merchantIdentifier as string | undefined,
    });
    if (r.total > 0 && (page - 1) * perPage >= r.total)
      throw new CamaraError(400, 'OUT_OF_RANGE', 'Client specified an invalid range.');
    reply.header('x-total-count', String(r.total));
    reply.header('content-last-key', String((page - 1) * perPage + r.orders.length));
    return r.orders.map(({ order, payment }) => camara.view(order, payment, showNumber(req)));
  });
  route('GET', '/payments/:paymentId', 'camara.retrievePayment', { params: PaymentIdParams }, (req) => {
    const id = (req.params as { paymentId: string }).paymentId;
    const o = camara.get(req.sp!.id, id);
    return camara.view(o, camara.payment(id)!, showNumber(req));
  });
  const second = (what: 'confirm' | 'cancel') => (req: FastifyRequest, reply: FastifyReply) => {
    const id = (req.params as { paymentId: string }).paymentId;
    const phone = (req.body as { phoneNumber?: string }).phoneNumber;
    if (what === 'confirm') camara.confirm(req.sp!.id, id, phone);
    else camara.cancel(req.sp!.id, id, phone);
    deps.onChange?.();
    reply.code(202).send();
  };
  route(
    'POST',
    '/payments/:paymentId/confirm',
    'camara.confirmPayment',
    { params: PaymentIdParams, body: PhoneNumberBody },
    second('confirm'),
  );
  route(
    'POST',
    '/payments/:paymentId/cancel',
    'camara.cancelPayment',
    { params: PaymentIdParams, body: PhoneNumberBody },
    second('cancel'),
  );
  // gnpay's validation is the pay page (validationInfo action "open"): no authorizationId is ever issued
  route('POST', '/payments/:paymentId/validate', 'camara.validatePayment', { params: PaymentIdParams }, () => {
    throw new CamaraError(
      400,
      'CARRIER_BILLING.INVALID_AUTHORIZATION_ID',
      'Invalid authorizationId: payments are validated by the subscriber on their validationURL',
    );
  });
}
