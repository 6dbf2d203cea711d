// What must reach the server before a sign-out: a screen registers it while it has
// something to end (the viewer while it presents to the room), and the sign-out runs it
// first, so that the change is queued before the outbox is sent for the last time.

const hooks = new Set<() => Promise<void>>();

/** Registers `f` to run before a sign-out; returns the function that unregisters it. */
export function beforeLogout(f: () => Promise<void>): () => void {
  hooks.add(f);
  return () => hooks.delete(f);
}

/** Runs every registered hook, each at most `timeoutMs`; a failing one does not stop
 *  the sign-out. */
export async function runBeforeLogout(timeoutMs = 2000): Promise<void> {
  await Promise.all(
    [...hooks].map((f) =>
      Promise.race([f().catch(() => {}), new Promise<void>((done) => setTimeout(done, timeoutMs))]),
    ),
  );
}
