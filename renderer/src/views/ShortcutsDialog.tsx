import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '../queue/shortcuts';
import { Modal } from './Modal';

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <Modal
      titleId="shortcuts-title"
      className="shortcuts"
      testId="shortcuts-dialog"
      onClose={onClose}
      onKeyDown={(e) => {
        // ? opens this dialog and closes it too; neither key goes on to the queue's shortcuts.
        if (e.key === 'Escape' || e.key === '?') e.preventDefault();
        if (e.key === '?') onClose();
      }}
    >
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <p className="muted">Shortcuts never fire while you type in a field; press Esc to leave a field.</p>
      <div className="shortcut-groups">
        {SHORTCUTS.map((g) => (
          <section key={g.group}>
            <h3>{g.group}</h3>
            <dl>
              {g.items.map((s) => (
                <div key={s.action} className="shortcut">
                  <dt>{s.keys.map((k, i) => (k === '…' || k === 'C / F / E / S' ? <span key={i}> {k} </span> : <kbd key={i}>{k}</kbd>))}</dt>
                  <dd>{s.action}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
      <button ref={ref} type="button" className="primary" onClick={onClose}>Close</button>
    </Modal>
  );
}
