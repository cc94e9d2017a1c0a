import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

/**
 * Renders only the rows in view (plus a few either side) of a long list with fixed-height
 * rows, so 10,000 secrets cost as much to draw as 30. The scroll height is kept by one
 * spacer; the active row is scrolled into view when it changes.
 */
export function WindowedList({
  count,
  rowHeight,
  active,
  renderRow,
  overscan = 6,
  fallbackHeight = 480,
  ...aria
}: {
  count: number;
  rowHeight: number;
  active: number;
  renderRow: (index: number) => ReactNode;
  overscan?: number;
  /** Used when the box has no measured height yet (first paint, jsdom). */
  fallbackHeight?: number;
  id?: string;
  role?: string;
  'aria-label'?: string;
  'aria-activedescendant'?: string;
  tabIndex?: number;
  onKeyDown?: (e: React.KeyboardEvent<HTMLDivElement>) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(fallbackHeight);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = (): void => setHeight(el.clientHeight || fallbackHeight);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [fallbackHeight]);

  useEffect(() => {
    const el = ref.current;
    if (!el || active < 0) return;
    const top = active * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + height) el.scrollTop = top + rowHeight - height;
    setScrollTop(el.scrollTop);
  }, [active, rowHeight, height]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} className="window__row" style={{ top: i * rowHeight, height: rowHeight }}>
        {renderRow(i)}
      </div>,
    );
  }

  return (
    <div ref={ref} className="window" onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} {...aria}>
      <div className="window__spacer" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
