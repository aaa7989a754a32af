// ESM load hook (registered by ts-import.mjs): a .ts file is CommonJS, which
// Node hands to the CommonJS loader and so to ts-require.js.
export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) return { format: 'commonjs', shortCircuit: true };
  return next(url, context);
}
