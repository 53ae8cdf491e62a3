import { useState, type DragEvent, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';
import { JobsPanel } from './JobsPanel';

const MAX_DROP_FILES = 200;

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function ImportView({ transport }: { transport: 'ipc' | 'http' }) {
  const queryClient = useQueryClient();
  const [path, setPath] = useState('');
  const [dragging, setDragging] = useState(false);
  const refresh = () => void queryClient.invalidateQueries();

  const importFolder = useMutation({ mutationFn: (folder: string) => call('ingest.importFolder', { path: folder }), onSuccess: refresh });
  const pickAndImport = useMutation({
    mutationFn: async () => {
      const picked = await call('ingest.pickFolder', {});
      if (picked.path) await call('ingest.importFolder', { path: picked.path });
    },
    onSuccess: refresh,
  });
  const upload = useMutation({
    mutationFn: async (files: File[]) => {
      const payload = await Promise.all(files.map(async (f) => ({ name: f.name, dataBase64: toBase64(await f.arrayBuffer()) })));
      return call('ingest.uploadFiles', { files: payload });
    },
    onSuccess: refresh,
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim()) importFolder.mutate(path.trim());
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const files = [...event.dataTransfer.files].slice(0, MAX_DROP_FILES);
    if (files.length > 0) upload.mutate(files);
  };

  return (
    <section className="import" aria-labelledby="import-title">
      <h2 id="import-title">Import media</h2>
      {transport === 'ipc' && (
        <p>
          <button type="button" className="primary" onClick={() => pickAndImport.mutate()} disabled={pickAndImport.isPending}>
            Choose a folder…
          </button>
        </p>
      )}
      <form onSubmit={onSubmit} className="path-form">
        <label htmlFor="folder-path">Folder on this machine</label>
        <input id="folder-path" name="folder-path" type="text" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/reports/2026-11" autoComplete="off" spellCheck={false} data-testid="folder-path" />
        <button type="submit" disabled={!path.trim() || importFolder.isPending} data-testid="import-folder">Import folder</button>
      </form>
      {transport === 'http' && (
        <div
          className={dragging ? 'dropzone dragging' : 'dropzone'}
          onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          aria-label="Drop files here to import them"
        >
          Or drop files here (up to {MAX_DROP_FILES}). They are hashed on this machine and kept only encrypted.
        </div>
      )}
      {[importFolder, pickAndImport, upload].map((m, i) => (m.isError ? <ErrorNote key={i} error={m.error} /> : null))}
      <h3>Imports</h3>
      <JobsPanel />
    </section>
  );
}
