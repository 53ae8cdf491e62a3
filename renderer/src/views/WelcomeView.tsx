import { useMutation, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';

export function WelcomeView({ onDone }: { onDone: (tab: 'queue' | 'import' | 'settings') => void }) {
  const queryClient = useQueryClient();
  const demo = useMutation({
    mutationFn: () => call('demo.load', {}),
    onSuccess: () => {
      void queryClient.invalidateQueries();
      onDone('import');
    },
  });
  return (
    <section className="welcome" aria-labelledby="welcome-title">
      <h2 id="welcome-title">Welcome to Matchdesk</h2>
      <p>
        Matchdesk hashes media on this machine (MD5, SHA-256, PDQ), matches it against your banks — local ones, or an HMA
        server — and queues the matches for review. Media is shown blurred and in greyscale until you choose to reveal it.
      </p>
      <p>Nothing is configured yet. To see how it works, load the demo: a few harmless generated pictures, some of them near-copies of pictures in a sample bank.</p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => demo.mutate()} disabled={demo.isPending} data-testid="load-demo">
          {demo.isPending ? 'Preparing the demo…' : 'Load the demo'}
        </button>
        <button type="button" onClick={() => onDone('import')}>Import my own folder</button>
        <button type="button" onClick={() => onDone('settings')} data-testid="welcome-team">Connect to a team server</button>
      </div>
      {demo.isError && <ErrorNote error={demo.error} />}
    </section>
  );
}
