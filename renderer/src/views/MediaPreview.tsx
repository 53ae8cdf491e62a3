import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { call } from '../api';

function base64ToBlobUrl(data: string, mime: string): string {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], { type: mime }));
}

/** Blurred previews are small and already blurred in the main process: cached in memory for prefetching. */
export function blurredPreviewQuery(mediaId: number) {
  return {
    queryKey: ['media.preview', mediaId, false] as const,
    queryFn: () => call('media.preview', { mediaId, reveal: false }),
    staleTime: 5 * 60_000,
    gcTime: 2 * 60_000,
  };
}

/** An object URL for preview bytes, revoked when the data changes or the component leaves. */
function useObjectUrl(data: { kind: string; dataBase64?: string; mime?: string } | undefined): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!data || data.kind !== 'image' || !data.dataBase64 || !data.mime) {
      setUrl(null);
      return;
    }
    const objectUrl = base64ToBlobUrl(data.dataBase64, data.mime);
    setUrl(objectUrl);
    return () => {
      URL.revokeObjectURL(objectUrl);
      setUrl(null);
    };
  }, [data]);
  return url;
}

export interface MediaPreviewProps {
  mediaId: number;
  mime: string | null;
  label: string;
  revealed: boolean;
  quiet: boolean;
  onToggleReveal: () => void;
}

/**
 * The media under review. Pictures arrive blurred and greyscale from the main process and are blurred again by CSS
 * (strength: the reviewer's setting). The full picture is fetched only while reveal is on, never cached (held as a
 * blob: URL, revoked when the reveal ends or the item changes) and never touches Chromium's HTTP or disk cache:
 * it comes as bytes in an API response marked no-store. The parent re-blurs on navigation (reveal is per item).
 */
export function MediaPreview({ mediaId, mime, label, revealed, quiet, onToggleReveal }: MediaPreviewProps) {
  const isVideo = mime?.startsWith('video/') ?? false;
  const blurred = useQuery({ ...blurredPreviewQuery(mediaId), enabled: !isVideo });
  const wantReveal = revealed && !quiet && !isVideo;
  const full = useQuery({
    queryKey: ['media.preview', mediaId, true],
    queryFn: () => call('media.preview', { mediaId, reveal: true }),
    enabled: wantReveal,
    gcTime: 0,
    staleTime: 0,
  });
  const blurredUrl = useObjectUrl(blurred.data);
  const fullUrl = useObjectUrl(wantReveal ? full.data : undefined);
  const showRevealed = wantReveal && fullUrl !== null && full.data?.kind === 'image' && full.data.revealed;
  const unavailable = blurred.data?.kind === 'unavailable' ? blurred.data.reason : null;

  return (
    <figure className="preview" data-testid="media-preview" data-revealed={showRevealed ? 'true' : 'false'}>
      <div className="preview-frame">
        {isVideo ? (
          <VideoPreview label={label} />
        ) : unavailable ? (
          <p className="muted preview-note">{unavailable}</p>
        ) : showRevealed ? (
          <img key="revealed" src={fullUrl} alt={`Revealed: ${label}`} className="media revealed" draggable={false} data-testid="queue-media" data-media-id={mediaId} />
        ) : blurredUrl ? (
          <img key="blurred" src={blurredUrl} alt={`Blurred preview of ${label}`} className="media blurred" draggable={false} data-testid="queue-media" data-media-id={mediaId} />
        ) : (
          <p className="muted preview-note">{blurred.isError ? 'The preview could not be loaded.' : 'Loading preview…'}</p>
        )}
        {revealed && !showRevealed && !quiet && !isVideo && !unavailable && <p className="preview-badge">Revealing…</p>}
      </div>
      <figcaption>
        {!unavailable && !isVideo && (
          <button type="button" onClick={onToggleReveal} aria-pressed={revealed && !quiet} disabled={quiet} data-testid="reveal-toggle" aria-keyshortcuts="r">
            {quiet ? 'Quiet mode: media stays blurred' : revealed ? 'Blur again (r)' : 'Reveal (r)'}
          </button>
        )}
        <span className="muted preview-hint">{quiet || unavailable ? '' : 'Shown blurred and in greyscale until you reveal it.'}</span>
        {showRevealed && full.data?.kind === 'image' && full.data.note && <span className="muted preview-hint" data-testid="preview-note">{full.data.note}</span>}
      </figcaption>
    </figure>
  );
}

/**
 * Videos: muted, nothing preloaded, blurred. No frame of a video is decoded in the main process yet, so the poster is a
 * neutral blurred placeholder and the bytes are not sent to the renderer at all.
 */
function VideoPreview({ label }: { label: string }) {
  const [position, setPosition] = useState(0);
  return (
    <div className="video-preview">
      <video className="media blurred" muted preload="none" playsInline controls={false} aria-label={`Video (not loaded): ${label}`} data-testid="queue-media" />
      <label className="scrubber">
        <span className="sr-only">Position</span>
        <input type="range" min={0} max={100} value={position} onChange={(e) => setPosition(Number(e.target.value))} disabled aria-label="Video position (not loaded)" />
      </label>
      <p className="muted preview-note">Video preview is not available in this version: the file facts and match evidence are beside it.</p>
    </div>
  );
}
