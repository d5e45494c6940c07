// Public API of the audio front end: file loading, resampling and Whisper's log-mel spectrogram.

export { loadAudio, mixToMono, wavToMono16k, hasFfmpeg, decodeWithFfmpeg } from "./load.js";
export { decodeWav, encodeWav, isWav, AudioError, type WavData } from "./wav.js";
export { resample, type ResampleOptions } from "./resample.js";
export {
  logMelSpectrogram, padOrTrim, melFilters, type MelSpectrogram,
  SAMPLE_RATE, N_FFT, HOP_LENGTH, CHUNK_LENGTH, N_SAMPLES, N_FRAMES,
} from "./mel.js";
export { planFft, fft, type FftPlan } from "./fft.js";
