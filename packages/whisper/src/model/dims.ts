// The model dimensions the graphs are built from (a subset of weights/config.ts's WhisperConfig,
// so any parsed config fits) and the default alignment heads.

/** OpenAI ModelDimensions, plus the MLP widths (4 × state when absent). */
export interface WhisperDims {
  readonly nMels: number;
  readonly nAudioCtx: number;
  readonly nAudioState: number;
  readonly nAudioHead: number;
  readonly nAudioLayer: number;
  readonly nVocab: number;
  readonly nTextCtx: number;
  readonly nTextState: number;
  readonly nTextHead: number;
  readonly nTextLayer: number;
  readonly nAudioMlp?: number;
  readonly nTextMlp?: number;
}

/** One cross-attention head used for word alignment: decoder layer and head index. */
export interface AlignmentHead {
  readonly layer: number;
  readonly head: number;
}

/**
 * Alignment heads: the config's [layer, head] pairs when it has them, else every head of the
 * upper half of the decoder layers, as openai-whisper defaults.
 */
export function alignmentHeadsFor(d: WhisperDims, pairs?: readonly (readonly [number, number])[]): AlignmentHead[] {
  if (pairs && pairs.length > 0) {
    return pairs.map(([layer, head], i) => {
      if (!(layer >= 0 && layer < d.nTextLayer && head >= 0 && head < d.nTextHead))
        throw new RangeError(`[alignment heads] entry ${i}: [${layer}, ${head}] is outside ${d.nTextLayer} layers × ${d.nTextHead} heads`);
      return { layer, head };
    });
  }
  const out: AlignmentHead[] = [];
  for (let l = Math.floor(d.nTextLayer / 2); l < d.nTextLayer; l++)
    for (let h = 0; h < d.nTextHead; h++) out.push({ layer: l, head: h });
  return out;
}
