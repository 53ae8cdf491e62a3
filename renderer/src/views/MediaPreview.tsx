import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { call } from '../api';

function base64ToBlobUrl(data: string, mime: string): string {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], { type: mime }));
}

/**
 * The picture under review. It arrives blurred and greyscale from the main process, and is blurred again by CSS;
 * the full picture is fetched only after a deliberate reveal, and never cached (blob URL, revoked on leave).
 * Mount it with key={mediaId} so that moving to another item always starts blurred.
 */
export function MediaPreview({ mediaId, label }: { mediaId: number; label: string }) {
  const [revealed, setRevealed] = useState(false);
  const preview = useQuery({
    queryKey: ['media.preview', mediaId, revealed],
    queryFn: () => call('media.preview', { mediaId, reveal: revealed }),
    gcTime: 0,
    staleTime: 0,
  });
  const data = preview.data;
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!data || data.kind !== 'image') return;
    const objectUrl = base64ToBlobUrl(data.dataBase64, data.mime);
    setUrl(objectUrl);
    return () => {
      URL.revokeObjectURL(objectUrl);
      setUrl(null);
    };
  }, [data]);

  const showRevealed = revealed && data?.kind === 'image' && data.revealed;
  return (
    <figure className="preview" data-testid="media-preview" data-revealed={showRevealed ? 'true' : 'false'}>
      <div className="preview-frame">
        {data?.kind === 'unavailable' ? (
          <p className="muted">{data.reason}</p>
        ) : url ? (
          <img src={url} alt={showRevealed ? `Revealed: ${label}` : `Blurred preview of ${label}`} className={showRevealed ? 'media revealed' : 'media blurred'} draggable={false} data-testid="queue-media" />
        ) : (
          <p className="muted">{preview.isError ? 'The preview could not be loaded.' : 'Loading preview…'}</p>
        )}
      </div>
      <figcaption>
        {data?.kind !== 'unavailable' && (
          <button type="button" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed} data-testid="reveal-toggle">
            {revealed ? 'Blur again' : 'Reveal'}
          </button>
        )}
      </figcaption>
    </figure>
  );
}
