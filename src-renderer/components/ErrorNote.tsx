import { explain } from '../errors';

/** An error as what happened + what to do, announced to screen readers. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e = explain(error);
  return (
    <div className="error" role="alert" data-code={e.code}>
      <p className="error__what">{e.what}</p>
      {e.detail ? <p className="error__detail">{e.detail}</p> : null}
      <p className="error__todo">{e.todo}</p>
    </div>
  );
}

/** What is wrong with a form (checked here, before any call), then what the last call answered. */
export function FormErrors({ problem, error }: { problem?: string | null | undefined; error?: unknown }) {
  return (
    <>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      <ErrorNote error={error} />
    </>
  );
}
