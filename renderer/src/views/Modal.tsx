import type { KeyboardEvent, ReactNode } from 'react';

/**
 * A modal dialog over a dimmed backdrop: a click on the backdrop or Escape closes it. `onKeyDown` sees every key
 * pressed inside first (a dialog's own shortcuts).
 */
export function Modal({
  titleId,
  describedBy,
  role = 'dialog',
  className,
  testId,
  onClose,
  onKeyDown,
  children,
}: {
  titleId: string;
  describedBy?: string;
  role?: 'dialog' | 'alertdialog';
  className?: string;
  testId: string;
  onClose: () => void;
  onKeyDown?: (e: KeyboardEvent<HTMLDivElement>) => void;
  children: ReactNode;
}) {
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className={className ? `modal ${className}` : 'modal'}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          onKeyDown?.(e);
          if (e.key === 'Escape') onClose();
        }}
        data-testid={testId}
      >
        {children}
      </div>
    </div>
  );
}
