// Checkpoint tensors -> the weights the graphs bind: OpenAI canonical names (Hugging Face names
// renamed), storage dtypes per tensor, and the encoder's sinusoid table when a file lacks it.
// Reading files is the weights/ module's job; this only reshapes what it returns.

import { Tensor } from "@max-whisper/graph";
import type { WhisperDims } from "./dims.js";
import { hfToOpenai } from "../weights/names.js";
import { sinusoids } from "../weights/load.js";

export { sinusoids };

/** Storage dtype of the large matrices; biases, norms and positions stay f32. */
export type WeightDType = "f32" | "f16" | "bf16";

/** Matrices (linear, conv, token embedding) are stored in the chosen dtype; the rest in f32. */
export function storageDType(name: string, wdtype: WeightDType): WeightDType {
  if (name.endsWith("positional_embedding")) return "f32";
  if (/(conv[12]|query|key|value|out|mlp\.[02])\.weight$/.test(name) || name === "decoder.token_embedding.weight") return wdtype;
  return "f32";
}


/**
 * Rename Hugging Face names to OpenAI names (unknown ones are dropped), convert each tensor to its storage dtype and add the encoder positions
 * when missing. Missing or misshapen tensors are reported by compile(), naming the tensor.
 */
export function canonicalWeights(tensors: ReadonlyMap<string, Tensor>, dims: WhisperDims, wdtype: WeightDType = "f32"): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    // OpenAI names pass through; HF's tied proj_out duplicates the token embedding.
    const n = name.startsWith("encoder.") || name.startsWith("decoder.") ? name : name === "proj_out.weight" ? undefined : hfToOpenai(name);
    if (n === undefined) continue;
    const want = storageDType(n, wdtype);
    out.set(n, t.dtype === want ? t : t.cast(want));
  }
  if (!out.has("encoder.positional_embedding"))
    out.set("encoder.positional_embedding", sinusoids(dims.nAudioCtx, dims.nAudioState));
  return out;
}
