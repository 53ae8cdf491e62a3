import { ACTION_LABELS, type ActionKind } from './action-types';

/** What a planned action will do, in a few words for the decision toast ("redact the event"). */
export function actionInWords(kind: string, params: Record<string, unknown>): string {
  const bank = typeof params.bankName === 'string' ? `“${params.bankName}”` : 'a bank';
  const user = typeof params.userId === 'string' ? params.userId : 'the sender';
  switch (kind) {
    case 'matrix.quarantine_media':
      return 'quarantine the media on the homeserver';
    case 'matrix.redact_event':
      return 'redact the event';
    case 'matrix.quarantine_user_media':
      return `quarantine all media of ${user}`;
    case 'matrix.quarantine_room_media':
      return `quarantine all media in ${typeof params.roomId === 'string' ? params.roomId : 'the room'}`;
    case 'matrix.redact_user_events':
      return `redact all events of ${user}`;
    case 'matrix.notify':
      return 'post a notice to the management room';
    case 'matrix.protect_media':
      return 'protect the media from quarantine';
    case 'local.add_to_bank':
      return params.negative ? `add its hashes to the allow-list ${bank}` : `add its hashes to the local bank ${bank}`;
    case 'local.disable_content':
      return 'disable the matched local bank content';
    case 'hma.add_to_bank':
      return `add its hashes to the HMA bank ${bank}`;
    case 'hma.disable_content':
      return `disable the matched content in the HMA bank ${bank}`;
    default: {
      const label = (ACTION_LABELS as Record<string, string | undefined>)[kind as ActionKind];
      return label ? label.charAt(0).toLowerCase() + label.slice(1) : kind;
    }
  }
}
