// Reading the configuration schema at run time: the defaults, which keys a
// reload applies, the keys of a section. They walk the schema as plain JSON
// (src/config-schema-data.ts, written by `npm run docs` from
// src/config-schema.ts), so a start does not load the schema builder.
import { CONFIG_SCHEMA } from './config-schema-data';

/** A node of the configuration schema, as JSON. */
export interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  enum?: string[];
  default?: unknown;
  reloadable?: boolean;
  description?: string;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  /** the other JSON Schema keywords (the validator's, src/config-validator.ts) */
  [keyword: string]: unknown;
}

/** The defaults: every key's `default`, sections built from their keys (optional keys absent). */
export function defaultsOf(schema: SchemaNode = CONFIG_SCHEMA): unknown {
  if (schema.default !== undefined) return structuredClone(schema.default);
  if (schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema.properties)) if (schema.required?.includes(k)) out[k] = defaultsOf(v);
    return out;
  }
  return undefined;
}

/** The schema node of a dotted path, and the nodes above it (root first). */
function nodesOf(path: string, root: SchemaNode): SchemaNode[] {
  const out: SchemaNode[] = [root];
  for (const part of path.split('.').filter(Boolean)) {
    const next = out[out.length - 1]?.properties?.[part];
    if (!next) break;
    out.push(next);
  }
  return out;
}

/** Whether a SIGHUP reload applies a change of this key (the nearest `reloadable` on its path). */
export function isReloadable(path: string, root: SchemaNode = CONFIG_SCHEMA): boolean {
  const nodes = nodesOf(path, root);
  for (const node of nodes.reverse()) if (node.reloadable !== undefined) return node.reloadable;
  return false;
}

/** The keys a section of the schema knows (for "did you mean"). */
export function keysAt(path: string, root: SchemaNode = CONFIG_SCHEMA): string[] {
  const nodes = nodesOf(path, root);
  const n = nodes[nodes.length - 1];
  return n && nodes.length - 1 === path.split('.').filter(Boolean).length ? Object.keys(n.properties ?? {}) : [];
}
