import sharp from 'sharp';
import type { ScenePlan, ShapePlan } from './scene-plan';

/** The still pieces of a scene, drawn once with sharp (SVG); ffmpeg animates them. */
export async function backgroundPng(plan: ScenePlan, width: number, height: number): Promise<Buffer> {
  const [a, b, c] = plan.palette;
  const rad = (plan.gradientAngleDeg * Math.PI) / 180;
  const x2 = (50 + 50 * Math.cos(rad)).toFixed(1);
  const y2 = (50 + 50 * Math.sin(rad)).toFixed(1);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="g" x1="${100 - Number(x2)}%" y1="${100 - Number(y2)}%" x2="${x2}%" y2="${y2}%">
    <stop offset="0%" stop-color="${a}"/><stop offset="55%" stop-color="${b}"/><stop offset="100%" stop-color="${c}"/>
  </linearGradient>
  <radialGradient id="r" cx="30%" cy="35%" r="60%"><stop offset="0%" stop-color="#ffffff" stop-opacity="0.25"/><stop offset="100%" stop-color="#ffffff" stop-opacity="0"/></radialGradient></defs>
  <rect width="100%" height="100%" fill="url(#g)"/><rect width="100%" height="100%" fill="url(#r)"/></svg>`;
  return sharp(Buffer.from(svg)).png({ compressionLevel: 1 }).toBuffer();
}

export async function shapePng(s: ShapePlan, px: number): Promise<Buffer> {
  const h = px / 2;
  const body =
    s.kind === 'circle'
      ? `<circle cx="${h}" cy="${h}" r="${h * 0.96}" fill="${s.color}"/>`
      : s.kind === 'ring'
        ? `<circle cx="${h}" cy="${h}" r="${h * 0.8}" fill="none" stroke="${s.color}" stroke-width="${px * 0.12}"/>`
        : s.kind === 'square'
          ? `<rect x="${px * 0.1}" y="${px * 0.1}" width="${px * 0.8}" height="${px * 0.8}" rx="${px * 0.12}" fill="${s.color}"/>`
          : `<polygon points="${h},${px * 0.06} ${px * 0.96},${px * 0.92} ${px * 0.04},${px * 0.92}" fill="${s.color}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}"><g opacity="${s.opacity}">${body}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * A cameo's reference face as a square sprite with softened corners. The face itself is left
 * untouched (no masking over it), so the output scan recognises the person it was given.
 */
export async function faceSprite(jpeg: Buffer, px: number): Promise<Buffer> {
  const face = await sharp(jpeg)
    .rotate()
    .resize(px, px, { fit: 'cover', position: 'attention' })
    .removeAlpha()
    .toBuffer();
  const mask = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}"><defs><radialGradient id="m" cx="50%" cy="50%" r="50%">
      <stop offset="86%" stop-color="#fff" stop-opacity="1"/><stop offset="100%" stop-color="#fff" stop-opacity="0"/></radialGradient></defs>
      <rect width="${px}" height="${px}" rx="${px * 0.22}" fill="url(#m)"/><rect x="${px * 0.08}" y="${px * 0.08}" width="${px * 0.84}" height="${px * 0.84}" rx="${px * 0.18}" fill="#fff"/></svg>`,
  );
  const alpha = await sharp(mask).resize(px, px).extractChannel('alpha').raw().toBuffer();
  return sharp(face)
    .joinChannel(alpha, { raw: { width: px, height: px, channels: 1 } })
    .png()
    .toBuffer();
}
