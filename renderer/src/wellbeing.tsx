import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { WellbeingSettings, WellbeingState } from '../../shared/contract';
import { call } from './api';

const FALLBACK: WellbeingSettings = {
  blurPx: 28,
  greyscale: true,
  quietMode: false,
  revealMode: 'toggle',
  breakEveryMinutes: 50,
  breakMinutes: 10,
  dailyRevealSoftLimit: 100,
};

interface WellbeingContextValue {
  settings: WellbeingSettings;
  state: WellbeingState | undefined;
  /** When this review session (or the last break) started, by the server's clock. */
  sessionStart: number;
  /** When the current break started, or null. */
  breakStart: number | null;
  onBreak: boolean;
  startBreak(): void;
  endBreak(): void;
  snooze(): void;
  breakDue: boolean;
  /** Now by the server's clock (the session is timed there), ticking every few seconds. */
  now: number;
  /** Server clock minus this machine's. */
  clockOffset: number;
  setQuiet(quiet: boolean): void;
}

const WellbeingContext = createContext<WellbeingContextValue | null>(null);

export function useWellbeing(): WellbeingContextValue {
  const value = useContext(WellbeingContext);
  if (!value) throw new Error('useWellbeing outside WellbeingProvider');
  return value;
}

export const sessionQuery = { queryKey: ['wellbeing.session'] as const, queryFn: () => call('wellbeing.session', {}) };

/**
 * Reviewer wellbeing: blur strength as CSS variables, quiet mode, the session timer and break reminders. The session
 * (its start, a break, a snoozed reminder) is kept by the server, so a reload changes none of it; the console tells
 * the server every half minute that the reviewer is still here.
 */
export function WellbeingProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const state = useQuery({ queryKey: ['wellbeing.get'], queryFn: () => call('wellbeing.get', {}), staleTime: 30_000, refetchInterval: 60_000 });
  const session = useQuery({ ...sessionQuery, refetchInterval: 30_000, refetchIntervalInBackground: true, staleTime: 0 });
  const settings = state.data?.effective ?? FALLBACK;
  const [localNow, setLocalNow] = useState(() => Date.now());

  useEffect(() => {
    const timer = setInterval(() => setLocalNow(Date.now()), 5_000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    const root = document.documentElement.style;
    root.setProperty('--blur', `${settings.blurPx}px`);
    root.setProperty('--grey', settings.greyscale ? '1' : '0');
  }, [settings.blurPx, settings.greyscale]);

  const quiet = useMutation({
    mutationFn: (quietMode: boolean) => call('wellbeing.setMine', { quietMode }),
    onSuccess: (data) => queryClient.setQueryData(['wellbeing.get'], data),
  });
  const sessionEvent = useMutation({
    mutationFn: (event: 'start_break' | 'end_break' | 'snooze') => call('wellbeing.sessionEvent', { event }),
    onSuccess: (data) => {
      queryClient.setQueryData(sessionQuery.queryKey, data);
      setLocalNow(Date.now());
    },
  });

  const value = useMemo<WellbeingContextValue>(() => {
    const s = session.data;
    // The server's clock: its answer's time, moved on by however long ago it answered.
    const offset = s ? s.now - session.dataUpdatedAt : 0;
    const now = localNow + offset;
    const sessionStart = s?.startedAt ?? now;
    const onBreak = s?.onBreakSince !== null && s?.onBreakSince !== undefined;
    const breakDue = Boolean(s) && !onBreak && now >= Math.max(sessionStart + settings.breakEveryMinutes * 60_000, s?.snoozedUntil ?? 0);
    return {
      settings,
      state: state.data,
      sessionStart,
      breakStart: s?.onBreakSince ?? null,
      onBreak,
      breakDue,
      now,
      clockOffset: offset,
      startBreak: () => sessionEvent.mutate('start_break'),
      endBreak: () => sessionEvent.mutate('end_break'),
      snooze: () => sessionEvent.mutate('snooze'),
      setQuiet: (q) => quiet.mutate(q),
    };
  }, [settings, state.data, session.data, session.dataUpdatedAt, localNow, sessionEvent, quiet]);

  return <WellbeingContext.Provider value={value}>{children}</WellbeingContext.Provider>;
}

function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** "1 hour 5 minutes", "13 minutes", "less than a minute". */
export function minutesInWords(ms: number): string {
  const total = Math.floor(ms / 60_000);
  if (total < 1) return 'less than a minute';
  const h = Math.floor(total / 60);
  const m = total % 60;
  const part = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  return h ? (m ? `${part(h, 'hour')} ${part(m, 'minute')}` : part(h, 'hour')) : part(m, 'minute');
}

/** The status strip's wellbeing part: session time, reveals today, quiet mode. */
export function WellbeingStatus() {
  const w = useWellbeing();
  const revealed = w.state?.revealedToday ?? 0;
  const overLimit = w.settings.dailyRevealSoftLimit > 0 && revealed >= w.settings.dailyRevealSoftLimit;
  return (
    <div className="wellbeing-status">
      <span title="Time since the session started or your last break" data-testid="session-timer" data-started={w.sessionStart}>
        Session {formatDuration(w.now - w.sessionStart)}
      </span>
      <span className={overLimit ? 'over-limit' : undefined} title="Items you revealed today" data-testid="revealed-today">
        Revealed today: {revealed}
        {overLimit ? ' — consider a pause' : ''}
      </span>
      <button type="button" aria-pressed={w.settings.quietMode} onClick={() => w.setQuiet(!w.settings.quietMode)} data-testid="quiet-toggle" className={w.settings.quietMode ? 'quiet on' : 'quiet'}>
        Quiet mode {w.settings.quietMode ? 'on' : 'off'}
      </button>
    </div>
  );
}

/** The break reminder, and the break screen (no media at all while on a break). */
export function BreakReminder() {
  const w = useWellbeing();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!w.onBreak) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [w.onBreak]);
  if (w.onBreak) {
    const serverNow = now + w.clockOffset;
    const left = Math.max(0, (w.breakStart ?? serverNow) + w.settings.breakMinutes * 60_000 - serverNow);
    return (
      <div className="break-screen" role="dialog" aria-modal="true" aria-labelledby="break-title" data-testid="break-screen">
        <div className="break-card">
          <h2 id="break-title">Break</h2>
          <p>Step away from the screen. Look at something far away, stretch, drink some water.</p>
          <p className="break-left" aria-live="polite">{left > 0 ? `${Math.ceil(left / 60_000)} min left` : 'Your break is over when you are ready.'}</p>
          <button type="button" className="primary" onClick={() => w.endBreak()} autoFocus>
            Back to the queue
          </button>
        </div>
      </div>
    );
  }
  if (!w.breakDue) return null;
  return (
    <div className="break-reminder" role="status" data-testid="break-reminder">
      <span>
        You have been reviewing for {minutesInWords(w.now - w.sessionStart)}. Time for a {w.settings.breakMinutes}-minute break.
      </span>
      <button type="button" className="primary" onClick={() => w.startBreak()}>
        Take a break
      </button>
      <button type="button" onClick={() => w.snooze()}>
        Remind me in 10 min
      </button>
    </div>
  );
}
