/**
 * Remembers answers that found nothing, so a bot asking again about the same hashes (a popular meme posted in many
 * rooms) is answered without a lookup. Entries carry the generation they were made under (bank contents and rules):
 * any change to either makes every older entry a miss. Entries expire after `ttlMs` too, for what Matchdesk cannot
 * see change (an HMA bank). Least recently used entries go first when full.
 */
export class CleanCache {
  private readonly entries = new Map<string, { generation: string; at: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  has(key: string, generation: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (entry.generation !== generation || this.now() - entry.at > this.ttlMs) {
      this.entries.delete(key);
      return false;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return true;
  }

  add(key: string, generation: string): void {
    this.entries.delete(key);
    this.entries.set(key, { generation, at: this.now() });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
