// The version of the installed package (package.json sits above src/ and dist/).
export const VERSION = (require('../package.json') as { version: string }).version;
