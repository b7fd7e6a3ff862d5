/** Where a CLI command reads and writes; injectable so commands are testable in-process. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const processIO: CliIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
};

export interface CliCommand {
  readonly spec: import('./args').CommandSpec;
  run(parsed: import('./args').Parsed, io: CliIO): Promise<number>;
}
