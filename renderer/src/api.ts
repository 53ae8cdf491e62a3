import type { CallInput, CallName, CallOutput } from '../../shared/contract';
import type { ApiError } from '../../shared/result';
import { pickTransport } from './transport';

export class ApiCallError extends Error {
  readonly code: ApiError['code'];
  readonly issues: ApiError['issues'];
  constructor(error: ApiError) {
    super(error.message);
    this.code = error.code;
    this.issues = error.issues;
  }
}

export const transport = pickTransport();

export async function call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
  const envelope = await transport.call(name, input);
  if (!envelope.ok) throw new ApiCallError(envelope.error);
  return envelope.value as CallOutput<N>;
}

/** Uploads a bank import file (browser shell and team server): streamed, checked by the server before anything is created. */
export async function uploadBankImport(file: File, query: { bankName: string; newBankKind?: 'positive' | 'negative' }): Promise<{ jobId: string }> {
  if (!transport.upload) throw new ApiCallError({ code: 'unavailable', message: 'This console uploads no files: choose a file instead.' });
  const params: Record<string, string> = { bankName: query.bankName, fileName: file.name };
  if (query.newBankKind) params.newBankKind = query.newBankKind;
  const envelope = await transport.upload('bank-import', params, file);
  if (!envelope.ok) throw new ApiCallError(envelope.error);
  return envelope.value as { jobId: string };
}
