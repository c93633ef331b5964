import { faceRuntime } from '../../src/faces/runtime';
import sharp from 'sharp';
async function main() {
  const t0 = Date.now();
  const { faceapi, tf } = await faceRuntime();
  console.log('load', Date.now() - t0, tf.getBackend());
  const { data, info } = await sharp('/tmp/cam/f.png').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const t = tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32');
  for (let i = 0; i < 3; i++) {
    let s = Date.now();
    const ssd = await faceapi.detectAllFaces(t as any, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }));
    console.log('ssd', Date.now() - s, ssd.map((d) => d.box));
    s = Date.now();
    for (const size of [224, 320, 416]) {
      s = Date.now();
      const tiny = await faceapi.detectAllFaces(t as any, new faceapi.TinyFaceDetectorOptions({ inputSize: size, scoreThreshold: 0.4 }));
      console.log('tiny', size, Date.now() - s, tiny.map((d) => [d.score.toFixed(2), d.box.width|0]));
    }
    s = Date.now();
    const lm = await faceapi.detectAllFaces(t as any, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 })).withFaceLandmarks();
    console.log('ssd+lm', Date.now() - s);
    s = Date.now();
    const d = await faceapi.detectAllFaces(t as any, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 })).withFaceLandmarks().withFaceDescriptors();
    console.log('ssd+lm+desc', Date.now() - s, d.length);
    // landmarks on crop
    const box = ssd[0]!.box;
    const crop = tf.slice(t, [Math.round(box.y), Math.round(box.x), 0], [Math.round(box.height), Math.round(box.width), 3]);
    s = Date.now();
    await faceapi.nets.faceLandmark68Net.detectLandmarks(crop as any);
    console.log('lm crop', Date.now() - s);
    s = Date.now();
    await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop as any);
    console.log('desc crop', Date.now() - s);
  }
}
main();
