/**
 * The workflow graph in the details pane: a node per task in rows by depth,
 * lines from parent to child (dashed where only a shared root links them),
 * each node coloured by its state; clicking a node selects that task.
 */
import type { TaskGraph } from '../model/task-graph';
import { h } from './dom';
import { stateColour } from './state-colours';

/** Node width when space is short, and the most a node grows to when there is room. */
const NODE_W_MIN = 84;
const NODE_W_MAX = 150;
const NODE_H = 22;
const GAP_X = 8;
const GAP_Y = 14;
const SVG = 'http://www.w3.org/2000/svg';

/** `availableWidth` (the pane's, when known) lets nodes grow so names are not cut short. */
export function renderGraph(graph: TaskGraph, currentId: string, select: (id: string) => void, availableWidth = 0): HTMLElement {
  const pos = new Map<string, { x: number; y: number }>();
  // Each row centred under the widest, so a parent sits above its group.
  const perRow = new Map<number, number>();
  for (const n of graph.nodes) perRow.set(n.depth, Math.max(perRow.get(n.depth) ?? 0, n.column + 1));
  const widest = Math.max(...perRow.values());
  const nodeW = Math.max(NODE_W_MIN, Math.min(NODE_W_MAX, Math.floor((availableWidth - (widest - 1) * GAP_X) / widest)));
  const rowWidth = (count: number) => count * nodeW + (count - 1) * GAP_X;
  const width = rowWidth(widest);
  let height = 0;
  for (const n of graph.nodes) {
    const x = (width - rowWidth(perRow.get(n.depth)!)) / 2 + n.column * (nodeW + GAP_X);
    const y = n.depth * (NODE_H + GAP_Y);
    pos.set(n.id, { x, y });
    height = Math.max(height, y + NODE_H);
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('aria-hidden', 'true');
  for (const e of graph.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const line = document.createElementNS(SVG, 'path');
    const x0 = a.x + nodeW / 2;
    const y0 = a.y + NODE_H;
    const x1 = b.x + nodeW / 2;
    const y1 = b.y;
    line.setAttribute('d', `M${x0},${y0} C${x0},${(y0 + y1) / 2} ${x1},${(y0 + y1) / 2} ${x1},${y1}`);
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', 'var(--vscode-descriptionForeground, #9d9d9d)');
    if (e.inferred) line.setAttribute('stroke-dasharray', '3 3');
    svg.append(line);
  }
  const box = h('div', { class: 'tl-graph', attrs: { role: 'group', 'aria-label': `Workflow: ${graph.description}` } }, svg);
  const inner = h('div', {});
  inner.style.position = 'relative';
  inner.style.width = `${width}px`;
  inner.style.height = `${height + 2}px`;
  inner.append(svg);
  for (const n of graph.nodes) {
    const p = pos.get(n.id)!;
    // The task's own name (send_email, not app.tasks.send_email): nodes are small; the tooltip has it all.
    const label = n.name?.slice(n.name.lastIndexOf('.') + 1) ?? n.id.slice(0, 8);
    const button = h('button', {
      class: n.id === currentId ? 'current' : undefined,
      text: label,
      attrs: {
        type: 'button',
        title: `${n.name ?? 'unknown task'} · ${n.state ?? 'not in the timeline'}\n${n.id}`,
        'aria-label': `${label}, ${n.state ?? 'unknown state'}${n.id === currentId ? ', this task' : ''}`,
        'aria-current': n.id === currentId ? 'true' : undefined,
      },
      on: { click: () => select(n.id) },
    });
    button.style.left = `${p.x}px`;
    button.style.top = `${p.y}px`;
    button.style.width = `${nodeW}px`;
    button.style.setProperty('--state-colour', stateColour(n.state));
    inner.append(button);
  }
  box.replaceChildren(inner);
  return box;
}
