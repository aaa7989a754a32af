// The SP API's error bodies (src/api/errors.ts).
import t from 'tap';
import { toErrorBody } from '../../src/api/errors';

t.test('toErrorBody maps what fastify throws', async (t) => {
  t.same(
    toErrorBody(
      Object.assign(new Error('Request body size did not match Content-Length'), {
        code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
        statusCode: 400,
      }),
    ),
    { status: 400, code: 'INVALID_ARGUMENT', message: 'the body is not valid JSON' },
  );
  t.same(toErrorBody(Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_X', statusCode: 406 })), {
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Unsupported Media Type',
  });
  t.same(toErrorBody(new Error('x')), { status: 500, code: 'INTERNAL', message: 'internal error' });
  t.same(
    toErrorBody(
      Object.assign(new Error('x'), {
        validation: [{ instancePath: '', keyword: 'type', params: {} }],
        validationContext: undefined,
      }),
    ),
    { status: 400, code: 'INVALID_ARGUMENT', message: 'request is invalid' },
  );
});
