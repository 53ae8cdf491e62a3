import { useMemo, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';

const COLORS = { confirm: '#e0625d', false_positive: '#4cb67a', escalate: '#e9b04f', skip: '#8a94a0', open: '#5aa9e6', escalated: '#e9b04f' };
const TRIGGER_LABEL = { reported_only: 'Reported by users, no bank match', matched_only: 'Matched a bank, not reported', reported_and_matched: 'Reported and matched' } as const;
const AXIS = { stroke: '#9aa3ad', fontSize: 12 };
const TOOLTIP = { contentStyle: { background: '#1c1f25', border: '1px solid #323741', color: '#e6e8eb' }, labelStyle: { color: '#e6e8eb' } };

function hourLabel(at: number, spanDays: number): string {
  const d = new Date(at);
  return spanDays <= 1 ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit' });
}

function download(fileName: string, mime: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A chart with a text alternative for screen readers. The drawing itself is aria-hidden, so nothing in it may take
 * focus: every chart turns recharts' keyboard layer off (accessibilityLayer={false}).
 */
function ChartFigure({ title, summary, children, testId }: { title: string; summary: string; children: React.ReactElement; testId: string }) {
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        <h3>{title}</h3>
        <p className="sr-only">{summary}</p>
      </figcaption>
      <div className="chart-box" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">{children}</ResponsiveContainer>
      </div>
    </figure>
  );
}

export function StatsView() {
  const [days, setDays] = useState(7);
  const [bank, setBank] = useState('');
  const stats = useQuery({ queryKey: ['stats.overview', days], queryFn: () => call('stats.overview', { days }), refetchInterval: 60_000 });
  const feedback = useQuery({ queryKey: ['feedback.report'], queryFn: () => call('feedback.report', {}), refetchInterval: 60_000 });
  const exportFile = useMutation({
    mutationFn: (format: 'csv' | 'json') => call('feedback.export', { format }),
    onSuccess: (file) => download(file.fileName, file.mime, file.text),
  });

  const histogram = useMemo(() => {
    const buckets = Array.from({ length: 32 }, (_, d) => ({ distance: d, confirmed: 0, rejected: 0 }));
    for (const r of feedback.data?.byBankAndDistance ?? []) {
      if (r.signalType !== 'pdq' || r.distance < 0 || r.distance > 31) continue;
      if (bank && r.bankName !== bank) continue;
      buckets[r.distance]!.confirmed += r.confirmed;
      buckets[r.distance]!.rejected += r.falsePositive;
    }
    return buckets;
  }, [feedback.data, bank]);
  const byBank = (feedback.data?.byBank ?? []).map((b) => ({ name: b.bankName, rate: Math.round(b.falsePositiveRate * 1000) / 10, confirmed: b.confirmed, falsePositive: b.falsePositive }));
  const banks = [...new Set((feedback.data?.byBank ?? []).map((b) => b.bankName))];
  const s = stats.data;
  const depth = (s?.queueDepth ?? []).map((p) => ({ ...p, label: hourLabel(p.at, days) }));
  const perHour = (s?.decisionsPerHour ?? []).map((p) => ({ ...p, label: hourLabel(p.hour, days) }));
  const minutes = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

  return (
    <section className="stats" aria-labelledby="stats-title" data-testid="stats-view">
      <div className="stats-head">
        <h2 id="stats-title">Statistics</h2>
        <label htmlFor="stats-days">Period</label>
        <select id="stats-days" value={days} onChange={(e) => setDays(Number(e.target.value))} data-testid="stats-days">
          <option value={1}>Last 24 hours</option>
          <option value={7}>Last 7 days</option>
          <option value={30}>Last 30 days</option>
        </select>
        <span className="spacer" />
        <button type="button" onClick={() => exportFile.mutate('csv')} disabled={exportFile.isPending} data-testid="export-csv">Download feedback CSV</button>
        <button type="button" onClick={() => exportFile.mutate('json')} disabled={exportFile.isPending} data-testid="export-json">Download feedback JSON</button>
      </div>
      {stats.isError && <ErrorNote error={stats.error} />}
      {feedback.isError && <ErrorNote error={feedback.error} />}
      {exportFile.isError && <ErrorNote error={exportFile.error} />}
      {s && (
        <dl className="stat-tiles" data-testid="stat-tiles">
          <div><dt>Confirmed</dt><dd>{s.totals.confirm}</dd></div>
          <div><dt>False positives</dt><dd>{s.totals.false_positive}</dd></div>
          <div><dt>Escalated</dt><dd>{s.totals.escalate}</dd></div>
          <div><dt>Skipped</dt><dd>{s.totals.skip}</dd></div>
          <div><dt>Median time to decision</dt><dd>{minutes(s.timeToDecisionP50Ms)}</dd></div>
          <div><dt>90th percentile</dt><dd>{minutes(s.timeToDecisionP90Ms)}</dd></div>
        </dl>
      )}
      {s && (
        <section aria-labelledby="triggers-title" className="stats-triggers">
          <h3 id="triggers-title">Reported and matched</h3>
          <div className="table-scroll">
            <table className="table compact" data-testid="stats-triggers">
              <thead>
                <tr>
                  <th scope="col">Why queued</th><th scope="col">Arrived</th><th scope="col">Open now</th><th scope="col">Reports received</th>
                  <th scope="col">Confirmed</th><th scope="col">False positive / dismissed</th><th scope="col">Escalated</th><th scope="col">Skipped</th>
                </tr>
              </thead>
              <tbody>
                {s.byTrigger.map((t) => (
                  <tr key={t.trigger} data-trigger={t.trigger}>
                    <th scope="row">{TRIGGER_LABEL[t.trigger]}</th>
                    <td>{t.arrived}</td><td>{t.open}</td><td>{t.reports}</td><td>{t.confirm}</td><td>{t.false_positive}</td><td>{t.escalate}</td><td>{t.skip}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      <div className="charts">
        <ChartFigure testId="chart-depth" title="Queue depth" summary={`Open items now: ${depth.at(-1)?.open ?? 0}; escalated: ${depth.at(-1)?.escalated ?? 0}.`}>
          <LineChart accessibilityLayer={false} data={depth} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#323741" strokeDasharray="3 3" />
            <XAxis dataKey="label" tick={AXIS} minTickGap={40} />
            <YAxis tick={AXIS} allowDecimals={false} width={48} />
            <Tooltip {...TOOLTIP} />
            <Legend />
            <Line type="stepAfter" dataKey="open" name="Open" stroke={COLORS.open} dot={false} isAnimationActive={false} />
            <Line type="stepAfter" dataKey="escalated" name="Escalated" stroke={COLORS.escalated} dot={false} isAnimationActive={false} />
          </LineChart>
        </ChartFigure>
        <ChartFigure testId="chart-per-hour" title="Decisions per hour" summary={`${(s?.totals.confirm ?? 0) + (s?.totals.false_positive ?? 0) + (s?.totals.escalate ?? 0) + (s?.totals.skip ?? 0)} decisions in the period.`}>
          <BarChart accessibilityLayer={false} data={perHour} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#323741" strokeDasharray="3 3" />
            <XAxis dataKey="label" tick={AXIS} minTickGap={40} />
            <YAxis tick={AXIS} allowDecimals={false} width={48} />
            <Tooltip {...TOOLTIP} />
            <Legend />
            <Bar dataKey="confirm" name="Confirmed" stackId="v" fill={COLORS.confirm} isAnimationActive={false} />
            <Bar dataKey="false_positive" name="False positive" stackId="v" fill={COLORS.false_positive} isAnimationActive={false} />
            <Bar dataKey="escalate" name="Escalated" stackId="v" fill={COLORS.escalate} isAnimationActive={false} />
            <Bar dataKey="skip" name="Skipped" stackId="v" fill={COLORS.skip} isAnimationActive={false} />
          </BarChart>
        </ChartFigure>
        <ChartFigure testId="chart-ttd" title="Time to decision" summary={`Median ${minutes(s?.timeToDecisionP50Ms)}, 90th percentile ${minutes(s?.timeToDecisionP90Ms)}.`}>
          <BarChart accessibilityLayer={false} data={s?.timeToDecision ?? []} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#323741" strokeDasharray="3 3" />
            <XAxis dataKey="bucket" tick={AXIS} />
            <YAxis tick={AXIS} allowDecimals={false} width={48} />
            <Tooltip {...TOOLTIP} />
            <Bar dataKey="count" name="Decisions" fill={COLORS.open} isAnimationActive={false} />
          </BarChart>
        </ChartFigure>
        <ChartFigure testId="chart-fp-bank" title="False-positive rate by bank (%)" summary={byBank.map((b) => `${b.name}: ${b.rate}% of ${b.confirmed + b.falsePositive}`).join('; ') || 'No confirmed or rejected matches yet.'}>
          <BarChart accessibilityLayer={false} data={byBank} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#323741" strokeDasharray="3 3" />
            <XAxis dataKey="name" tick={AXIS} />
            <YAxis tick={AXIS} domain={[0, 100]} unit="%" width={48} />
            <Tooltip {...TOOLTIP} />
            <Bar dataKey="rate" name="False positives" fill={COLORS.false_positive} isAnimationActive={false} />
          </BarChart>
        </ChartFigure>
        <figure className="chart wide" data-testid="chart-distance">
          <figcaption className="chart-head">
            <h3>Confirmed vs rejected by PDQ distance</h3>
            <label htmlFor="histogram-bank">Bank</label>
            <select id="histogram-bank" value={bank} onChange={(e) => setBank(e.target.value)} data-testid="histogram-bank">
              <option value="">All banks</option>
              {banks.map((b) => <option key={b} value={b}>{b}</option>)}
            </select>
            <p className="muted small">Where rejected bars start to outnumber confirmed ones is where a threshold stops paying for itself.</p>
            <p className="sr-only">{histogram.filter((b) => b.confirmed + b.rejected > 0).map((b) => `distance ${b.distance}: ${b.confirmed} confirmed, ${b.rejected} rejected`).join('; ') || 'No PDQ decisions yet.'}</p>
          </figcaption>
          <div className="chart-box" aria-hidden="true">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart accessibilityLayer={false} data={histogram} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#323741" strokeDasharray="3 3" />
                <XAxis dataKey="distance" tick={AXIS} interval={0} />
                <YAxis tick={AXIS} allowDecimals={false} width={48} />
                <Tooltip {...TOOLTIP} />
                <Legend />
                <Bar dataKey="confirmed" name="Confirmed" stackId="d" fill={COLORS.confirm} isAnimationActive={false} />
                <Bar dataKey="rejected" name="Rejected (false positive)" stackId="d" fill={COLORS.false_positive} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </figure>
      </div>
    </section>
  );
}
