// Interning of the informer caches' strings. JSON.parse makes a new string for every value, so the
// objects cached for 1,000 Gaims hold thousands of copies of the same labels, API versions, access
// modes, images and condition messages: a heap snapshot of the operator at 300 Gaims held
// "gaim-operator" 5,401 times, and 4.1 MiB of its 6.8 MiB of short strings were copies of another.
//
// The table is bounded and has two generations: when the current one is full it becomes the old
// one and a new one starts; a value found in the old one moves to the new one. Values that never
// repeat (uids, timestamps) age out with their generation, and those that repeat stay shared across
// resets, so copies do not creep back over the operator's uptime. Resource versions, new on every
// event, are not interned at all; long strings neither: they rarely repeat, and hashing them costs
// more than they could save.

const MAX_LENGTH = 256;
const CAPACITY = 16_384;
/** Property names whose values never repeat: interning them would only churn the table. */
const UNIQUE = new Set(['resourceVersion']);

export class StringInterner {
  #current = new Map<string, string>();
  #old = new Map<string, string>();

  constructor(private readonly capacity = CAPACITY) {}

  /** The one copy of `value` this interner hands out (the first it was given, while it is remembered). */
  intern(value: string): string {
    if (value.length > MAX_LENGTH) return value;
    const known = this.#current.get(value);
    if (known !== undefined) return known;
    const kept = this.#old.get(value) ?? value;
    if (this.#current.size >= this.capacity) {
      this.#old = this.#current;
      this.#current = new Map();
    }
    this.#current.set(kept, kept);
    return kept;
  }

  /**
   * Replaces, in place, every string inside a freshly parsed JSON value with its interned copy
   * (property names need nothing: V8 interns those itself). Returns the value.
   */
  internAll<T>(value: T): T {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.#one(value[i]);
    } else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) if (!UNIQUE.has(key)) record[key] = this.#one(record[key]);
    }
    return value;
  }

  #one(value: unknown): unknown {
    if (typeof value === 'string') return this.intern(value);
    if (typeof value === 'object' && value !== null) return this.internAll(value);
    return value;
  }

  /** Whether `value` is in the table (either generation). */
  remembers(value: string): boolean {
    return this.#current.has(value) || this.#old.has(value);
  }

  /** Values remembered, in both generations. */
  get size(): number {
    return this.#current.size + this.#old.size;
  }
}

/** Shared by every informer: the same labels and API versions appear on objects of every kind. */
export const cacheStrings = new StringInterner();
