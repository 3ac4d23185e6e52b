// Notices when a file's content changes, including the way Kubernetes updates a mounted ConfigMap
// or Secret: the file is a symlink through `..data`, and the kubelet swaps `..data` to a new
// directory atomically — the file itself is never written. So the *directory* is watched, events
// are debounced, the content is compared, and a slow poll catches whatever inotify misses.
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname } from 'node:path';

export interface WatchFileOptions {
  /** Quiet time after the last event before the file is read (default 200 ms). */
  readonly debounceMs?: number;
  /** Fallback poll period (default 3000 ms); 0 disables polling. */
  readonly pollMs?: number;
  /** Use fs.watch on the directory (default true); without it only polling notices changes. */
  readonly fsWatch?: boolean;
  /** The content already loaded, so only later changes are reported (default: read it now). */
  readonly initialText?: string;
  /** Unreadable file, failing watcher, or an onChange that threw; the watch goes on. */
  readonly onError?: (err: Error) => void;
}

export interface FileWatch {
  close(): void;
}

/** Calls onChange(text) whenever the content of `path` differs from the last content seen. */
export function watchConfigFile(
  path: string,
  onChange: (text: string) => void,
  opts: WatchFileOptions = {},
): FileWatch {
  const debounceMs = opts.debounceMs ?? 200;
  const pollMs = opts.pollMs ?? 3000;
  const onError = opts.onError ?? (() => {});
  let last = opts.initialText ?? tryRead(path);
  let lastErrorCode: string | undefined;
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;

  const check = () => {
    if (closed) return;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
      lastErrorCode = undefined;
    } catch (err) {
      // Mid-swap the file can be briefly missing; report each distinct failure once.
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      if (code !== lastErrorCode) onError(new Error(`cannot read ${path}: ${code}`));
      lastErrorCode = code;
      return;
    }
    if (text === last) return;
    last = text;
    try {
      onChange(text);
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
    }
  };

  const schedule = () => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(check, debounceMs);
  };

  if (opts.fsWatch ?? true) {
    try {
      watcher = watch(dirname(path), { persistent: false }, schedule);
      watcher.on('error', (err) => {
        onError(err);
        watcher?.close(); // polling carries on
        watcher = undefined;
      });
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
    }
  }
  const poll = pollMs > 0 ? setInterval(check, pollMs) : undefined;
  poll?.unref();

  return {
    close() {
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      watcher?.close();
    },
  };
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
