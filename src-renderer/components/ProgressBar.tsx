import { useUi } from '../stores/ui';

/** Main's long tasks (sync, import, re-key) as progress bars. */
export function ProgressBar() {
  const progress = useUi((s) => s.progress);
  const tasks = Object.entries(progress);
  if (tasks.length === 0) return null;
  return (
    <div className="progress-list">
      {tasks.map(([task, p]) => (
        <label key={task} className="progress">
          {task}
          <progress max={p.total} value={p.done} />
        </label>
      ))}
    </div>
  );
}
