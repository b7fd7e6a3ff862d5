/**
 * Newline-delimited JSON over a stream socket. Writes made in one tick are
 * coalesced into one syscall (cork/uncork), which is what keeps a worker that
 * acks thousands of tasks a second cheap.
 */
import type { Socket } from 'node:net';

export class LineSocket<In, Out> {
  private buffer = '';
  private corked = false;

  constructor(
    readonly socket: Socket,
    onFrame: (frame: In) => void,
    onBadFrame: (line: string, error: Error) => void,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let start = 0;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n', start)) !== -1) {
        const line = this.buffer.slice(start, nl);
        start = nl + 1;
        if (!line) continue;
        let frame: In;
        try {
          frame = JSON.parse(line) as In;
        } catch (err) {
          onBadFrame(line, err as Error);
          continue;
        }
        onFrame(frame);
      }
      this.buffer = start === 0 ? this.buffer : this.buffer.slice(start);
    });
  }

  send(frame: Out): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(JSON.stringify(frame) + '\n');
  }
}
