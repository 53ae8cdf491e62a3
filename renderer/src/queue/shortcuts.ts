export interface Shortcut {
  keys: string[];
  action: string;
}

export const SHORTCUTS: { group: string; items: Shortcut[] }[] = [
  {
    group: 'Move',
    items: [
      { keys: ['j', '↓'], action: 'Next item' },
      { keys: ['k', '↑'], action: 'Previous item' },
      { keys: ['/'], action: 'Search' },
    ],
  },
  {
    group: 'Decide',
    items: [
      { keys: ['c'], action: 'Confirm match' },
      { keys: ['f'], action: 'False positive' },
      { keys: ['e'], action: 'Escalate for second review' },
      { keys: ['s'], action: 'Skip (releases the item)' },
      { keys: ['u'], action: 'Undo your latest decision (again for the one before; also after a reload)' },
      { keys: ['1', '…', '9'], action: 'Pick a reason' },
      { keys: ['n'], action: 'Write a note' },
    ],
  },
  {
    group: 'Select',
    items: [
      { keys: ['x'], action: 'Select / unselect the item' },
      { keys: ['Shift', 'C / F / E / S'], action: 'Decide every selected item' },
      { keys: ['Esc'], action: 'Clear the selection, close dialogs' },
    ],
  },
  {
    group: 'Media',
    items: [
      { keys: ['r'], action: 'Reveal / blur again (or hold r, per your settings)' },
      { keys: ['?'], action: 'Show these shortcuts' },
    ],
  },
];

/** Shortcuts never fire while the reviewer types in a field. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
  }
  return false;
}
