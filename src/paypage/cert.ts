// A self-signed certificate for a pay host, made with the openssl command
// (for the demo, the benchmark and the tests; production uses a real one).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
}

export function selfSignedCert(dir: string, names = ['pay.example.net', '*.pay.example.net']): CertFiles {
  const certFile = join(dir, 'pay.crt');
  const keyFile = join(dir, 'pay.key');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${names[0]}`,
        '-addext',
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    throw new Error(
      `cannot make a certificate for ${names[0]} with openssl (apt-get install openssl): ${(err as Error).message.split('\n')[0]}`,
    );
  }
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
}
