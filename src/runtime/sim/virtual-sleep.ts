/**
 * A pause in the simulation's time: the simulator fakes the process's timers,
 * so a plain setTimeout here passes virtual time, not wall time.
 */
export function virtualSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
