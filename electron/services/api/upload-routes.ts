// Streamed uploads, for hosts that speak HTTP (the browser shell, the team server). A route takes the request body as
// a Readable plus its query parameters and answers with the contract's envelope; the host does authentication,
// Host/Origin checks and the HTTP status. Bodies are never buffered whole: the bank import spools to disk, cut at
// maxBytes while reading.

import type { Readable } from 'node:stream';
import { z } from 'zod';
import { ContractError, type Envelope } from '../../../shared/result';
import { bankImportUploadSchema } from '../../../shared/contract';
import type { Services } from '../app-services';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../banks/bank-import-jobs';

export interface UploadRoute {
  /** Largest body accepted; a host may refuse earlier from Content-Length. */
  readonly maxBytes: number;
  handle(body: Readable, params: URLSearchParams): Promise<Envelope<unknown>>;
}

export interface BankImportUploadOptions {
  maxBytes?: number;
  /** Who is importing (the team server passes the signed-in user); default: the services' reviewer. */
  actor?: () => string;
}

/** POST body = the file; query: bankName, fileName, and optionally format (csv|json) and newBankKind. */
export function bankImportUploadRoute(services: Pick<Services, 'bankImports' | 'reviewer'>, options: BankImportUploadOptions = {}): UploadRoute {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  return {
    maxBytes,
    async handle(body, params) {
      const parsed = bankImportUploadSchema.safeParse(Object.fromEntries(params));
      if (!parsed.success) {
        return {
          ok: false,
          error: { code: 'invalid_input', message: 'Bad upload parameters', issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
        };
      }
      const { bankName, fileName, format, newBankKind } = parsed.data;
      try {
        const job = await services.bankImports.startFromStream(body, {
          bankName,
          fileName,
          format,
          newBank: { kind: newBankKind },
          actor: options.actor?.() ?? services.reviewer,
          maxBytes,
        });
        return { ok: true, value: { jobId: job.id } };
      } catch (e) {
        if (e instanceof ContractError) return { ok: false, error: { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) } };
        throw e;
      }
    },
  };
}

export type UploadParams = z.output<typeof bankImportUploadSchema>;
