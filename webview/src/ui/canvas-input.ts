/**
 * Mouse, trackpad and keyboard on the timeline canvas. Wheel zooms around
 * the pointer (a trackpad pinch arrives as ctrl+wheel and zooms the same);
 * horizontal wheel or shift+wheel pans time; alt+wheel, or the wheel over
 * the lane labels, scrolls the lanes. Dragging pans both ways; a click
 * without a drag selects. Keys: + − zoom, ← → pan, ↑ ↓ scroll, Home/End the
 * start of the session / the live edge, [ ] previous/next task, 0 fit all,
 * F follow live, Enter open details, Escape clear the selection.
 */

export interface CanvasActions {
  /** Plot x (0 = left edge of the plot) of a client x; negative over the lane labels. */
  plotX(clientX: number): number;
  zoomAt(plotX: number, factor: number): void;
  pan(dx: number, dy: number): void;
  /** Clicked at client coordinates. */
  click(clientX: number, clientY: number): void;
  hover(clientX: number, clientY: number): void;
  leave(): void;
  key(action: KeyAction): void;
}

export type KeyAction = 'zoom-in' | 'zoom-out' | 'left' | 'right' | 'far-left' | 'far-right' | 'up' | 'down' | 'page-up' | 'page-down' | 'home' | 'end' | 'prev' | 'next' | 'fit' | 'follow' | 'open' | 'clear';

const KEYS: Record<string, KeyAction> = {
  '+': 'zoom-in',
  '=': 'zoom-in',
  '-': 'zoom-out',
  _: 'zoom-out',
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
  PageUp: 'page-up',
  PageDown: 'page-down',
  Home: 'home',
  End: 'end',
  '[': 'prev',
  ']': 'next',
  '0': 'fit',
  f: 'follow',
  F: 'follow',
  Enter: 'open',
  Escape: 'clear',
};

/** Pixels a pointer may move and still count as a click. */
const CLICK_SLOP = 4;

export function bindCanvasInput(canvas: HTMLCanvasElement, act: CanvasActions): () => void {
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    // Lines and pages (mouse wheels on some systems) → pixels.
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? canvas.clientHeight : 1;
    const dx = e.deltaX * unit;
    const dy = e.deltaY * unit;
    const x = act.plotX(e.clientX);
    if (e.altKey || (x < 0 && !e.ctrlKey)) act.pan(0, dy);
    else if (e.shiftKey && !e.ctrlKey) act.pan(dy || dx, 0);
    else if (Math.abs(dx) > Math.abs(dy) && !e.ctrlKey) act.pan(dx, 0);
    else if (dy) act.zoomAt(Math.max(0, x), Math.exp(dy * (e.ctrlKey ? 0.01 : 0.0015)));
  };

  let drag: { id: number; x: number; y: number; lastX: number; lastY: number; moved: boolean } | undefined;
  const onDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    canvas.focus();
    drag = { id: e.pointerId, x: e.clientX, y: e.clientY, lastX: e.clientX, lastY: e.clientY, moved: false };
    canvas.setPointerCapture(e.pointerId);
  };
  const onMove = (e: PointerEvent) => {
    if (!drag || drag.id !== e.pointerId) {
      act.hover(e.clientX, e.clientY);
      return;
    }
    if (!drag.moved && Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < CLICK_SLOP) return;
    if (!drag.moved) {
      drag.moved = true;
      canvas.classList.add('dragging');
      act.leave();
    }
    act.pan(drag.lastX - e.clientX, drag.lastY - e.clientY);
    drag.lastX = e.clientX;
    drag.lastY = e.clientY;
  };
  const onUp = (e: PointerEvent) => {
    if (!drag || drag.id !== e.pointerId) return;
    const wasClick = !drag.moved;
    drag = undefined;
    canvas.classList.remove('dragging');
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
    if (wasClick) act.click(e.clientX, e.clientY);
  };
  const onCancel = () => {
    drag = undefined;
    canvas.classList.remove('dragging');
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    let action = KEYS[e.key];
    if (!action) return;
    if (e.shiftKey && action === 'left') action = 'far-left';
    if (e.shiftKey && action === 'right') action = 'far-right';
    e.preventDefault();
    act.key(action);
  };
  const onLeave = () => act.leave();

  canvas.addEventListener('wheel', onWheel, { passive: false });
  canvas.addEventListener('pointerdown', onDown);
  canvas.addEventListener('pointermove', onMove);
  canvas.addEventListener('pointerup', onUp);
  canvas.addEventListener('pointercancel', onCancel);
  canvas.addEventListener('pointerleave', onLeave);
  canvas.addEventListener('keydown', onKey);
  return () => {
    canvas.removeEventListener('wheel', onWheel);
    canvas.removeEventListener('pointerdown', onDown);
    canvas.removeEventListener('pointermove', onMove);
    canvas.removeEventListener('pointerup', onUp);
    canvas.removeEventListener('pointercancel', onCancel);
    canvas.removeEventListener('pointerleave', onLeave);
    canvas.removeEventListener('keydown', onKey);
  };
}
