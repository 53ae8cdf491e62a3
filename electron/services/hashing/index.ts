/**
 * Local media hashing: digests (MD5, SHA-1, SHA-256, HMA's video_md5) and PDQ bit-exact with HMA's hasher.
 * Runs under plain Node (never imports electron). Use HashingPool from any process that holds secrets: it decodes in
 * isolated decoder processes. hashBytes/hashFile decode in the calling thread (decoder processes and tests only).
 */
export type { MediaHashes, HashOptions } from './types';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, PDQ_MIN_QUALITY } from './types';
export { HashError, isHashError, isRefusal, type HashErrorCode } from './errors';
export { hashBytes, hashFile, digestFile } from './hash';
export { HashingPool, defaultWorkerCount, defaultWorkerUrl, type HashingPoolOptions, type PoolProgress, type HashManyItem, type Isolation } from './pool';
export { nodeDecoderSpawner, decoderEnv, type DecoderSpawner, type DecoderChannel, type DecoderSpawnRequest } from './decoder-spawner';
export type { DecoderProbe } from './decoder-protocol';
export { hashPixels, setPixelHasher, type PixelHasher } from './pixel-hash';
export { sniff, type SniffResult } from './formats';
// pdqFromRgb runs pdq-wasm when WebAssembly SIMD is there, else the TypeScript core (pdqFromRgbTs): same bits.
export { pdqFromRgb, pdqCore, pdqWasmLoadError } from './pdq-wasm';
export {
  pdqFromRgb as pdqFromRgbTs,
  pdqFromLuma,
  pdqHamming,
  pdqWeight,
  isPdqHex,
  DIHEDRAL_NAMES,
  ZERO_HASH,
  type PdqResult,
  type DihedralName,
  type PixelChannels,
} from './pdq';
