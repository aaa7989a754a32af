// CAMARA's own API definitions (../shared/specs/camara, never copied into the
// repository) as validators: a response or notification of gnpay's CAMARA
// routes is checked against the schema the definition gives for it, and the
// definitions' examples are assembled into requests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { ROOT } from '../e2e/harness';

export type SpecName = 'carrier-billing' | 'carrier-billing-refund' | 'number-verification';

/** The directory of the definitions (a worktree may sit one level deeper), or null. */
export function specDir(): string | null {
  const candidates = [
    process.env.GNPAY_CAMARA_SPECS,
    join(ROOT, '..', 'shared', 'specs', 'camara'),
    join(ROOT, '..', '..', 'shared', 'specs', 'camara'),
  ];
  for (const c of candidates) if (c && existsSync(join(c, 'carrier-billing.yaml'))) return c;
  return null;
}

export const SPECS_ABSENT = '../shared/specs/camara is absent (set GNPAY_CAMARA_SPECS): CAMARA conformance not checked';

type Doc = Record<string, any>;

export class CamaraSpec {
  readonly doc: Doc;
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(
    dir: string,
    readonly name: SpecName,
  ) {
    this.doc = YAML.parse(readFileSync(join(dir, `${name}.yaml`), 'utf8')) as Doc;
    // OpenAPI 3.0 schemas: unknown keywords (example, discriminator, nullable) are ignored
    this.ajv = new Ajv({
      strict: false,
      allErrors: true,
      formats: {
        'date-time': (s: string) =>
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)),
        uri: (s: string) => /^[a-z][a-z0-9+.-]*:/i.test(s),
        'uri-reference': true,
        float: true,
        int32: true,
        int64: true,
        byte: true,
      },
    });
    this.ajv.addSchema({ components: this.doc.components }, `${name}.yaml`);
  }

  /** A validator of a named component schema (`Payment`) or of any JSON pointer in the document. */
  validator(ref: string): ValidateFunction {
    const pointer = ref.startsWith('#') ? ref : `#/components/schemas/${ref}`;
    let v = this.cache.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `${this.name}.yaml${pointer}` });
      this.cache.set(pointer, v);
    }
    return v;
  }

  /** The schema of an operation's response (status "201", media type application/json). */
  responseSchemaRef(path: string, method: string, status: string): string {
    let r = this.doc.paths[path][method].responses[status];
    if (r.$ref) r = this.resolve(r.$ref);
    const s = r.content?.['application/json']?.schema;
    if (!s) throw new Error(`no JSON schema for ${method} ${path} ${status}`);
    if (s.$ref) return s.$ref;
    // an inline schema: compile it with the document's components in reach
    const id = `#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${status}`;
    this.cache.set(id, this.ajv.compile(rewriteRefs(s, `${this.name}.yaml`) as Doc));
    return id;
  }

  /** Errors of `value` against the response of an operation (empty when valid). */
  checkResponse(path: string, method: string, status: number, value: unknown): string[] {
    const responses = this.doc.paths[path][method].responses;
    if (!responses[String(status)])
      return [
        `${method.toUpperCase()} ${path}: status ${status} is not in the definition (${Object.keys(responses).join(', ')})`,
      ];
    let r = responses[String(status)];
    if (r.$ref) r = this.resolve(r.$ref);
    const s = r.content?.['application/json']?.schema;
    if (!s) return value === undefined || value === '' ? [] : [`${status} has no body in the definition`];
    const v = this.ajv.compile(rewriteRefs(s, `${this.name}.yaml`) as Doc);
    return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }

  check(ref: string, value: unknown): string[] {
    const v = this.validator(ref);
    return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }

  resolve(ref: string): Doc {
    let cur: Doc = this.doc;
    for (const part of ref.replace(/^#\//, '').split('/')) cur = cur[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return cur;
  }

  /**
   * A request body assembled from the definition's examples: every property
   * that has an `example` (following $ref and allOf), objects built from
   * their properties, arrays of one item. Discriminated unions take `pick`.
   */
  example(ref: string, pick: Record<string, string> = {}): unknown {
    const build = (s: Doc, depth: number): unknown => {
      if (depth > 12) return undefined;
      if (s.$ref) {
        const name = s.$ref.split('/').pop();
        if (pick[name] !== undefined) return build({ $ref: pick[name] }, depth + 1);
        return build(this.resolve(s.$ref), depth + 1);
      }
      if (s.example !== undefined && s.type !== 'object') return s.example;
      if (s.allOf) {
        const parts = (s.allOf as Doc[]).map((p) => build(p, depth + 1)).filter((x) => x !== undefined);
        if (parts.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p)))
          return Object.assign({}, ...parts);
        return parts[parts.length - 1];
      }
      if (s.type === 'array' && s.items) {
        const item = build(s.items, depth + 1);
        return item === undefined ? undefined : [item];
      }
      if (s.properties) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(s.properties as Doc)) {
          const x = build(v as Doc, depth + 1);
          if (x !== undefined) out[k] = x;
        }
        return out;
      }
      if (s.enum) return s.enum[0];
      return s.example;
    };
    return build({ $ref: ref.startsWith('#') ? ref : `#/components/schemas/${ref}` }, 0);
  }
}

function rewriteRefs(s: unknown, base: string): unknown {
  if (Array.isArray(s)) return s.map((x) => rewriteRefs(x, base));
  if (s && typeof s === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s))
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `${base}${v}` : rewriteRefs(v, base);
    return out;
  }
  return s;
}

export function loadSpec(name: SpecName): CamaraSpec | null {
  const dir = specDir();
  return dir ? new CamaraSpec(dir, name) : null;
}
