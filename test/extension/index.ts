/**
 * The in-extension-host test runner (test-electron style): VS Code loads this
 * file from `extensionTestsPath` and calls `run()`; the window exits with
 * mocha's result. Bundled by scripts/e2e/build-extension-tests.mjs next to the
 * bundled `*.test.js` files; `mocha` itself resolves from the repo's node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/** Marks the reporter's lines among the extension host's console output the harness receives. */
export const OUTPUT_MARKER = '[celeriac-test] ';

export function run(): Promise<void> {
  // One preformatted string per line, so the forwarded console keeps it intact.
  (Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void }).consoleLog = (...a) => {
    for (const line of format(...a).split('\n')) console.log(OUTPUT_MARKER + line);
  };
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env.CELERIAC_TEST_GREP;
  if (grep) mocha.grep(grep);
  // The files run in name order; they share one window, so order matters (see each file).
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} in-host test(s) failed`)) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}
