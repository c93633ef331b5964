import { displayRotation } from '../../../src/media/ffprobe';

describe('display rotation of a video stream', () => {
  it('reads the display matrix, normalised to a quarter turn in 0..270', () => {
    expect(displayRotation({ side_data_list: [{ rotation: 90 }] })).toBe(90);
    expect(displayRotation({ side_data_list: [{ rotation: -90 }] })).toBe(270);
    expect(displayRotation({ side_data_list: [{ rotation: 180 }] })).toBe(180);
    expect(displayRotation({ side_data_list: [{ rotation: -180 }] })).toBe(180);
    expect(displayRotation({ side_data_list: [{}, { rotation: 270 }] })).toBe(270);
  });

  it('falls back to the older "rotate" tag, and to no rotation when there is neither or it is not a number', () => {
    expect(displayRotation({ tags: { rotate: '90' } })).toBe(90);
    expect(displayRotation({})).toBe(0);
    expect(displayRotation({ tags: { rotate: 'sideways' } })).toBe(0);
  });

  it('rounds a matrix a few degrees off a quarter turn to the nearest one', () => {
    expect(displayRotation({ side_data_list: [{ rotation: 89.99 }] })).toBe(90);
  });
});
