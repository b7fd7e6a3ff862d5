/**
 * The workflow around a task (Celery canvas: chain, group, chord), inferred
 * from what events and results say: each task's parentId and rootId, and the
 * children the result backend lists. A chain links each task to the one
 * before; a group's members share a parent; a chord's body has one header
 * member as parent (the one that finished last). Laid out in layers by depth.
 */
import type { TimelineTaskState } from '../../../src/shared/timeline-protocol';
import type { TaskRecord } from './types';

export interface GraphLookup {
  get(id: string): TaskRecord | undefined;
  childrenOf(id: string): string[];
  tasksWithRoot(rootId: string): string[];
}

export interface GraphNode {
  id: string;
  name?: string;
  /** Undefined when the task is not in the store (evicted, or never seen). */
  state?: TimelineTaskState;
  depth: number;
  /** Position within its depth's row. */
  column: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** Only known to share a root, not who started whom. */
  inferred: boolean;
}

export type GraphShape = 'single' | 'chain' | 'group' | 'chord' | 'tree';

export interface TaskGraph {
  rootId: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  shape: GraphShape;
  description: string;
  /** More tasks belong to the workflow than are shown. */
  truncated: boolean;
}

export function buildTaskGraph(lookup: GraphLookup, id: string, limit = 60): TaskGraph {
  const path = ancestors(lookup, id);
  const top = path[path.length - 1];
  const topRecord = lookup.get(top);
  const rootId = topRecord?.rootId && topRecord.rootId !== top && !path.includes(topRecord.rootId) ? topRecord.rootId : top;

  const depth = new Map<string, number>();
  const parentOf = new Map<string, { parent: string; inferred: boolean }>();
  const order: string[] = [];
  let truncated = false;
  const visit = (node: string, d: number, parent?: string, inferred = false): boolean => {
    if (depth.has(node)) return true;
    if (order.length >= limit) {
      truncated = true;
      return false;
    }
    depth.set(node, d);
    order.push(node);
    if (parent !== undefined) parentOf.set(node, { parent, inferred });
    return true;
  };
  visit(rootId, 0);
  if (rootId !== top) visit(top, 1, rootId, true);
  // Breadth first from the root along parent links.
  for (let i = 0; i < order.length; i++) {
    const node = order[i];
    for (const child of lookup.childrenOf(node)) if (!visit(child, depth.get(node)! + 1, node)) break;
  }
  // Tasks of the same workflow whose parent link is unknown hang under the root.
  for (const other of lookup.tasksWithRoot(rootId)) {
    if (depth.has(other)) continue;
    if (!visit(other, 1, rootId, true)) break;
    for (let i = order.length - 1; i < order.length; i++) {
      const node = order[i];
      for (const child of lookup.childrenOf(node)) if (!visit(child, depth.get(node)! + 1, node)) break;
    }
  }
  // The selected task and its ancestors are always shown, even past the limit.
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    if (depth.has(node)) continue;
    const parent = path[i + 1] ?? rootId;
    depth.set(node, (depth.get(parent) ?? 0) + 1);
    order.push(node);
    parentOf.set(node, { parent, inferred: false });
  }

  const columns = new Map<number, number>();
  const nodes: GraphNode[] = order.map((n) => {
    const d = depth.get(n)!;
    const column = columns.get(d) ?? 0;
    columns.set(d, column + 1);
    const t = lookup.get(n);
    return { id: n, name: t?.name, state: t?.state, depth: d, column };
  });
  const edges: GraphEdge[] = [...parentOf].map(([to, { parent, inferred }]) => ({ from: parent, to, inferred }));
  const { shape, description } = describe(nodes, edges, truncated);
  return { rootId, nodes, edges, shape, description, truncated };
}

/** The selected task, its parent, its parent's parent… (cycle-safe). */
function ancestors(lookup: GraphLookup, id: string): string[] {
  const path = [id];
  let current = lookup.get(id);
  while (current?.parentId && !path.includes(current.parentId) && path.length < 100) {
    path.push(current.parentId);
    current = lookup.get(current.parentId);
  }
  return path;
}

function describe(nodes: GraphNode[], edges: GraphEdge[], truncated: boolean): { shape: GraphShape; description: string } {
  const more = truncated ? '+' : '';
  if (nodes.length === 1) return { shape: 'single', description: 'a single task (no parent or children known)' };
  const kids = new Map<string, string[]>();
  for (const e of edges) kids.set(e.from, [...(kids.get(e.from) ?? []), e.to]);
  const fanOut = [...kids.values()].filter((c) => c.length > 1);
  if (!fanOut.length) return { shape: 'chain', description: `a chain of ${nodes.length}${more} tasks` };
  if (fanOut.length === 1) {
    const members = fanOut[0];
    const continuing = members.filter((m) => kids.has(m));
    if (continuing.length === 0 && members.length === nodes.length - 1) return { shape: 'group', description: `a group of ${members.length}${more} tasks` };
    // A chord's body is started by the header member that finished last.
    if (continuing.length === 1 && kids.get(continuing[0])!.length === 1) {
      return { shape: 'chord', description: `a chord: ${members.length}${more} in the header, then its body` };
    }
  }
  return { shape: 'tree', description: `a workflow of ${nodes.length}${more} tasks` };
}
