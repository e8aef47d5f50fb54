/**
 * The responses being answered, so that a drain can tell those whose head is
 * not written yet to close their connection (`startDraining` in `handler.ts`).
 *
 * A doubly linked list through one small node per request rather than a
 * `Set`: a long-lived `Set` that gained and lost an entry per request made
 * every minor garbage collection about three times dearer, ~4 µs per request
 * on the bench (bench/README.md "Per core"; presumably its hash table, rebuilt
 * as deleted slots pile up, outlived the young generation each time). Adding
 * and removing a node touches only its neighbours.
 */
import type { ServerResponse } from 'node:http';

/** One response in the list; `remove` it once the response is over. */
export interface InFlightEntry {
  readonly res: ServerResponse;
}

interface Node extends InFlightEntry {
  prev: Node | undefined;
  next: Node | undefined;
}

export class InFlightResponses {
  private head: Node | undefined = undefined;

  /** HOT PATH */
  add(res: ServerResponse): InFlightEntry {
    const node: Node = { res, prev: undefined, next: this.head };
    if (this.head) this.head.prev = node;
    this.head = node;
    return node;
  }

  /** HOT PATH. Removing an entry twice is harmless. */
  remove(entry: InFlightEntry): void {
    const node = entry as Node;
    if (node.prev) node.prev.next = node.next;
    else if (this.head === node) this.head = node.next;
    else return; // not in the list (removed before)
    if (node.next) node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
  }

  *[Symbol.iterator](): IterableIterator<ServerResponse> {
    for (let n = this.head; n; n = n.next) yield n.res;
  }
}
