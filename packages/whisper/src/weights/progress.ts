// A terminal progress bar for resolveModel's downloads (cli-progress), for the CLI and examples.
// The library itself only reports progress through the onProgress callback.

import cliProgress from "cli-progress";
import type { DownloadProgress } from "./hub.js";

function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}

/**
 * An onProgress callback that draws one bar per downloaded file on `stream` (stderr by default).
 * Call stop() when resolveModel settles, so an interrupted bar does not stay open.
 */
export function downloadProgressBar(stream: NodeJS.WritableStream = process.stderr): {
  onProgress: (p: DownloadProgress) => void;
  stop: () => void;
} {
  let bar: cliProgress.SingleBar | undefined;
  let file = "";
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  const onProgress = (p: DownloadProgress): void => {
    if (p.file !== file) {
      stop();
      file = p.file;
      bar = new cliProgress.SingleBar({
        stream,
        format: `${p.repo}/${p.file} [{bar}] {percentage}% | {got}/{all} MB | ETA {eta_formatted}`,
        hideCursor: false,
      }, cliProgress.Presets.shades_classic);
      bar.start(p.total ?? p.received, p.received, { got: mb(p.received), all: p.total ? mb(p.total) : "?" });
    }
    if (p.total !== undefined) bar!.setTotal(p.total);
    bar!.update(p.received, { got: mb(p.received), all: p.total ? mb(p.total) : "?" });
    if (p.done) { stop(); file = ""; }
  };
  return { onProgress, stop };
}
