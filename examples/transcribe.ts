// Transcribe a file with the Whisper API in a few lines and print its segments.
// Run: `npx tsx examples/transcribe.ts samples/jfk.wav ../shared/fixtures/whisper-micro [device]`
// (the model is a folder or a name such as tiny.en, downloaded on first use).

import { Whisper } from "@max-whisper/whisper";

const [file = "samples/jfk.wav", model = "tiny.en", device = "auto"] = process.argv.slice(2);
const w = await Whisper.load(model, { device: device as "auto" });
const result = await w.transcribe(file, { temperature: 0 });
for (const s of result.segments) console.log(`[${s.start.toFixed(2)} --> ${s.end.toFixed(2)}] ${s.text.trim()}`);
w.dispose();
