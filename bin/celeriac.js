#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/runtime/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]runtime[\\/]cli/.test(err.message)) {
    process.stderr.write('celeriac: dist/ is missing; run `npm run build` (or `npm install`) first\n');
    process.exit(2);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Exit once the event loop drains; if a connection lingers, do not hang the shell.
  setTimeout(() => process.exit(code), 1000).unref();
});
