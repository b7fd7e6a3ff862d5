/**
 * Wait for `work` at most `ms`; false if it is still pending then. For clean-up
 * on the way out: a broker that is down may keep a command waiting for its
 * return (Redis clients do, with maxRetriesPerRequest: null), and stopping
 * must not wait that long.
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
