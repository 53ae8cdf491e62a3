import { csvCell } from '../export/csv-cell';
import type { Db } from '../store/database';

export interface FeedbackRow {
  matcher: string;
  bankName: string;
  signalType: string;
  distance: number;
  confirmed: number;
  falsePositive: number;
}

export interface FeedbackReport {
  byBankAndDistance: FeedbackRow[];
  byBank: { matcher: string; bankName: string; confirmed: number; falsePositive: number; falsePositiveRate: number }[];
}

/**
 * Confirmed vs false-positive counts per matched bank and distance, from the decisions in force (undone decisions
 * do not count). One decision counts once for each bank match its item had.
 */
export function feedbackReport(db: Db): FeedbackReport {
  const rows = db
    .prepare(
      `SELECT m.matcher, m.bank_name AS bankName, m.signal_type AS signalType, m.distance,
              SUM(CASE WHEN d.verdict = 'confirm' THEN 1 ELSE 0 END) AS confirmed,
              SUM(CASE WHEN d.verdict = 'false_positive' THEN 1 ELSE 0 END) AS falsePositive
         FROM decisions d
         JOIN queue_items q ON q.id = d.queue_item_id
         JOIN matches m ON m.media_id = q.media_id
        WHERE d.undone_at IS NULL AND d.verdict IN ('confirm', 'false_positive')
        GROUP BY m.matcher, m.bank_name, m.signal_type, m.distance
        ORDER BY m.bank_name, m.signal_type, m.distance`,
    )
    .all() as FeedbackRow[];
  const banks = new Map<string, { matcher: string; bankName: string; confirmed: number; falsePositive: number }>();
  for (const r of rows) {
    const key = `${r.matcher}\u0000${r.bankName}`;
    const b = banks.get(key) ?? { matcher: r.matcher, bankName: r.bankName, confirmed: 0, falsePositive: 0 };
    b.confirmed += r.confirmed;
    b.falsePositive += r.falsePositive;
    banks.set(key, b);
  }
  return {
    byBankAndDistance: rows,
    byBank: [...banks.values()].map((b) => ({ ...b, falsePositiveRate: b.confirmed + b.falsePositive === 0 ? 0 : b.falsePositive / (b.confirmed + b.falsePositive) })),
  };
}

export function feedbackCsv(report: FeedbackReport): string {
  const lines = ['matcher,bank,signal_type,distance,confirmed,false_positive'];
  for (const r of report.byBankAndDistance) lines.push([r.matcher, r.bankName, r.signalType, r.distance, r.confirmed, r.falsePositive].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}
