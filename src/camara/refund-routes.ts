// CAMARA Carrier Billing Refund v0.3 (/carrier-billing-refund/v0.3): refunds
// of an SP's payment (a CAMARA payment or a /v1 order: the paymentId is the
// order id), total or partial, over the same refunds as POST /v1/orders/{id}/refunds.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store';
import { DomainError } from '../store/errors';
import type { RefundRow } from '../store/refunds';
import { toMajorUnits, toMinorUnits } from './amount';
import { CamaraError } from './store';

export const REFUND_BASE = '/carrier-billing-refund/v0.3';

const ChargingInformation = {
  type: 'object',
  required: ['amount', 'currency', 'description'],
  properties: {
    amount: { type: 'number', exclusiveMinimum: 0 },
    currency: { type: 'string', minLength: 3, maxLength: 3 },
    description: { type: 'string', maxLength: 1000 },
    isTaxIncluded: { type: 'boolean' },
    taxAmount: { type: 'number', minimum: 0 },
  },
} as const;

const CreateRefundBody = {
  type: 'object',
  required: ['type', 'amountTransaction'],
  properties: {
    type: { type: 'string', enum: ['total', 'partial'] },
    reason: { type: 'string', maxLength: 500 },
    sink: { type: 'string', pattern: '^https:\\/\\/.+$', maxLength: 2048 },
    sinkCredential: {
      type: 'object',
      required: ['credentialType'],
      properties: {
        credentialType: { type: 'string', enum: ['PLAIN', 'ACCESSTOKEN', 'REFRESHTOKEN'] },
        accessToken: { type: 'string' },
        accessTokenType: { type: 'string' },
      },
    },
    amountTransaction: {
      type: 'object',
      required: ['refundAmount', 'referenceCode'],
      properties: {
        clientCorrelator: { type: 'string', minLength: 1, maxLength: 256 },
        referenceCode: { type: 'string', minLength: 1, maxLength: 128 },
        refundAmount: {
          type: 'object',
          properties: {
            chargingInformation: ChargingInformation,
            chargingMetaData: { type: 'object' },
            refundDetails: { type: 'array' },
          },
        },
      },
    },
  },
} as const;

const Params = {
  type: 'object',
  required: ['paymentId'],
  properties: { paymentId: { type: 'string', maxLength: 64 } },
} as const;
const RefundParams = {
  type: 'object',
  required: ['paymentId', 'refundId'],
  properties: { paymentId: { type: 'string', maxLength: 64 }, refundId: { type: 'string', maxLength: 64 } },
} as const;

interface CreateRefund {
  type: 'total' | 'partial';
  reason?: string;
  sink?: string;
  sinkCredential?: { credentialType: string; accessToken?: string; accessTokenType?: string };
  amountTransaction: {
    clientCorrelator?: string;
    referenceCode: string;
    refundAmount: {
      chargingInformation?: { amount: number; currency: string; description: string };
      chargingMetaData?: unknown;
      refundDetails?: unknown;
    };
  };
}

/** CAMARA refundStatus of a refund. */
export function refundStatus(r: RefundRow): 'processing' | 'succeeded' | 'denied' {
  return r.status === 'pending' ? 'processing' : r.status === 'succeeded' ? 'succeeded' : 'denied';
}

export function camaraRefundView(r: RefundRow): Record<string, unknown> {
  const req = r.camara ? (JSON.parse(r.camara) as CreateRefund) : null;
  const at = req?.amountTransaction;
  const refundAmount: Record<string, unknown> =
    r.type === 'partial'
      ? {
          ...(at?.refundAmount ?? {}),
          chargingInformation: {
            ...(at?.refundAmount.chargingInformation ?? { description: r.reason ?? 'refund' }),
            amount: toMajorUnits(r.amount, r.currency),
            currency: r.currency,
          },
        }
      : { ...(at?.refundAmount ?? {}) };
  const out: Record<string, unknown> = {
    refundId: r.id,
    refundStatus: refundStatus(r),
    type: r.type,
    refundCreationDate: new Date(r.created_at).toISOString(),
    amountTransaction: {
      ...(at?.clientCorrelator !== undefined ? { clientCorrelator: at.clientCorrelator } : {}),
      refundAmount,
      referenceCode: at?.referenceCode ?? r.id,
    },
  };
  if (r.status === 'succeeded' && r.completed_at !== null) out.refundDate = new Date(r.completed_at).toISOString();
  if (r.reason !== null) out.reason = r.reason;
  if (r.sink) out.sink = r.sink;
  return out;
}

export function registerRefundRoutes(
  app: FastifyInstance,
  deps: { store: Store; refundsSupported?: () => boolean; onChange?: () => void },
): void {
  const { store } = deps;
  const route = (
    method: 'GET' | 'POST',
    url: string,
    operationId: string,
    schema: Record<string, unknown>,
    handler: (req: FastifyRequest, reply: FastifyReply) => unknown,
  ) => app.route({ method, url: `${REFUND_BASE}${url}`, schema, config: { auth: true, operationId }, handler });
  const order = (req: FastifyRequest) => {
    try {
      return store.orders.get(req.sp!.id, (req.params as { paymentId: string }).paymentId);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'NOT_FOUND')
        throw new CamaraError(404, 'NOT_FOUND', 'The specified resource is not found.');
      throw err;
    }
  };

  route(
    'POST',
    '/payments/:paymentId/refunds',
    'camara.createRefund',
    { params: Params, body: CreateRefundBody },
    (req, reply) => {
      const b = req.body as CreateRefund;
      const o = order(req);
      if (deps.refundsSupported && !deps.refundsSupported())
        throw new CamaraError(
          403,
          'CARRIER_BILLING_REFUND.REFUND_DENIED',
          'Refunds are not available with this payment platform',
        );
      if (b.sinkCredential) {
        if (b.sinkCredential.credentialType !== 'ACCESSTOKEN')
          throw new CamaraError(400, 'INVALID_CREDENTIAL', 'Only Access token is supported');
        if (b.sinkCredential.accessTokenType !== 'bearer' || typeof b.sinkCredential.accessToken !== 'string')
          throw new CamaraError(400, 'INVALID_TOKEN', 'Only bearer token is supported');
      }
      let amount: number | undefined;
      if (b.type === 'partial') {
        const ci = b.amountTransaction.refundAmount.chargingInformation;
        if (!ci)
          throw new CamaraError(
            400,
            'INVALID_ARGUMENT',
            'a partial refund needs amountTransaction.refundAmount.chargingInformation',
          );
        if (ci.currency !== o.currency)
          throw new CamaraError(400, 'INVALID_ARGUMENT', `the refund's currency must be the payment's (${o.currency})`);
        const m = toMinorUnits(ci.amount, ci.currency);
        if (!m.ok)
          throw new CamaraError(
            400,
            'INVALID_ARGUMENT',
            `amountTransaction.refundAmount.chargingInformation.amount ${m.why}`,
          );
        amount = m.minor;
      }
      try {
        const { refund, replayed } = store.refunds.create(req.sp!.id, o.id, {
          amount,
          reason: b.reason,
          idempotencyKey:
            b.amountTransaction.clientCorrelator === undefined
              ? undefined
              : `camara:${b.amountTransaction.clientCorrelator}`,
          camara: { request: b, sink: b.sink, sinkToken: b.sinkCredential?.accessToken },
        });
        if (!replayed) deps.onChange?.();
        reply.code(201);
        return camaraRefundView(refund);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        if (err.code === 'ORDER_NOT_REFUNDABLE') {
          throw o.status === 'refunded'
            ? new CamaraError(403, 'CARRIER_BILLING_REFUND.PAYMENT_NOT_ELIGIBLE_FOR_REFUND', err.message)
            : new CamaraError(422, 'CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS', err.message);
        }
        if (err.code === 'REFUND_EXCEEDS_REMAINING')
          throw new CamaraError(422, 'CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT', err.message);
        if (err.code === 'CONFLICT')
          throw new CamaraError(
            409,
            'ALREADY_EXISTS',
            'clientCorrelator already exists on the server with another request',
          );
        throw err;
      }
    },
  );
  route('GET', '/payments/:paymentId/refunds', 'camara.retrieveRefunds', { params: Params }, (req, reply) => {
    const o = order(req);
    const list = store.refunds.list(o.id);
    reply.header('x-total-count', String(list.length));
    return list.map(camaraRefundView);
  });
  route(
    'GET',
    '/payments/:paymentId/refunds/remaining-amount',
    'camara.retrievePaymentRemainingAmount',
    { params: Params },
    (req) => {
      const o = order(req);
      return { amount: toMajorUnits(store.refunds.remaining(o), o.currency), currency: o.currency };
    },
  );
  route('GET', '/payments/:paymentId/refunds/:refundId', 'camara.retrieveRefund', { params: RefundParams }, (req) => {
    const o = order(req);
    const r = store.refunds.find((req.params as { refundId: string }).refundId);
    if (!r || r.order_id !== o.id) throw new CamaraError(404, 'NOT_FOUND', 'The specified resource is not found.');
    return camaraRefundView(r);
  });
}
