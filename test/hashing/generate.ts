/** Deterministic synthetic images for the PDQ tests: interleaved 8-bit pixels with 1..4 channels. */
import { rng } from './helpers';

export type Kind = 'noise' | 'gradient' | 'radial' | 'text' | 'checker' | 'constant' | 'stripes' | 'blobs';
export const KINDS: Kind[] = ['noise', 'gradient', 'radial', 'text', 'checker', 'constant', 'stripes', 'blobs'];

export interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export function synth(kind: Kind, width: number, height: number, channels: number, seed: number): Pixels {
  const rand = rng(seed);
  const data = new Uint8Array(width * height * channels);
  const set = (x: number, y: number, v: [number, number, number]): void => {
    const p = (y * width + x) * channels;
    if (channels <= 2) data[p] = v[0];
    else {
      data[p] = v[0];
      data[p + 1] = v[1];
      data[p + 2] = v[2];
    }
    if (channels === 2 || channels === 4) data[p + channels - 1] = (x * 31 + y * 17) & 255; // alpha, ignored by PDQ
  };
  const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  switch (kind) {
    case 'noise':
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) set(x, y, [(rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0]);
      break;
    case 'constant': {
      const v: [number, number, number] = [(rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0];
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) set(x, y, v);
      break;
    }
    case 'gradient': {
      const a = rand() * 2 - 1;
      const b = rand() * 2 - 1;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const t = (a * x) / width + (b * y) / height;
          set(x, y, [clamp(128 + 127 * t), clamp(255 * (x / width)), clamp(255 * (y / height))]);
        }
      }
      break;
    }
    case 'radial': {
      const cx = rand() * width;
      const cy = rand() * height;
      const f = 2 + rand() * 20;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const d = Math.hypot(x - cx, y - cy) / Math.max(width, height);
          set(x, y, [clamp(128 + 127 * Math.cos(d * f)), clamp(255 * d), clamp(128 + 100 * Math.sin(d * f * 0.7))]);
        }
      }
      break;
    }
    case 'checker': {
      const s = 1 + Math.floor(rand() * Math.max(1, Math.min(width, height) / 4));
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) set(x, y, ((x / s) ^ (y / s)) & 1 ? [230, 230, 230] : [20, 40, 60]);
      break;
    }
    case 'stripes': {
      const period = 2 + rand() * 40;
      const angle = rand() * Math.PI;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) set(x, y, Math.sin((x * c + y * s) / period) > 0 ? [250, 200, 10] : [5, 30, 200]);
      break;
    }
    case 'text': {
      // Text-like: dark strokes (glyph-sized rectangles and bars) on a light page, in lines.
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) set(x, y, [245, 243, 238]);
      const lineH = Math.max(3, Math.floor(height / (4 + rand() * 20)));
      for (let top = Math.floor(lineH / 2); top + lineH <= height; top += Math.floor(lineH * 1.6)) {
        let x = Math.floor(rand() * lineH);
        while (x < width - 2) {
          const gw = Math.max(1, Math.floor(lineH * (0.3 + rand() * 0.6)));
          const gh = Math.max(1, Math.floor(lineH * (0.5 + rand() * 0.5)));
          const stroke = Math.max(1, Math.floor(gw / 4));
          for (let yy = top + lineH - gh; yy < top + lineH; yy++) {
            for (let xx = x; xx < Math.min(width, x + gw); xx++) {
              const edge = xx - x < stroke || x + gw - 1 - xx < stroke || yy - (top + lineH - gh) < stroke;
              if (edge) set(xx, yy, [20, 20, 25]);
            }
          }
          x += gw + Math.max(1, Math.floor(rand() * lineH * 0.5)) + (rand() < 0.15 ? lineH : 0);
        }
      }
      break;
    }
    case 'blobs': {
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) set(x, y, [90, 120, 90]);
      const n = 3 + Math.floor(rand() * 12);
      for (let k = 0; k < n; k++) {
        const cx = rand() * width;
        const cy = rand() * height;
        const r = (0.05 + rand() * 0.3) * Math.max(width, height);
        const col: [number, number, number] = [(rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0];
        const x0 = Math.max(0, Math.floor(cx - r));
        const x1 = Math.min(width, Math.ceil(cx + r));
        const y0 = Math.max(0, Math.floor(cy - r));
        const y1 = Math.min(height, Math.ceil(cy + r));
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) set(x, y, col);
      }
      break;
    }
  }
  return { data, width, height, channels };
}
