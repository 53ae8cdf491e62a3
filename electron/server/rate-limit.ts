/** Token buckets by key (a session, or a client address for sign-ins): `ratePerSecond` sustained, `burst` at once. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when the request may go ahead; otherwise how many ms until it could. */
  take(key: string, cost = 1): number {
    const at = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((at - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = at;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 0;
    }
    if (this.buckets.size > 50_000) this.sweep(at);
    return Math.ceil(((cost - bucket.tokens) / this.ratePerSecond) * 1000);
  }

  private sweep(at: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.tokens + ((at - bucket.at) / 1000) * this.ratePerSecond >= this.burst) this.buckets.delete(key);
  }
}
