/**
 * A token bucket: `qps` tokens a second, up to `burst` saved. `reserve()` takes a token and says
 * how long to wait before using it — the global limit on retries that keeps a failing fleet of
 * objects from hammering the API server.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Milliseconds until the reserved token is available (0 when one is free now). */
  reserve(): number {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.qps) * 1000);
  }
}
