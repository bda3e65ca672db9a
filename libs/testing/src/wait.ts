export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A description of what is awaited, computed when the wait fails (it may say how far it got). */
export type What = string | (() => string);
const describe = (what: What): string => (typeof what === 'string' ? what : what());

/** Polls until `predicate` holds; fails after `timeoutMs`, saying what it waited for. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: What, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe(what)}`);
    await sleep(everyMs);
  }
}

/** Polls `probe` until its value satisfies `predicate` and answers that value; fails after `timeoutMs` with the last value seen. */
export async function waitForValue<T>(probe: () => Promise<T> | T, predicate: (value: T) => boolean, timeoutMs: number, what: What, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe(what)}; last seen: ${JSON.stringify(value)?.slice(0, 2000)}`);
    await sleep(everyMs);
  }
}

/** `promise`, or a rejection after `timeoutMs` saying what it waited for; the timer is cleared so it cannot keep jest alive. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: What): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describe(what)}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
