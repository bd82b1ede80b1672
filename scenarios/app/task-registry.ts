import { Lock } from 'racecheck/sync';

/**
 * The task registry of seed article 000, as the article ends up writing it: plain Map operations, no lock.
 * None of them awaits, so none can be interrupted: each runs as one piece between two scheduling points.
 */
export class TaskRegistry {
  readonly #tasks = new Map<string, Promise<unknown>>();

  addTask(name: string, task: Promise<unknown>): void {
    this.#tasks.set(name, task);
  }

  removeTask(name: string): void {
    this.#tasks.delete(name);
  }

  getTask(name: string): Promise<unknown> | undefined {
    return this.#tasks.get(name);
  }

  listTasks(): string[] {
    return [...this.#tasks.keys()];
  }
}

/** The article's first version: every operation async and under a lock. Correct too, only slower to call. */
export class LockedTaskRegistry {
  readonly #tasks = new Map<string, Promise<unknown>>();
  readonly #lock = new Lock();

  async addTask(name: string, task: Promise<unknown>): Promise<void> {
    await this.#lock.runExclusive(() => {
      this.#tasks.set(name, task);
    });
  }

  async removeTask(name: string): Promise<void> {
    await this.#lock.runExclusive(() => {
      this.#tasks.delete(name);
    });
  }

  async getTask(name: string): Promise<Promise<unknown> | undefined> {
    return this.#lock.runExclusive(() => this.#tasks.get(name));
  }

  listTasks(): string[] {
    return [...this.#tasks.keys()];
  }
}

/**
 * 000's "Mistake 1" (`get_config` under a lock): a settings holder whose reads take no lock. A read is one
 * property access and an update replaces the whole object at once, so a reader sees the old settings or
 * the new ones, never half of each.
 */
export class ConfigHolder<C extends object> {
  #config: C;

  constructor(initial: C) {
    this.#config = initial;
  }

  getConfig(): C {
    return this.#config;
  }

  setConfig(config: C): void {
    this.#config = config;
  }
}

/**
 * 000's "Mistake 1" as the article first writes it: `async def get_config(self): async with self._lock:
 * return self._config`. A read with no await inside, under a lock: correct, and the lock protects nothing.
 */
export class LockedConfigHolder<C extends object> {
  #config: C;
  readonly #lock = new Lock();

  constructor(initial: C) {
    this.#config = initial;
  }

  async getConfig(): Promise<C> {
    return this.#lock.runExclusive(() => this.#config);
  }

  async setConfig(config: C): Promise<void> {
    await this.#lock.runExclusive(() => {
      this.#config = config;
    });
  }
}
