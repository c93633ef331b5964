/**
 * The audio mark: dither modulation (QIM) of band-energy ratios (see audio-lattice.ts for the
 * design). Its parts: audio-lattice.ts (bands, units, steps, the keyed layout), audio-cells.ts
 * (the band energies both sides measure), audio-embed.ts (gains under the segmental-SNR budget),
 * audio-search.ts (the detector's alignment search) and audio-detect.ts (readings, payload and
 * p-value).
 */
export {
  embedAudio,
  segmentalSnr,
  SEG_SNR_DB,
  SEG_SNR_MAX_DB,
  SEG_SNR_MIN_DB,
  type AudioEmbedOptions,
} from './audio-embed';
export {
  detectAudio,
  AUDIO_ISSUED_DEPTH,
  AUDIO_LIST_SIZE,
  AUDIO_P_THRESHOLD,
  type AudioDetection,
} from './audio-detect';
