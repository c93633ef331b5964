import { decodeAudio, probeRecording } from '../../../src/consent/analysis/decode';
import { speechProbabilities, speechSegments } from '../../../src/consent/analysis/vad';
import { fixture } from '../../helpers/fixtures';

describe('Silero voice activity detection', () => {
  it('finds the speech in talking-a and none in the music of expressions-c', async () => {
    const a = fixture('selfie', 'talking-a.mp4');
    const speech = speechSegments(await speechProbabilities(await decodeAudio(a, await probeRecording(a))));
    expect(speech.length).toBeGreaterThanOrEqual(2);
    expect(speech[0]!.startSec).toBeLessThan(0.6);
    const c = fixture('selfie', 'expressions-c.mp4');
    expect(speechSegments(await speechProbabilities(await decodeAudio(c, await probeRecording(c))))).toEqual(
      [],
    );
  });
});
