/** How the parts of a Matrix event are named for a moderator. */
const PART_LABEL: Record<string, string> = {
  media: 'Attachment',
  thumbnail: 'Thumbnail',
  new_media: "Edit's new attachment",
  new_thumbnail: "Edit's new thumbnail",
};

export function partLabel(part: string | null | undefined): string {
  if (!part) return 'Attachment';
  return part
    .split(',')
    .map((p) => PART_LABEL[p] ?? p)
    .join(' and ');
}

const EVENT_KIND: Record<string, string> = {
  encrypted: 'The event is end-to-end encrypted: its content cannot be read here. The room members who reported it could.',
  unavailable: 'The homeserver does not have this event (it was never received or has been purged).',
  redacted: 'The event was already redacted.',
  content: 'The event has no readable text.',
};

export function eventKindNote(kind: unknown): string {
  return (typeof kind === 'string' && EVENT_KIND[kind]) || EVENT_KIND.content!;
}
