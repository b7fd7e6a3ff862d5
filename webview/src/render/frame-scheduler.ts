/**
 * Coalesces redraw requests: any number of requests before the next frame
 * cause one draw, in requestAnimationFrame, so a burst of events or wheel
 * ticks never draws more than the screen can show.
 */
export class FrameScheduler {
  private pending = 0;

  constructor(private readonly draw: (time: number) => void) {}

  request(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame((time) => {
      this.pending = 0;
      this.draw(time);
    });
  }

  dispose(): void {
    if (this.pending) cancelAnimationFrame(this.pending);
    this.pending = 0;
  }
}
