// HMA 2.0 (Open Media Match 1.1.7) test double: `startHmaDouble(opts)` → { url, close(), rebuildIndex(), state, setFault(…) }.
export { startHmaDouble, type HmaDouble, type HmaDoubleOptions, type HmaFault, type HmaFaultSpec, type RequestLogEntry } from './server';
export { DoubleState, contentEnabled, validateSignal, PDQ_THRESHOLD, type Bank, type Content, type Exchange, type IndexState } from './state';
export { defaultHasher, localPdqHasher, md5Hex, syntheticPhoto, type DoubleHasher } from './hashers';
export { parseMultipart, multipartBoundary } from './multipart';
