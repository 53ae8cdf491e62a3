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
