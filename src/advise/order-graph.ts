/**
 * The lock-order graph of a scenario, over all its runs (lockdep's idea): an edge A → B says that a task
 * asked for B while it held A. A cycle whose edges different tasks took is a deadlock waiting for the right
 * timing, whether or not a run hit it. Nodes are locks named by construction site and by their place among
 * the locks made there in a run, so two accounts' locks made by one `new Lock()` are two nodes; a cycle
 * through locks that the same third lock guards (a gate both orders are taken under) is not reported.
 */
import type { SiteRef } from '../site.js';
import type { LockSite } from '../scheduler/lock-sites.js';

export interface LockNode {
  readonly key: string;
  readonly site: LockSite;
  /** Its place among the locks made at `site` in a run: 0 for the first. */
  readonly ordinal: number;
}

/** One way an edge was taken: by which task, at which acquires, holding which other locks. */
export interface EdgeTaking {
  readonly task: string;
  /** Where the held lock was acquired, and where the next one was asked for. */
  readonly outerSite: SiteRef | null;
  readonly innerSite: SiteRef | null;
  /** Keys of the other locks the task held at the time. */
  readonly guards: readonly string[];
}

/** A cycle that can deadlock: its locks in order, and for each edge (lock i → lock i+1) who takes it how. */
export interface OrderCycle {
  readonly nodes: readonly LockNode[];
  readonly takings: readonly EdgeTaking[];
}

interface Edge {
  readonly from: LockNode;
  readonly to: LockNode;
  readonly takings: EdgeTaking[];
}

/** Different guard sets kept per task and edge: enough to find a disjoint pair, bounded whatever the program does. */
const TAKINGS_PER_TASK = 4;
/** Longest cycle looked for: a deadlock of more tasks than this is rare, and the search is exponential. */
const MAX_CYCLE = 4;

export class LockOrderGraph {
  private readonly nodes = new Map<string, LockNode>();
  private readonly edges = new Map<string, Edge>();
  private readonly out = new Map<string, string[]>();

  /** Task `task` asked for `to` while holding `from` (and the `guards` besides). */
  add(from: LockNode, to: LockNode, taking: EdgeTaking): void {
    if (from.key === to.key) return;
    this.nodes.set(from.key, from);
    this.nodes.set(to.key, to);
    const key = `${from.key}\u0000${to.key}`;
    let edge = this.edges.get(key);
    if (!edge) {
      edge = { from, to, takings: [] };
      this.edges.set(key, edge);
      const targets = this.out.get(from.key);
      if (targets) targets.push(to.key);
      else this.out.set(from.key, [to.key]);
    }
    const guards = taking.guards.join('\u0000');
    const sameTask = edge.takings.filter((t) => t.task === taking.task);
    if (sameTask.length >= TAKINGS_PER_TASK || sameTask.some((t) => t.guards.join('\u0000') === guards)) return;
    edge.takings.push(taking);
  }

  /** Every elementary cycle (up to MAX_CYCLE locks) that distinct tasks can take at once. */
  cycles(): OrderCycle[] {
    const order = [...this.nodes.keys()];
    const rank = new Map(order.map((key, i) => [key, i]));
    const found: OrderCycle[] = [];
    const path: string[] = [];
    const visit = (start: string, at: string): void => {
      for (const next of this.out.get(at) ?? []) {
        if (next === start) {
          const cycle = this.feasible([...path]);
          if (cycle) found.push(cycle);
          continue;
        }
        // Each cycle once: from its lowest-ranked node, never through a node already on the path.
        if (rank.get(next)! < rank.get(start)! || path.includes(next) || path.length >= MAX_CYCLE) continue;
        path.push(next);
        visit(start, next);
        path.pop();
      }
    };
    for (const start of order) {
      path.length = 0;
      path.push(start);
      visit(start, start);
    }
    return found;
  }

  /** A choice of one taking per edge of the cycle by distinct tasks with disjoint guards, if there is one. */
  private feasible(keys: readonly string[]): OrderCycle | undefined {
    const edges = keys.map((key, i) => this.edges.get(`${key}\u0000${keys[(i + 1) % keys.length]}`)!);
    const chosen: EdgeTaking[] = [];
    const pick = (i: number): boolean => {
      if (i === edges.length) return true;
      for (const taking of edges[i]!.takings) {
        if (chosen.some((other) => other.task === taking.task || other.guards.some((guard) => taking.guards.includes(guard)))) continue;
        chosen.push(taking);
        if (pick(i + 1)) return true;
        chosen.pop();
      }
      return false;
    };
    if (!pick(0)) return undefined;
    return { nodes: keys.map((key) => this.nodes.get(key)!), takings: chosen };
  }
}
