import { ApiCallError } from '../api';

export function ErrorNote({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  const issues = error instanceof ApiCallError ? error.issues : undefined;
  return (
    <div className="error" role="alert">
      <strong>{message}</strong>
      {issues && issues.length > 0 && (
        <ul>
          {issues.map((issue, i) => (
            <li key={i}>{issue.path ? `${issue.path}: ` : ''}{issue.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
