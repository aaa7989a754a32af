import t from 'tap';
import { EXIT_CAPTURE, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../src/cli/common';
import { finalCode, sourceFailureCode } from '../../src/daemon/exit-codes';

t.test('a failed source: unreadable file 3, rejected filter 2, else 1', async (t) => {
  t.equal(sourceFailureCode({ name: 'CaptureFileError', code: 'ERR_GNPAY_CAPTURE_FILE' }), EXIT_CAPTURE);
  t.equal(sourceFailureCode({ name: 'CaptureFilterError', code: 'ERR_GNPAY_BAD_FILTER' }), EXIT_USAGE);
  t.equal(sourceFailureCode({ name: 'CaptureFilterError' }), EXIT_FAILURE, 'by code, never by name');
  t.equal(sourceFailureCode(new Error('x')), EXIT_FAILURE);
});

t.test('a clean stop that lost sightings or left payments in doubt fails; other codes are kept', async (t) => {
  t.equal(finalCode(EXIT_OK, { sightings: 0 }), EXIT_OK);
  t.equal(finalCode(EXIT_OK, { sightings: 2 }), EXIT_FAILURE);
  t.equal(finalCode(EXIT_OK, { sightings: 0, inDoubt: 1 }), EXIT_FAILURE);
  t.equal(finalCode(EXIT_CAPTURE, { sightings: 2, inDoubt: 1 }), EXIT_CAPTURE);
  t.equal(finalCode(EXIT_USAGE, { sightings: 0 }), EXIT_USAGE);
});
