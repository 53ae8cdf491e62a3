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
  /** When this review session (or the last break) started. */
  sessionStart: number;
  onBreak: boolean;
  startBreak(): void;
  endBreak(): void;
  snooze(): void;
  breakDue: boolean;
  setQuiet(quiet: boolean): void;
}

const WellbeingContext = createContext<WellbeingContextValue | null>(null);

export function useWellbeing(): WellbeingContextValue {
  const value = useContext(WellbeingContext);
  if (!value) throw new Error('useWellbeing outside WellbeingProvider');
  return value;
}

/** Reviewer wellbeing: blur strength as CSS variables, quiet mode, the session timer and break reminders. */
export function WellbeingProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const state = useQuery({ queryKey: ['wellbeing.get'], queryFn: () => call('wellbeing.get', {}), staleTime: 30_000, refetchInterval: 60_000 });
  const settings = state.data?.effective ?? FALLBACK;
  const [sessionStart, setSessionStart] = useState(() => Date.now());
  const [snoozedUntil, setSnoozedUntil] = useState(0);
  const [onBreak, setOnBreak] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
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

  const value = useMemo<WellbeingContextValue>(() => {
    const breakDue = !onBreak && now >= Math.max(sessionStart + settings.breakEveryMinutes * 60_000, snoozedUntil);
    return {
      settings,
      state: state.data,
      sessionStart,
      onBreak,
      breakDue,
      startBreak: () => setOnBreak(true),
      endBreak: () => {
        setOnBreak(false);
        setSessionStart(Date.now());
        setNow(Date.now());
      },
      snooze: () => setSnoozedUntil(Date.now() + 10 * 60_000),
      setQuiet: (q) => quiet.mutate(q),
    };
  }, [settings, state.data, sessionStart, onBreak, now, snoozedUntil, quiet]);

  return <WellbeingContext.Provider value={value}>{children}</WellbeingContext.Provider>;
}

function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The status strip's wellbeing part: session time, reveals today, quiet mode. */
export function WellbeingStatus() {
  const w = useWellbeing();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const revealed = w.state?.revealedToday ?? 0;
  const overLimit = w.settings.dailyRevealSoftLimit > 0 && revealed >= w.settings.dailyRevealSoftLimit;
  return (
    <div className="wellbeing-status">
      <span title="Time since the session started or your last break" data-testid="session-timer">
        Session {formatDuration(now - w.sessionStart)}
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
  const [breakStart, setBreakStart] = useState(0);
  useEffect(() => {
    if (!w.onBreak) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [w.onBreak]);
  if (w.onBreak) {
    const left = Math.max(0, breakStart + w.settings.breakMinutes * 60_000 - now);
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
        You have been reviewing for {w.settings.breakEveryMinutes} minutes. Time for a {w.settings.breakMinutes}-minute break.
      </span>
      <button
        type="button"
        className="primary"
        onClick={() => {
          setBreakStart(Date.now());
          setNow(Date.now());
          w.startBreak();
        }}
      >
        Take a break
      </button>
      <button type="button" onClick={() => w.snooze()}>
        Remind me in 10 min
      </button>
    </div>
  );
}
