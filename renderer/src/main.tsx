import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App } from './App';
import { sessionQuery, WellbeingProvider } from './wellbeing';
import { ToastProvider } from './views/Toasts';
import { listPageQuery } from './queue/useQueueList';
import { call } from './api';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 2_000 } },
});

// Start the first screen's calls at once, in parallel with app.info, so the queue renders without a waterfall.
void queryClient.prefetchQuery({ queryKey: ['app.info'], queryFn: () => call('app.info', {}), staleTime: Infinity });
void queryClient.prefetchQuery(listPageQuery({ status: 'pending', sort: 'priority' }, 0));
void queryClient.prefetchQuery({ queryKey: ['queue.counts'], queryFn: () => call('queue.counts', {}) });
void queryClient.prefetchQuery(sessionQuery);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <WellbeingProvider>
          <App />
        </WellbeingProvider>
      </ToastProvider>
    </QueryClientProvider>
  </StrictMode>,
);
