import type { CallInput, CallName, CallOutput } from '../../shared/contract';
import type { ConsoleCallInput, ConsoleCallName, ConsoleCallOutput } from '../../shared/console-contract';
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

type AccessListener = (problem: { state: 'signed_out' | 'no_access'; message: string }) => void;
const accessListeners = new Set<AccessListener>();

/** Told when a call finds the team session gone (401) or the moderator without a role (no_access). */
export function onAccessProblem(listener: AccessListener): () => void {
  accessListeners.add(listener);
  return () => accessListeners.delete(listener);
}

export function reportAccessProblem(problem: { state: 'signed_out' | 'no_access'; message: string }): void {
  for (const listener of accessListeners) listener(problem);
}

export async function call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
  const envelope = await transport.call(name, input);
  if (!envelope.ok) {
    if (envelope.error.code === 'no_access') reportAccessProblem({ state: 'no_access', message: envelope.error.message });
    else if (envelope.error.code === 'unauthorized') reportAccessProblem({ state: 'signed_out', message: envelope.error.message });
    throw new ApiCallError(envelope.error);
  }
  return envelope.value as CallOutput<N>;
}

/** The console's own calls: where it works (this machine or a team server) and its sign-in. */
export async function callConsole<N extends ConsoleCallName>(name: N, input: ConsoleCallInput<N>): Promise<ConsoleCallOutput<N>> {
  const envelope = await transport.call(name, input);
  if (!envelope.ok) throw new ApiCallError(envelope.error);
  return envelope.value as ConsoleCallOutput<N>;
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
