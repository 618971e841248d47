/**
 * Refuses logins for an account for a while after repeated failures, so a password cannot be
 * guessed at request speed. Counted per process: with several API replicas each applies its own
 * limit, which still bounds guessing to replicas × limit per window.
 */
export interface LoginThrottle {
  /** Seconds until the account may try again, or 0. */
  blockedFor(account: string): number;
  failed(account: string): void;
  succeeded(account: string): void;
}

export function loginThrottle(maxFailures: number, windowSeconds: number, now: () => Date): LoginThrottle {
  const failures = new Map<string, { count: number; since: number; blockedUntil: number }>();
  const seconds = (): number => now().getTime() / 1000;
  return {
    blockedFor(account) {
      const entry = failures.get(account);
      return entry === undefined ? 0 : Math.max(0, Math.ceil(entry.blockedUntil - seconds()));
    },
    failed(account) {
      const at = seconds();
      // Unknown emails are counted too (no account enumeration), so old entries are swept.
      if (failures.size > 10_000) {
        for (const [key, entry] of failures) if (at - entry.since > windowSeconds && entry.blockedUntil < at) failures.delete(key);
      }
      const entry = failures.get(account);
      const current = entry === undefined || at - entry.since > windowSeconds ? { count: 0, since: at, blockedUntil: 0 } : entry;
      current.count += 1;
      if (current.count >= maxFailures) current.blockedUntil = at + windowSeconds;
      failures.set(account, current);
    },
    succeeded(account) {
      failures.delete(account);
    },
  };
}
