/** This package's version (sent as sw_ver in worker events and shown by --version). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../../package.json') as { version: string }).version;
